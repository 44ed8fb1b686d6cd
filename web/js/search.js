// Search box: a code goes to /api/areas/{code}; a name is matched against the loaded
// `grids_labels` features (then, if none is loaded, an exact-name OGC filter).
import { h, $, toast } from '/js/dom.js';
import { t, tv } from '/js/i18n.js';
import { api } from '/js/api.js';
import { fitBbox, highlightArea } from '/js/mapbase.js';

export function buildSearch(map, slot) {
  const input = h('input#search-input', { type: 'search', 'data-i18n-placeholder': 'search.placeholder',
    placeholder: t('search.placeholder'), autocomplete: 'off', enterkeyhint: 'search' });
  const list = h('ul.search-results#search-results', { role: 'listbox', hidden: true });
  const form = h('form.search#search', { role: 'search' }, input,
    h('button#search-go', { type: 'submit', 'data-i18n': 'search.go' }, t('search.go')), list);
  slot.append(form);

  const showList = (items) => {
    list.replaceChildren(...items.map((it) => h('li', { role: 'option', tabindex: 0, dataset: { code: it.code },
      on: { click: () => goTo(it.code), keydown: (e) => { if (e.key === 'Enter') goTo(it.code); } } },
    h('span.name', it.name), h('span.meta', `${tv(it.level)} · ${it.code}`))));
    list.hidden = items.length === 0;
  };

  const goTo = async (code) => {
    list.hidden = true;
    try {
      const a = await api(`/api/areas/${encodeURIComponent(code)}`);
      if (a.geometry) highlightArea(map, a.geometry);
      fitBbox(map, a.bbox, { duration: 600 });
      document.body.dataset.searched = a.code;
    } catch (e) {
      toast(`${t('search.none')}: ${code}`, 'error');
    }
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    if (/^\d{6,15}$/.test(q)) { goTo(q); return; }
    const seen = new Map();
    for (const f of map.querySourceFeatures('grids', { sourceLayer: 'grids_labels' })) {
      const p = f.properties;
      if (p.name && String(p.name).includes(q) && !seen.has(p.code)) seen.set(p.code, { code: String(p.code), name: p.name, level: p.level });
    }
    let items = [...seen.values()];
    if (!items.length) {
      try {
        const fc = await api(`/ogc/collections/grids/items?name=${encodeURIComponent(q)}&limit=10`);
        items = (fc.features || []).map((f) => ({ code: String(f.properties.code ?? f.id), name: f.properties.name, level: f.properties.level }));
      } catch { /* nothing more to try */ }
    }
    items.sort((a, b) => (a.name === q ? -1 : 0) - (b.name === q ? -1 : 0) || a.code.length - b.code.length);
    if (items.length === 1) goTo(items[0].code);
    else if (items.length) showList(items.slice(0, 12));
    else { showList([]); toast(`${t('search.none')}: ${q}`); }
  });
  document.addEventListener('click', (e) => { if (!form.contains(e.target)) list.hidden = true; });
}
