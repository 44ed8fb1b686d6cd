// The map: style (background + our own vector tiles only, no glyphs: labels use local fonts),
// layer definitions per data layer, legends and popups.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { h, fmtNum, fmtTime } from '/js/dom.js';
import { t, tv, onLangChange } from '/js/i18n.js';
import { api, mayShow, OPEN_LAYERS } from '/js/api.js';
import { baseInfo, addBasemap } from '/js/basemap.js';
import { addIcons, hazardIcon, HAZARD_SHAPES, CATEGORY_SHAPES, iconCanvas } from '/js/icons.js';

export { maplibregl };

export const DISTRICT = '441802';
// 清城区 roughly; replaced by the grids TileJSON bounds when they look like a district.
export const DEFAULT_BOUNDS = [[112.88, 23.55], [113.38, 23.98]];

export { RISK_COLORS, SHELTER_COLOR, PLACE_COLOR } from '/js/icons.js';
import { RISK_COLORS, SHELTER_COLOR, PLACE_COLOR, OVERDUE_COLOR, OTHER_SHAPE } from '/js/icons.js';
export const RISK_ORDER = ['红', '橙', '黄', '蓝'];
// One rule for incidents: open cases warm (orange → purple as work advances), finished
// cases cool blues and greys (never green: green is for shelters); overdue has its own mark.
export const STATUS_COLORS = {
  reported: '#e6550d', accepted: '#fd8d3c', dispatched: '#fdae6b', in_progress: '#756bb1',
  resolved: '#6baed6', verified: '#4292c6', revisited: '#2171b5', closed: '#969696', rejected: '#bdbdbd',
};
export const OPEN_STATUSES = ['reported', 'accepted', 'dispatched', 'in_progress'];
export const COVERAGE_RAMP = [[0, '#d7191c'], [0.5, '#fecc5c'], [1, '#1a9641']];
export const PEOPLE_RAMP = [[0, '#fee5d9'], [5, '#fcae91'], [20, '#fb6a4a'], [50, '#cb181d']];
export const HEAT_RAMP = [[0, 'rgba(255,255,178,0)'], [0.3, '#fecc5c'], [0.6, '#fd8d3c'], [0.85, '#f03b20'], [1, '#bd0026']];
// Key places that are the hazard or shelter itself are drawn once, by their own layer.
const PLACE_DUPLICATES = ['隐患点', '安置点', '避难场所'];

/** Layers every anonymous visitor may load; the others answer 401 without a session. */
export const PUBLIC_LAYERS = OPEN_LAYERS;
export const ALL_LAYERS = ['grids', 'people', 'patrol', 'hazards', 'shelters', 'places', 'incidents'];
export const needsLogin = (name) => !mayShow(name);

const THEMES = {
  light: { bg: '#eef1ec', district: '#333333', street: '#4a6a8a', community: '#6f8fae', grid: '#9ab0c6',
    gridFill: '#5b7fa6', label: '#1e2b38', halo: '#ffffff', pointStroke: '#ffffff' },
  dark: { bg: '#0b1622', district: '#7fb2e5', street: '#5a8dc0', community: '#3f6d99', grid: '#2e5277',
    gridFill: '#4a7fb0', label: '#d7e6f5', halo: '#0b1622', pointStroke: '#0b1622' },
};

const numCount = ['case', ['==', ['typeof', ['get', 'count']], 'number'], ['get', 'count'], 1];
const ramp = (input, stops) => ['interpolate', ['linear'], input, ...stops.flat()];
const matchColors = (prop, table, fallback) => ['match', ['get', prop], ...Object.entries(table).flat(), fallback];

/** Style layers per data layer. `group` decides the stacking order. */
function layerDefs(theme) {
  const c = THEMES[theme];
  const label = (id, source, sourceLayer, extra) => ({
    id, type: 'symbol', source, 'source-layer': sourceLayer,
    layout: { 'text-field': ['get', 'name'], 'text-size': 12, 'text-max-width': 8, 'text-padding': 4, ...extra.layout },
    paint: { 'text-color': c.label, 'text-halo-color': c.halo, 'text-halo-width': 1.5, ...(extra.paint || {}) },
    ...(extra.minzoom != null ? { minzoom: extra.minzoom } : {}),
    ...(extra.maxzoom != null ? { maxzoom: extra.maxzoom } : {}),
    ...(extra.filter ? { filter: extra.filter } : {}),
  });
  return {
    grids: [
      { group: 'fill', id: 'grids-fill', type: 'fill', source: 'grids', 'source-layer': 'grids',
        paint: { 'fill-color': c.gridFill, 'fill-opacity': ['match', ['get', 'level'], 'grid', 0.06, 0] } },
      { group: 'line', id: 'grids-line-grid', type: 'line', source: 'grids', 'source-layer': 'grids',
        filter: ['==', ['get', 'level'], 'grid'],
        paint: { 'line-color': c.grid, 'line-width': 0.8, 'line-dasharray': [3, 2] } },
      { group: 'line', id: 'grids-line-community', type: 'line', source: 'grids', 'source-layer': 'grids',
        filter: ['==', ['get', 'level'], 'community'], paint: { 'line-color': c.community, 'line-width': 1.2 } },
      { group: 'line', id: 'grids-line-street', type: 'line', source: 'grids', 'source-layer': 'grids',
        filter: ['==', ['get', 'level'], 'street'], paint: { 'line-color': c.street, 'line-width': 2 } },
      { group: 'line', id: 'grids-line-district', type: 'line', source: 'grids', 'source-layer': 'grids',
        filter: ['==', ['get', 'level'], 'district'], paint: { 'line-color': c.district, 'line-width': 3 } },
      { group: 'label', ...label('grids-label-district', 'grids', 'grids_labels',
        { maxzoom: 10, filter: ['==', ['get', 'level'], 'district'], layout: { 'text-size': 18 } }) },
      { group: 'label', ...label('grids-label-street', 'grids', 'grids_labels',
        { minzoom: 10, maxzoom: 12.5, filter: ['==', ['get', 'level'], 'street'], layout: { 'text-size': 14 } }) },
      { group: 'label', ...label('grids-label-community', 'grids', 'grids_labels',
        { minzoom: 12, maxzoom: 14, filter: ['==', ['get', 'level'], 'community'], layout: { 'text-size': 12 } }) },
      { group: 'label', ...label('grids-label-grid', 'grids', 'grids_labels',
        { minzoom: 14, filter: ['==', ['get', 'level'], 'grid'], layout: { 'text-size': 11 } }) },
    ],
    people: [
      { group: 'fill', id: 'people-fill', type: 'fill', source: 'people', 'source-layer': 'people_areas',
        paint: { 'fill-color': ramp(numCount, PEOPLE_RAMP), 'fill-opacity': 0.45 } },
    ],
    patrol: [
      { group: 'fill', id: 'patrol-fill', type: 'fill', source: 'patrol', 'source-layer': 'patrol',
        paint: { 'fill-color': ramp(['to-number', ['get', 'coverage'], 0], COVERAGE_RAMP), 'fill-opacity': theme === 'dark' ? 0.22 : 0.35 } },
      { group: 'line', id: 'patrol-tracks', type: 'line', source: 'patrol', 'source-layer': 'patrol_tracks',
        paint: { 'line-color': '#3182bd', 'line-width': 1.5, 'line-opacity': 0.8 } },
      { group: 'point', id: 'patrol-missed', type: 'circle', source: 'patrol', 'source-layer': 'patrol_missed', minzoom: 12,
        paint: { 'circle-radius': 5, 'circle-color': '#ffffff', 'circle-stroke-color': '#e6550d', 'circle-stroke-width': 2.5 } },
    ],
    hazards: [
      // A shape per kind, coloured by risk; red ones larger and drawn on top.
      { group: 'point', id: 'hazards-circle', type: 'symbol', source: 'hazards', 'source-layer': 'hazards',
        layout: {
          'icon-image': ['concat', 'hz-', ['match', ['get', 'kind'], ...Object.entries(HAZARD_SHAPES).flat(), OTHER_SHAPE],
            '-', ['match', ['get', 'risk'], RISK_ORDER, ['get', 'risk'], 'x']],
          'icon-size': ['interpolate', ['linear'], ['zoom'], 8, ['match', ['get', 'risk'], '红', 0.8, '橙', 0.7, 0.6],
            14, ['match', ['get', 'risk'], '红', 1.4, '橙', 1.25, 1.1]],
          'icon-allow-overlap': true, 'icon-ignore-placement': true,
          'symbol-sort-key': ['match', ['get', 'risk'], '红', 4, '橙', 3, '黄', 2, 1],
        } },
      { group: 'label', ...label('hazards-label', 'hazards', 'hazards',
        { minzoom: 13.5, layout: { 'text-size': 11, 'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-optional': true } }) },
    ],
    shelters: [
      { group: 'point', id: 'shelters-circle', type: 'symbol', source: 'shelters', 'source-layer': 'shelters',
        layout: { 'icon-image': 'shelter', 'icon-size': ['interpolate', ['linear'], ['zoom'], 8, 0.6, 14, 1.2],
          'icon-allow-overlap': true, 'icon-ignore-placement': true } },
      { group: 'label', ...label('shelters-label', 'shelters', 'shelters',
        { minzoom: 14, layout: { 'text-size': 11, 'text-offset': [0, 1.3], 'text-anchor': 'top', 'text-optional': true },
          paint: { 'text-color': SHELTER_COLOR } }) },
    ],
    places: [
      { group: 'point', id: 'places-circle', type: 'symbol', source: 'places', 'source-layer': 'places',
        filter: ['!', ['in', ['get', 'kind'], ['literal', PLACE_DUPLICATES]]],
        layout: { 'icon-image': 'place', 'icon-size': ['interpolate', ['linear'], ['zoom'], 8, 0.5, 14, 1.1],
          'icon-allow-overlap': true } },
    ],
    incidents: [
      { group: 'cluster', id: 'incidents-heat', type: 'heatmap', source: 'incidents', 'source-layer': 'incidents_clusters',
        layout: { visibility: 'none' },
        paint: { 'heatmap-weight': ['interpolate', ['linear'], ['to-number', ['get', 'count'], 1], 1, 0.3, 50, 1],
          'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 6, 18, 12, 40], 'heatmap-opacity': 0.75,
          'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'], ...HEAT_RAMP.flat()] } },
      { group: 'cluster', id: 'incidents-cluster', type: 'circle', source: 'incidents', 'source-layer': 'incidents_clusters',
        paint: {
          'circle-color': ['case', ['>', ['to-number', ['get', 'overdue'], 0], 0], '#d7191c', '#e6550d'],
          'circle-opacity': 0.8,
          'circle-radius': ['interpolate', ['linear'], ['sqrt', ['to-number', ['get', 'count'], 1]], 1, 9, 10, 24, 30, 40],
          'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5,
        } },
      { group: 'cluster', id: 'incidents-cluster-count', type: 'symbol', source: 'incidents', 'source-layer': 'incidents_clusters',
        layout: { 'text-field': ['to-string', ['get', 'count']], 'text-size': 12, 'text-allow-overlap': true, 'text-ignore-placement': true },
        paint: { 'text-color': '#ffffff' } },
      { group: 'point', id: 'incidents-circle', type: 'circle', source: 'incidents', 'source-layer': 'incidents',
        paint: {
          'circle-color': matchColors('status', STATUS_COLORS, '#e6550d'),
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 5, 17, 9],
          'circle-stroke-color': ['case', ['to-boolean', ['get', 'overdue']], '#d7191c', '#ffffff'],
          'circle-stroke-width': ['case', ['to-boolean', ['get', 'overdue']], 3, 1.2],
        } },
      // The category as a small white mark on the dot: colour tells the status, shape the kind of case.
      { group: 'point', id: 'incidents-category', type: 'symbol', source: 'incidents', 'source-layer': 'incidents', minzoom: 14,
        layout: { 'icon-image': ['concat', 'cat-', ['match', ['get', 'category'], ...Object.entries(CATEGORY_SHAPES).flat(), 'dot']],
          'icon-size': ['interpolate', ['linear'], ['zoom'], 14, 0.8, 17, 1.2],
          'icon-allow-overlap': true, 'icon-ignore-placement': true } },
      // Overdue cannot be missed: a dark-red ring with "!" over the status dot.
      { group: 'point', id: 'incidents-overdue', type: 'symbol', source: 'incidents', 'source-layer': 'incidents',
        filter: ['to-boolean', ['get', 'overdue']],
        layout: { 'icon-image': 'overdue', 'icon-size': ['interpolate', ['linear'], ['zoom'], 13, 0.9, 17, 1.4],
          'icon-allow-overlap': true, 'icon-ignore-placement': true } },
    ],
  };
}

// Stacking order, bottom to top: area fills, boundaries, incident aggregates, points, labels, overlays.
const GROUPS = ['fill', 'line', 'cluster', 'point', 'label', 'top'];

/** Creates the map. opts: {container, theme, layers: names to show, bounds} */
export async function createMap({ container = 'map', theme = 'light', layers = PUBLIC_LAYERS, interactive = true, preserveDrawingBuffer = false, padding = 20 } = {}) {
  const [bounds, base] = await Promise.all([districtBounds(), baseInfo()]);
  const offline = !base || base.type === 'offline' || !Array.isArray(base.sources);
  const map = new maplibregl.Map({
    container,
    style: {
      version: 8,
      // No "glyphs": MapLibre draws all text with local fonts; no external source of any kind.
      sources: {
        anchor: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        // The offline base: rivers of the district, served by our own binary.
        ...(offline ? { rivers: { type: 'geojson', data: `${location.origin}/basemap/rivers.geojson` } } : {}),
      },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': THEMES[theme].bg } },
        ...(offline ? [{ id: 'rivers', type: 'line', source: 'rivers', paint: { 'line-color': theme === 'dark' ? '#1f4f7a' : '#8fc1e3', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1.5, 14, 6] } }] : []),
        ...GROUPS.map((g) => ({ id: 'z-' + g, type: 'symbol', source: 'anchor', layout: { visibility: 'none' } })),
      ],
    },
    bounds,
    fitBoundsOptions: { padding },
    attributionControl: false,
    locale: { 'NavigationControl.ZoomIn': t('map.zoomIn'), 'NavigationControl.ZoomOut': t('map.zoomOut'),
      'AttributionControl.ToggleAttribution': t('map.attribution') },
    localIdeographFontFamily: "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', 'Source Han Sans SC', sans-serif",
    interactive,
    canvasContextAttributes: { preserveDrawingBuffer },
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation?.();
  const attribution = new maplibregl.AttributionControl({ compact: false, customAttribution: t('app.attribution') });
  map.addControl(attribution, 'bottom-right');
  onLangChange(() => {
    // Replace the control so its text follows the language.
    map.removeControl(map._minqingAttribution);
    map._minqingAttribution = new maplibregl.AttributionControl({ compact: false, customAttribution: t('app.attribution') });
    map.addControl(map._minqingAttribution, 'bottom-right');
  });
  map._minqingAttribution = attribution;
  // The canvas and its region are named in the UI's language, not MapLibre's English default.
  const label = () => {
    map.getCanvas().setAttribute('aria-label', t('map.label'));
    map.getContainer().setAttribute('aria-label', t('map.label'));
  };
  label();
  onLangChange(label);
  if (interactive) map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.on('error', (e) => {
    // Surfaced so the end-to-end checks see it.
    console.error('map error:', (e && e.error && e.error.message) || e);
  });
  map._minqingTheme = theme;
  map._minqingVisible = new Set();
  window.__map = map;
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
  // The user's base map goes under every layer of ours.
  map._minqingBase = offline ? 'offline' : base.type;
  if (!offline) addBasemap(map, base, theme, 'z-fill');
  addIcons(map);
  for (const name of layers) showLayer(map, name, true);
  map.once('idle', () => { document.body.dataset.ready = '1'; });
  return map;
}

/** Fits the whole district (the wall's "whole district" button); resolves with the bounds used. */
export async function fitDistrict(map, opts = {}) {
  const b = await districtBounds();
  map.fitBounds(b, { padding: 30, duration: 600, ...opts });
  return b;
}

async function districtBounds() {
  // Anonymous-safe: TileJSON of a public layer.
  try {
    const tj = await api('/tiles/grids.json');
    const b = tj && tj.bounds;
    if (Array.isArray(b) && b.length === 4 && b[2] > b[0] && b[3] > b[1] && b[2] - b[0] < 5 && b[3] - b[1] < 5) {
      return [[b[0], b[1]], [b[2], b[3]]];
    }
  } catch { /* fall back */ }
  return DEFAULT_BOUNDS;
}

export function styleLayerIds(map, name) {
  return (layerDefs(map._minqingTheme)[name] || []).map((l) => l.id);
}

/** Adds a data layer's source and style layers on first use; toggles visibility after. */
export function showLayer(map, name, on) {
  if (on && !mayShow(name)) return false;
  const defs = layerDefs(map._minqingTheme)[name];
  if (!defs) return false;
  if (on && !map.getSource(name)) {
    map.addSource(name, { type: 'vector', url: `${location.origin}/tiles/${name}.json` });
    for (const { group, ...layer } of defs) map.addLayer(layer, 'z-' + group);
  }
  if (!map.getSource(name)) return false;
  for (const l of defs) {
    if (l.id === 'incidents-heat' || l.id === 'incidents-cluster' || l.id === 'incidents-cluster-count') continue;
    map.setLayoutProperty(l.id, 'visibility', on ? 'visible' : 'none');
  }
  if (name === 'incidents') setHeatmap(map, on && map._minqingHeat === true, on);
  if (on) map._minqingVisible.add(name); else map._minqingVisible.delete(name);
  return true;
}

/** Incident aggregates at low zoom: sized circles with counts, or a heatmap. */
export function setHeatmap(map, heat, incidentsOn = map._minqingVisible.has('incidents')) {
  map._minqingHeat = heat;
  if (!map.getLayer('incidents-heat')) return;
  map.setLayoutProperty('incidents-heat', 'visibility', incidentsOn && heat ? 'visible' : 'none');
  for (const id of ['incidents-cluster', 'incidents-cluster-count']) {
    map.setLayoutProperty(id, 'visibility', incidentsOn && !heat ? 'visible' : 'none');
  }
}

/** Removes the layers this caller may no longer see (after logout or a change of account). */
export function dropPrivateLayers(map) {
  for (const name of ALL_LAYERS.filter(needsLogin)) {
    if (!map.getSource(name)) continue;
    for (const id of styleLayerIds(map, name)) if (map.getLayer(id)) map.removeLayer(id);
    map.removeSource(name);
    map._minqingVisible.delete(name);
  }
}

/** A GeoJSON overlay (highlight, drawing, flashes) above everything else. */
export function overlay(map, id, layers) {
  if (!map.getSource(id)) {
    map.addSource(id, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    for (const l of layers) map.addLayer({ ...l, source: id }, 'z-top');
  }
  return map.getSource(id);
}

export function highlightArea(map, geometry, color = '#ff7f00') {
  const src = overlay(map, 'highlight', [
    { id: 'highlight-fill', type: 'fill', paint: { 'fill-color': color, 'fill-opacity': 0.08 } },
    { id: 'highlight-line', type: 'line', paint: { 'line-color': color, 'line-width': 3 } },
  ]);
  src.setData(geometry ? { type: 'Feature', properties: {}, geometry } : { type: 'FeatureCollection', features: [] });
}

/** Outlines one area (its whole boundary, not the tile-clipped piece that was clicked). */
export async function outlineArea(map, code) {
  try {
    const a = await api(`/api/areas/${encodeURIComponent(code)}`);
    if (a && a.geometry) highlightArea(map, a.geometry);
    document.body.dataset.outlined = code;
    return a;
  } catch { return null; }
}

export function fitBbox(map, bbox, opts = {}) {
  if (!Array.isArray(bbox) || bbox.length < 4) return;
  map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 40, maxZoom: 17, duration: 0, ...opts });
}

/* ---------------- legends ---------------- */

export function legendFor(name) {
  const row = (sw, text) => h('div.legend-row', sw, h('span', text));
  const icon = (canvas) => { canvas.className = 'swatch icon'; return canvas; };
  const dot = (color, stroke) => { const s = h('span.swatch.dot'); s.style.background = color; if (stroke) s.style.borderColor = stroke; return s; };
  const box = (color) => { const s = h('span.swatch.box'); s.style.background = color; return s; };
  const line = (color) => { const s = h('span.swatch.line'); s.style.background = color; return s; };
  const gradient = (stops, labels) => {
    const g = h('span.swatch.ramp');
    g.style.background = `linear-gradient(to right, ${stops.map(([, c]) => c).join(', ')})`;
    return h('div.legend-row', g, h('span', labels));
  };
  switch (name) {
    case 'grids': return h('div.legend', ['district', 'street', 'community', 'grid'].map((l) =>
      row(line(THEMES.light[l]), t('level.' + l))));
    case 'hazards': return h('div.legend', h('div.legend-title', t('legend.risk')),
      RISK_ORDER.map((r) => row(icon(iconCanvas('ring', RISK_COLORS[r])), tv(r))),
      h('div.legend-title', t('legend.kind')),
      Object.entries(HAZARD_SHAPES).map(([k, shape]) => row(icon(iconCanvas(shape, '#777777')), tv(k))));
    case 'shelters': return h('div.legend', row(icon(iconCanvas('house', SHELTER_COLOR, { mark: 'cross' })), t('layer.shelters')));
    case 'places': return h('div.legend', row(icon(iconCanvas('diamond', PLACE_COLOR, { mark: 'dot' })), t('layer.places')),
      h('div.legend-note', t('legend.placesNote')));
    case 'incidents': return h('div.legend', h('div.legend-title', t('legend.status')),
      Object.entries(STATUS_COLORS).map(([s, c]) => row(dot(c), tv(s))),
      row(icon(iconCanvas('ring', OVERDUE_COLOR, { stroke: '#000000', mark: 'bang' })), t('legend.overdue')),
      h('div.legend-title', t('legend.category')),
      Object.entries(CATEGORY_SHAPES).map(([cat, shape]) => row(icon(iconCanvas(shape, '#ffffff', { stroke: '#333333' })), tv(cat))),
      h('div.legend-note', t('legend.cluster')),
      h('div.legend-title', t('layer.heatmap')), gradient(HEAT_RAMP, t('legend.heat')));
    case 'people': return h('div.legend', gradient(PEOPLE_RAMP, `${t('legend.people')}: <3 … ${PEOPLE_RAMP.at(-1)[0]}+`));
    case 'patrol': return h('div.legend', gradient(COVERAGE_RAMP, `${t('legend.coverage')} 0–100%`),
      row(line('#3182bd'), t('legend.track')), row(dot('#ffffff', '#e6550d'), t('legend.missed')));
    default: return null;
  }
}

/* ---------------- popups ---------------- */

const PICK_ORDER = ['incidents-overdue', 'incidents-circle', 'incidents-cluster', 'hazards-circle', 'shelters-circle', 'places-circle',
  'patrol-missed', 'people-fill', 'patrol-fill', 'grids-fill'];

export function kv(rows) {
  return h('table.kv', h('tbody', rows.filter(Boolean).map(([k, v]) =>
    h('tr', h('th', t(k)), h('td', v == null || v === '' ? '–' : v)))));
}

function levelRank(level) { return { grid: 3, community: 2, street: 1, district: 0 }[level] ?? -1; }

export function featureContent(map, f) {
  const p = f.properties || {};
  switch (f.layer.id) {
    case 'hazards-circle': return h('div.popup',
      h('div.popup-title', h('span.risk-dot', { dataset: { risk: p.risk } }), p.name),
      kv([['f.kind', tv(p.kind)], ['f.risk', tv(p.risk)], ['f.threatened_households', fmtNum(p.threatened_households)],
        ['f.threatened_persons', fmtNum(p.threatened_persons)], ['f.status', p.status], ['f.grid', p.grid], ['f.id', p.id]]));
    case 'shelters-circle': return h('div.popup', h('div.popup-title', p.name),
      kv([['f.capacity', fmtNum(p.capacity)], ['f.grid', p.grid], ['f.id', p.id]]));
    case 'places-circle': return h('div.popup', h('div.popup-title', p.name),
      kv([['f.kind', p.kind], ['f.visit_every_hours', p.visit_every_hours], ['f.grid', p.grid]]));
    case 'incidents-overdue':
    case 'incidents-circle': return h('div.popup', h('div.popup-title', tv(p.category)),
      kv([['f.status', tv(p.status)], ['f.reported_at', fmtTime(p.reported_at)], ['f.deadline', fmtTime(p.deadline)],
        ['f.overdue', p.overdue === true || p.overdue === 'true' ? t('yes') : t('no')], ['f.grid', p.grid], ['f.id', p.id]]),
      // The whole case, with the steps this account may take, in the one detail panel.
      p.id ? h('button.primary.case-open', { type: 'button', dataset: { id: p.id },
        on: { click: () => { import('/js/case.js').then((m) => m.openCase(String(p.id))); } } }, t('case.open')) : null);
    case 'incidents-cluster': return h('div.popup', h('div.popup-title', `${t('layer.incidents')}: ${fmtNum(p.count)}`),
      kv([['f.overdue', fmtNum(p.overdue)]]));
    case 'patrol-missed': return h('div.popup', h('div.popup-title', t('legend.missed')),
      kv([['f.name', p.name], ['f.kind', p.kind], ['f.id', p.id]]));
    case 'patrol-fill': return h('div.popup', h('div.popup-title', p.name || p.code),
      kv([['f.coverage', p.coverage == null ? '–' : `${Math.round(Number(p.coverage) * 100)}%`], ['f.code', p.code]]));
    case 'people-fill': {
      const cats = map.querySourceFeatures('people', { sourceLayer: 'people', filter: ['==', ['get', 'code'], p.code] });
      const seen = new Map();
      for (const c of cats) seen.set(c.properties.category, c.properties.count);
      // "hidden": withheld so that no subtraction recovers a small count elsewhere.
      const count = (n) => (n === 'hidden' ? t('count.hidden') : fmtNum(n));
      return h('div.popup', h('div.popup-title', p.name || p.code),
        kv([['f.count', count(p.count)], ...[...seen].map(([cat, n]) => [cat, count(n)]), ['f.code', p.code]]));
    }
    case 'grids-fill': {
      const body = h('div.popup', h('div.popup-title', p.name),
        kv([['f.level', tv(p.level)], ['f.code', p.code], p.head ? ['f.head', p.head] : null,
          p.households != null ? ['f.households', fmtNum(p.households)] : null]));
      return body;
    }
    default: return null;
  }
}

/** Click → popup for the most specific feature under the pointer. */
export function enablePopups(map, { pointsOnly = false, onNothing } = {}) {
  const popup = new maplibregl.Popup({ maxWidth: '320px', closeButton: true });
  const areaLayers = ['people-fill', 'patrol-fill', 'grids-fill'];
  map.on('click', (e) => {
    if (map._minqingDrawing) return;
    const box = [[e.point.x - 6, e.point.y - 6], [e.point.x + 6, e.point.y + 6]];
    const layers = PICK_ORDER.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none'
      && !(pointsOnly && areaLayers.includes(id)));
    const feats = layers.length ? map.queryRenderedFeatures(box, { layers }) : [];
    if (!feats.length) { if (onNothing) onNothing(e); return; }
    feats.sort((a, b) => PICK_ORDER.indexOf(a.layer.id) - PICK_ORDER.indexOf(b.layer.id)
      || levelRank(b.properties.level) - levelRank(a.properties.level));
    const f = feats[0];
    if (f.layer.id === 'incidents-cluster') {
      map.easeTo({ center: e.lngLat, zoom: Math.min(map.getZoom() + 2, 14) });
      return;
    }
    const content = featureContent(map, f);
    if (!content) return;
    popup.setLngLat(e.lngLat).setDOMContent(content).addTo(map);
    if (f.layer.id === 'grids-fill' && f.properties.code) outlineArea(map, String(f.properties.code));
    else highlightArea(map, null);
    if (f.layer.id === 'grids-fill' && f.properties.level === 'grid') {
      gridDetail(e.lngLat).then((d) => { if (d && popup.isOpen()) content.append(d); });
    }
  });
  const hoverLayers = () => PICK_ORDER.filter((id) => id !== 'grids-fill' && id !== 'people-fill' && id !== 'patrol-fill' && map.getLayer(id));
  map.on('mousemove', (e) => {
    if (map._minqingDrawing) return;
    const l = hoverLayers();
    const hit = l.length && map.queryRenderedFeatures(e.point, { layers: l }).length;
    map.getCanvas().style.cursor = hit ? 'pointer' : '';
  });
  return popup;
}

async function gridDetail(lngLat) {
  try {
    const g = await api(`/api/grids/at?lon=${lngLat.lng.toFixed(6)}&lat=${lngLat.lat.toFixed(6)}`);
    const head = g.head || {};
    return h('div.popup-extra',
      kv([['f.head', [head.name, head.phone].filter(Boolean).join(' ')], ['f.households', fmtNum(g.households)],
        ['f.residents', fmtNum(g.residents)],
        ['f.ancestors', (g.ancestors || []).map((a) => a.name).join(' › ')]]));
  } catch { return null; }
}
