// Minqing Map (民情地图) browser app. One page for four views; the path picks the view:
//   /       general map with the layer panel
//   /wall   command-centre wall (dark, KPIs, live incident feed)
//   /grid   a grid head's phone view (my grid, lists, report an incident)
//   /flood  flood response (hazards by risk, draw an area, evacuation lists, CSV, print)
//   /admin  administration (import, topology, accounts, audit; role admin)
// Plain ES modules, no build step. window.__map is the MapLibre map; body[data-ready="1"] is set
// after the map's first idle, for the end-to-end checks.
import { buildShell, currentView } from '/js/shell.js';
import { restoreSession } from '/js/api.js';

const VIEWS = {
  '/': () => import('/js/views/general.js'),
  '/wall': () => import('/js/views/wall.js'),
  '/grid': () => import('/js/views/grid.js'),
  '/flood': () => import('/js/views/flood.js'),
  '/admin': () => import('/js/views/admin.js'),
};

async function main() {
  const view = currentView();
  document.body.dataset.view = view === '/' ? 'general' : view.slice(1);
  buildShell(view);
  await restoreSession();
  const mod = await VIEWS[view]();
  await mod.start();
}

main().catch((e) => {
  console.error('minqing: start failed:', e);
  document.body.dataset.failed = String(e && e.message || e);
});
