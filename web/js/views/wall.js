// `/wall`: dark full-screen command-centre view. KPIs from /api/areas/{district} and friends,
// a live incident feed over SSE with new points flashing on the map.
import { h, $, fmtNum, fmtTime, todayStartShanghai } from '/js/dom.js';
import { t, tv, onLangChange } from '/js/i18n.js';
import { api, getUser, isLoggedIn, onAuthChange } from '/js/api.js';
import { createMap, showLayer, enablePopups, dropPrivateLayers, DISTRICT, legendFor } from '/js/mapbase.js';
import { openLogin, closeLogin } from '/js/shell.js';
import { connectEvents, flasher } from '/js/live.js';
import { listWarnings, levelColor, showAreas, isWarningEvent } from '/js/warnings.js';
import { openCase, caseEvent } from '/js/case.js';

const KPIS = [
  { key: 'open', label: 'kpi.open' },
  { key: 'overdue', label: 'kpi.overdue', alert: true },
  { key: 'today', label: 'kpi.today' },
  { key: 'red', label: 'kpi.red', alert: true },
  { key: 'coverage', label: 'kpi.coverage' },
];

let map, flash, es, kpiTimer, refreshTimer, visitTimer;
const values = {};

export async function start() {
  document.body.classList.add('dark');
  $('#panel').classList.add('wall-panel'); // before the map measures its container
  map = await createMap({ theme: 'dark', layers: ['grids', 'hazards', 'shelters'] });
  enablePopups(map);
  flash = flasher(map);

  const kpiBox = h('section.kpis#kpis', KPIS.map((k) => h('div.kpi', { dataset: { kpi: k.key }, class: k.alert ? 'kpi alert' : 'kpi' },
    h('div.kpi-value', '–'), h('div.kpi-label', t(k.label)))));
  const feed = h('ol.feed#feed', { 'aria-live': 'polite' });
  const feedStatus = h('div.feed-status#feed-status');
  const legend = h('div.wall-legend', legendFor('hazards'));
  const warnBox = h('section.wall-warnings#wall-warnings');
  const visitBox = h('section.wall-visits#wall-visits', { hidden: true });
  $('#panel').replaceChildren(warnBox, kpiBox, visitBox,
    h('section.feed-box', h('h2', t('feed.title')), feedStatus, feed), legend);
  onLangChange(() => {
    renderWarnings();
    renderVisits();
    for (const k of KPIS) $(`[data-kpi="${k.key}"] .kpi-label`).textContent = t(k.label);
    $('.feed-box h2').textContent = t('feed.title');
    legend.replaceChildren(legendFor('hazards'));
    renderEmpty();
  });
  const renderEmpty = () => {
    if (!feed.querySelector('li[data-id]')) feed.replaceChildren(h('li.empty', isLoggedIn() ? t('feed.empty') : t('login.needed')));
  };
  renderEmpty();

  const onLogin = () => {
    if (!isLoggedIn()) {
      dropPrivateLayers(map);
      if (es) { es.close(); es = null; }
      clearInterval(kpiTimer);
      for (const k of KPIS) setKpi(k.key, null);
      feed.replaceChildren();
      renderEmpty();
      active = [];
      renderWarnings();
      visits = null;
      renderVisits();
      showAreas(map, []);
      openLogin({ required: true });
      return;
    }
    closeLogin();
    showLayer(map, 'patrol', true);
    showLayer(map, 'incidents', true);
    renderEmpty();
    loadWarnings();
    loadKpis();
    clearInterval(kpiTimer);
    kpiTimer = setInterval(loadKpis, 60000);
    if (es) es.close();
    es = connectEvents((ev, eventId) => onEvent(ev, eventId, feed),
      { onOpen: () => { feedStatus.textContent = t('feed.connected'); feedStatus.className = 'feed-status ok'; },
        onError: () => { feedStatus.textContent = t('feed.lost'); feedStatus.className = 'feed-status lost'; } });
  };
  onAuthChange(onLogin);
  onLogin();
}

function area() {
  const u = getUser();
  return (u && u.areas && u.areas[0]) || DISTRICT;
}

function setKpi(key, v, text) {
  values[key] = v;
  const el = $(`[data-kpi="${key}"] .kpi-value`);
  if (!el) return;
  el.textContent = text ?? (v == null ? '–' : fmtNum(v));
  el.parentElement.classList.toggle('hot', typeof v === 'number' && v > 0);
}

async function loadKpis() {
  const code = area();
  // Each job handles its own failure (no unhandled rejections); `jobs` may grow while the first
  // ones run (a fallback for "new today").
  const settle = (p) => p.catch((e) => console.warn('wall KPI:', e && e.message));
  const jobs = [];
  jobs.push(settle(api(`/api/areas/${code}`).then((a) => {
    const c = (a && a.counts) || {};
    const inc = c.incidents || {};
    setKpi('open', typeof inc === 'object' ? inc.open : null);
    setKpi('overdue', typeof inc === 'object' ? inc.overdue : null);
    if (inc && typeof inc.new_today === 'number') setKpi('today', inc.new_today);
    else jobs.push(settle(newToday(code)));
    const hz = c.hazards;
    const red = hz && typeof hz === 'object' ? (hz.by_risk ? hz.by_risk['红'] ?? 0 : hz['红'] ?? hz.red) : undefined;
    if (red != null) setKpi('red', red);
    else return redHazardsViaOgc(code);
    return null;
  })));
  jobs.push(settle(api(`/api/patrol/coverage?area=${code}`).then((r) => {
    const g = (r && r.grids) || [];
    if (!g.length) { setKpi('coverage', null); return; }
    const mean = g.reduce((s, x) => s + (Number(x.coverage) || 0), 0) / g.length;
    setKpi('coverage', mean, `${Math.round(mean * 100)}%`);
  })));
  jobs.push(settle(loadVisits(code)));
  for (let i = 0; i < jobs.length; i++) await jobs[i];
  document.body.dataset.kpis = '1';
}

/* Follow-up visits (走访) due today and overdue, per street (issue 16). */
let visits = null;

async function loadVisits(code) {
  try {
    visits = await api(`/api/visits/due?area=${encodeURIComponent(code)}&limit=1`);
  } catch (e) {
    visits = null; // a role without visits (flood) sees no box
    if (e.status !== 403) throw e;
  }
  renderVisits();
}

function renderVisits() {
  const box = $('#wall-visits');
  if (!box) return;
  const streets = (visits && visits.by_street) || [];
  box.hidden = !visits;
  if (!visits) { box.replaceChildren(); return; }
  const rows = [...streets].sort((a, b) => b.overdue - a.overdue || b.due - a.due);
  box.replaceChildren(
    h('h2', `${t('wall.visits')} · ${t('wall.visitsDue')} ${fmtNum(visits.total)} · ${t('wall.visitsOverdue')} ${fmtNum(visits.overdue)}`),
    rows.length ? h('table.wall-visit-table#wall-visit-table',
      h('tbody', rows.map((s) => h('tr', { dataset: { code: s.code }, class: s.overdue > 0 ? 'hot' : null },
        h('td', s.name || s.code),
        h('td.num', `${t('wall.visitsDue')} ${fmtNum(s.due)}`),
        h('td.num.alert', `${t('wall.visitsOverdue')} ${fmtNum(s.overdue)}`))))) : h('p.none', t('grid.none')));
  document.body.dataset.wallVisits = String(visits.total ?? 0);
}

function newToday(code) {
  return api(`/api/incidents?area=${code}&since=${encodeURIComponent(todayStartShanghai())}&limit=1`)
    .then((r) => setKpi('today', r.total ?? (r.items || []).length));
}

async function redHazardsViaOgc(code) {
  const fc = await api(`/ogc/collections/hazards/items?risk=${encodeURIComponent('红')}&limit=10000`);
  let feats = fc.features || [];
  if (code !== DISTRICT) feats = feats.filter((f) => String(f.properties.grid || '').startsWith(code));
  setKpi('red', code === DISTRICT && typeof fc.numberMatched === 'number' ? fc.numberMatched : feats.length);
}

/* Active warnings (预警区): a panel at the top, each in its level's colour; live over SSE. */
let active = [];

async function loadWarnings() {
  try {
    active = (await listWarnings()).filter((w) => w.status === 'active');
  } catch (e) {
    console.warn('wall warnings:', e && e.message);
    return;
  }
  showAreas(map, active);
  renderWarnings();
}

function renderWarnings() {
  const box = $('#wall-warnings');
  if (!box) return;
  box.hidden = !active.length;
  box.replaceChildren(...(active.length ? [h('h2', `${t('warn.list')} (${active.length})`),
    h('ul.wall-warn-list', active.map((w) => {
      const li = h('li.wall-warn', { dataset: { id: w.id, level: w.level } },
        h('span.level-tag', tv(w.level)), h('strong', w.name),
        h('span.sub', `${tv(w.kind)} · ${t('warn.until')} ${fmtTime(w.until)}`));
      li.style.borderLeftColor = levelColor(w.level);
      li.querySelector('.level-tag').style.background = levelColor(w.level);
      return li;
    }))] : []));
  document.body.dataset.wallWarnings = String(active.length);
}

async function onEvent(ev, eventId, feed) {
  const kind = String(ev.kind || '');
  if (isWarningEvent(ev)) { loadWarnings(); return; }
  if (kind === 'person.visited' || kind === 'people.rescheduled') {
    clearTimeout(visitTimer);
    visitTimer = setTimeout(() => loadVisits(area()).catch(() => null), 1500);
    return;
  }
  if (!kind.startsWith('incident')) return;
  caseEvent(ev);
  let { lon, lat, category, grid, status } = ev;
  if ((lon == null || lat == null || !category) && ev.id) {
    try {
      const d = await api(`/api/incidents/${encodeURIComponent(ev.id)}`);
      lon ??= d.lon ?? d.geometry?.coordinates?.[0];
      lat ??= d.lat ?? d.geometry?.coordinates?.[1];
      category ??= d.category; grid ??= d.grid; status ??= d.status;
    } catch { /* the event alone is enough for the feed */ }
  }
  const empty = feed.querySelector('li.empty');
  if (empty) empty.remove();
  const created = kind.endsWith('created');
  const li = h('li.feed-item.new', { dataset: { id: ev.id ?? '', kind, eventId: eventId || '' },
    on: { click: () => { if (lon != null) map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 15) }); if (ev.id) openCase(ev.id); } } },
  h('span.time', fmtTime(ev.time || ev.at || new Date().toISOString())),
  h('span.cat', tv(category) || ''),
  h('span.kind', created ? t('feed.new') : tv(status || kind.replace(/^incident\./, ''))),
  h('span.grid', grid || ''));
  feed.prepend(li);
  setTimeout(() => li.classList.remove('new'), 6000);
  while (feed.children.length > 50) feed.lastChild.remove();
  if (lon != null && lat != null) flash.flash([Number(lon), Number(lat)], ev.id);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    loadKpis();
    if (map.getSource('incidents')) map.refreshTiles('incidents');
  }, 1500);
}

