// `/flood`: hazards by risk; draw a polygon or a circle (our own interaction) → /api/query/within
// → hazards, households/persons, shelters with capacity, people (by rights); CSV export and print.
import { h, $, fmtNum, toast, download, csv } from '/js/dom.js';
import { t, tv, onLangChange, errText } from '/js/i18n.js';
import { api, isLoggedIn, onAuthChange } from '/js/api.js';
import { createMap, showLayer, enablePopups, legendFor, RISK_COLORS, RISK_ORDER } from '/js/mapbase.js';
import { Draw } from '/js/draw.js';

let map, draw;
let risks = new Set(RISK_ORDER);
let last = null; // {kind:'within'|'nearest', geometry, meta, data}

export async function start() {
  $('#panel').classList.add('flood-panel'); // before the map measures its container
  map = await createMap({ theme: 'light', layers: ['grids', 'hazards', 'shelters'], preserveDrawingBuffer: true });
  enablePopups(map);
  draw = new Draw(map, { onDone: (poly, meta) => query(poly, meta) });
  const panel = $('#panel');
  const render = () => renderPanel(panel);
  render();
  onLangChange(render);
  onAuthChange(() => { if (isLoggedIn()) showLayer(map, 'incidents', false); render(); if (last && last.kind === 'within') query(last.geometry, last.meta); });
}

function applyRiskFilter() {
  const filter = ['in', ['get', 'risk'], ['literal', [...risks]]];
  for (const id of ['hazards-circle', 'hazards-label']) if (map.getLayer(id)) map.setFilter(id, filter);
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
    tool('draw-clear', 'flood.clear', () => { draw.clear(); last = null; hint.textContent = ''; renderResults(); }),
  );
  panel.replaceChildren(
    h('section', h('h2', t('flood.risks')), riskBoxes, legendFor('shelters')),
    h('section', h('h2', t('flood.tools')), tools, hint),
    h('section.results#flood-results'),
  );
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
  $('#draw-hint').textContent = '';
}

function hazardRows(items, withDistance) {
  const sorted = [...items].sort((a, b) => (withDistance ? 0 : RISK_ORDER.indexOf(a.risk) - RISK_ORDER.indexOf(b.risk)));
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

