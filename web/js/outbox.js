// The outbox: every report, visit and batch of patrol fixes the phone makes goes here first
// (IndexedDB), each with its own Idempotency-Key chosen when it is made, and is sent in the order
// it was made as soon as the server can be reached. A retry with the same key never creates a
// second record (the server replays its first answer), so a connection lost mid-request, a
// reload or a second tab cannot duplicate anything.
//
// An item: {seq, user, kind ('report'|'visit'|'patrol'|'photos'), path, body (JSON) or parts
// (photos: [{name, type, blob}]), key, made (ISO time), label, state ('waiting'|'failed'),
// error, after (seq of the report whose id a photos item waits for)}.
// Outcomes of a send: 2xx → done (removed; listeners get the answer); no connection, 408, 409
// (the first send still runs), 429, 5xx → stays waiting, sending stops and is tried again
// later; 401 → waits for the account to sign in again (`needsLogin`); any other 4xx → failed,
// with the reason shown, and the queue goes on.
import { csrfToken } from '/js/api.js';
import { uuid } from '/js/dom.js';

const DB = 'minqing-outbox';
const STORE = 'items';
const RETRY_MS = 20000;
const listeners = new Set();
let dbp = null;
let sending = null;
let needsLogin = false;
let timer = null;

function db() {
  dbp ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return dbp;
}

async function tx(mode, f) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const s = t.objectStore(STORE);
    let out;
    Promise.resolve(f(s)).then((v) => { out = v; });
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });

/** Every item, oldest first. */
export async function items() {
  return tx('readonly', (s) => req(s.getAll()));
}

async function put(item) { return tx('readwrite', (s) => req(s.put(item))); }
async function remove(seq) { return tx('readwrite', (s) => req(s.delete(seq))); }

function notify(event) { for (const f of listeners) { try { f(event); } catch (e) { console.error(e); } } }

/** `f({type: 'changed'|'sent'|'failed'|'login', item, answer})` after every change. */
export function onOutbox(f) { listeners.add(f); return () => listeners.delete(f); }

export function waitsForLogin() { return needsLogin; }

/**
 * Queues a request made by `user` and starts sending. Returns the stored item (its `seq` and
 * `key`); the answer arrives through `onOutbox` ('sent') — at once when online.
 */
export async function enqueue(user, { kind, path, body, parts, after, label }, { send = true } = {}) {
  const item = { user, kind, path, body, parts, after, label: label || kind, key: uuid(), made: new Date().toISOString(),
    state: 'waiting', error: null };
  item.seq = await put(item);
  notify({ type: 'changed', item });
  if (send) flush(user);
  return item;
}

/** A photos item waiting for the report queued as `reportSeq` (its path is known once the report has an id). */
export async function enqueuePhotos(user, reportSeq, files, label) {
  const parts = [];
  for (const f of files) parts.push({ name: f.name || 'photo.jpg', type: f.type || 'image/jpeg', blob: f });
  return enqueue(user, { kind: 'photos', path: null, parts, after: reportSeq, label });
}

/** Queues a report and, when `files` are given, its photos (sent once the report has its id). */
export async function enqueueReport(user, body, files, label) {
  const report = await enqueue(user, { kind: 'report', path: '/api/incidents', body, label }, { send: !files.length });
  if (files.length) await enqueuePhotos(user, report.seq, files, label);
  return report;
}

export async function retry(seq) {
  const it = (await items()).find((x) => x.seq === seq);
  if (!it) return;
  it.state = 'waiting'; it.error = null;
  await put(it);
  notify({ type: 'changed', item: it });
  flush(it.user);
}

export async function discard(seq) {
  await remove(seq);
  notify({ type: 'changed' });
}

/** Multipart with a boundary fixed per item, so a retry sends the very same bytes (and fingerprint). */
function multipart(item) {
  const boundary = `minqing-${item.key}`;
  const chunks = [];
  for (const p of item.parts) {
    const name = String(p.name).replace(/["\r\n]/g, '_');
    chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${name}"\r\nContent-Type: ${p.type}\r\n\r\n`, p.blob, '\r\n');
  }
  chunks.push(`--${boundary}--\r\n`);
  return { body: new Blob(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

async function sendOne(item) {
  const headers = { Accept: 'application/json', 'Idempotency-Key': item.key };
  const csrf = csrfToken();
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let body;
  if (item.parts) {
    const m = multipart(item);
    headers['Content-Type'] = m.type;
    body = m.body;
  } else {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(item.body);
  }
  const res = await fetch(item.path, { method: 'POST', headers, body, credentials: 'same-origin' });
  let data = null;
  if ((res.headers.get('content-type') || '').includes('json')) data = await res.json().catch(() => null);
  return { status: res.status, data };
}

const transient = (s) => s === 0 || s === 408 || s === 409 || s === 429 || s >= 500;

/** Sends what waits for `user`, in order. One run at a time (and one tab at a time, where the browser can lock). */
export function flush(user) {
  if (!user) return Promise.resolve();
  if (sending) return sending;
  const run = async () => {
    try {
      let list = (await items()).filter((x) => x.user === user).sort((a, b) => a.seq - b.seq);
      for (const { seq } of [...list]) {
        // Read each item as it is now: a report sent a moment ago gave its photos their path.
        const item = list.find((x) => x.seq === seq);
        if (!item || item.state !== 'waiting') continue;
        if (item.kind === 'photos' && !item.path) {
          // Its report is still queued (or failed): photos wait for the report's id.
          const report = list.find((x) => x.seq === item.after);
          if (report && report.state === 'failed') {
            item.state = 'failed'; item.error = { status: 0, error: 'report_failed', detail: '' };
            await put(item); notify({ type: 'failed', item });
          }
          if (report) continue;
          item.state = 'failed'; item.error = { status: 0, error: 'report_missing', detail: '' };
          await put(item); notify({ type: 'failed', item });
          continue;
        }
        let r;
        try {
          r = await sendOne(item);
        } catch {
          r = { status: 0, data: null };
        }
        if (r.status >= 200 && r.status < 300) {
          await remove(item.seq);
          needsLogin = false;
          // Photos waiting for this report learn its id.
          if (item.kind === 'report' && r.data && r.data.id) {
            for (const p of (await items()).filter((x) => x.kind === 'photos' && x.after === item.seq)) {
              p.path = `/api/incidents/${encodeURIComponent(r.data.id)}/photos`;
              await put(p);
            }
            list = (await items()).filter((x) => x.user === user).sort((a, b) => a.seq - b.seq);
          }
          notify({ type: 'sent', item, answer: r.data });
          continue;
        }
        if (r.status === 401) {
          needsLogin = true;
          notify({ type: 'login', item });
          return;
        }
        if (transient(r.status)) {
          item.error = { status: r.status, error: (r.data && r.data.error) || (r.status ? 'server' : 'network'), detail: (r.data && r.data.detail) || '' };
          await put(item);
          notify({ type: 'changed', item });
          schedule(user);
          return;
        }
        item.state = 'failed';
        item.error = { status: r.status, error: (r.data && r.data.error) || 'server', detail: (r.data && r.data.detail) || '' };
        await put(item);
        notify({ type: 'failed', item });
      }
    } finally {
      sending = null;
    }
  };
  const locked = () => (navigator.locks ? navigator.locks.request('minqing-outbox', run) : run());
  sending = locked();
  return sending;
}

function schedule(user) {
  clearTimeout(timer);
  timer = setTimeout(() => flush(user), RETRY_MS);
}

/** Starts sending for `user` now, when the connection returns, and every little while. */
export function startOutbox(getUser) {
  const go = () => { const u = getUser(); if (u) flush(u.username); };
  window.addEventListener('online', go);
  setInterval(go, RETRY_MS);
  go();
}
