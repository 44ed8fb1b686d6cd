// `/grid`: a grid head's phone view. After login: fit to my grid, list my hazards, people
// (masked, as the server gives them), open incidents with the time left, patrol gaps; tap the
// map to report an incident.
import { h, $, fmtNum, fmtTime, toast, uuid } from '/js/dom.js';
import { t, tv, onLangChange, errText } from '/js/i18n.js';
import { api, getUser, isLoggedIn, onAuthChange } from '/js/api.js';
import { maplibregl, createMap, showLayer, enablePopups, dropPrivateLayers, fitBbox, highlightArea,
  OPEN_STATUSES, RISK_COLORS, RISK_ORDER, STATUS_COLORS } from '/js/mapbase.js';
import { openLogin, closeLogin } from '/js/shell.js';
import { flasher, connectEvents } from '/js/live.js';
import { listWarnings, levelColor, showAreas, isWarningEvent } from '/js/warnings.js';
import { openCase, caseEvent, onCaseChange } from '/js/case.js';
// Offline use, visits (走访) and patrol recording (issue 16) live in their own modules.
import { enqueueReport, onOutbox, startOutbox, flush } from '/js/outbox.js';
import { registerOffline, cacheTiles, outboxStrip, outboxBox } from '/js/offline.js';
import { initVisits, loadVisits, clearVisits, visitsBadge, visitsTab, buildVisitDialog, visitSent } from '/js/views/grid-visits.js';
import { initPatrol, patrolControl } from '/js/views/grid-patrol.js';

let map, flash, marker, es, area = null, categories = null;
const state = { hazards: [], people: null, incidents: [], patrol: null, tab: 'incidents', warnings: [], warning: null };
const TABS = ['incidents', 'visits', 'hazards', 'people', 'patrol'];

export async function start() {
  $('#panel').classList.add('grid-panel'); // before the map measures its container
  map = await createMap({ theme: 'light', layers: ['grids', 'hazards', 'shelters', 'places'] });
  flash = flasher(map, { color: '#e6550d' });
  enablePopups(map, { pointsOnly: true, onNothing: (e) => { if (isLoggedIn()) openReport(e.lngLat); } });

  const panel = $('#panel');
  buildReportDialog();
  const render = () => renderPanel(panel);
  onLangChange(() => { render(); buildReportDialog(); buildVisitDialog(); renderOutbox(); });
  setupOffline(render);

  const onLogin = async () => {
    if (!isLoggedIn()) {
      dropPrivateLayers(map);
      area = null;
      clearVisits();
      Object.assign(state, { hazards: [], people: null, incidents: [], patrol: null, warnings: [], warning: null });
      if (es) { es.close(); es = null; }
      showAreas(map, []);
      highlightArea(map, null);
      render();
      openLogin({ required: true });
      return;
    }
    closeLogin();
    // New warnings reach me live: an SSE `warning.issued` (or `.updated`) → refetch the list.
    if (es) es.close();
    es = connectEvents((ev) => {
      if (String(ev.kind || '').startsWith('incident')) { caseEvent(ev); return; }
      if (!isWarningEvent(ev)) return;
      loadWarnings();
      if (state.warning && ev.id === state.warning.id) openWarning(ev.id);
    });
    loadWarnings();
    showLayer(map, 'incidents', true);
    showLayer(map, 'patrol', true);
    // Tracks and missed places only: the coverage colours would hide my grid.
    if (map.getLayer('patrol-fill')) map.setLayoutProperty('patrol-fill', 'visibility', 'none');
    render();
    flush(getUser().username); // what waited for this sign-in goes now
    await loadMyArea();
    render();
    if (area) {
      await loadVisits(area.code);
      keepForOffline();
    }
  };
  onAuthChange(onLogin);
  // A step taken in the case panel changes my list at once.
  onCaseChange(async () => { await loadMyArea(); render(); });
  await onLogin();
}

/* ---------------- offline: service worker, outbox, tiles of my grid (issue 16) ---------------- */

let renderOutbox = () => {};

function setupOffline(render) {
  registerOffline();
  initVisits(render);
  initPatrol(render);
  renderOutbox = outboxStrip(outboxBox(), getUser);
  onOutbox((ev) => {
    if (ev.type === 'sent' && ev.item.kind === 'report' && ev.answer) reportArrived(ev.item, ev.answer);
    if (ev.type === 'sent' && ev.item.kind === 'visit') {
      visitSent(ev.item, ev.answer);
      document.body.dataset.lastVisit = (ev.answer && ev.answer.id) || '';
    }
    if (ev.type === 'failed') toast(`${ev.item.label}: ${t('outbox.failed')}`, 'error');
    // The session expired while items waited: asking the server who we are ends the page's
    // session too (a 401), which opens the sign-in; signing in again sends them.
    if (ev.type === 'login') api('/api/me').catch(() => null);
  });
  startOutbox(getUser);
}

/** Keeps what the report form and the map need offline: the categories, and the tiles of my
 * grid (its box, from the zoom it is shown at to street level). */
function keepForOffline() {
  loadCategories().catch(() => null);
  if (!area || !area.bbox) return;
  const z0 = Math.max(10, Math.floor(map.getZoom()) - 1);
  cacheTiles(area.bbox, [...map._minqingVisible].filter((n) => n !== 'people'), z0, Math.min(17, z0 + 3));
}

function reportArrived(item, r) {
  const b = item.body || {};
  toast(`${t('report.ok')}: ${r.id}`);
  document.body.dataset.lastIncident = r.id;
  if (b.lon != null) flash.flash([b.lon, b.lat], r.id);
  state.incidents.unshift({ category: r.category ?? categories?.find((c) => c.code === b.category)?.name ?? b.category,
    status: r.status || 'reported', lon: b.lon, lat: b.lat, ...r });
  renderPanel($('#panel'));
  if (map.getSource('incidents')) map.refreshTiles('incidents');
}

async function loadMyArea() {
  const u = getUser();
  const code = u && u.areas && u.areas[0];
  if (!code) { toast(t('grid.noArea'), 'error'); return; }
  try {
    area = await api(`/api/areas/${encodeURIComponent(code)}`);
  } catch (e) {
    toast(errText(e), 'error');
    return;
  }
  if (area.geometry) highlightArea(map, area.geometry, '#e6550d');
  fitBbox(map, area.bbox, { padding: 30 });
  map.once('idle', () => { document.body.dataset.fitted = area.code; });
  const [within, incidents, people, patrol] = await Promise.allSettled([
    area.geometry ? api('/api/query/within', { method: 'POST', body: area.geometry }) : Promise.resolve(null),
    api(`/api/incidents?area=${encodeURIComponent(area.code)}`),
    api(`/api/people?area=${encodeURIComponent(area.code)}`),
    api(`/api/patrol/coverage?area=${encodeURIComponent(area.code)}`),
  ]);
  if (within.status === 'fulfilled' && within.value) state.hazards = within.value.hazards?.items || [];
  if (incidents.status === 'fulfilled') state.incidents = (incidents.value.items || []).filter((i) => !['closed', 'rejected'].includes(i.status));
  if (people.status === 'fulfilled') state.people = people.value;
  if (patrol.status === 'fulfilled') state.patrol = patrol.value;
  document.body.dataset.lists = '1';
}

function timeLeft(deadline) {
  if (!deadline) return null;
  const ms = new Date(deadline).getTime() - Date.now();
  if (Number.isNaN(ms)) return null;
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86400000), hh = Math.floor((abs % 86400000) / 3600000), mm = Math.floor((abs % 3600000) / 60000);
  const text = d > 0 ? `${d}${t('unit.d')}${hh}${t('unit.h')}` : hh > 0 ? `${hh}${t('unit.h')}${mm}${t('unit.min')}` : `${mm}${t('unit.min')}`;
  return { overdue: ms < 0, text: ms < 0 ? `${t('grid.overdueBy')} ${text}` : `${t('grid.timeLeft')} ${text}` };
}

/* ---------------- warnings: a banner per active warning touching my grid ---------------- */

async function loadWarnings() {
  if (!isLoggedIn()) return;
  try {
    state.warnings = (await listWarnings()).filter((w) => w.status === 'active');
  } catch (e) {
    if (e.status !== 401) toast(errText(e), 'error');
    return;
  }
  showAreas(map, state.warnings);
  if (state.warning && !state.warnings.some((w) => w.id === state.warning.id)) state.warning = null;
  renderBanners();
  document.body.dataset.warnings = String(state.warnings.length);
}

async function openWarning(id) {
  try {
    state.warning = await api(`/api/warnings/${encodeURIComponent(id)}`); // records me as having seen it
  } catch (e) {
    toast(errText(e), 'error');
    return;
  }
  renderBanners();
  document.body.dataset.warningOpen = id;
}

async function confirmHazard(hazard, btn) {
  const w = state.warning;
  if (!w) return;
  btn.disabled = true;
  try {
    await api(`/api/warnings/${encodeURIComponent(w.id)}/actions`, { method: 'POST', body: { action: 'confirm', hazard } });
    await openWarning(w.id);
  } catch (e) {
    btn.disabled = false;
    toast(errText(e), 'error');
  }
}

function myCode() { return area?.code ?? getUser()?.areas?.[0]; }

function renderBanners() {
  let box = $('#warn-banners');
  if (!isLoggedIn() || !state.warnings.length) { if (box) box.remove(); return; }
  if (!box) { box = h('div#warn-banners'); $('#main').prepend(box); }
  const code = myCode();
  box.replaceChildren(...state.warnings.map((w) => {
    const isOpen = state.warning && state.warning.id === w.id;
    const banner = h('button.warn-banner', { type: 'button', dataset: { id: w.id, level: w.level }, 'aria-expanded': String(!!isOpen),
      on: { click: () => { if (isOpen) { state.warning = null; renderBanners(); } else openWarning(w.id); } } },
    h('span.warn-icon', { 'aria-hidden': 'true' }, '⚠'),
    h('span.warn-text', h('strong', w.name), h('span.warn-sub', `${tv(w.level)} · ${tv(w.kind)} · ${t('warn.until')} ${fmtTime(w.until)}`)));
    banner.style.background = levelColor(w.level);
    if (!isOpen) return banner;
    const d = state.warning;
    const mine = (x) => !code || !x.grid || String(x.grid) === String(code);
    const hazards = (d.hazards || []).filter(mine);
    const people = ((d.people && d.people.items) || []).filter(mine);
    return h('div.warn-open', banner, h('div.warn-detail#warn-detail',
      h('h3', `${t('warn.checkHazards')} (${hazards.length})`),
      hazards.length ? h('ul.list#warn-check-list', hazards.map((z) => {
        const dot = h('span.swatch.dot'); dot.style.background = RISK_COLORS[z.risk] || '#999';
        return h('li', { dataset: { id: z.id, confirmed: z.confirmed ? '1' : '0' } },
          h('div.row1', dot, h('strong', z.name), h('span.status', tv(z.kind))),
          h('div.row2', h('span', `${t('f.threatened_persons')} ${fmtNum(z.threatened_persons)}`), z.shelter ? h('span', `${t('warn.shelter')} ${z.shelter.name}`) : null),
          z.confirmed
            ? h('div.row2.ok', `✓ ${t('warn.confirmed')} ${fmtTime(z.confirmed.at)}`)
            : h('button.primary.check-btn', { type: 'button', dataset: { hazard: z.id }, on: { click: (e) => confirmHazard(z.id, e.currentTarget) } }, t('warn.check')));
      })) : none(),
      h('h3', `${t('warn.checkPeople')} (${people.length})`),
      people.length ? h('ul.list#warn-people-list', people.map((p) => h('li', { dataset: { id: p.id } },
        h('div.row1', h('strong', p.name ?? p.id), h('span.status', p.category ?? '')),
        h('div.row2', [p.phone, p.address].filter(Boolean).map((v) => h('span', String(v))))))) : none()));
  }));
}

function renderPanel(panel) {
  if (!isLoggedIn()) {
    panel.replaceChildren(h('div.empty-state', h('p', t('login.needed')),
      h('button.primary', { type: 'button', on: { click: () => openLogin({ required: true }) } }, t('login'))));
    return;
  }
  const head = area ? h('div.area-head',
    h('div.area-name', area.name || area.code), h('div.area-code', area.code),
    area.counts ? h('div.area-counts', `${t('grid.hazards')} ${fmtNum(area.counts.hazards?.total ?? area.counts.hazards)} · ${t('grid.incidents')} ${fmtNum(area.counts.incidents?.open ?? area.counts.incidents?.total)}`) : null)
    : h('div.area-head', h('div.area-name', t('grid.mine')));
  const tabs = h('div.tabs', { role: 'tablist' }, TABS.map((k) => h('button.tab', {
    type: 'button', role: 'tab', 'aria-selected': String(state.tab === k), dataset: { tab: k },
    on: { click: () => { state.tab = k; renderPanel(panel); } } }, t('grid.' + k), h('span.badge', badge(k)))));
  panel.replaceChildren(outboxBox(), head, tabs, h('div.tab-body#tab-body', tabBody(state.tab)), h('p.hint', t('grid.tapToReport')));
  renderBanners();
}

function badge(k) {
  if (k === 'visits') return visitsBadge();
  if (k === 'incidents') return String(state.incidents.length);
  if (k === 'hazards') return String(state.hazards.length);
  if (k === 'people') return state.people ? String(state.people.total ?? (state.people.items || []).length) : '–';
  if (k === 'patrol') return String(patrolGrids().reduce((n, g) => n + (g.places_missed || []).length, 0));
  return '';
}

function patrolGrids() { return (state.patrol && state.patrol.grids) || []; }

const none = () => h('p.none', t('grid.none'));

function tabBody(tab) {
  if (tab === 'visits') return visitsTab();
  if (tab === 'incidents') {
    if (!state.incidents.length) return none();
    const items = [...state.incidents].sort((a, b) => String(a.deadline || '').localeCompare(String(b.deadline || '')));
    return h('ul.list#incident-list', items.slice(0, 200).map((i) => {
      const left = OPEN_STATUSES.includes(i.status) ? timeLeft(i.deadline) : null;
      const dot = h('span.swatch.dot'); dot.style.background = STATUS_COLORS[i.status] || '#999';
      return h('li', { dataset: { id: i.id }, class: left && left.overdue ? 'overdue' : null,
        on: { click: () => { zoomTo(i); openCase(i.id); } } },
      h('div.row1', dot, h('strong', tv(i.category)), h('span.status', tv(i.status))),
      h('div.row2', h('span', fmtTime(i.reported_at)), left ? h('span.left', left.text) : null),
      i.description ? h('div.row3.desc', i.description) : null);
    }));
  }
  if (tab === 'hazards') {
    if (!state.hazards.length) return none();
    const items = [...state.hazards].sort((a, b) => RISK_ORDER.indexOf(a.risk) - RISK_ORDER.indexOf(b.risk));
    return h('ul.list#hazard-list', items.map((z) => {
      const dot = h('span.swatch.dot'); dot.style.background = RISK_COLORS[z.risk] || '#999';
      return h('li', { dataset: { id: z.id }, on: { click: () => zoomTo(z) } },
        h('div.row1', dot, h('strong', z.name), h('span.status', tv(z.kind))),
        h('div.row2', h('span', `${t('f.threatened_households')} ${fmtNum(z.threatened_households)}`),
          z.threatened_persons != null ? h('span', `${t('f.threatened_persons')} ${fmtNum(z.threatened_persons)}`) : null),
        personLine(z));
    }));
  }
  if (tab === 'people') {
    const items = (state.people && state.people.items) || [];
    if (!items.length) return none();
    return h('ul.list#people-list', items.slice(0, 500).map((p) => h('li', { dataset: { id: p.id } },
      h('div.row1', h('strong', p.name ?? p.id), h('span.status', p.category ?? '')),
      h('div.row2', [p.id_number ?? p.id_card ?? p.idno, p.phone, p.address,
        p.risk_level != null ? `风险 ${p.risk_level}` : null].filter(Boolean).map((v) => h('span', String(v)))))));
  }
  if (tab === 'patrol') {
    const grids = patrolGrids();
    if (!grids.length) return h('div', patrolControl(), none());
    return h('div', patrolControl(), grids.map((g) => h('div.patrol-grid',
      h('div.row1', h('strong', g.name || g.code), h('span', `${t('grid.coverage')} ${Math.round((Number(g.coverage) || 0) * 100)}%`)),
      h('div.sub', `${t('grid.missed')}: ${(g.places_missed || []).length}`),
      h('ul.list', (g.places_missed || []).map((p) => h('li', typeof p === 'object' ? `${p.name ?? p.id}${p.kind ? ' · ' + p.kind : ''}` : String(p)))))));
  }
  return none();
}

function personLine(z) {
  const m = z.monitor || z.monitor_person || z.monitor_name;
  const r = z.responsible || z.responsible_person || z.leader;
  const name = (x) => (x && typeof x === 'object' ? [x.name, x.phone].filter(Boolean).join(' ') : x);
  if (!m && !r) return null;
  return h('div.row2', m ? h('span', `${t('f.monitor')} ${name(m)}`) : null, r ? h('span', `${t('f.leader')} ${name(r)}`) : null);
}

function zoomTo(item) {
  const lon = item.lon ?? item.geometry?.coordinates?.[0];
  const lat = item.lat ?? item.geometry?.coordinates?.[1];
  if (lon != null && lat != null) map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 16) });
}

/* ---------------- reporting ---------------- */

function buildReportDialog() {
  const old = $('#report-dialog');
  if (old) old.remove();
  const select = h('select#report-category', { name: 'category', required: true },
    h('option', { value: '' }, `— ${t('report.category')} —`));
  const desc = h('textarea#report-description', { name: 'description', rows: 3, maxlength: 2000, required: true });
  const where = h('div.where#report-where');
  // Up to 9 photos; on a phone `capture` offers the camera.
  const photos = h('input#report-photos', { type: 'file', name: 'photo', accept: 'image/*', capture: 'environment', multiple: true });
  const err = h('div.form-error#report-error', { role: 'alert' });
  const form = h('form#report-form', { method: 'dialog' },
    h('h2', t('report.title')),
    h('label', h('span', t('report.category')), select),
    h('label', h('span', t('report.description')), desc),
    h('div.field', h('span', t('report.location')), where),
    h('label', h('span', t('report.photos')), photos),
    err,
    h('div.buttons',
      h('button#report-cancel', { type: 'button', on: { click: () => closeReport() } }, t('report.cancel')),
      h('button.primary#report-submit', { type: 'submit' }, t('report.submit'))));
  const dlg = h('dialog#report-dialog.sheet', form);
  document.body.append(dlg);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submitReport(); });
  if (categories) fillCategories();
}

async function loadCategories() {
  if (categories) return;
  const r = await api('/api/incidents/categories');
  categories = (r && r.items) || [];
  fillCategories();
}

function fillCategories() {
  const sel = $('#report-category');
  if (!sel) return;
  const keep = sel.value;
  sel.replaceChildren(h('option', { value: '' }, `— ${t('report.category')} —`),
    ...categories.map((c) => h('option', { value: c.code }, c.name || c.code)));
  sel.value = keep;
}

let pending = null;

async function openReport(lngLat) {
  pending = { lon: +lngLat.lng.toFixed(6), lat: +lngLat.lat.toFixed(6), key: uuid() };
  if (!marker) marker = new maplibregl.Marker({ color: '#e6550d' });
  marker.setLngLat([pending.lon, pending.lat]).addTo(map);
  const dlg = $('#report-dialog');
  $('#report-error', dlg).textContent = '';
  $('#report-where', dlg).textContent = `${pending.lon.toFixed(5)}, ${pending.lat.toFixed(5)}`;
  if (!dlg.open) dlg.show(); // non-modal: the map stays visible above the sheet
  try { await loadCategories(); } catch (e) { $('#report-error', dlg).textContent = errText(e); }
  document.body.dataset.reportOpen = '1';
}

function closeReport() {
  const dlg = $('#report-dialog');
  if (dlg.open) dlg.close();
  if (marker) marker.remove();
  pending = null;
  delete document.body.dataset.reportOpen;
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
    // reportArrived. Up to 9 photos follow once the report has its id.
    const photos = [...($('#report-photos', dlg)?.files || [])].slice(0, 9);
    const label = `${t('report.title')} · ${categories?.find((c) => c.code === category)?.name ?? category}`;
    await enqueueReport(getUser().username, { category, description, lon: pending.lon, lat: pending.lat }, photos, label);
    if (!navigator.onLine) toast(t('outbox.saved'));
    $('#report-description', dlg).value = '';
    if ($('#report-photos', dlg)) $('#report-photos', dlg).value = '';
    closeReport();
    state.tab = 'incidents';
    renderPanel($('#panel'));
  } catch (e) {
    err.textContent = errText(e);
  } finally {
    btn.disabled = false;
  }
}
