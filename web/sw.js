// The service worker of the phone view (/grid): the app opens and draws my grid without a
// connection. Registered with scope / (not /grid) because MapLibre fetches tiles from its web
// worker, a client of its own URL (/vendor/…), which a /grid scope would not control; pages
// other than /grid are never served from the shell cache.
//   - the app shell (page, scripts, styles, MapLibre, manifest, icons): cache first, refreshed
//     in the background, so a reload offline opens at once;
//   - data (GET /api/…, /tiles/…, /basemap/…, and POST /api/query/within, whose answer is kept
//     under a key made from its body): network first, the last answer when offline;
//   - writes (other POSTs) are never touched here: the page queues them in IndexedDB with their
//     own Idempotency-Key (js/outbox.js) and sends them when the connection returns.
// Same origin only; nothing is fetched from another host.

const SHELL = 'minqing-shell-v1';
const DATA = 'minqing-data-v1';
const SHELL_FILES = [
  '/grid', '/app.js', '/app.css', '/manifest.webmanifest', '/icons/app.svg', '/icons/app-192.png', '/icons/app-512.png',
  '/js/api.js', '/js/basemap.js', '/js/dom.js', '/js/draw.js', '/js/i18n.js', '/js/icons.js', '/js/live.js',
  '/js/mapbase.js', '/js/search.js', '/js/shell.js', '/js/warnings.js', '/js/outbox.js', '/js/views/grid.js',
  '/vendor/maplibre-gl/maplibre-gl.mjs', '/vendor/maplibre-gl/maplibre-gl-worker.mjs', '/vendor/maplibre-gl/maplibre-gl.css',
];

self.addEventListener('install', (ev) => {
  ev.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // One missing file must not stop the others from being kept.
    await Promise.all(SHELL_FILES.map((f) => cache.add(new Request(f, { cache: 'reload' })).catch(() => null)));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('minqing-') && k !== SHELL && k !== DATA) await caches.delete(k);
    await self.clients.claim();
  })());
});

const isData = (p) => p.startsWith('/api/') || p.startsWith('/tiles/') || p.startsWith('/basemap/') || p.startsWith('/ogc/');

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/api/events') return; // a live stream: never cached
  if (req.method === 'POST' && url.pathname === '/api/query/within') {
    ev.respondWith(postByBody(req));
    return;
  }
  if (req.method !== 'GET') return;
  if (url.pathname.startsWith('/api/export/')) return;
  if (isData(url.pathname)) ev.respondWith(networkFirst(req, req));
  else if (req.mode === 'navigate' && url.pathname !== '/grid') return; // the other views: network only
  else ev.respondWith(shellFirst(req, ev));
});

async function networkFirst(req, key) {
  const cache = await caches.open(DATA);
  try {
    const res = await fetch(req);
    // Only answers worth replaying: successes (a 401 must reach the page, but is not kept).
    if (res.ok) await cache.put(key, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw e;
  }
}

async function shellFirst(req, ev) {
  const cache = await caches.open(SHELL);
  const key = req.mode === 'navigate' ? '/grid' : req;
  const hit = await cache.match(key, { ignoreSearch: req.mode === 'navigate' });
  const fresh = fetch(req).then(async (res) => {
    if (res.ok && res.type === 'basic') await cache.put(key, res.clone());
    return res;
  });
  if (hit) {
    ev.waitUntil(fresh.catch(() => null));
    return hit;
  }
  return fresh;
}

async function postByBody(req) {
  const body = await req.clone().arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', body);
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  const key = new Request(`${self.location.origin}/__post${new URL(req.url).pathname}?body=${hex}`);
  return networkFirst(req, key);
}

self.addEventListener('message', (ev) => {
  // The page signs out: forget the data of that account.
  if (ev.data && ev.data.type === 'forget') ev.waitUntil(caches.delete(DATA));
});
