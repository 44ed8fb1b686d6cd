// `/grid`: a grid head's phone view. After login: fit to my grid; my to-do list (open cases,
// overdue first, then by time left; finished cases apart), visits, hazards, people (masked, as
// the server gives them), key places with their last patrol visit; "my location" and "report
// here" on the map (js/views/grid-report.js), or tap the map to report there.
import { h, $, fmtNum, fmtTime, toast } from '/js/dom.js';
import { t, tv, onLangChange, errText } from '/js/i18n.js';
import { api, getUser, isLoggedIn, onAuthChange } from '/js/api.js';
import { createMap, showLayer, enablePopups, dropPrivateLayers, fitBbox, highlightArea,
  RISK_COLORS, RISK_ORDER } from '/js/mapbase.js';
import { openLogin, closeLogin } from '/js/shell.js';
import { flasher, connectEvents } from '/js/live.js';
import { listWarnings, levelColor, showAreas, isWarningEvent } from '/js/warnings.js';
import { openCase, caseEvent, onCaseChange } from '/js/case.js';
// Offline use, visits (走访) and patrol recording (issue 16) live in their own modules.
import { onOutbox, startOutbox, flush } from '/js/outbox.js';
import { registerOffline, cacheTiles, outboxStrip, outboxBox } from '/js/offline.js';
import { initVisits, loadVisits, clearVisits, visitsBadge, visitsTab, buildVisitDialog, visitSent } from '/js/views/grid-visits.js';
import { initPatrol, patrolControl, tracksShown, tracksToggle } from '/js/views/grid-patrol.js';
import { initReport, buildReportDialog, openReport, loadCategories, categoryName, mapButtons } from '/js/views/grid-report.js';
import { splitCases, todoRows, doneSection } from '/js/views/grid-todo.js';

let map, flash, es, area = null;
const state = { hazards: [], people: null, incidents: [], patrol: null, tab: 'incidents', warnings: [], warning: null };
const TABS = ['incidents', 'visits', 'hazards', 'people', 'patrol'];

export async function start() {
  $('#panel').classList.add('grid-panel'); // before the map measures its container
  map = await createMap({ theme: 'light', layers: ['grids', 'hazards', 'shelters', 'places'] });
  flash = flasher(map, { color: '#e6550d' });
  enablePopups(map, { pointsOnly: true, onNothing: (e) => { if (isLoggedIn()) openReport(e.lngLat, 'tap'); } });

  const panel = $('#panel');
  const render = () => renderPanel(panel);
  initReport(map, { areas: () => getUser()?.areas || [], queued: () => { state.tab = 'incidents'; render(); } });
  const buttons = () => {
    const old = $('#map-actions');
    if (old) old.remove();
    if (isLoggedIn()) map.getContainer().append(mapButtons());
  };
  onLangChange(() => { render(); buildReportDialog(); buildVisitDialog(); renderOutbox(); buttons(); });
  onAuthChange(buttons);
  buttons();
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
      if (String(ev.kind || '').startsWith('incident')) {
        caseEvent(ev);
        // A step taken elsewhere (the command centre dispatching) moves my list live.
        refreshIncidentsSoon();
        return;
      }
      if (!isWarningEvent(ev)) return;
      loadWarnings();
      if (state.warning && ev.id === state.warning.id) openWarning(ev.id);
    });
    loadWarnings();
    showLayer(map, 'incidents', true);
    showLayer(map, 'patrol', true);
    // Tracks and missed places only: the coverage colours would hide my grid.
    if (map.getLayer('patrol-fill')) map.setLayoutProperty('patrol-fill', 'visibility', 'none');
    showTracks();
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
  onCaseChange(async () => { await loadIncidents(); render(); });
  await onLogin();
}

/** Patrol tracks on the map as the toggle on the patrol tab says (missed places stay). */
function showTracks() {
  if (map.getLayer('patrol-tracks')) map.setLayoutProperty('patrol-tracks', 'visibility', tracksShown() ? 'visible' : 'none');
  document.body.dataset.tracks = tracksShown() ? 'shown' : 'hidden';
}

let refreshTimer = null;
function refreshIncidentsSoon() {
  if (!area) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => { await loadIncidents(); renderPanel($('#panel')); }, 300);
}

/** Every case of my grid (the list is one grid's: no page limit that would hide some). */
async function loadIncidents() {
  if (!area) return;
  try {
    const r = await api(`/api/incidents?area=${encodeURIComponent(area.code)}&limit=10000`);
    state.incidents = r.items || [];
    document.body.dataset.incidentsLoaded = String(Date.now());
  } catch (e) {
    // No signal (status 0) keeps the list I had; a lost session opens the sign-in elsewhere.
    if (e.status && e.status !== 401) toast(errText(e), 'error');
  }
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
  // Only a case of my grid is mine to follow (one outside it goes to its own grid's list).
  const mine = area && r.grid && String(r.grid).startsWith(area.code);
  if (mine && !state.incidents.some((i) => i.id === r.id)) {
    state.incidents.unshift({ category: r.category ?? categoryName(b.category), status: r.status || 'reported', lon: b.lon, lat: b.lat, ...r });
  }
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
  const [within, , people, patrol] = await Promise.allSettled([
    area.geometry ? api('/api/query/within', { method: 'POST', body: area.geometry }) : Promise.resolve(null),
    loadIncidents(),
    // All of my grid's records (the default page of 100 would leave the list short of its count).
    api(`/api/people?area=${encodeURIComponent(area.code)}&limit=10000`),
    api(`/api/patrol/coverage?area=${encodeURIComponent(area.code)}`),
  ]);
  if (within.status === 'fulfilled' && within.value) state.hazards = within.value.hazards?.items || [];
  if (people.status === 'fulfilled') state.people = people.value;
  if (patrol.status === 'fulfilled') state.patrol = patrol.value;
  document.body.dataset.lists = '1';
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
  // The header's counts are read from the very lists the tabs show, so they always agree.
  const { todo, overdue } = splitCases(state.incidents);
  const count = (key, label, n) => h('span.head-count', { dataset: { count: key } }, `${label} `, h('b', fmtNum(n)));
  const head = area ? h('div.area-head',
    h('div.area-name', area.name || area.code), h('div.area-code', area.code),
    h('div.area-counts#head-counts',
      count('todo', t('grid.todo'), todo.length), ' · ',
      count('overdue', t('grid.overdue'), overdue), ' · ',
      count('hazards', t('grid.hazards'), state.hazards.length)))
    : h('div.area-head', h('div.area-name', t('grid.mine')));
  const tabs = h('div.tabs', { role: 'tablist' }, TABS.map((k) => h('button.tab', {
    type: 'button', role: 'tab', 'aria-selected': String(state.tab === k), dataset: { tab: k },
    on: { click: () => { state.tab = k; renderPanel(panel); } } }, t('grid.' + k), h('span.badge', badge(k)))));
  panel.replaceChildren(outboxBox(), head, tabs, h('div.tab-body#tab-body', tabBody(state.tab)), h('p.hint', t('grid.tapToReport')));
  renderBanners();
}

function badge(k) {
  if (k === 'visits') return visitsBadge();
  if (k === 'incidents') return String(splitCases(state.incidents).todo.length);
  if (k === 'hazards') return String(state.hazards.length);
  if (k === 'people') return state.people ? String((state.people.items || []).length) : '–';
  if (k === 'patrol') return String(keyPlaces().filter((p) => p.missed).length);
  return '';
}

function patrolGrids() { return (state.patrol && state.patrol.grids) || []; }

/** My key places with their last visit: missed first, then the longest unvisited. */
function keyPlaces() {
  const all = patrolGrids().flatMap((g) => g.places || []);
  const at = (p) => (p.last_visit ? new Date(p.last_visit).getTime() : -Infinity);
  return all.sort((a, b) => Number(b.missed) - Number(a.missed) || at(a) - at(b));
}

const none = () => h('p.none', t('grid.none'));

function tabBody(tab) {
  if (tab === 'visits') return visitsTab();
  if (tab === 'incidents') {
    const { todo, done } = splitCases(state.incidents);
    const open = (i) => { zoomTo(i); openCase(i.id); };
    return h('div#cases',
      todo.length ? h('ul.list#incident-list', todoRows(todo, open)) : h('p.none#incident-none', t('grid.noTodo')),
      doneSection(done, open));
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
    return h('ul.list#people-list', items.map((p) => h('li', { dataset: { id: p.id } },
      h('div.row1', h('strong', p.name ?? p.id), h('span.status', tv(p.category ?? ''))),
      h('div.row2', [p.id_number ?? p.id_card ?? p.idno, p.phone, p.address,
        p.risk_level != null ? `${t('visit.risk')} ${p.risk_level}` : null].filter(Boolean).map((v) => h('span', String(v)))))));
  }
  if (tab === 'patrol') {
    const grids = patrolGrids();
    const toggle = tracksToggle(() => { showTracks(); });
    if (!grids.length) return h('div', patrolControl(), toggle, none());
    const places = keyPlaces();
    return h('div', patrolControl(), toggle, grids.map((g) => h('div.patrol-grid',
      // The coverage answer's default window is the last 24 hours (the map's colours are 7 days).
      h('div.row1', h('strong', g.name || g.code), h('span.coverage', { dataset: { code: g.code } },
        `${t('grid.coverageDay')} ${Math.round((Number(g.coverage) || 0) * 100)}%`)))),
    h('h3.sub-head', `${t('grid.keyPlaces')} (${places.length})`),
    places.length ? h('ul.list#place-list', places.map((p) => h('li', { dataset: { id: p.id, missed: p.missed ? '1' : '0' },
      class: p.missed ? 'overdue' : null, on: { click: () => zoomTo(p) } },
    h('div.row1', h('strong', p.name ?? p.id), h('span.status', p.kind ?? '')),
    h('div.row2',
      h('span.last-visit', p.last_visit ? `${t('grid.lastVisit')} ${fmtTime(p.last_visit)}` : t('grid.neverVisited')),
      p.missed ? h('span.left', t('grid.missedNow')) : null,
      p.visit_every_hours ? h('span', t('grid.every', { n: p.visit_every_hours })) : null)))) : none());
  }
  return none();
}

/** Monitor and responsible person of a hazard, with tap-to-call numbers. */
function personLine(z) {
  const m = z.monitor || z.monitor_person || z.monitor_name;
  const r = z.responsible || z.responsible_person || z.leader;
  const who = (label, x) => {
    if (!x) return null;
    if (typeof x !== 'object') return h('span', `${label} ${x}`);
    return h('span', `${label} ${x.name || ''} `, x.phone ? h('a.tel', { href: `tel:${x.phone}`, on: { click: (e) => e.stopPropagation() } }, `☎ ${x.phone}`) : null);
  };
  if (!m && !r) return null;
  return h('div.row2', who(t('f.monitor'), m), who(t('f.leader'), r));
}

function zoomTo(item) {
  const lon = item.lon ?? item.geometry?.coordinates?.[0];
  const lat = item.lat ?? item.geometry?.coordinates?.[1];
  if (lon != null && lat != null) map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 16) });
}

