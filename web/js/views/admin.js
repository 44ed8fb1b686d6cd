// `/admin` (role admin): the map on the left, a panel with four tabs on the right.
//   导入 Import    upload a layer (Shapefile zip or parts, GeoJSON, CSV), coordinate system, defaults,
//                 a dry run with its report and the column mapping (editable, sent back), then the
//                 import; the map shows the new records without a reload and fits to them.
//   拓扑 Topology  the grid topology check as a map layer (coloured by kind) and a list.
//   账号 Accounts  list, create, role and areas (typed or picked on the map), disable, reset password.
//   审计 Audit     who read or changed what, filterable, newest first, paged.
// The page shell is public; every request it makes for data needs an admin session.
import { h, $, append, fmtNum, fmtTime, toast } from '/js/dom.js';
import { t, onLangChange, errText } from '/js/i18n.js';
import { api, csrfToken, getUser, isLoggedIn, onAuthChange, ApiError } from '/js/api.js';
import { createMap, showLayer, enablePopups, dropPrivateLayers, fitBbox, outlineArea, highlightArea } from '/js/mapbase.js';
import { openLogin, closeLogin } from '/js/shell.js';
import { connectEvents, importedLayer } from '/js/live.js';

const TABS = ['import', 'topology', 'accounts', 'audit'];
const LAYERS = ['hazards', 'shelters', 'places', 'grids', 'people', 'incidents'];
const CRS = ['wgs84', 'cgcs2000', 'gcj02', 'bd09'];
const ROLES = ['admin', 'command', 'street', 'community', 'grid', 'flood', 'public'];
const AREA_ROLES = new Set(['street', 'community', 'grid']);
const PICK_LEVELS = ['grid', 'community', 'street'];
const EXPORTS = ['zip', 'csv', 'geojson'];
// Our fields per layer (src/import/fields.rs), then the location columns every layer may use.
const FIELDS = {
  grids: ['code', 'name', 'level', 'parent', 'head', 'head_phone', 'households', 'residents'],
  hazards: ['id', 'name', 'kind', 'risk', 'threatened_households', 'threatened_persons', 'monitor', 'monitor_phone',
    'leader', 'leader_phone', 'shelter', 'status', 'grid'],
  shelters: ['id', 'name', 'capacity', 'address', 'grid'],
  places: ['id', 'name', 'kind', 'visit_every_hours', 'radius_m', 'grid'],
  people: ['id', 'category', 'name', 'id_number', 'phone', 'address', 'risk_level', 'next_visit', 'grid'],
  incidents: ['id', 'category_code', 'category', 'source', 'description', 'status', 'reported_at', 'deadline', 'grid'],
};
const LOCATION = ['lon', 'lat', 'wkt'];
const NO_DEFAULT = new Set(['id', 'code']);
// The topology problems, each with its colour on the map and in the legend.
export const TOPO_COLORS = {
  gap: '#e6550d', overlap: '#d7191c', outside: '#7b3294', bad_code: '#2c7bb6',
  missing_parent: '#008b8b', duplicate_code: '#c51b7d',
};
const AUDIT_PAGE = 50;
const AUDIT_ACTIONS = ['people.', 'import.', 'account.', 'export'];

let map, es;
let tab = 'import';
const imp = {
  layer: 'hazards', crs: 'wgs84', files: [], defaults: [], // defaults: [{field, value}]
  overrides: {}, // source column → our field ('' = not imported): what the admin changed
  columns: [], // every source column seen for these files, in order
  answer: null, cleanSig: null, busy: false, error: '',
};
const topo = { on: false, items: null, error: '' };
const acc = { items: null, error: '', editing: null, resetting: null };
const audit = { user: '', action: '', record: '', offset: 0, items: null, error: '' };
const pick = { target: null, level: 'grid' }; // target: the areas input filled by a map click

const isAdmin = () => { const u = getUser(); return !!u && u.role === 'admin'; };
const fieldLabel = (f) => t('admin.field.' + f);
const fieldOption = (f) => `${fieldLabel(f)} (${f})`;

export async function start() {
  const panel = $('#panel');
  panel.classList.add('admin-panel'); // before the map measures its container
  map = await createMap({ theme: 'light', layers: ['grids', 'hazards', 'shelters', 'places'] });
  enablePopups(map);
  map.on('click', onMapClick);
  const render = () => renderPanel(panel);
  onLangChange(render);
  const onLogin = () => {
    if (es) { es.close(); es = null; }
    topo.items = null; acc.items = null; audit.items = null;
    if (!isAdmin()) {
      dropPrivateLayers(map);
      setTopology(false);
      render();
      if (!isLoggedIn()) openLogin({ required: true });
      return;
    }
    closeLogin();
    es = connectEvents(onEvent);
    render();
  };
  onAuthChange(onLogin);
  onLogin();
}

/* ---------------- panel ---------------- */

function renderPanel(panel) {
  if (!isAdmin()) {
    panel.replaceChildren(h('section.admin-denied#admin-denied',
      h('h2', t('admin.title')),
      h('p.note', t(isLoggedIn() ? 'admin.notAdmin' : 'admin.signIn')),
      h('button.primary#admin-login', { type: 'button', on: { click: () => openLogin({ required: true }) } }, t('admin.signInAdmin'))));
    return;
  }
  const tabs = h('div.tabs#admin-tabs', { role: 'tablist' }, TABS.map((name) => h('button.tab', {
    type: 'button', role: 'tab', id: 'admin-tab-' + name, 'aria-selected': String(tab === name), dataset: { tab: name },
    on: { click: () => { tab = name; renderPanel(panel); } },
  }, t('admin.tab.' + name))));
  const body = h('section.admin-body#admin-body', { role: 'tabpanel', dataset: { tab } });
  panel.replaceChildren(tabs, body);
  document.body.dataset.adminTab = tab;
  if (tab !== 'accounts') stopPicking();
  ({ import: renderImport, topology: renderTopology, accounts: renderAccounts, audit: renderAudit })[tab](body);
}

const rerender = () => { if ($('#admin-body')) renderPanel($('#panel')); };

/* ---------------- import ---------------- */

/** What the dry run checked: the import button needs a clean dry run of exactly these inputs. */
function signature() {
  return JSON.stringify([imp.layer, imp.crs, imp.files.map((f) => [f.name, f.size, f.lastModified]),
    Object.entries(imp.overrides).sort(), cleanDefaults()]);
}

function cleanDefaults() {
  const out = {};
  for (const d of imp.defaults) if (d.field && d.value.trim() !== '') out[d.field] = d.value.trim();
  return out;
}

function resetImportResult() {
  imp.answer = null; imp.cleanSig = null; imp.error = '';
}

function renderImport(body) {
  const layerSel = h('select#import-layer', { on: { change: (e) => {
    imp.layer = e.target.value; imp.overrides = {}; imp.columns = []; imp.defaults = [];
    resetImportResult(); rerender();
  } } }, LAYERS.map((l) => h('option', { value: l, selected: l === imp.layer }, t('admin.layer.' + l))));
  const crsSel = h('select#import-crs', { on: { change: (e) => { imp.crs = e.target.value; updateButtons(); } } },
    CRS.map((c) => h('option', { value: c, selected: c === imp.crs }, t('admin.crs.' + c))));
  const fileInput = h('input#import-files', { type: 'file', multiple: true,
    accept: '.zip,.shp,.dbf,.shx,.cpg,.prj,.csv,.geojson,.json',
    on: { change: (e) => {
      // A corrected file of the same layer keeps the mapping chosen for the first one.
      imp.files = Array.from(e.target.files || []);
      resetImportResult(); rerender();
    } } });
  const fileList = imp.files.length
    ? h('ul.file-list#import-file-list', imp.files.map((f) => h('li', h('span', { dataset: { value: 'file' } }, f.name), h('span.meta', fmtSize(f.size)))))
    : h('p.hint', t('admin.import.filesHint'));

  const fields = [...FIELDS[imp.layer], ...LOCATION].filter((f) => !NO_DEFAULT.has(f));
  const defaultRows = imp.defaults.map((d, i) => h('div.default-row', { dataset: { i: String(i) } },
    h('select', { 'aria-label': t('admin.import.defaultField'), on: { change: (e) => { d.field = e.target.value; updateButtons(); } } },
      h('option', { value: '' }, '—'), fields.map((f) => h('option', { value: f, selected: f === d.field }, fieldOption(f)))),
    h('span', '='),
    h('input', { value: d.value, 'aria-label': t('admin.import.defaultValue'), placeholder: t('admin.import.defaultValue'),
      on: { input: (e) => { d.value = e.target.value; updateButtons(); } } }),
    h('button.linkish', { type: 'button', title: t('admin.remove'), 'aria-label': t('admin.remove'),
      on: { click: () => { imp.defaults.splice(i, 1); rerender(); } } }, '×')));

  const dry = h('button#import-dry-run', { type: 'button', on: { click: () => runImport(true) } }, t('admin.import.dryRun'));
  const go = h('button.primary#import-commit', { type: 'button', on: { click: () => runImport(false) } }, t('admin.import.commit'));

  body.append(
    h('section.import-form',
      h('h2', t('admin.import.title')),
      h('div.form-grid',
        h('label', h('span', t('admin.import.layer')), layerSel),
        h('label', h('span', t('admin.import.crs')), crsSel)),
      h('div.field', h('span.label', t('admin.import.files')),
        h('label.file-btn', { for: 'import-files' }, fileInput, h('span', t('admin.import.choose')))),
      fileList,
      h('div.defaults',
        h('div.sub-title', t('admin.import.defaults'), h('span.hint', ' ', t('admin.import.defaultsHint'))),
        defaultRows,
        h('button#import-add-default', { type: 'button', on: { click: () => { imp.defaults.push({ field: '', value: '' }); rerender(); } } },
          '+ ', t('admin.import.addDefault'))),
      h('div.buttons.import-buttons', dry, go, h('span.spinner#import-spinner', { hidden: !imp.busy, role: 'status', 'aria-label': t('admin.busy') }),
        h('span.hint#import-gate')),
      h('div.form-error#import-error', { role: 'alert' }, imp.error)),
    h('section#import-report'),
    h('section#import-mapping'),
    h('section.exports#exports', h('h3', t('admin.export.title')),
      h('table.data.export-table', h('tbody', LAYERS.map((l) => h('tr',
        h('th', t('admin.layer.' + l)),
        h('td', EXPORTS.map((f) => h('a.button', { href: `/api/export/${l}.${f}`, download: true, // the server names the file
          id: `export-${l}-${f}` }, t('admin.export.' + f)))))))),
      h('p.hint', t('admin.export.hint'))),
  );
  renderReport();
  renderMapping();
  updateButtons();
}

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function updateButtons() {
  const dry = $('#import-dry-run');
  const go = $('#import-commit');
  if (!dry || !go) return;
  const sig = signature();
  const clean = imp.cleanSig != null && imp.cleanSig === sig;
  dry.disabled = imp.busy || imp.files.length === 0;
  go.disabled = imp.busy || !clean;
  const gate = $('#import-gate');
  gate.textContent = imp.busy ? t('admin.busy')
    : imp.files.length === 0 ? t('admin.import.needFiles')
      : clean ? t('admin.import.ready')
        : imp.answer && !imp.answer.dry_run && imp.answer.ok ? t('admin.import.again')
        : imp.answer ? t('admin.import.needCleanRun') : t('admin.import.needDryRun');
  document.body.dataset.importReady = clean ? '1' : '0';
}

/** The columns of the files as the answer lists them (file order, mapped or not), then any the admin mapped by hand. */
function learnColumns(answer) {
  const seen = new Set(imp.columns);
  const add = (c) => { if (!seen.has(c)) { seen.add(c); imp.columns.push(c); } };
  for (const c of answer.columns || []) add(String(c));
  for (const c of Object.keys(imp.overrides)) add(c);
}

async function runImport(dryRun) {
  if (imp.busy || !imp.files.length) return;
  const sig = signature();
  const form = new FormData();
  for (const f of imp.files) form.append('file', f, f.name);
  form.append('crs', imp.crs);
  form.append('mapping', JSON.stringify(imp.overrides));
  form.append('defaults', JSON.stringify(cleanDefaults()));
  form.append('dry_run', dryRun ? 'true' : 'false');
  imp.busy = true; imp.error = '';
  document.body.dataset.importBusy = '1';
  $('#import-spinner').hidden = false;
  $('#import-error').textContent = '';
  updateButtons();
  const layer = imp.layer;
  // The live event of the import may arrive before its answer: wait for it from now on.
  if (!dryRun) pendingFit = { layer, until: Date.now() + 120000, box: null };
  let answer = null;
  try {
    const headers = { Accept: 'application/json' };
    const token = csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
    let res;
    try {
      res = await fetch(`/api/import/${encodeURIComponent(layer)}`, { method: 'POST', body: form, headers, credentials: 'same-origin' });
    } catch (e) {
      throw new ApiError(0, { error: 'network', detail: String(e.message || e) }, '/api/import');
    }
    const data = await res.json().catch(() => null);
    // 422: rows were rejected and nothing was written; the body is the same report.
    if (!(res.ok || (res.status === 422 && data && Array.isArray(data.rejected)))) throw new ApiError(res.status, data, '/api/import');
    answer = data;
  } catch (e) {
    imp.error = `${t(dryRun ? 'admin.import.dryRunFailed' : 'admin.import.failed')}: ${errText(e)}${e.data && e.data.detail ? ` — ${e.data.detail}` : ''}`;
    toast(imp.error, 'error');
  } finally {
    imp.busy = false;
    delete document.body.dataset.importBusy;
  }
  if (answer) {
    imp.answer = answer;
    learnColumns(answer);
    const clean = answer.ok && !(answer.rejected || []).length;
    if (dryRun) {
      imp.cleanSig = clean ? sig : null;
      document.body.dataset.dryRun = clean ? 'clean' : 'rejected';
      toast(clean ? t('admin.import.dryRunClean', { new: answer.new, updated: answer.updated })
        : t('admin.import.dryRunRejected', { n: answer.rejected.length }), clean ? 'info' : 'error');
    } else if (clean) {
      imp.cleanSig = null; // a second import needs a new dry run
      refreshLayer(layer);
      document.body.dataset.imported = `${layer}:${answer.new + answer.updated}`;
      toast(t('admin.import.done', { new: answer.new, updated: answer.updated }));
    } else {
      imp.cleanSig = null;
      pendingFit = null;
      toast(t('admin.import.rejected', { n: answer.rejected.length }), 'error');
    }
  } else if (!dryRun) {
    pendingFit = null;
  }
  if (tab === 'import') rerender();
}

function renderReport() {
  const box = $('#import-report');
  const a = imp.answer;
  if (!box || !a) return;
  const rejected = a.rejected || [];
  const warnings = a.warnings || [];
  const status = !rejected.length
    ? (a.dry_run ? t('admin.import.statusClean') : t('admin.import.statusDone'))
    : t('admin.import.statusRejected', { n: rejected.length });
  const line = (n) => (Number(n) > 0 ? t('admin.line', { n }) : t('admin.wholeFile'));
  append(box, [
    h('h3', t(a.dry_run ? 'admin.import.reportDry' : 'admin.import.reportDone')),
    h('div.report-status', { class: 'report-status ' + (rejected.length ? 'bad' : 'good'), id: 'import-status' }, status),
    h('div.cards',
      h('div.card#import-new', h('div.card-value', fmtNum(a.new)), h('div.card-label', t(a.dry_run ? 'admin.import.wouldNew' : 'admin.import.new'))),
      h('div.card#import-updated', h('div.card-value', fmtNum(a.updated)), h('div.card-label', t(a.dry_run ? 'admin.import.wouldUpdated' : 'admin.import.updated'))),
      h('div.card#import-rejected-count', h('div.card-value', fmtNum(rejected.length)), h('div.card-label', t('admin.import.rejectedCount')))),
    rejected.length ? h('div',
      h('h3', t('admin.import.rejectedTitle')),
      h('div.table-wrap.scroll-y', h('table.data#import-rejected',
        h('thead', h('tr', h('th', t('admin.col.line')), h('th', t('admin.col.field')), h('th', t('admin.col.reason')))),
        h('tbody', rejected.map((r) => h('tr', { dataset: { line: String(r.line), field: r.field } },
          h('td', line(r.line)), h('td', FIELDS_ALL.has(r.field) ? fieldLabel(r.field) : r.field),
          h('td.reason', { dataset: { value: 'reason' } }, r.reason))))))) : null,
    warnings.length ? h('div',
      h('h3', t('admin.import.warningsTitle', { n: warnings.length })),
      h('div.table-wrap.scroll-y', h('table.data#import-warnings',
        h('tbody', warnings.map((w) => h('tr', h('td', line(w.line)), h('td.reason', { dataset: { value: 'warning' } }, w.text))))))) : null,
  ]);
}

const FIELDS_ALL = new Set([...Object.values(FIELDS).flat(), ...LOCATION, 'geometry']);

function renderMapping() {
  const box = $('#import-mapping');
  const a = imp.answer;
  if (!box || !a || !imp.columns.length) return;
  const current = new Map();
  for (const [src, field] of a.mapping || []) current.set(String(src), String(field));
  const fields = [...FIELDS[imp.layer], ...LOCATION];
  const defaults = (a.mapping || []).filter(([src]) => String(src).startsWith('= '));
  append(box, [
    h('h3', t('admin.import.mappingTitle')),
    h('p.hint', t('admin.import.mappingHint')),
    Object.keys(imp.overrides).length ? h('button.small#import-mapping-reset', { type: 'button',
      on: { click: () => { imp.overrides = {}; imp.columns = []; resetImportResult(); rerender(); } } }, t('admin.import.mappingReset')) : null,
    h('table.data.mapping#import-mapping-table',
      h('thead', h('tr', h('th', t('admin.col.source')), h('th', t('admin.col.target')))),
      h('tbody', imp.columns.map((col) => {
        const value = col in imp.overrides ? imp.overrides[col] : (current.get(col) || '');
        const changed = col in imp.overrides;
        return h('tr', { dataset: { column: col }, class: changed ? 'changed' : (value ? '' : 'unmapped') },
          h('td', h('span', { dataset: { value: 'column' } }, col)),
          h('td', h('select', { 'aria-label': `${t('admin.col.target')}: ${col}`, dataset: { column: col },
            on: { change: (e) => {
              imp.overrides[col] = e.target.value;
              e.target.closest('tr').className = 'changed';
              updateButtons();
            } } },
          h('option', { value: '', selected: !value }, t('admin.import.skipColumn')),
          fields.map((f) => h('option', { value: f, selected: f === value }, fieldOption(f))))));
      }),
      defaults.map(([src, field]) => h('tr.default', h('td', h('span', { dataset: { value: 'default' } }, src)), h('td', fieldOption(field)))))),
  ]);
}

/** An import under way: its live events (one per batch) bring the boxes to fit the map to. */
let pendingFit = null;
let fitTimer = 0;

function refreshLayer(layer) {
  if (!map) return;
  if (!map.getSource(layer)) showLayer(map, layer, true);
  else if (map.refreshTiles) map.refreshTiles(layer);
}

function onEvent(ev) {
  const layer = importedLayer(ev);
  if (!layer) return;
  refreshLayer(layer);
  if (layer === 'grids' && topo.on) { if (map.refreshTiles) map.refreshTiles('topology'); }
  if (layer === 'grids') { topo.items = null; if (tab === 'topology') rerender(); }
  const b = ev.bbox;
  const p = pendingFit;
  if (!p || p.layer !== layer || Date.now() > p.until || !(Array.isArray(b) && b.length === 4 && b.every(Number.isFinite))) return;
  // Batches of one import come close together: fit once to all of them.
  p.box = p.box ? [Math.min(p.box[0], b[0]), Math.min(p.box[1], b[1]), Math.max(p.box[2], b[2]), Math.max(p.box[3], b[3])] : [...b];
  p.count = (p.count || 0) + (Number(ev.count) || 0);
  clearTimeout(fitTimer);
  fitTimer = setTimeout(() => {
    const x = p.box;
    const pad = x[2] - x[0] < 0.002 && x[3] - x[1] < 0.002 ? 0.003 : 0; // one point: show its streets
    fitBbox(map, [x[0] - pad, x[1] - pad, x[2] + pad, x[3] + pad], { duration: 500, maxZoom: 16 });
    map.once('idle', () => { document.body.dataset.importShown = `${layer}:${p.count}`; });
  }, 400);
}

/* ---------------- topology ---------------- */

function setTopology(on) {
  topo.on = on;
  if (!map) return;
  if (on && !map.getSource('topology')) {
    map.addSource('topology', { type: 'vector', tiles: [`${location.origin}/tiles/topology/{z}/{x}/{y}.mvt`], minzoom: 0, maxzoom: 16 });
    const color = ['match', ['get', 'kind'], ...Object.entries(TOPO_COLORS).flat(), '#555555'];
    // Shapes as fill and outline; problems too small to draw (and code problems) as points.
    const isPoint = ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false];
    map.addLayer({ id: 'topology-fill', type: 'fill', source: 'topology', 'source-layer': 'topology',
      filter: ['!', isPoint], paint: { 'fill-color': color, 'fill-opacity': 0.4 } }, 'z-label');
    map.addLayer({ id: 'topology-line', type: 'line', source: 'topology', 'source-layer': 'topology',
      filter: ['!', isPoint], paint: { 'line-color': color, 'line-width': 2 } }, 'z-label');
    map.addLayer({ id: 'topology-point', type: 'circle', source: 'topology', 'source-layer': 'topology',
      filter: isPoint,
      paint: { 'circle-radius': 7, 'circle-color': color, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } }, 'z-label');
  }
  for (const id of ['topology-fill', 'topology-line', 'topology-point']) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }
  if (!on && map.getSource('topology') && !isAdmin()) {
    for (const id of ['topology-fill', 'topology-line', 'topology-point']) if (map.getLayer(id)) map.removeLayer(id);
    map.removeSource('topology');
  }
}

async function loadTopology() {
  topo.error = '';
  try {
    const fc = await api('/tiles/topology/0/0/0.geojson');
    topo.items = (fc && fc.features) || [];
  } catch (e) {
    topo.items = [];
    topo.error = errText(e);
  }
  document.body.dataset.topology = String(topo.items.length);
  if (tab === 'topology') rerender();
}

function renderTopology(body) {
  const toggle = h('input#topology-toggle', { type: 'checkbox', checked: topo.on,
    on: { change: (e) => { setTopology(e.target.checked); } } });
  const legend = h('div.legend.topology-legend', Object.entries(TOPO_COLORS).map(([k, c]) => {
    const sw = h('span.swatch.box'); sw.style.background = c;
    return h('div.legend-row', sw, h('span', t('admin.topo.kind.' + k)));
  }));
  body.append(
    h('h2', t('admin.topo.title')),
    h('label.toggle', toggle, h('span', t('admin.topo.show'))),
    legend,
    h('div.buttons', h('button#topology-reload', { type: 'button', on: { click: () => { topo.items = null; rerender(); if (map.getSource('topology') && map.refreshTiles) map.refreshTiles('topology'); } } }, t('admin.reload'))),
  );
  if (topo.items == null) {
    body.append(h('p.hint', t('admin.loading')));
    loadTopology();
    return;
  }
  if (topo.error) body.append(h('div.form-error', topo.error));
  if (!topo.items.length) { body.append(h('p.empty-state#topology-empty', t('admin.topo.none'))); return; }
  body.append(
    h('h3', t('admin.topo.count', { n: topo.items.length })),
    h('div.table-wrap', h('table.data#topology-list',
      h('thead', h('tr', h('th', t('admin.topo.kind')), h('th', t('admin.topo.area')), h('th', t('admin.topo.codes')), h('th', t('admin.topo.detail')))),
      h('tbody', topo.items.map((f, i) => {
        const p = f.properties || {};
        const sw = h('span.swatch.box'); sw.style.background = TOPO_COLORS[p.kind] || '#555555';
        return h('tr', { dataset: { i: String(i), kind: p.kind }, tabindex: '0',
          on: { click: () => flyToProblem(f), keydown: (e) => { if (e.key === 'Enter') flyToProblem(f); } } },
        h('td', h('span.kind-cell', sw, t('admin.topo.kind.' + p.kind) || p.kind)),
        h('td.num', Number(p.area_m2) > 0 ? fmtNum(Math.round(Number(p.area_m2))) : '–'),
        h('td.codes', { dataset: { value: 'codes' } }, String(p.codes || '').split(',').join(', ')),
        h('td.reason', { dataset: { value: 'detail' } }, p.detail || ''));
      })))),
  );
}

function bboxOf(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); return; }
    for (const x of c) walk(x);
  };
  if (geometry && geometry.coordinates) walk(geometry.coordinates);
  return b.every(Number.isFinite) ? b : null;
}

/**
 * Goes to a problem: to the areas it names (their real outlines: the list comes from the world tile,
 * whose coordinates are far too coarse to aim with), else to its rough place.
 */
async function flyToProblem(f) {
  if (!topo.on) { setTopology(true); const cb = $('#topology-toggle'); if (cb) cb.checked = true; }
  const p = f.properties || {};
  const codes = String(p.codes || '').split(',').map((c) => c.trim()).filter(Boolean).slice(0, 4);
  let box = null;
  const areas = await Promise.all(codes.map((c) => api(`/api/areas/${encodeURIComponent(c)}`).catch(() => null)));
  for (const a of areas) {
    const b = a && bboxOf(a.geometry);
    if (b) box = box ? [Math.min(box[0], b[0]), Math.min(box[1], b[1]), Math.max(box[2], b[2]), Math.max(box[3], b[3])] : b;
  }
  const first = areas.find((a) => a && a.geometry);
  highlightArea(map, first ? first.geometry : null);
  if (box) fitBbox(map, box, { duration: 600, maxZoom: 17 });
  else {
    const b = bboxOf(f.geometry);
    if (b) map.flyTo({ center: [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], zoom: 12 });
  }
  document.body.dataset.topologyFocus = p.kind || '';
}

/* ---------------- accounts ---------------- */

async function loadAccounts() {
  acc.error = '';
  try {
    const r = await api('/api/admin/users');
    acc.items = (r && r.items) || [];
  } catch (e) {
    acc.items = [];
    acc.error = errText(e);
  }
  if (tab === 'accounts') rerender();
}

const splitAreas = (s) => [...new Set(String(s || '').split(/[\s,，;；、]+/).map((x) => x.trim()).filter(Boolean))];

function roleSelect(id, value) {
  return h('select', { id, on: { change: () => {} } }, ROLES.map((r) => h('option', { value: r, selected: r === value }, t('admin.role.' + r))));
}

/** An areas input with a "pick on the map" switch and the level to add. */
function areasField(id, value) {
  const input = h('input.areas-input', { id, value: value || '', placeholder: t('admin.acc.areasPlaceholder'), autocomplete: 'off' });
  const level = h('select.pick-level', { id: id + '-level', 'aria-label': t('admin.acc.pickLevel'),
    on: { change: (e) => { pick.level = e.target.value; } } },
  PICK_LEVELS.map((l) => h('option', { value: l, selected: l === pick.level }, t('level.' + l))));
  const active = pick.target === id;
  const btn = h('button.pick-btn', { type: 'button', id: id + '-pick', 'aria-pressed': String(active),
    on: { click: () => { if (pick.target === id) stopPicking(); else startPicking(id); } } },
  t(active ? 'admin.acc.pickStop' : 'admin.acc.pick'));
  return h('div.areas-field', input, h('div.pick-row', btn, h('span', t('admin.acc.pickLevel')), level),
    active ? h('p.hint.pick-hint', t('admin.acc.pickHint')) : null);
}

function startPicking(id) {
  pick.target = id;
  map._minqingDrawing = true; // no popups while picking
  map.getCanvas().style.cursor = 'crosshair';
  document.body.dataset.picking = id;
  for (const b of document.querySelectorAll('.pick-btn')) {
    const on = b.id === id + '-pick';
    b.setAttribute('aria-pressed', String(on));
    b.textContent = t(on ? 'admin.acc.pickStop' : 'admin.acc.pick');
  }
  toast(t('admin.acc.pickHint'));
}

function stopPicking() {
  if (!pick.target) return;
  pick.target = null;
  if (map) { map._minqingDrawing = false; map.getCanvas().style.cursor = ''; }
  delete document.body.dataset.picking;
  for (const b of document.querySelectorAll('.pick-btn')) { b.setAttribute('aria-pressed', 'false'); b.textContent = t('admin.acc.pick'); }
}

async function onMapClick(e) {
  if (!pick.target) return;
  const input = document.getElementById(pick.target);
  if (!input) { stopPicking(); return; }
  try {
    const g = await api(`/api/grids/at?lon=${e.lngLat.lng.toFixed(6)}&lat=${e.lngLat.lat.toFixed(6)}`);
    const chosen = pick.level === 'grid' ? { code: g.code, name: g.name }
      : (g.ancestors || []).find((a) => a.level === pick.level);
    if (!chosen) { toast(t('admin.acc.pickNone'), 'error'); return; }
    const codes = splitAreas(input.value);
    if (!codes.includes(String(chosen.code))) codes.push(String(chosen.code));
    input.value = codes.join(', ');
    input.dispatchEvent(new Event('input'));
    outlineArea(map, String(chosen.code));
    document.body.dataset.picked = String(chosen.code);
    toast(t('admin.acc.picked', { name: chosen.name || chosen.code, code: chosen.code }));
  } catch (err) {
    toast(err.status === 404 ? t('admin.acc.pickOutside') : errText(err), 'error');
  }
}

async function changeAccount(name, change, okKey) {
  try {
    await api(`/api/admin/users/${encodeURIComponent(name)}`, { method: 'POST', body: change });
    toast(t(okKey, { name }));
    acc.editing = null; acc.resetting = null;
    stopPicking();
    await loadAccounts();
    return true;
  } catch (e) {
    const msg = `${t('admin.acc.failed')}: ${errText(e)}`;
    toast(msg, 'error');
    const el = $('#account-error');
    if (el) el.textContent = msg;
    return false;
  }
}

function renderAccounts(body) {
  body.append(h('h2', t('admin.acc.title')));
  if (acc.items == null) { body.append(h('p.hint', t('admin.loading'))); loadAccounts(); return; }
  body.append(h('div.form-error#account-error', { role: 'alert' }, acc.error));
  const rows = [];
  for (const u of acc.items) {
    const me = getUser() && getUser().username === u.username;
    rows.push(h('tr', { dataset: { user: u.username }, class: u.disabled ? 'disabled' : null },
      h('td', h('b', { dataset: { value: 'username' } }, u.username)),
      h('td', t('admin.role.' + u.role)),
      h('td.codes', { dataset: { value: 'areas' } }, (u.areas || []).join(', ') || '–'),
      h('td', u.disabled ? h('span.tag.off', t('admin.acc.disabled')) : h('span.tag.on', t('admin.acc.enabled'))),
      h('td.actions',
        h('button.small', { type: 'button', dataset: { act: 'edit' }, on: { click: () => { acc.editing = u.username; acc.resetting = null; stopPicking(); rerender(); } } }, t('admin.acc.edit')),
        h('button.small', { type: 'button', dataset: { act: u.disabled ? 'enable' : 'disable' }, disabled: me && !u.disabled,
          title: me ? t('admin.acc.notSelf') : null,
          on: { click: () => changeAccount(u.username, { disabled: !u.disabled }, u.disabled ? 'admin.acc.enabledOk' : 'admin.acc.disabledOk') } },
        t(u.disabled ? 'admin.acc.enable' : 'admin.acc.disable')),
        h('button.small', { type: 'button', dataset: { act: 'reset' }, on: { click: () => { acc.resetting = u.username; acc.editing = null; stopPicking(); rerender(); } } }, t('admin.acc.reset')))));
    if (acc.editing === u.username) rows.push(h('tr.editor', h('td', { colspan: '5' }, editForm(u))));
    if (acc.resetting === u.username) rows.push(h('tr.editor', h('td', { colspan: '5' }, resetForm(u))));
  }
  body.append(
    h('div.table-wrap', h('table.data.accounts#accounts-table',
      h('thead', h('tr', h('th', t('admin.acc.username')), h('th', t('admin.acc.role')), h('th', t('admin.acc.areas')),
        h('th', t('admin.acc.state')), h('th', ''))),
      h('tbody', rows))),
    createForm(),
  );
}

function editForm(u) {
  const role = roleSelect('edit-role', u.role);
  const areas = areasField('edit-areas', (u.areas || []).join(', '));
  const form = h('form.account-form#account-edit', { on: { submit: async (e) => {
    e.preventDefault();
    await changeAccount(u.username, { role: role.value, areas: splitAreas($('#edit-areas').value) }, 'admin.acc.savedOk');
  } } },
  h('div.form-title', t('admin.acc.editTitle', { name: u.username })),
  h('label', h('span', t('admin.acc.role')), role),
  h('label', h('span', t('admin.acc.areas')), areas),
  h('p.hint', t('admin.acc.areasHint')),
  h('div.buttons',
    h('button', { type: 'button', on: { click: () => { acc.editing = null; stopPicking(); rerender(); } } }, t('admin.cancel')),
    h('button.primary#edit-save', { type: 'submit' }, t('admin.save'))));
  return form;
}

function resetForm(u) {
  const pw = h('input#reset-password', { type: 'password', autocomplete: 'new-password', minlength: '8', required: true });
  return h('form.account-form#account-reset', { on: { submit: async (e) => {
    e.preventDefault();
    await changeAccount(u.username, { password: pw.value }, 'admin.acc.resetOk');
  } } },
  h('div.form-title', t('admin.acc.resetTitle', { name: u.username })),
  h('label', h('span', t('admin.acc.newPassword')), pw),
  h('p.hint', t('admin.acc.resetHint')),
  h('div.buttons',
    h('button', { type: 'button', on: { click: () => { acc.resetting = null; rerender(); } } }, t('admin.cancel')),
    h('button.primary#reset-save', { type: 'submit' }, t('admin.acc.reset'))));
}

function createForm() {
  const user = h('input#new-username', { required: true, autocomplete: 'off', maxlength: '64' });
  const role = roleSelect('new-role', 'grid');
  const pw = h('input#new-password', { type: 'password', autocomplete: 'new-password', minlength: '8', required: true });
  const err = h('div.form-error#create-error', { role: 'alert' });
  const form = h('form.account-form.create#account-create', { on: { submit: async (e) => {
    e.preventDefault();
    err.textContent = '';
    const body = { username: user.value.trim(), role: role.value, areas: splitAreas($('#new-areas').value), password: pw.value };
    if (AREA_ROLES.has(body.role) && !body.areas.length) { err.textContent = t('err.area_required'); toast(t('err.area_required'), 'error'); return; }
    try {
      await api('/api/admin/users', { method: 'POST', body });
      toast(t('admin.acc.createdOk', { name: body.username }));
      stopPicking();
      document.body.dataset.created = body.username;
      await loadAccounts();
    } catch (ex) {
      err.textContent = `${t('admin.acc.failed')}: ${ex.status === 409 ? t('admin.acc.exists') : errText(ex)}`;
      toast(err.textContent, 'error');
    }
  } } },
  h('h3', t('admin.acc.createTitle')),
  h('div.form-grid',
    h('label', h('span', t('admin.acc.username')), user),
    h('label', h('span', t('admin.acc.role')), role)),
  h('label', h('span', t('admin.acc.areas')), areasField('new-areas', '')),
  h('p.hint', t('admin.acc.areasHint')),
  h('label', h('span', t('admin.acc.password')), pw),
  err,
  h('div.buttons', h('button.primary#create-submit', { type: 'submit' }, t('admin.acc.create'))));
  return form;
}

/* ---------------- audit ---------------- */

async function loadAudit() {
  audit.error = '';
  const q = new URLSearchParams({ limit: String(AUDIT_PAGE), offset: String(audit.offset) });
  if (audit.user.trim()) q.set('user', audit.user.trim());
  if (audit.action.trim()) q.set('action', audit.action.trim());
  if (audit.record.trim()) q.set('record', audit.record.trim());
  try {
    const r = await api(`/api/audit?${q}`);
    audit.items = (r && r.items) || [];
  } catch (e) {
    audit.items = [];
    audit.error = errText(e);
  }
  if (tab === 'audit') rerender();
}

function renderAudit(body) {
  const input = (id, key, prop, extra = {}) => h('label', h('span', t(key)), h('input', { id, value: audit[prop], ...extra,
    on: { input: (e) => { audit[prop] = e.target.value; } } }));
  const form = h('form.audit-filter#audit-filter', { on: { submit: (e) => { e.preventDefault(); audit.offset = 0; audit.items = null; rerender(); } } },
    h('div.form-grid.three',
      input('audit-user', 'admin.audit.user', 'user'),
      input('audit-action', 'admin.audit.action', 'action', { list: 'audit-actions', placeholder: 'import.' }),
      input('audit-record', 'admin.audit.record', 'record')),
    h('datalist#audit-actions', AUDIT_ACTIONS.map((a) => h('option', { value: a }))),
    h('div.buttons',
      h('button', { type: 'button', on: { click: () => { Object.assign(audit, { user: '', action: '', record: '', offset: 0, items: null }); rerender(); } } }, t('admin.audit.clear')),
      h('button.primary#audit-search', { type: 'submit' }, t('admin.audit.search'))));
  body.append(h('h2', t('admin.audit.title')), form);
  if (audit.items == null) { body.append(h('p.hint', t('admin.loading'))); loadAudit(); return; }
  if (audit.error) body.append(h('div.form-error', audit.error));
  const page = Math.floor(audit.offset / AUDIT_PAGE) + 1;
  const pager = h('div.pager',
    h('button#audit-prev', { type: 'button', disabled: audit.offset === 0,
      on: { click: () => { audit.offset = Math.max(0, audit.offset - AUDIT_PAGE); audit.items = null; rerender(); } } }, t('admin.audit.prev')),
    h('span#audit-page', t('admin.audit.page', { n: page })),
    h('button#audit-next', { type: 'button', disabled: audit.items.length < AUDIT_PAGE,
      on: { click: () => { audit.offset += AUDIT_PAGE; audit.items = null; rerender(); } } }, t('admin.audit.next')));
  if (!audit.items.length) { body.append(h('p.empty-state#audit-empty', t('admin.audit.none')), pager); return; }
  body.append(
    h('div.table-wrap', h('table.data.audit#audit-list',
      h('thead', h('tr', h('th', t('admin.audit.at')), h('th', t('admin.audit.user')), h('th', t('admin.audit.action')),
        h('th', t('admin.audit.records')), h('th', t('admin.audit.purpose')))),
      h('tbody', audit.items.map((a) => {
        const recs = a.records || [];
        const shown = recs.slice(0, 3).join(', ') + (recs.length > 3 ? ` … (+${recs.length - 3})` : '');
        return h('tr', { dataset: { id: String(a.id), action: a.action } },
          h('td', fmtTime(a.at)),
          h('td', h('span', { dataset: { value: 'user' } }, a.username)),
          h('td', h('span', { dataset: { value: 'action' } }, a.action)),
          h('td.codes', { title: recs.join(', '), dataset: { value: 'records' } }, shown),
          h('td.reason', { dataset: { value: 'purpose' } }, a.purpose || ''));
      })))),
    pager,
  );
}
