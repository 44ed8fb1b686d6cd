// The base map under our layers, as the server was told (--basemap): asks /basemap/tiles.json
// and adds the sources and style layers. Vector files get a plain style for the OpenMapTiles
// layer names (what planetiler writes) and the Protomaps ones, plus a fallback by geometry for
// any other layer (tippecanoe keeps the input's names). Labels use local fonts (no glyphs) and
// the UI's language, falling back to the file's default name.
import { api } from '/js/api.js';
import { getLang, onLangChange } from '/js/i18n.js';

const C = {
  light: { land: '#f3f1ea', water: '#a9cde8', park: '#d8e8c8', building: '#dedad2', road: '#ffffff', roadCase: '#c9c3b6',
    major: '#f7d68f', majorCase: '#d9a94f', label: '#5b5348', halo: '#ffffff', boundary: '#9e8fb3' },
  dark: { land: '#101c28', water: '#1d3b57', park: '#15302a', building: '#1c2a38', road: '#2b3d50', roadCase: '#0b1622',
    major: '#58627a', majorCase: '#0b1622', label: '#9fb3c8', halo: '#0b1622', boundary: '#5f5a7a' },
};

function nameExpr() {
  return getLang() === 'en'
    ? ['coalesce', ['get', 'name:en'], ['get', 'name_en'], ['get', 'name:latin'], ['get', 'name']]
    : ['coalesce', ['get', 'name:zh'], ['get', 'name_zh'], ['get', 'name:zh-Hans'], ['get', 'name']];
}

const MAJOR = ['motorway', 'trunk', 'primary', 'highway', 'major_road'];
const isMajor = ['match', ['get', 'class'], MAJOR, true, ['match', ['get', 'kind'], MAJOR, true, false]];
const roadWidth = (k) => ['interpolate', ['exponential', 1.6], ['zoom'], 10, ['case', isMajor, 1.2 * k, 0.4 * k], 16, ['case', isMajor, 10 * k, 5 * k]];

/** Style layers for one vector layer of the base file. */
function vectorLayers(id, c) {
  const src = { source: 'base', 'source-layer': id };
  const label = (extra = {}) => ({ type: 'symbol', ...src, id: `base-${id}-label`,
    layout: { 'text-field': nameExpr(), 'text-size': 12, 'text-max-width': 8, ...extra },
    paint: { 'text-color': c.label, 'text-halo-color': c.halo, 'text-halo-width': 1.4 } });
  switch (id) {
    case 'water': case 'ocean': return [{ id: `base-${id}`, type: 'fill', ...src, paint: { 'fill-color': c.water } }];
    case 'waterway': return [{ id: `base-${id}`, type: 'line', ...src, paint: { 'line-color': c.water, 'line-width': 1.5 } }];
    case 'landcover': case 'landuse': case 'park': case 'natural':
      return [{ id: `base-${id}`, type: 'fill', ...src, paint: { 'fill-color': c.park, 'fill-opacity': 0.6 } }];
    case 'building': case 'buildings':
      return [{ id: `base-${id}`, type: 'fill', ...src, minzoom: 14, paint: { 'fill-color': c.building } }];
    case 'boundary': case 'boundaries':
      return [{ id: `base-${id}`, type: 'line', ...src, paint: { 'line-color': c.boundary, 'line-dasharray': [3, 2] } }];
    case 'transportation': case 'roads':
      return [
        { id: `base-${id}-case`, type: 'line', ...src, layout: { 'line-cap': 'round', 'line-join': 'round' },
          paint: { 'line-color': ['case', isMajor, c.majorCase, c.roadCase], 'line-width': roadWidth(1.35) } },
        { id: `base-${id}`, type: 'line', ...src, layout: { 'line-cap': 'round', 'line-join': 'round' },
          paint: { 'line-color': ['case', isMajor, c.major, c.road], 'line-width': roadWidth(1) } },
        label({ 'symbol-placement': 'line', 'text-size': 11 }),
      ];
    case 'transportation_name': return [label({ 'symbol-placement': 'line', 'text-size': 11 })];
    case 'place': case 'places': return [label({ 'text-size': 13 })];
    case 'poi': case 'pois': return [{ ...label({ 'text-size': 10 }), minzoom: 15 }];
    default: return [
      { id: `base-${id}-fill`, type: 'fill', ...src, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': c.building, 'fill-opacity': 0.5 } },
      { id: `base-${id}-line`, type: 'line', ...src, filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': c.roadCase, 'line-width': 1 } },
    ];
  }
}

// Paint order of the known layers, bottom first.
const ORDER = ['landcover', 'landuse', 'park', 'natural', 'water', 'ocean', 'waterway', 'building', 'buildings',
  'boundary', 'boundaries', 'transportation', 'roads', 'transportation_name', 'poi', 'pois', 'place', 'places'];

/** What the server serves as base map: {type: 'offline'|'vector'|'raster', sources: [TileJSON]}. */
export async function baseInfo() {
  try { return await api('/basemap/tiles.json'); } catch { return { type: 'offline' }; }
}

/** Adds the base map's sources and layers below `before`; returns true when one was added. */
export function addBasemap(map, info, theme, before) {
  const c = C[theme] || C.light;
  if (!info || !Array.isArray(info.sources) || !info.sources.length) return false;
  if (info.type === 'raster') {
    info.sources.forEach((s, i) => {
      map.addSource(`base-raster-${i}`, { type: 'raster', tiles: s.tiles, tileSize: s.tileSize || 256,
        minzoom: s.minzoom ?? 0, maxzoom: s.maxzoom ?? 18, ...(s.bounds ? { bounds: s.bounds } : {}) });
      map.addLayer({ id: `base-raster-${i}`, type: 'raster', source: `base-raster-${i}` }, before);
    });
    return true;
  }
  const s = info.sources[0];
  map.addSource('base', { type: 'vector', tiles: s.tiles, minzoom: s.minzoom ?? 0, maxzoom: s.maxzoom ?? 14,
    ...(s.bounds ? { bounds: s.bounds } : {}), ...(s.attribution ? { attribution: s.attribution } : {}) });
  const ids = (s.vector_layers || []).map((l) => l.id).filter(Boolean);
  ids.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  map.setPaintProperty('background', 'background-color', c.land);
  for (const id of ids) for (const l of vectorLayers(id, c)) map.addLayer(l, before);
  // Labels follow the UI's language.
  onLangChange(() => {
    for (const l of map.getStyle().layers) {
      if (l.id.startsWith('base-') && l.type === 'symbol') map.setLayoutProperty(l.id, 'text-field', nameExpr());
    }
  });
  return true;
}
