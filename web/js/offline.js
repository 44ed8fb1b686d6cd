// The phone view offline: the web app manifest and the service worker (/sw.js),
// the tiles of my grid kept for use without signal, and the strip that shows what waits in the
// outbox, what failed and why, and asks to sign in again when the session has expired.
import { h, fmtTime } from '/js/dom.js';
import { t, tv, errText } from '/js/i18n.js';
import { items, onOutbox, retry, discard, waitsForLogin } from '/js/outbox.js';
import { openLogin } from '/js/shell.js';

/** Links the manifest (if the page does not yet) and registers the service worker. */
export async function registerOffline() {
  if (!document.querySelector('link[rel="manifest"]')) {
    document.head.append(h('link', { rel: 'manifest', href: '/manifest.webmanifest' }));
  }
  if (!('serviceWorker' in navigator)) return null; // needs a secure context (HTTPS or localhost)
  try {
    // Scope /: MapLibre's tile worker (/vendor/…) must be a controlled client too (see sw.js).
    const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    navigator.serviceWorker.ready.then(() => { document.body.dataset.sw = 'ready'; });
    window.addEventListener('minqing-logout', forgetData);
    return reg;
  } catch (e) {
    console.warn('service worker not registered:', e && e.message);
    return null;
  }
}

/** Tells the service worker to forget this account's data (after signing out). */
export function forgetData() {
  const c = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (c) c.postMessage({ type: 'forget' });
}

/** Tile x/y of a lon/lat at zoom z (Web Mercator). */
function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [Math.min(n - 1, Math.max(0, x)), Math.min(n - 1, Math.max(0, y))];
}

/**
 * Fetches (through the service worker, which keeps them) the tiles of `layers` covering `bbox`
 * from zoom `z0` to `z1`, at most `max` of them, a few at a time.
 */
export async function cacheTiles(bbox, layers, z0, z1, max = 600) {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller || !bbox) return 0;
  const urls = [];
  for (const name of layers) {
    let template;
    try {
      const tj = await (await fetch(`/tiles/${name}.json`, { credentials: 'same-origin' })).json();
      template = tj && tj.tiles && tj.tiles[0];
    } catch { continue; }
    if (!template) continue;
    for (let z = z0; z <= z1; z++) {
      const [x0, y0] = tileOf(bbox[0], bbox[3], z);
      const [x1, y1] = tileOf(bbox[2], bbox[1], z);
      for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) {
        urls.push(template.replace('{z}', z).replace('{x}', x).replace('{y}', y));
      }
    }
  }
  const todo = urls.slice(0, max);
  let done = 0;
  const worker = async () => {
    while (todo.length) {
      const u = todo.shift();
      try { await fetch(u, { credentials: 'same-origin' }); done++; } catch { /* offline: try next time */ }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  document.body.dataset.tilesCached = String(done);
  return done;
}

/* ---------------- the outbox strip ---------------- */

let open = false;

/** Renders the strip into `box` (an element kept by the view); re-renders on every outbox change. */
export function outboxStrip(box, user) {
  const render = async () => {
    const all = (await items()).filter((x) => !user() || x.user === user().username);
    const waiting = all.filter((x) => x.state === 'waiting');
    const failed = all.filter((x) => x.state === 'failed');
    document.body.dataset.outbox = String(waiting.length);
    document.body.dataset.outboxFailed = String(failed.length);
    if (!all.length) { box.replaceChildren(); box.hidden = true; return; }
    box.hidden = false;
    const login = waitsForLogin() || (!user() && waiting.length);
    const head = h('button.outbox-head#outbox-head', { type: 'button', 'aria-expanded': String(open),
      on: { click: () => { open = !open; render(); } } },
    h('span', navigator.onLine ? '⇅' : '⚠'),
    h('strong', t('outbox.title')),
    waiting.length ? h('span.badge', `${t('outbox.waiting')} ${waiting.length}`) : null,
    failed.length ? h('span.badge.bad', `${t('outbox.failed')} ${failed.length}`) : null,
    h('span.sub', navigator.onLine ? '' : t('outbox.offline')));
    const parts = [head];
    if (login) {
      parts.push(h('div.outbox-login', h('span', t('outbox.login')),
        h('button.primary#outbox-login', { type: 'button', on: { click: () => openLogin({ required: true }) } }, t('login'))));
    }
    if (open) {
      parts.push(h('ul.list#outbox-list', all.map((it) => h('li', { dataset: { seq: String(it.seq), kind: it.kind, state: it.state } },
        h('div.row1', h('strong', it.label || tv(it.kind)), h('span.status', it.state === 'failed' ? t('outbox.failed') : t('outbox.waiting'))),
        h('div.row2', h('span', fmtTime(it.made)),
          it.error ? h('span.left', errText({ status: it.error.status, data: it.error })) : null),
        it.state === 'failed' ? h('div.row2',
          h('button', { type: 'button', on: { click: () => retry(it.seq) } }, t('outbox.retry')),
          h('button', { type: 'button', on: { click: () => discard(it.seq) } }, t('outbox.discard'))) : null))));
    }
    box.replaceChildren(...parts);
  };
  onOutbox(() => render());
  window.addEventListener('online', render);
  window.addEventListener('offline', render);
  render();
  return render;
}

let stripBox = null;
/** The strip's one element (the view puts it into its panel on every render). */
export const outboxBox = () => (stripBox ??= h('div#outbox.outbox', { hidden: true }));
