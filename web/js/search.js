// Search box: one question to the server (GET /api/search), whose answer does not depend on
// where the map is; the list shows what each hit is, and choosing one zooms to it (areas to
// their extent, outlined; points to street level, marked).
import { h, toast } from '/js/dom.js';
import { t, tv, errText } from '/js/i18n.js';
import { api } from '/js/api.js';
import { fitBbox, outlineArea, overlay, highlightArea } from '/js/mapbase.js';

/** Zoom for a point hit: close enough to see the street around it. */
const POINT_ZOOM = 16;

function pin(map, item) {
  const src = overlay(map, 'search-pin', [
    { id: 'search-pin-halo', type: 'circle', paint: { 'circle-radius': 16, 'circle-color': '#ff7f00', 'circle-opacity': 0.25 } },
    { id: 'search-pin', type: 'circle', paint: { 'circle-radius': 6, 'circle-color': '#ff7f00', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } },
  ]);
  src.setData(item ? { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [item.lon, item.lat] } }
    : { type: 'FeatureCollection', features: [] });
}

export function goTo(map, item) {
  const key = item.code || item.id;
  document.body.dataset.searched = key;
  if (item.kind === 'incident' && item.id) import('/js/case.js').then((m) => m.openCase(String(item.id)));
  if (Array.isArray(item.bbox)) {
    pin(map, null);
    fitBbox(map, item.bbox, { duration: 600 });
    if (item.code) outlineArea(map, item.code);
  } else {
    highlightArea(map, null);
    pin(map, item);
    map.flyTo({ center: [item.lon, item.lat], zoom: Math.max(map.getZoom(), POINT_ZOOM), duration: 600 });
  }
}

function meta(it) {
  const parts = [];
  if (it.kind === 'head') parts.push(it.context, it.code);
  else if (it.level) parts.push(tv(it.level), it.code);
  else parts.push(it.context ? tv(it.context) : null, it.id);
  if (it.phone) parts.push(it.phone);
  return parts.filter(Boolean).join(' · ');
}

export function buildSearch(map, slot) {
  const input = h('input#search-input', { type: 'search', 'data-i18n-placeholder': 'search.placeholder',
    placeholder: t('search.placeholder'), autocomplete: 'off', enterkeyhint: 'search', 'aria-label': t('search.go') });
  const list = h('ul.search-results#search-results', { role: 'listbox', hidden: true });
  const form = h('form.search#search', { role: 'search' }, input,
    h('button#search-go', { type: 'submit', 'data-i18n': 'search.go' }, t('search.go')), list);
  slot.append(form);

  const choose = (it) => { list.hidden = true; goTo(map, it); };
  const showList = (items) => {
    list.replaceChildren(...items.map((it) => h('li', { role: 'option', tabindex: 0,
      dataset: { kind: it.kind, key: it.code || it.id },
      on: { click: () => choose(it), keydown: (e) => { if (e.key === 'Enter') choose(it); } } },
    h('span.kind', t('kind.' + it.kind)), h('span.name', it.kind === 'incident' ? tv(it.name) : it.name),
    h('span.meta', meta(it)))));
    list.hidden = items.length === 0;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    let items = [];
    try {
      const r = await api(`/api/search?q=${encodeURIComponent(q)}&limit=12`);
      items = (r && r.items) || [];
    } catch (e) {
      toast(errText(e), 'error');
      return;
    }
    document.body.dataset.searchCount = String(items.length);
    if (!items.length) { showList([]); toast(`${t('search.none')}: ${q}`); return; }
    // An exact code, id or name goes there at once; the list stays open for the others.
    const first = items[0];
    const exact = [first.code, first.id, first.name].some((v) => v != null && String(v).toLowerCase() === q.toLowerCase());
    if (exact) goTo(map, first);
    if (!exact || items.length > 1) showList(items);
  });
  document.addEventListener('click', (e) => { if (!form.contains(e.target)) list.hidden = true; });
}
