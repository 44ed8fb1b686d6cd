// Reporting from the phone (`/grid`): "my location" (browser geolocation, which needs a secure
// context: HTTPS or localhost), "report here" with a draggable pin at my location or the map
// centre, and the report sheet. The sheet names the place — the grid with its community and
// street, and the nearest registered hazard, shelter or key place — instead of coordinates, and
// warns when the pin is outside my grid. The contract lets any signed-in user report anywhere, so
// such a report is still allowed: it goes to the grid it lies in, which this account cannot
// read afterwards, so photos (which need the case's rights) are off for it. The channel
// (网格员上报) is set by the server from the account's role. Reports go through the outbox.
import { h, $, toast, uuid, fmtNum } from '/js/dom.js';
import { t, tv, errText } from '/js/i18n.js';
import { api, getUser } from '/js/api.js';
import { maplibregl } from '/js/mapbase.js';
import { enqueueReport } from '/js/outbox.js';

/** Most photos on one case (contract: ≤ 9 per case). */
export const MAX_PHOTOS = 9;
/** A position fix older than this is not "here" any more: the pin starts at the map centre. */
const FRESH_FIX_MS = 2 * 60 * 1000;
/** How far the sheet looks for a named place to describe the pin by. */
const NEAR_KM = 1;

let map = null;
let myAreas = () => [];
let onQueued = () => {};
let categories = null;
let pin = null;
let meMarker = null;
let me = null; // {lon, lat, accuracy, at}
let pending = null; // {lon, lat, key, inside}
let photos = []; // File[] chosen for this report
let describing = 0;

/**
 * `areas()` gives the codes of my areas (a report outside them gets the warning); `queued()` is
 * called after a report went to the outbox.
 */
export function initReport(m, { areas, queued }) {
  map = m;
  myAreas = areas;
  onQueued = queued;
  buildReportDialog();
}

/** The last position fix, if any. */
export function myPosition() { return me; }

/* ---------------- my location ---------------- */

/** Asks the browser for a fix, shows it as a dot and centres the map on it. */
export function locateMe() {
  // Geolocation exists only in a secure context (HTTPS, or localhost): say so plainly.
  if (!window.isSecureContext) { toast(t('loc.insecure'), 'error'); return Promise.resolve(null); }
  if (!('geolocation' in navigator)) { toast(t('loc.unavailable'), 'error'); return Promise.resolve(null); }
  const btn = $('#locate-btn');
  if (btn) btn.classList.add('busy');
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition((pos) => {
      if (btn) btn.classList.remove('busy');
      const c = pos.coords;
      me = { lon: +c.longitude.toFixed(6), lat: +c.latitude.toFixed(6), accuracy: c.accuracy, at: Date.now() };
      if (!meMarker) meMarker = new maplibregl.Marker({ element: h('div.me-dot', { title: t('loc.me') }) });
      meMarker.setLngLat([me.lon, me.lat]).addTo(map);
      map.easeTo({ center: [me.lon, me.lat], zoom: Math.max(map.getZoom(), 16) });
      document.body.dataset.located = `${me.lon},${me.lat}`;
      resolve(me);
    }, (e) => {
      if (btn) btn.classList.remove('busy');
      toast(e.code === 1 ? t('loc.denied') : `${t('loc.unavailable')} (${e.message})`, 'error');
      resolve(null);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
}

/** The map's buttons: my location, report here. */
export function mapButtons() {
  return h('div.map-actions#map-actions',
    h('button#locate-btn', { type: 'button', title: t('loc.me'), 'aria-label': t('loc.me'), on: { click: () => locateMe() } }, '◎'),
    h('button.primary#report-here', { type: 'button', on: { click: () => reportHere() } }, `+ ${t('report.here')}`));
}

/** "Report here": the pin at my position when it is fresh, else at the map centre. */
export function reportHere() {
  const fresh = me && Date.now() - me.at < FRESH_FIX_MS;
  const c = map.getCenter();
  return openReport(fresh ? { lng: me.lon, lat: me.lat } : c, fresh ? 'me' : 'centre');
}

/* ---------------- the sheet ---------------- */

export function buildReportDialog() {
  const old = $('#report-dialog');
  if (old) old.remove();
  const select = h('select#report-category', { name: 'category', required: true },
    h('option', { value: '' }, `— ${t('report.category')} —`));
  const desc = h('textarea#report-description', { name: 'description', rows: 3, maxlength: 2000, required: true });
  // Two ways to add photos on a phone: the camera (`capture`, one shot at a time) and the
  // gallery (several at once); both add to one list of at most nine.
  const camera = h('input#report-camera', { type: 'file', accept: 'image/*', capture: 'environment', hidden: true,
    on: { change: (e) => addPhotos(e.target) } });
  const gallery = h('input#report-photos', { type: 'file', name: 'photo', accept: 'image/*', multiple: true, hidden: true,
    on: { change: (e) => addPhotos(e.target) } });
  const form = h('form#report-form', { method: 'dialog' },
    h('h2', t('report.title')),
    h('div.field', h('span', t('report.location')), h('div.where#report-where', '…'), h('p.hint#report-drag', t('report.dragPin'))),
    h('div.warn-outside#report-outside', { role: 'alert', hidden: true }),
    h('label', h('span', t('report.category')), select),
    h('label', h('span', t('report.description')), desc),
    h('div.field', h('span#report-photos-label', t('report.photosUpTo', { n: MAX_PHOTOS })),
      h('div.photo-picks#report-thumbs'),
      h('div.photo-buttons',
        camera, gallery,
        // Plain words, no emoji: the office PCs and some phones have no colour-emoji font.
        h('button#report-camera-btn', { type: 'button', on: { click: () => camera.click() } }, `+ ${t('report.camera')}`),
        h('button#report-gallery-btn', { type: 'button', on: { click: () => gallery.click() } }, `+ ${t('report.gallery')}`),
        h('span.photo-count#report-photo-count', `0/${MAX_PHOTOS}`))),
    h('div.form-error#report-error', { role: 'alert' }),
    h('div.buttons',
      h('button#report-cancel', { type: 'button', on: { click: () => closeReport() } }, t('report.cancel')),
      h('button.primary#report-submit', { type: 'submit' }, t('report.submit'))));
  document.body.append(h('dialog#report-dialog.sheet', form));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submitReport(); });
  if (categories) fillCategories();
  if (pending) { describe(pending.lon, pending.lat); renderPhotos(); }
}

export async function loadCategories() {
  if (categories) return;
  const r = await api('/api/incidents/categories');
  categories = (r && r.items) || [];
  fillCategories();
}

export function categoryName(code) { return categories?.find((c) => c.code === code)?.name ?? code; }

function fillCategories() {
  const sel = $('#report-category');
  if (!sel) return;
  const keep = sel.value;
  sel.replaceChildren(h('option', { value: '' }, `— ${t('report.category')} —`),
    ...categories.map((c) => h('option', { value: c.code }, tv(c.name || c.code))));
  sel.value = keep;
}

/** Opens the sheet with a draggable pin at `lngLat` (`from`: 'tap', 'me' or 'centre'). */
export async function openReport(lngLat, from = 'tap') {
  const lon = +lngLat.lng.toFixed(6), lat = +lngLat.lat.toFixed(6);
  if (!pending) { pending = { key: uuid() }; photos = []; }
  Object.assign(pending, { lon, lat, inside: null });
  if (!pin) {
    pin = new maplibregl.Marker({ color: '#e6550d', draggable: true });
    pin.getElement().id = 'report-pin';
    pin.on('dragend', () => {
      const p = pin.getLngLat();
      if (!pending) return;
      Object.assign(pending, { lon: +p.lng.toFixed(6), lat: +p.lat.toFixed(6), inside: null });
      describe(pending.lon, pending.lat);
    });
  }
  pin.setLngLat([lon, lat]).addTo(map);
  // Keep the pin in sight above the sheet.
  map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 16) });
  const dlg = $('#report-dialog');
  $('#report-error', dlg).textContent = '';
  if (!dlg.open) dlg.show(); // non-modal: the map stays usable above the sheet
  document.body.dataset.reportOpen = from;
  renderPhotos();
  describe(lon, lat);
  try { await loadCategories(); } catch (e) { $('#report-error', dlg).textContent = errText(e); }
}

/** Names the pin's place: grid (community · street) and the nearest named record. */
async function describe(lon, lat) {
  const run = ++describing;
  const where = $('#report-where');
  if (!where) return;
  delete document.body.dataset.reportWhere;
  document.body.dataset.reportAt = `${lon},${lat}`;
  where.replaceChildren(h('span.sub', '…'));
  try {
    // The batch form answers null outside every grid, where the single form answers 404.
    const [codes, near] = await Promise.all([
      api('/api/grids/at', { method: 'POST', body: { points: [[lon, lat]] } }),
      api(`/api/nearby?lon=${lon}&lat=${lat}&k=1&max_km=${NEAR_KM}`),
    ]);
    const code = codes && codes.grids ? codes.grids[0] : null;
    const grid = code ? await api(`/api/grids/at?lon=${lon}&lat=${lat}`) : null;
    if (run !== describing) return;
    const n = near && near.items && near.items[0];
    const up = grid ? (grid.ancestors || []).filter((a) => a.level === 'community' || a.level === 'street').map((a) => a.name) : [];
    where.replaceChildren(
      h('strong.where-grid#report-grid', grid ? grid.name : t('report.noGrid')),
      up.length ? h('span.sub.where-up', up.join(' · ')) : null,
      h('span.where-near#report-near', n
        ? t('report.near', { name: n.name, kind: t('near.' + n.kind), d: fmtNum(Math.round(n.distance_m)) })
        : t('report.nothingNear', { km: NEAR_KM })));
    const mine = myAreas();
    const inside = !!grid && mine.some((a) => grid.code.startsWith(a));
    if (pending) pending.inside = inside;
    outsideWarning(inside ? null : grid);
    document.body.dataset.reportWhere = grid ? grid.code : 'none';
  } catch (e) {
    if (run !== describing) return;
    // Without signal the report still goes (through the outbox); the server places it.
    const offline = !navigator.onLine || !e.status;
    where.replaceChildren(h(offline ? 'span.sub' : 'span.form-error', offline ? t('report.whereOffline') : errText(e)));
    outsideWarning(null, true);
  }
}

/** The warning for a pin outside my grid (`unknown`: where it is could not be asked). */
function outsideWarning(grid, unknown = false) {
  const box = $('#report-outside');
  const inside = pending && pending.inside;
  box.hidden = !!inside || unknown;
  box.replaceChildren();
  if (!inside && !unknown) {
    const head = grid && grid.head ? [grid.head.name, grid.head.phone ? h('a.tel', { href: `tel:${grid.head.phone}` }, grid.head.phone) : null] : [];
    box.append(h('strong', `⚠ ${t('report.outside')}`), h('div', grid
      ? t('report.outsideGoes', { grid: grid.name })
      : t('report.outsideFallback')), head.length ? h('div', `${t('f.head')} `, ...head) : null,
    h('div.sub', t('report.outsideNoPhotos')));
  }
  renderPhotos(); // photos need the case's rights, which a report outside my grid does not give
}

function addPhotos(input) {
  const files = [...(input.files || [])];
  input.value = '';
  const room = MAX_PHOTOS - photos.length;
  photos.push(...files.slice(0, Math.max(0, room)));
  const err = $('#report-error');
  // Never drop a photo without saying so.
  err.textContent = files.length > room ? t('report.tooManyPhotos', { n: MAX_PHOTOS, dropped: files.length - Math.max(0, room) }) : '';
  renderPhotos();
}

function renderPhotos() {
  const box = $('#report-thumbs');
  if (!box) return;
  for (const img of box.querySelectorAll('img')) URL.revokeObjectURL(img.src);
  box.replaceChildren(...photos.map((f, i) => h('div.pick', { dataset: { n: String(i + 1) } },
    h('img', { src: URL.createObjectURL(f), alt: `${t('case.photo')} ${i + 1}` }),
    h('button.pick-remove', { type: 'button', 'aria-label': t('report.removePhoto'), title: t('report.removePhoto'),
      on: { click: () => { photos.splice(i, 1); $('#report-error').textContent = ''; renderPhotos(); } } }, '×'))));
  const count = $('#report-photo-count');
  if (count) count.textContent = `${photos.length}/${MAX_PHOTOS}`;
  const full = photos.length >= MAX_PHOTOS;
  const outside = pending && pending.inside === false;
  for (const id of ['#report-camera-btn', '#report-gallery-btn']) { const b = $(id); if (b) b.disabled = full || outside; }
  document.body.dataset.reportPhotos = String(photos.length);
}

export function closeReport() {
  const dlg = $('#report-dialog');
  if (dlg && dlg.open) dlg.close();
  if (pin) pin.remove();
  pending = null;
  photos = [];
  renderPhotos();
  delete document.body.dataset.reportOpen;
  delete document.body.dataset.reportWhere;
}

async function submitReport() {
  const dlg = $('#report-dialog');
  const category = $('#report-category', dlg).value;
  const description = $('#report-description', dlg).value.trim();
  const err = $('#report-error', dlg);
  if (!category) { err.textContent = t('report.needCategory'); return; }
  if (!description) { err.textContent = t('report.needDescription'); return; }
  if (!pending) return;
  const btn = $('#report-submit', dlg);
  btn.disabled = true;
  try {
    // Through the outbox (its own Idempotency-Key, kept without signal); the answer arrives in
    // the view's outbox listener. The photos follow once the report has its id.
    const files = pending.inside === false ? [] : photos.slice(0, MAX_PHOTOS);
    const label = `${t('report.title')} · ${categoryName(category)}`;
    const body = { category, description, lon: pending.lon, lat: pending.lat };
    await enqueueReport(getUser().username, body, files, label);
    if (!navigator.onLine) toast(t('outbox.saved'));
    $('#report-description', dlg).value = '';
    closeReport();
    onQueued(body);
  } catch (e) {
    err.textContent = errText(e);
  } finally {
    btn.disabled = false;
  }
}
