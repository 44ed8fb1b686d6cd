// `/wall`: the dark command-centre screen, 1920×1080, left on all day. On the left the KPIs with
// their 7-day trend, handling times and the rankings by category and street; the map in the middle
// with the Asia/Shanghai clock, "whole district", patrol fill and full-screen controls; on the right
// the feed (the last 20 changes on open, then live over SSE) and the overdue list. A new case
// flashes on the map, in a banner and in the feed. The session renews while the page is open and
// the stream reconnects after a drop.
import { h, $, fmtNum, fmtTime, todayStartShanghai } from '/js/dom.js';
import { t, tv, onLangChange } from '/js/i18n.js';
import { api, getUser, isLoggedIn, onAuthChange } from '/js/api.js';
import { createMap, showLayer, enablePopups, dropPrivateLayers, DISTRICT, legendFor, fitDistrict } from '/js/mapbase.js';
import { openLogin, closeLogin } from '/js/shell.js';
import { liveStream, flasher } from '/js/live.js';
import { listWarnings, levelColor, showAreas, isWarningEvent } from '/js/warnings.js';
import { openCase, caseEvent, timeLeft } from '/js/case.js';
import { sparkline, delta, bars, clock, fullscreen } from '/js/views/wall-parts.js';

// `trend`: the stats' daily column drawn under the number (a rise is bad for all three).
const KPIS = [
  { key: 'open', label: 'kpi.open', trend: 'open' },
  { key: 'overdue', label: 'kpi.overdue', alert: true, trend: 'overdue' },
  { key: 'today', label: 'kpi.today', trend: 'reported' },
  { key: 'red', label: 'kpi.red', alert: true },
  { key: 'coverage', label: 'kpi.coverage' },
];
const FEED_MAX = 50; // entries kept in the feed (the page must not grow over days)
const OVERDUE_SHOWN = 5;
const RENEW_MS = 10 * 60000; // sessions last 12 h and renew on use; ask well before
const KPI_MS = 60000;

let map, flash, stream, kpiTimer, renewTimer, refreshTimer, visitTimer, alertTimer;
let stats = null, overdue = null;

export async function start() {
  document.body.classList.add('dark');
  $('#panel').classList.add('wall-panel'); // before the map measures its container
  const left = h('aside#wall-left.wall-side');
  $('#main').prepend(left);
  map = await createMap({ theme: 'dark', layers: ['grids', 'hazards', 'shelters'] });
  enablePopups(map);
  flash = flasher(map, { ms: 10000, size: 2.5 }); // seen across the room

  // Left: KPIs with trend, handling, rankings.
  const kpiBox = h('section.kpis#kpis', KPIS.map((k) => h('div', { dataset: { kpi: k.key }, class: k.alert ? 'kpi alert' : 'kpi' },
    h('div.kpi-label', t(k.label)), h('div.kpi-value', '–'), k.trend ? h('div.kpi-trend') : null)));
  left.replaceChildren(kpiBox, h('section.wall-handling#wall-handling'), h('section.wall-rank#rank-category'), h('section.wall-rank#rank-street'));

  // Right: warnings, feed, overdue list, visits.
  const feed = h('ol.feed#feed', { 'aria-live': 'polite' });
  const feedStatus = h('div.feed-status#feed-status');
  $('#panel').replaceChildren(
    h('section.wall-warnings#wall-warnings'),
    h('section.feed-box', h('div.box-head', h('h2#feed-title', t('feed.recent')), feedStatus), feed),
    h('section.overdue-box#overdue-box'),
    h('section.wall-visits#wall-visits', { hidden: true }));

  // Over the map: the clock, the controls, the new-case banner and the legend.
  const fs = fullscreen(() => { renderBar(); setTimeout(() => map.resize(), 60); });
  const patrolBtn = h('button.wall-btn#wall-patrol', { type: 'button', 'aria-pressed': 'false', on: { click: () => setPatrol(patrolBtn.getAttribute('aria-pressed') !== 'true') } });
  const districtBtn = h('button.wall-btn#wall-district', { type: 'button', on: { click: async () => {
    await fitDistrict(map);
    map.once('moveend', () => { document.body.dataset.fitted = String(Date.now()); });
  } } });
  const fullBtn = h('button.wall-btn#wall-full', { type: 'button', on: { click: () => fs.toggle() } });
  const renderBar = () => {
    districtBtn.textContent = t('wall.district');
    patrolBtn.textContent = t('wall.patrolFill');
    fullBtn.textContent = fs.isOn() ? t('wall.exitFullscreen') : t('wall.fullscreen');
  };
  renderBar();
  map.getContainer().append(
    h('div.wall-bar#wall-bar', h('div.wall-tools', districtBtn, patrolBtn, fullBtn), clock()),
    h('div.wall-alert#wall-alert', { hidden: true, role: 'status' }),
    h('div.wall-legend#wall-legend', legendFor('hazards')));
  document.body.dataset.wallFull = '0';
  document.body.dataset.patrol = '0';

  onLangChange(() => {
    renderBar();
    for (const k of KPIS) $(`[data-kpi="${k.key}"] .kpi-label`).textContent = t(k.label);
    $('#feed-title').textContent = t('feed.recent');
    $('#wall-legend').replaceChildren(legendFor('hazards'));
    renderStats();
    renderOverdue();
    renderWarnings();
    renderVisits();
    for (const li of feed.querySelectorAll('li[data-id]')) li.replaceWith(feedItem(li._entry, false));
    renderEmpty();
  });
  const renderEmpty = () => {
    if (!feed.querySelector('li[data-id]')) feed.replaceChildren(h('li.empty', isLoggedIn() ? t('feed.empty') : t('login.needed')));
  };
  renderEmpty();

  // The key, not the text, so a change of language re-words it.
  const setStatus = (key, cls) => { feedStatus.dataset.key = key; feedStatus.textContent = t(key); feedStatus.className = `feed-status ${cls}`; };
  onLangChange(() => { if (feedStatus.dataset.key) feedStatus.textContent = t(feedStatus.dataset.key); });
  const onLogin = () => {
    if (stream) { stream.close(); stream = null; }
    clearInterval(kpiTimer);
    clearInterval(renewTimer);
    if (!isLoggedIn()) {
      dropPrivateLayers(map);
      setPatrol(false);
      for (const k of KPIS) setKpi(k.key, null);
      feed.replaceChildren();
      renderEmpty();
      stats = null; overdue = null; active = []; visits = null;
      renderStats(); renderOverdue(); renderWarnings(); renderVisits();
      showAreas(map, []);
      openLogin({ required: true });
      return;
    }
    closeLogin();
    showLayer(map, 'incidents', true);
    setPatrol(false); // coverage fill off by default; the button shows it
    renderEmpty();
    loadRecent(feed);
    loadWarnings();
    loadKpis();
    kpiTimer = setInterval(loadKpis, KPI_MS);
    // The session renews while the screen is on (GET /api/me renews it and its cookies).
    renewTimer = setInterval(renew, RENEW_MS);
    stream = liveStream((ev, eventId) => onEvent(ev, eventId, feed), {
      check: () => api('/api/me'),
      onOpen: () => setStatus('feed.connected', 'ok'),
      onError: () => setStatus('feed.lost', 'lost'),
      // A fresh stream replays nothing: fetch the changes made meanwhile (duplicates are skipped).
      onReconnect: () => { loadRecent(feed); scheduleRefresh(); },
    });
  };
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible' && isLoggedIn()) renew(); });
  onAuthChange(onLogin);
  onLogin();
}

function renew() {
  api('/api/me').then(() => { document.body.dataset.renewed = String(Date.now()); })
    .catch((e) => console.warn('wall session renewal:', e && e.message)); // a 401 signs the page out by itself
}

function setPatrol(on) {
  const btn = $('#wall-patrol');
  if (on && !showLayer(map, 'patrol', true)) on = false;
  if (!on && map.getSource('patrol')) showLayer(map, 'patrol', false);
  if (btn) btn.setAttribute('aria-pressed', String(on));
  document.body.dataset.patrol = on ? '1' : '0';
}

function area() {
  const u = getUser();
  return (u && u.areas && u.areas[0]) || DISTRICT;
}

/* ---------------- KPIs, trend, handling, rankings ---------------- */

function setKpi(key, v, text) {
  const el = $(`[data-kpi="${key}"] .kpi-value`);
  if (!el) return;
  el.textContent = text ?? (v == null ? '–' : fmtNum(v));
  el.parentElement.classList.toggle('hot', typeof v === 'number' && v > 0);
}

/**
 * Reloads the figures. `counts` only (after live events): the counts and the overdue list. The
 * 30-day statistics, coverage and visits change slowly and cost the server a pass over every
 * case's history, so they reload on the minute timer only, not on every burst of cases.
 */
async function loadKpis({ counts = false } = {}) {
  const code = area();
  // Each job handles its own failure (no unhandled rejections).
  const settle = (p) => p.catch((e) => console.warn('wall KPI:', e && e.message));
  const slow = counts ? [] : [
    settle(api(`/api/patrol/coverage?area=${code}`).then((r) => {
      const g = (r && r.grids) || [];
      if (!g.length) { setKpi('coverage', null); return; }
      const mean = g.reduce((s, x) => s + (Number(x.coverage) || 0), 0) / g.length;
      setKpi('coverage', mean, `${Math.round(mean * 100)}%`);
    })),
    settle(api(`/api/stats/incidents?area=${code}`).then((s) => { stats = s; renderStats(); })),
    settle(loadVisits(code)),
  ];
  await Promise.all([
    ...slow,
    settle(api(`/api/areas/${code}`).then((a) => {
      const c = (a && a.counts) || {};
      const inc = c.incidents || {};
      setKpi('open', typeof inc === 'object' ? inc.open : null);
      setKpi('overdue', typeof inc === 'object' ? inc.overdue : null);
      const hz = c.hazards;
      const red = hz && typeof hz === 'object' ? (hz.by_risk ? hz.by_risk['红'] ?? 0 : hz['红'] ?? hz.red) : undefined;
      if (red != null) setKpi('red', red);
    })),
    settle(api(`/api/incidents?area=${code}&since=${encodeURIComponent(todayStartShanghai())}&limit=1`)
      .then((r) => setKpi('today', r.total ?? (r.items || []).length))),
    settle(api(`/api/incidents?area=${code}&overdue=true&limit=200`).then((r) => { overdue = r; renderOverdue(); })),
  ]);
  document.body.dataset.kpis = '1';
}

function renderStats() {
  const daily = (stats && stats.daily) || [];
  for (const k of KPIS.filter((x) => x.trend)) {
    const box = $(`[data-kpi="${k.key}"] .kpi-trend`);
    if (!box) continue;
    const col = daily.map((d) => Number(d[k.trend]) || 0);
    box.replaceChildren(...(col.length ? [h('span.trend-label', t('wall.trend')), sparkline(col),
      delta(col[col.length - 1], col[col.length - 2])] : []));
    box.dataset.days = String(col.length);
  }
  const o = (stats && stats.overall) || {};
  const pct = (v) => (typeof v === 'number' ? `${Math.round(v * 100)}%` : '–');
  const hours = (v) => (typeof v === 'number' ? `${v}${t('unit.h')}` : '–');
  const tile = (key, label, value) => h('div.hd', { dataset: { k: key } }, h('div.hd-value', value), h('div.hd-label', t(label)));
  $('#wall-handling')?.replaceChildren(h('h2', t('wall.handling')), h('div.hd-grid',
    tile('median', 'wall.median', hours(o.median_hours)), tile('p90', 'wall.p90', hours(o.p90_hours)),
    tile('on_time', 'wall.onTime', pct(o.on_time_rate)), tile('reopen', 'wall.reopen', pct(o.reopen_rate))));
  // Rankings over the window (30 days): categories summed over the streets, streets by total.
  const groups = (stats && stats.groups) || [];
  const cats = {};
  for (const g of groups) for (const [c, n] of Object.entries(g.by_category || {})) cats[c] = (cats[c] || 0) + n;
  const byCat = Object.entries(cats).map(([c, n]) => ({ key: c, label: tv(c), value: n })).sort((a, b) => b.value - a.value);
  const byStreet = groups.map((g) => ({ key: g.code, label: g.name || g.code, value: g.total })).sort((a, b) => b.value - a.value);
  $('#rank-category')?.replaceChildren(h('h2', t('wall.byCategory')), bars(byCat, { id: 'bars-category' }));
  $('#rank-street')?.replaceChildren(h('h2', t('wall.byStreet')), bars(byStreet, { id: 'bars-street' }));
}

/* ---------------- overdue list ---------------- */

function placeOf(i) {
  if (!i.grid) return t('wall.districtQueue');
  return [i.street_name, i.grid_name].filter(Boolean).join(' · ') || t('case.fallback');
}

function renderOverdue() {
  const box = $('#overdue-box');
  if (!box) return;
  if (!overdue) { box.replaceChildren(); return; }
  // Most overdue first.
  const items = [...(overdue.items || [])].sort((a, b) => new Date(a.deadline) - new Date(b.deadline));
  const total = overdue.total ?? items.length;
  box.replaceChildren(
    h('h2', `${t('wall.overdueList')} `, h('span.count', fmtNum(total))),
    items.length ? h('ol.overdue-list#overdue-list', items.slice(0, OVERDUE_SHOWN).map((i) => h('li', {
      dataset: { id: i.id }, on: { click: () => showCase(i) } },
    h('span.cat', tv(i.category)),
    h('span.late', timeLeft(i.deadline)?.text || ''),
    h('span.place', placeOf(i))))) : h('p.none', t('wall.noOverdue')),
    total > OVERDUE_SHOWN ? h('p.more', t('wall.more', { n: fmtNum(total - OVERDUE_SHOWN) })) : null);
  document.body.dataset.overdue = String(total);
}

function showCase(i) {
  if (i.lon != null) map.easeTo({ center: [i.lon, i.lat], zoom: Math.max(map.getZoom(), 15) });
  openCase(i.id);
}

/* ---------------- the feed ---------------- */

const keyOf = (e) => `${e.id}|${e.at}|${e.action || ''}`;

/** "21:40" today, "12/01 21:40" before (Asia/Shanghai): short enough to read across a room. */
function feedTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return fmtTime(iso);
  const day = (x) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(x);
  if (day(d) !== day(new Date())) return fmtTime(iso);
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

function feedItem(e, fresh) {
  const created = e.kind === 'incident.created' || e.action === 'report';
  const step = created ? t('feed.new') : (e.action && t('step.' + e.action) !== 'step.' + e.action ? t('step.' + e.action) : tv(e.to || e.status));
  const li = h('li', { class: `feed-item${created ? ' created' : ''}${fresh ? ' fresh' : ''}`,
    dataset: { id: e.id, key: keyOf(e), at: e.at || '' }, on: { click: () => showCase(e) } },
  h('span.time', feedTime(e.at || e.reported_at)),
  h('span.cat', tv(e.category) || ''),
  h('span.kind', step),
  h('span.place', placeOf(e)));
  li._entry = e;
  if (fresh) setTimeout(() => li.classList.remove('fresh'), 10000);
  return li;
}

/** Adds an entry in time order unless the feed has it; true when added. */
function addFeed(feed, e, fresh) {
  if (!e || !e.id) return false;
  const key = keyOf(e);
  for (const li of feed.querySelectorAll('li[data-key]')) if (li.dataset.key === key) return false;
  feed.querySelector('li.empty')?.remove();
  const li = feedItem(e, fresh);
  const at = Date.parse(e.at) || Date.now();
  const after = [...feed.querySelectorAll('li[data-at]')].find((x) => (Date.parse(x.dataset.at) || 0) < at);
  feed.insertBefore(li, after || null);
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  document.body.dataset.feed = String(feed.querySelectorAll('li[data-id]').length);
  return true;
}

async function loadRecent(feed) {
  try {
    const r = await api('/api/incidents/recent?limit=20');
    for (const e of r.items || []) addFeed(feed, e, false);
    if (!(r.items || []).length && !feed.querySelector('li[data-id]')) feed.replaceChildren(h('li.empty', t('feed.empty')));
    document.body.dataset.recent = String((r.items || []).length);
  } catch (e) {
    console.warn('wall recent changes:', e && e.message);
  }
}

/** The distinct announcement of a new case: ring on the map, banner over it, highlighted entry. */
function announce(e) {
  if (e.lon != null && e.lat != null) flash.flash([Number(e.lon), Number(e.lat)], e.id);
  const box = $('#wall-alert');
  box.replaceChildren(h('div.alert-title', t('wall.newCase')),
    h('div.alert-body', h('strong', tv(e.category)), h('span', placeOf(e))));
  box.hidden = false;
  box.classList.remove('pulse');
  void box.offsetWidth; // restart the animation for a case that follows closely
  box.classList.add('pulse');
  document.body.dataset.flash = e.id;
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => { box.hidden = true; }, 8000);
}

function scheduleRefresh() {
  // At most one reload of the counts every 5 s however fast cases come in, and none while the
  // stream is down (the reconnect schedules one).
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = 0;
    if (document.body.dataset.sse !== 'open') return;
    loadKpis({ counts: true });
    if (map.getSource('incidents')) map.refreshTiles('incidents');
  }, 5000);
}

function onEvent(ev, eventId, feed) {
  const kind = String(ev.kind || '');
  if (isWarningEvent(ev)) { loadWarnings(); return; }
  if (kind === 'person.visited' || kind === 'people.rescheduled') {
    clearTimeout(visitTimer);
    visitTimer = setTimeout(() => loadVisits(area()).catch(() => null), 1500);
    return;
  }
  if (!kind.startsWith('incident')) return;
  caseEvent(ev);
  // Replayed changes (after a reconnect) carry no step; the feed already has them from the log.
  if (ev.at && (ev.action || kind === 'incident.created')) {
    const added = addFeed(feed, ev, true);
    if (added && kind === 'incident.created') announce(ev);
  }
  scheduleRefresh();
}

/* ---------------- warnings and visits ---------------- */

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
  const rows = [...streets].sort((a, b) => b.overdue - a.overdue || b.due - a.due).slice(0, 3);
  box.replaceChildren(
    h('h2', `${t('wall.visits')} · ${t('wall.visitsDue')} ${fmtNum(visits.total)} · ${t('wall.visitsOverdue')} ${fmtNum(visits.overdue)}`),
    rows.length ? h('table.wall-visit-table#wall-visit-table',
      h('tbody', rows.map((s) => h('tr', { dataset: { code: s.code }, class: s.overdue > 0 ? 'hot' : null },
        h('td', s.name || s.code),
        h('td.num', `${t('wall.visitsDue')} ${fmtNum(s.due)}`),
        h('td.num.alert', `${t('wall.visitsOverdue')} ${fmtNum(s.overdue)}`))))) : h('p.none', t('grid.none')));
  document.body.dataset.wallVisits = String(visits.total ?? 0);
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
