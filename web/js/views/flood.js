// `/flood`: hazards by risk; draw a polygon or a circle (our own interaction) → /api/query/within
// → hazards, households/persons, shelters with capacity, people (by rights); CSV export and print.
// Signed in: issue a warning (预警区) over the drawn area, list warnings, open one: its answer as
// cards with the call list first, live seen/confirmed shares (SSE), extend/lift, a print layout.
import { h, $, fmtNum, fmtTime, toast, download, csv, uuid } from '/js/dom.js';
import { t, tv, onLangChange, errText } from '/js/i18n.js';
import { api, isLoggedIn, onAuthChange } from '/js/api.js';
import { createMap, showLayer, enablePopups, legendFor, RISK_COLORS, RISK_ORDER } from '/js/mapbase.js';
import { Draw } from '/js/draw.js';
import { connectEvents } from '/js/live.js';
import { LEVELS, KINDS, levelColor, levelChip, mayIssue, listWarnings, callList, showAreas, areaBounds,
  isWarningEvent, pct, statusText } from '/js/warnings.js';

let map, draw, es, refetchTimer;
let risks = new Set(RISK_ORDER);
let last = null; // {kind:'within'|'nearest', geometry, meta, data}
let warnings = []; // the list (active first), signed in only
let open = null; // the open warning's answer

export async function start() {
  $('#panel').classList.add('flood-panel'); // before the map measures its container
  map = await createMap({ theme: 'light', layers: ['grids', 'hazards', 'shelters'], preserveDrawingBuffer: true });
  enablePopups(map);
  draw = new Draw(map, { onDone: (poly, meta) => query(poly, meta) });
  const panel = $('#panel');
  const render = () => renderPanel(panel);
  render();
  onLangChange(() => { render(); renderPrintHead(); });
  const onLogin = () => {
    if (es) { es.close(); es = null; }
    warnings = []; open = null;
    if (isLoggedIn()) {
      showLayer(map, 'incidents', false);
      es = connectEvents((ev) => { if (isWarningEvent(ev)) onWarningEvent(ev); });
      loadWarnings();
    }
    showAreas(map, []);
    render();
    if (last && last.kind === 'within') query(last.geometry, last.meta);
  };
  onAuthChange(onLogin);
  if (isLoggedIn()) onLogin();
}

function applyRiskFilter() {
  const filter = ['in', ['get', 'risk'], ['literal', [...risks]]];
  for (const id of ['hazards-circle', 'hazards-label']) if (map.getLayer(id)) map.setFilter(id, filter);
  if (open) renderWarning();
  if (last && last.data) renderResults();
}

function renderPanel(panel) {
  const riskBoxes = h('div.risks#risk-filter', RISK_ORDER.map((r) => {
    const sw = h('span.swatch.dot'); sw.style.background = RISK_COLORS[r];
    return h('label.risk', h('input', { type: 'checkbox', checked: risks.has(r), dataset: { risk: r },
      on: { change: (e) => { if (e.target.checked) risks.add(r); else risks.delete(r); applyRiskFilter(); } } }),
    sw, h('span', tv(r)));
  }));
  const km = h('input#radius-km', { type: 'number', min: '0.1', max: '50', step: '0.1', placeholder: '—', inputmode: 'decimal' });
  const hint = h('p.hint#draw-hint');
  const tool = (id, key, fn) => h('button#' + id, { type: 'button', on: { click: () => { fn(); } } }, t(key));
  const tools = h('div.tools',
    tool('draw-polygon', 'flood.polygon', () => { hint.textContent = t('flood.hintPolygon'); draw.polygon(); }),
    tool('draw-radius', 'flood.radius', () => { hint.textContent = t('flood.hintRadius'); draw.radius(Number(km.value) * 1000); }),
    h('label.km', h('span', t('flood.radiusKm')), km),
    tool('draw-nearest', 'flood.nearest', () => { hint.textContent = t('flood.hintNearest'); draw.point((ll) => nearest(ll)); }),
    tool('draw-clear', 'flood.clear', () => { draw.clear(); last = null; hint.textContent = ''; renderResults(); renderIssueForm(); }),
  );
  panel.replaceChildren(
    h('section', h('h2', t('flood.risks')), riskBoxes, legendFor('shelters')),
    h('section', h('h2', t('flood.tools')), tools, hint),
    h('section#warn-issue-box'),
    h('section#warn-list-box'),
    h('section.results.warning#warning'),
    h('section.results#flood-results'),
  );
  renderIssueForm();
  renderList();
  renderWarning();
  renderResults();
}

async function query(geometry, meta) {
  last = { kind: 'within', geometry, meta, data: null };
  const box = $('#flood-results');
  box.replaceChildren(h('p', t('flood.querying')));
  try {
    last.data = await api('/api/query/within', { method: 'POST', body: geometry });
  } catch (e) {
    box.replaceChildren(h('p.form-error', errText(e)));
    return;
  }
  renderResults();
  renderIssueForm();
  $('#draw-hint').textContent = '';
}

async function nearest(ll) {
  const box = $('#flood-results');
  box.replaceChildren(h('p', t('flood.querying')));
  try {
    const r = await api(`/api/hazards/nearest?lon=${ll.lng.toFixed(6)}&lat=${ll.lat.toFixed(6)}&k=10`);
    last = { kind: 'nearest', at: [ll.lng, ll.lat], data: r };
  } catch (e) {
    box.replaceChildren(h('p.form-error', errText(e)));
    return;
  }
  renderResults();
  renderIssueForm();
  $('#draw-hint').textContent = '';
}

function hazardRows(items, withDistance) {
  // The risk filter applies to the lists as to the map.
  const sorted = items.filter((z) => !z.risk || risks.has(z.risk))
    .sort((a, b) => (withDistance ? 0 : RISK_ORDER.indexOf(a.risk) - RISK_ORDER.indexOf(b.risk)));
  const person = (x) => (x && typeof x === 'object' ? [x.name, x.phone].filter(Boolean).join(' ') : x ?? '');
  return sorted.map((z) => ({
    z,
    cells: [z.name, tv(z.kind), tv(z.risk), z.threatened_households, z.threatened_persons, z.grid,
      person(z.monitor ?? z.monitor_person), person(z.responsible ?? z.responsible_person ?? z.leader),
      ...(withDistance ? [Math.round(z.distance_m)] : [])],
  }));
}

const hazardHeader = (withDistance) => ['f.name', 'f.kind', 'f.risk', 'f.threatened_households', 'f.threatened_persons',
  'f.grid', 'f.monitor', 'f.leader', ...(withDistance ? ['f.distance'] : [])].map((k) => t(k) + (k === 'f.distance' ? ` (${t('unit.m')})` : ''));

function table(id, header, rows, onRow) {
  return h('div.table-wrap', h('table.data#' + id,
    h('thead', h('tr', header.map((c) => h('th', c)))),
    h('tbody', rows.map((r) => h('tr', { dataset: { id: r.z?.id ?? '' }, on: onRow ? { click: () => onRow(r.z) } : null },
      r.cells.map((c, i) => {
        const td = h('td', typeof c === 'number' ? fmtNum(c) : (c ?? ''));
        if (i === 2 && r.z && RISK_COLORS[r.z.risk] && header.length >= 8) { td.classList.add('risk-cell'); td.dataset.risk = r.z.risk; }
        return td;
      }))))));
}

function zoomTo(z) {
  const lon = z.lon ?? z.geometry?.coordinates?.[0];
  const lat = z.lat ?? z.geometry?.coordinates?.[1];
  if (lon != null && lat != null) map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 15) });
}

/** People counts come as {category: n} (or a list of {category, count}); n may be "<3". */
function peopleCounts(p) {
  if (!p || !p.counts) return [];
  if (Array.isArray(p.counts)) return p.counts.map((c) => [c.category ?? c.name ?? c.code, c.count]);
  return Object.entries(p.counts);
}

function peopleSection(p) {
  if (!p) return null;
  const counts = peopleCounts(p);
  const items = Array.isArray(p.items) ? p.items : [];
  if (!counts.length && !items.length) return null;
  return h('div',
    h('h3', `${t('flood.people')} (${fmtNum(p.total ?? items.length)})`),
    counts.length ? h('div.table-wrap', h('table.data#flood-people-counts', h('tbody', counts.map(([cat, n]) => h('tr', h('td', cat), h('td', fmtNum(n))))))) : null,
    items.length ? h('div.table-wrap', h('table.data#flood-people', h('tbody', items.slice(0, 500).map((x) => h('tr',
      h('td', x.name ?? x.id), h('td', x.category ?? ''), h('td', x.phone ?? ''), h('td', x.address ?? x.grid ?? ''))))))
      : null);
}

function renderResults() {
  const box = $('#flood-results');
  if (!box) return;
  if (!last || !last.data) { box.replaceChildren(h('p.none', t('flood.empty'))); delete document.body.dataset.queried; return; }
  if (last.kind === 'nearest') {
    const items = last.data.items || [];
    box.replaceChildren(h('h2', t('flood.nearestTitle')),
      table('flood-hazards', hazardHeader(true), hazardRows(items, true), zoomTo), exportButtons());
    document.body.dataset.queried = 'nearest';
    return;
  }
  const d = last.data;
  const hz = d.hazards || {};
  const sh = d.shelters || {};
  const hzItems = hz.items || [];
  const shItems = sh.items || [];
  const sum = (arr, k) => arr.reduce((s, x) => s + (Number(x[k]) || 0), 0);
  const households = hz.threatened_households ?? sum(hzItems, 'threatened_households');
  const persons = hz.threatened_persons ?? sum(hzItems, 'threatened_persons');
  const capacity = sh.capacity ?? sum(shItems, 'capacity');
  const card = (key, v, id) => h('div.card', { dataset: { card: id } }, h('div.card-value', fmtNum(v)), h('div.card-label', t(key)));
  box.replaceChildren(
    h('h2', t('flood.result')),
    h('div.cards',
      card('flood.hazards', hz.total ?? hzItems.length, 'hazards'),
      card('flood.households', households, 'households'),
      card('flood.persons', persons, 'persons'),
      card('flood.shelters', sh.total ?? shItems.length, 'shelters'),
      card('flood.capacity', capacity, 'capacity'),
      d.incidents ? card('flood.incidents', d.incidents.total ?? (d.incidents.items || []).length, 'incidents') : null),
    h('h3', `${t('flood.hazards')} (${fmtNum(hz.total ?? hzItems.length)})`),
    table('flood-hazards', hazardHeader(false), hazardRows(hzItems, false), zoomTo),
    h('h3', `${t('flood.shelters')} (${fmtNum(sh.total ?? shItems.length)})`),
    table('flood-shelters', [t('f.name'), t('f.capacity'), t('f.grid')],
      [...shItems].sort((a, b) => (b.capacity || 0) - (a.capacity || 0)).map((s) => ({ z: s, cells: [s.name, s.capacity, s.grid] })), zoomTo),
    peopleSection(d.people),
    exportButtons(),
  );
  document.body.dataset.queried = 'within';
}

function exportButtons() {
  return h('div.buttons.no-print',
    h('button.primary#export-csv', { type: 'button', on: { click: exportCsv } }, t('flood.export')),
    h('button#print', { type: 'button', on: { click: () => window.print() } }, t('flood.print')));
}

function exportCsv() {
  if (!last || !last.data) { toast(t('flood.empty')); return; }
  const rows = [];
  const stamp = new Date().toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
  rows.push([t('app.title'), t('view.flood'), stamp]);
  rows.push([t('app.attribution')]);
  if (last.kind === 'nearest') {
    rows.push([], [t('flood.nearestTitle'), `${last.at[0].toFixed(6)},${last.at[1].toFixed(6)}`]);
    rows.push(['id', ...hazardHeader(true)]);
    for (const r of hazardRows(last.data.items || [], true)) rows.push([r.z.id, ...r.cells]);
  } else {
    const d = last.data;
    if (last.meta && last.meta.kind === 'radius') rows.push([t('flood.radius'), `${last.meta.center.join(',')}`, `${last.meta.radius} ${t('unit.m')}`]);
    else rows.push([t('flood.polygon'), JSON.stringify(last.geometry.coordinates[0])]);
    rows.push([], [t('flood.hazards'), d.hazards?.total ?? (d.hazards?.items || []).length,
      t('flood.households'), d.hazards?.threatened_households ?? '', t('flood.persons'), d.hazards?.threatened_persons ?? '']);
    rows.push(['id', ...hazardHeader(false)]);
    for (const r of hazardRows(d.hazards?.items || [], false)) rows.push([r.z.id, ...r.cells]);
    rows.push([], [t('flood.shelters'), d.shelters?.total ?? (d.shelters?.items || []).length, t('flood.capacity'), d.shelters?.capacity ?? '']);
    rows.push(['id', t('f.name'), t('f.capacity'), t('f.grid')]);
    for (const s of d.shelters?.items || []) rows.push([s.id, s.name, s.capacity, s.grid]);
    const p = d.people;
    const counts = peopleCounts(p);
    if (counts.length) {
      rows.push([], [t('flood.people'), p.total ?? ''], [t('f.category'), t('f.count')]);
      for (const [cat, n] of counts) rows.push([cat, n]);
    }
    if (p && Array.isArray(p.items) && p.items.length) {
      rows.push([], ['id', t('f.name'), t('f.category'), t('f.phone'), t('f.grid')]);
      for (const x of p.items) rows.push([x.id, x.name, x.category, x.phone, x.grid]);
    }
  }
  const now = new Date();
  const ymd = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false }).format(now).replace(/[-: ]/g, '');
  download(`minqing-flood-${ymd}.csv`, csv(rows));
  document.body.dataset.exported = '1';
}


/* ---------------- warnings (预警区) ---------------- */

function localInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The form to issue a warning over the drawn area (signed in, a role that issues). */
function renderIssueForm() {
  const box = $('#warn-issue-box');
  if (!box) return;
  if (!isLoggedIn() || !mayIssue() || !last || last.kind !== 'within') { box.replaceChildren(); box.hidden = true; return; }
  box.hidden = false;
  const name = h('input#warn-name', { name: 'name', maxlength: 100, required: true, placeholder: t('warn.name') });
  const level = h('select#warn-level', { name: 'level' }, LEVELS.map((l) => h('option', { value: l }, tv(l))));
  const kind = h('select#warn-kind', { name: 'kind' }, KINDS.map((k) => h('option', { value: k }, tv(k))));
  const until = h('input#warn-until', { name: 'until', type: 'datetime-local', value: localInput(new Date(Date.now() + 24 * 3600e3)) });
  const err = h('div.form-error#warn-error', { role: 'alert' });
  const key = uuid();
  const submit = async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (!last || last.kind !== 'within') { err.textContent = t('warn.needArea'); return; }
    if (!name.value.trim()) { err.textContent = t('warn.needName'); return; }
    const u = new Date(until.value);
    if (Number.isNaN(u.getTime()) || u.getTime() <= Date.now()) { err.textContent = t('warn.badUntil'); return; }
    const btn = $('#warn-issue');
    btn.disabled = true;
    try {
      const r = await api('/api/warnings', { method: 'POST', headers: { 'Idempotency-Key': key },
        body: { name: name.value.trim(), level: level.value, kind: kind.value, area: last.geometry, until: u.toISOString() } });
      toast(t('warn.issued'));
      draw.clear();
      last = null;
      renderResults();
      renderIssueForm();
      await loadWarnings();
      await openWarning(r.id);
    } catch (e) {
      err.textContent = errText(e);
    } finally {
      btn.disabled = false;
    }
  };
  box.replaceChildren(h('h2', t('warn.issueTitle')), h('form.warn-form#warn-form', { on: { submit } },
    h('label', h('span', t('warn.name')), name),
    h('div.warn-row', h('label', h('span', t('warn.level')), level), h('label', h('span', t('warn.kind')), kind)),
    h('label', h('span', t('warn.until')), until),
    err,
    h('button.primary#warn-issue', { type: 'submit' }, t('warn.issue'))));
}

async function loadWarnings() {
  if (!isLoggedIn()) return;
  try {
    warnings = await listWarnings();
  } catch (e) {
    toast(errText(e), 'error');
    return;
  }
  showAreas(map, open ? [open] : warnings.filter((w) => w.status === 'active'));
  renderList();
}

function renderList() {
  const box = $('#warn-list-box');
  if (!box) return;
  if (!isLoggedIn()) { box.replaceChildren(); box.hidden = true; return; }
  box.hidden = false;
  box.replaceChildren(h('h2', t('warn.list')), warnings.length
    ? h('ul.list.warn-list#warn-list', warnings.map((w) => h('li', {
      dataset: { id: w.id, status: w.status }, class: open && open.id === w.id ? 'selected' : null,
      on: { click: () => openWarning(w.id) } },
    h('div.row1', levelChip(w.level), h('strong', w.name), h('span.status', statusText(w.status))),
    h('div.row2', h('span', tv(w.kind)), h('span', `${t('warn.until')} ${fmtTime(w.until)}`)))))
    : h('p.none', t('warn.none')));
}

async function openWarning(id) {
  try {
    open = await api(`/api/warnings/${encodeURIComponent(id)}`);
  } catch (e) {
    toast(errText(e), 'error');
    return;
  }
  draw.clear();
  last = null;
  renderResults();
  renderIssueForm();
  showAreas(map, [open]);
  const b = areaBounds(open.area);
  if (b) map.fitBounds(b, { padding: 40, duration: 0, maxZoom: 16 });
  renderList();
  renderWarning();
  renderPrintHead();
}

function closeWarning() {
  open = null;
  delete document.body.dataset.warning;
  showAreas(map, warnings.filter((w) => w.status === 'active'));
  renderList();
  renderWarning();
  renderPrintHead();
}

/** Refetch the open warning (its shares move as heads see it and confirm hazards) and the list. */
function onWarningEvent(ev) {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(async () => {
    await loadWarnings();
    if (open && (!ev.id || ev.id === open.id)) {
      try {
        open = await api(`/api/warnings/${encodeURIComponent(open.id)}`);
        renderWarning();
        renderPrintHead();
      } catch { /* keep what is shown */ }
    }
  }, 150);
}

const keepRisk = (z) => risks.has(z.risk);

function card(key, value, id, extra) {
  return h('div.card', { dataset: { card: id, value: String(extra ?? value) }, id: id ? 'card-' + id : null },
    h('div.card-value', value), h('div.card-label', t(key)));
}

function simpleTable(id, header, rows, onRow) {
  return h('div.table-wrap', h('table.data#' + id,
    h('thead', h('tr', header.map((c) => h('th', c)))),
    h('tbody', rows.map((r) => h('tr', { dataset: r.data || {}, class: r.cls || null, on: onRow && r.z ? { click: () => onRow(r.z) } : null },
      r.cells.map((c) => (c instanceof Node ? h('td', c) : h('td', typeof c === 'number' ? fmtNum(c) : (c ?? '')))))))));
}

function renderWarning() {
  const box = $('#warning');
  if (!box) return;
  if (!open) { box.replaceChildren(); box.hidden = true; delete document.body.dataset.warning; return; }
  box.hidden = false;
  const d = open;
  const base = `/api/warnings/${encodeURIComponent(d.id)}`;
  const hazards = (d.hazards || []).filter(keepRisk);
  const filtered = hazards.length !== (d.hazards || []).length;
  const calls = callList(d, keepRisk);
  const sh = d.shelters || {};
  const confirmed = (d.hazards || []).filter((z) => z.confirmed).length;
  const seenGrids = (d.grids || []).filter((g) => g.seen).length;

  const actions = [];
  if (mayIssue() && d.status === 'active') {
    const until = h('input#warn-extend-until', { type: 'datetime-local',
      value: localInput(new Date(Math.max(Date.now(), new Date(d.until).getTime()) + 12 * 3600e3)) });
    actions.push(h('div.warn-actions.no-print',
      until,
      h('button#warn-extend', { type: 'button', on: { click: () => act({ action: 'extend', until: new Date(until.value).toISOString() }, 'warn.extended') } }, t('warn.extend')),
      h('button.danger#warn-lift', { type: 'button', on: { click: () => { if (window.confirm(t('warn.liftConfirm'))) act({ action: 'lift' }, 'warn.lifted'); } } }, t('warn.lift'))));
  }
  const short = Number(d.capacity_short) || 0;
  const capText = t(short > 0 ? 'warn.shortfall' : 'warn.enough', { short: fmtNum(short), persons: fmtNum(d.persons), capacity: fmtNum(d.capacity) });
  const person = (c) => (c && c.name ? [c.name, c.phone].filter(Boolean).join(' ') : '');
  const people = d.people && Array.isArray(d.people.items) ? d.people : null;

  box.replaceChildren(
    h('div.print-only.print-legend#print-legend',
      h('div.legend-row', (() => { const s = h('span.swatch.box'); s.style.background = levelColor(d.level); return s; })(),
        h('span', `${t('warn.area')}（${tv(d.level)}）`)),
      legendFor('hazards'), legendFor('shelters')),
    h('div.warn-head',
      h('div.row1', levelChip(d.level), h('h2#warning-title', d.name), h('span.status', statusText(d.status))),
      h('div.row2', h('span', tv(d.kind)), h('span', `${t('warn.until')} ${fmtTime(d.until)}`), h('span', d.id))),
    h('div.buttons.no-print.warn-exports',
      h('a.button#warn-calls-csv', { href: `${base}/calls.csv`, download: `${d.id}-calls.csv` }, t('warn.callsCsv')),
      h('a.button#warn-calls-xlsx', { href: `${base}/calls.xlsx`, download: `${d.id}-calls.xlsx` }, t('warn.callsXlsx')),
      h('a.button#warn-cap', { href: `${base}/cap.xml`, download: `${d.id}.cap.xml` }, t('warn.cap')),
      h('button.primary#warn-print', { type: 'button', on: { click: printWarning } }, t('flood.print')),
      h('button#warn-close', { type: 'button', on: { click: closeWarning } }, t('warn.close'))),
    ...actions,
    h('div.capacity-alert#capacity-alert', { class: short > 0 ? 'capacity-alert short' : 'capacity-alert ok', dataset: { short: String(short) }, role: short > 0 ? 'alert' : null }, capText),
    h('div.cards.shares',
      card('warn.seenShare', `${pct(d.seen_share)} (${seenGrids}/${(d.grids || []).length})`, 'seen-share', d.seen_share),
      card('warn.confirmedShare', `${pct(d.confirmed_share)} (${confirmed}/${(d.hazards || []).length})`, 'confirmed-share', d.confirmed_share),
      card('flood.persons', fmtNum(d.persons), 'persons', d.persons),
      card('flood.households', fmtNum(d.households), 'households', d.households),
      card('flood.capacity', fmtNum(d.capacity), 'capacity', d.capacity),
      d.incidents ? card('warn.incidents', fmtNum(d.incidents.total), 'incidents', d.incidents.total) : null),
    h('h3.calls-title', `${t('warn.calls')} (${calls.length})`, filtered ? h('span.hint', ` · ${t('warn.filtered')}`) : null),
    h('p.hint.no-print', t('warn.callsHint')),
    simpleTable('call-list', [t('warn.order'), t('warn.role'), t('f.name'), t('f.phone'), t('warn.for'), t('f.risk'), t('warn.seen')],
      calls.map((c) => ({ data: { role: c.role, id: c.id }, cls: c.role === '网格长' && !c.seen ? 'unseen' : null,
        cells: [c.order, tv(c.role), c.name, c.phone, c.for, c.level ? tv(c.level) : '', c.role === '网格长' ? (c.seen ? fmtTime(c.seen) : t('warn.unseen')) : ''] }))),
    h('h3', `${t('warn.hazards')} (${hazards.length})`),
    simpleTable('warn-hazards', [t('f.name'), t('f.risk'), t('f.kind'), t('f.threatened_persons'), t('f.monitor'), t('f.leader'), t('warn.shelter'), t('warn.confirmed')],
      hazards.map((z) => ({ z, data: { id: z.id, confirmed: z.confirmed ? '1' : '0' }, cls: z.confirmed ? 'confirmed' : null,
        cells: [z.name, riskCell(z.risk), tv(z.kind), z.threatened_persons, person(z.monitor), person(z.responsible), z.shelter?.name ?? '',
          z.confirmed ? `✓ ${z.confirmed.by ?? ''} ${fmtTime(z.confirmed.at)}` : t('warn.unconfirmed')] })), zoomTo),
    h('h3', `${t('warn.sheltersInside')} (${(sh.inside || []).length})`),
    simpleTable('warn-shelters-inside', [t('f.name'), t('f.capacity'), t('f.grid')],
      (sh.inside || []).map((s) => ({ z: s, data: { id: s.id }, cells: [s.name, s.capacity, s.grid] })), zoomTo),
    h('h3', `${t('warn.sheltersOutside')} (${(sh.nearest_outside || []).length})`),
    simpleTable('warn-shelters-outside', [t('f.name'), t('f.capacity'), `${t('f.distance')} (${t('unit.m')})`],
      (sh.nearest_outside || []).map((s) => ({ z: s, data: { id: s.id }, cells: [s.name, s.capacity, Math.round(s.distance_m)] })), zoomTo),
    h('h3', `${t('warn.grids')} (${(d.grids || []).length})`),
    simpleTable('warn-grids', [t('f.name'), t('f.head'), t('f.phone'), t('warn.seen'), t('warn.confirmed')],
      (d.grids || []).map((g) => ({ data: { code: g.code, seen: g.seen ? '1' : '0' }, cls: g.seen ? null : 'unseen',
        cells: [g.name || g.code, g.head ?? '', g.phone ?? '', g.seen ? fmtTime(g.seen) : t('warn.unseen'), `${g.confirmed ?? 0}/${g.hazards ?? 0}`] }))),
    people ? h('details.people#warn-people', h('summary', `${t('warn.people')} (${fmtNum(people.total ?? people.items.length)})`),
      simpleTable('warn-people-table', [t('f.name'), t('f.category'), t('f.phone'), t('warn.address'), t('f.grid')],
        people.items.map((p) => ({ data: { id: p.id }, cells: [p.name ?? p.id, p.category ?? '', p.phone ?? '', p.address ?? '', p.grid ?? ''] })))) : null,
  );
  document.body.dataset.warning = d.id;
  document.body.dataset.confirmedShare = String(d.confirmed_share);
  document.body.dataset.seenShare = String(d.seen_share);
}

function riskCell(r) {
  const s = h('span.risk-text', { dataset: { risk: r } }, tv(r));
  return s;
}

async function act(body, okKey) {
  if (!open) return;
  try {
    await api(`/api/warnings/${encodeURIComponent(open.id)}/actions`, { method: 'POST', body });
    toast(t(okKey));
  } catch (e) {
    toast(errText(e), 'error'); // 403 when the server's policy says no
    return;
  }
  await loadWarnings();
  await openWarning(open.id);
}

/** The print-only header (title, printed time, level) above the map. */
function renderPrintHead() {
  let head = $('#print-head');
  if (!open) { if (head) head.remove(); return; }
  if (!head) { head = h('header.print-only#print-head'); $('#main').prepend(head); }
  const now = new Date().toISOString();
  head.replaceChildren(
    h('div.print-title', levelChip(open.level), h('span', `${t('app.title')} · ${t('view.flood')} · ${open.name}`)),
    h('div.print-meta', h('span', `${t('warn.level')}：${tv(open.level)}`), h('span', `${t('warn.kind')}：${tv(open.kind)}`),
      h('span', `${t('warn.until')} ${fmtTime(open.until)}`), h('span', `${t('warn.printed')} ${fmtTime(now)}`), h('span', open.id)),
    h('div.print-note', t('app.attribution')));
}

function printWarning() {
  if (!open) return;
  renderPrintHead();
  const b = areaBounds(open.area);
  if (b) map.fitBounds(b, { padding: 30, duration: 0, maxZoom: 16 });
  map.once('idle', () => window.print());
  map.triggerRepaint();
}
