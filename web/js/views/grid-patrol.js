// Patrol recording on the phone: while on, GPS fixes are collected and every minute (or every
// 20 fixes) handed to the outbox as one batch for POST /api/patrol/tracks, with its own
// Idempotency-Key, so fixes taken without signal are sent later, in order, once.
import { h, toast } from '/js/dom.js';
import { t } from '/js/i18n.js';
import { getUser } from '/js/api.js';
import { enqueue } from '/js/outbox.js';

const BATCH_FIXES = 20;
const BATCH_MS = 60000;
let watch = null;
let timer = null;
let buffer = [];
let last = null;
let onChange = () => {};

/** The newest fix (for a visit's place), if any. */
export function lastFix() { return last; }

export function recording() { return watch != null; }

export function initPatrol(changed) { onChange = changed; }

async function handOver() {
  const u = getUser();
  if (!u || !buffer.length) return;
  const points = buffer;
  buffer = [];
  await enqueue(u.username, { kind: 'patrol', path: '/api/patrol/tracks', body: { member: u.username, points },
    label: `${t('patrol.batch')} (${points.length})` });
}

function onFix(pos) {
  const c = pos.coords;
  last = { lon: +c.longitude.toFixed(6), lat: +c.latitude.toFixed(6) };
  buffer.push({ ...last, time: new Date(pos.timestamp || Date.now()).toISOString() });
  document.body.dataset.patrolFixes = String(buffer.length);
  if (buffer.length >= BATCH_FIXES) handOver();
  onChange();
}

export function startPatrol() {
  if (watch != null) return;
  // Over plain HTTP on the office network the browser refuses positions: say why.
  if (!window.isSecureContext) { toast(t('loc.insecure'), 'error'); return; }
  if (!('geolocation' in navigator)) { toast(t('patrol.noGps'), 'error'); return; }
  watch = navigator.geolocation.watchPosition(onFix, (e) => toast(`${t('patrol.noGps')} (${e.message})`, 'error'),
    { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  timer = setInterval(handOver, BATCH_MS);
  document.body.dataset.patrolling = '1';
  onChange();
}

export async function stopPatrol() {
  if (watch != null) navigator.geolocation.clearWatch(watch);
  watch = null;
  clearInterval(timer);
  await handOver();
  delete document.body.dataset.patrolling;
  onChange();
}

const TRACKS_KEY = 'minqing.grid.tracks';

/** Whether patrol tracks are drawn on the map (kept on the phone; shown by default). */
let tracks = null; // 'shown' | 'hidden', when storage is refused (private mode)
export function tracksShown() {
  try { tracks = localStorage.getItem(TRACKS_KEY) ?? tracks; } catch { /* keep this page's choice */ }
  return tracks !== 'hidden';
}

/** The show/hide tracks switch on the patrol tab; `changed()` redraws the map. */
export function tracksToggle(changed) {
  const box = h('input#tracks-toggle', { type: 'checkbox', checked: tracksShown(), on: { change: (e) => {
    tracks = e.target.checked ? 'shown' : 'hidden';
    try { localStorage.setItem(TRACKS_KEY, tracks); } catch { /* private mode: this page only */ }
    changed();
  } } });
  return h('label.tracks-toggle', box, h('span', t('patrol.showTracks')));
}

/** The start/stop control shown on the patrol tab. */
export function patrolControl() {
  const on = recording();
  return h('div.patrol-rec',
    h('button#patrol-toggle', { type: 'button', class: on ? 'danger' : 'primary', on: { click: () => (on ? stopPatrol() : startPatrol()) } },
      on ? t('patrol.stop') : t('patrol.start')),
    h('span.sub', on ? t('patrol.recording', { n: buffer.length }) : t('patrol.hint')));
}
