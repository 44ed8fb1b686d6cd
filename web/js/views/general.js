// `/`: the general map with the layer panel, legends, popups, search and login.
import { h, $ } from '/js/dom.js';
import { t, onLangChange } from '/js/i18n.js';
import { isLoggedIn, mayShow, onAuthChange } from '/js/api.js';
import { createMap, showLayer, setHeatmap, legendFor, enablePopups, dropPrivateLayers } from '/js/mapbase.js';
import { buildSearch } from '/js/search.js';
import { connectEvents, importedLayer } from '/js/live.js';

const PANEL_LAYERS = ['grids', 'hazards', 'shelters', 'places', 'incidents', 'people', 'patrol'];
const ON_BY_DEFAULT = new Set(['grids', 'hazards', 'shelters', 'incidents']);

export async function start() {
  const wanted = new Set(ON_BY_DEFAULT);
  const panel = $('#panel');
  panel.classList.add('layers-panel'); // before the map measures its container
  if (window.matchMedia('(max-width: 640px)').matches) panel.classList.add('collapsed');
  const map = await createMap({ theme: 'light', layers: [...wanted].filter(mayShow),
    // keep the district clear of the floating layer panel
    padding: panel.classList.contains('collapsed') ? 20 : { top: 20, bottom: 20, right: 20, left: 280 } });
  enablePopups(map);
  buildSearch(map, $('#header-slot'));

  const toggleBtn = h('button.panel-toggle#panel-toggle', { type: 'button', 'aria-expanded': 'true',
    on: { click: () => {
      const open = panel.classList.toggle('collapsed');
      toggleBtn.setAttribute('aria-expanded', String(!open));
    } } }, h('span', { 'data-i18n': 'panel.toggle' }, t('panel.toggle')));
  $('#main').append(toggleBtn);

  const render = () => {
    const rows = PANEL_LAYERS.map((name) => {
      const locked = !mayShow(name);
      const cb = h('input', { type: 'checkbox', id: 'layer-' + name, dataset: { layer: name },
        checked: wanted.has(name) && !locked, disabled: locked,
        on: { change: (e) => {
          if (e.target.checked) wanted.add(name); else wanted.delete(name);
          showLayer(map, name, e.target.checked);
          legend.hidden = !e.target.checked;
          if (heat) heat.hidden = !e.target.checked;
        } } });
      const legend = legendFor(name);
      legend.hidden = !cb.checked;
      let heat = null;
      if (name === 'incidents') {
        const hcb = h('input#layer-heatmap', { type: 'checkbox', checked: map._minqingHeat === true,
          on: { change: (e) => setHeatmap(map, e.target.checked) } });
        heat = h('label.sub', hcb, h('span', t('layer.heatmap')));
        heat.hidden = !cb.checked;
      }
      return h('div.layer-row', { dataset: { layer: name } },
        h('label', cb, h('span.layer-name', t('layer.' + name)),
          locked ? h('span.locked', t(isLoggedIn() ? 'layer.notForRole' : 'layer.needsLogin')) : null),
        heat, legend);
    });
    panel.replaceChildren(h('h2', t('panel.layers')), ...rows);
  };
  render();
  onLangChange(render);
  // An import (browser or command line, on any instance) shows without a reload: its live event
  // names the layer, whose tiles are fetched again. Live events need a session.
  let es = null;
  const live = () => {
    if (es) { es.close(); es = null; }
    if (!isLoggedIn()) return;
    es = connectEvents((ev) => {
      const layer = importedLayer(ev);
      if (layer && map.getSource(layer)) map.refreshTiles(layer);
    });
  };
  live();
  onAuthChange(() => {
    dropPrivateLayers(map);
    for (const n of wanted) showLayer(map, n, true);
    render();
    live();
  });
}
