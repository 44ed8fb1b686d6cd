// A stand-in for the Minqing Map server, following shared/contract.md closely enough to work on
// web/ and to try run.mjs before (or without) the Rust binary. NOT the product and not the test
// oracle: the e2e checks are meant for the real server (BASE_URL).
//
//   node tests/e2e/mock-server.mjs [--port 8091]
//
// Serves web/ with a strict CSP, TileJSON + MVT for every layer (synthetic, rectangles), the
// /api endpoints the app calls, sessions with an HttpOnly cookie + minqing_csrf cookie (CSRF
// checked on writes), and SSE on /api/events.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

import geojsonvt from 'geojson-vt';

const require = createRequire(import.meta.url);
const vtpbf = require('vt-pbf');

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WEB = path.resolve(HERE, '../../web');
const portArg = process.argv.indexOf('--port');
const PORT = Number(portArg > 0 ? process.argv[portArg + 1] : process.env.PORT || 8091);

/* ---------------- synthetic district ---------------- */
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (a) => a[Math.floor(rnd() * a.length)];
const rect = ([x0, y0, x1, y1]) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });
const split = ([x0, y0, x1, y1], nx, ny) => {
  const out = [];
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    out.push([x0 + (x1 - x0) * i / nx, y0 + (y1 - y0) * j / ny, x0 + (x1 - x0) * (i + 1) / nx, y0 + (y1 - y0) * (j + 1) / ny].map((v) => +v.toFixed(6)));
  }
  return out;
};
const STREETS = ['凤城街道', '东城街道', '洲心街道', '横荷街道'];
const areas = new Map();
const DBOX = [112.90, 23.60, 113.30, 23.95];
areas.set('441802', { code: '441802', name: '清城区', level: 'district', parent: '441800', bbox: DBOX, children: [] });
split(DBOX, 2, 2).forEach((sb, si) => {
  const sc = `441802${String(si + 1).padStart(3, '0')}`;
  areas.set(sc, { code: sc, name: STREETS[si], level: 'street', parent: '441802', bbox: sb, children: [] });
  areas.get('441802').children.push(sc);
  split(sb, 2, 2).forEach((cb, ci) => {
    const cc = `${sc}${String(ci + 1).padStart(3, '0')}`;
    areas.set(cc, { code: cc, name: `${STREETS[si].slice(0, 2)}${['一', '二', '三', '四'][ci]}社区`, level: 'community', parent: sc, bbox: cb, children: [] });
    areas.get(sc).children.push(cc);
    split(cb, 3, 3).forEach((gb, gi) => {
      const gc = `${cc}${String(gi + 1).padStart(3, '0')}`;
      areas.set(gc, { code: gc, name: `${areas.get(cc).name}第${gi + 1}网格`, level: 'grid', parent: cc, bbox: gb, children: [],
        head: `网格员${gi + 1}号`, phone: '138****' + String(1000 + gi), households: 300 + Math.floor(rnd() * 200) });
      areas.get(cc).children.push(gc);
    });
  });
});
for (const a of areas.values()) a.geometry = rect(a.bbox);
const inBox = ([x, y], b) => x >= b[0] && x < b[2] && y >= b[1] && y < b[3];
const gridAt = (p) => [...areas.values()].find((a) => a.level === 'grid' && inBox(p, a.bbox));
const center = (b) => [+(b[0] + (b[2] - b[0]) / 2).toFixed(6), +(b[1] + (b[3] - b[1]) / 2).toFixed(6)];
const WANGGE_GRID = gridAt([113.056, 23.698]).code;
const randIn = (b) => [+(b[0] + rnd() * (b[2] - b[0])).toFixed(6), +(b[1] + rnd() * (b[3] - b[1])).toFixed(6)];

const KINDS = ['滑坡', '滑坡', '滑坡', '崩塌', '泥石流', '地面塌陷', '不稳定斜坡', '内涝积水点'];
const RISKS = ['红', '橙', '橙', '黄', '黄', '黄', '蓝', '蓝'];
const hazards = [];
for (let i = 0; i < 60; i++) {
  const p = randIn(DBOX);
  hazards.push({ id: `HZ${String(i + 1).padStart(4, '0')}`, name: `隐患点${i + 1}`, kind: pick(KINDS), risk: pick(RISKS),
    threatened_households: 1 + Math.floor(rnd() * 50), threatened_persons: 3 + Math.floor(rnd() * 150),
    status: '监测中', lon: p[0], lat: p[1], grid: gridAt(p).code, monitor: { name: '李*华', phone: '139****2211' }, leader: { name: '陈*' } });
}
{
  const g = areas.get(WANGGE_GRID);
  const p = center(g.bbox);
  hazards.push({ id: 'HZ9001', name: '凤城积水点', kind: '内涝积水点', risk: '橙', threatened_households: 12, threatened_persons: 40,
    status: '监测中', lon: p[0], lat: p[1], grid: g.code });
}
const shelters = Array.from({ length: 20 }, (_, i) => { const p = randIn(DBOX); return { id: `SH${i + 1}`, name: `避难场所${i + 1}`, capacity: 100 + Math.floor(rnd() * 900), lon: p[0], lat: p[1], grid: gridAt(p).code }; });
const places = Array.from({ length: 40 }, (_, i) => { const p = randIn(DBOX); return { id: `PL${i + 1}`, name: `重点场所${i + 1}`, kind: pick(['学校', '加油站', '农贸市场']), visit_every_hours: pick([24, 72, 168]), lon: p[0], lat: p[1], grid: gridAt(p).code }; });
const CATS = [['neighbour', '邻里纠纷'], ['family', '婚姻家庭'], ['land', '土地山林'], ['property', '物业管理'], ['labour', '劳资纠纷'],
  ['requisition', '征地拆迁'], ['pollution', '环境污染'], ['order', '治安隐患'], ['safety', '安全隐患'], ['livelihood', '民生诉求']];
const STATUSES = ['reported', 'accepted', 'dispatched', 'in_progress', 'resolved', 'verified', 'closed'];
const incidents = [];
let incSeq = 1;
const now = Date.now();
for (let i = 0; i < 80; i++) {
  const p = i < 4 ? randIn(areas.get(WANGGE_GRID).bbox) : randIn(DBOX);
  const rep = now - Math.floor(rnd() * 10 * 86400000);
  const dl = rep + pick([2, 24, 168]) * 3600000;
  const status = pick(STATUSES);
  incidents.push({ id: `INC${String(incSeq++).padStart(5, '0')}`, category: pick(CATS)[1], status, lon: p[0], lat: p[1], grid: gridAt(p).code,
    reported_at: new Date(rep).toISOString(), deadline: new Date(dl).toISOString(), description: '示例事件' });
}
const isOverdue = (i) => ['reported', 'accepted', 'dispatched', 'in_progress'].includes(i.status) && Date.parse(i.deadline) < Date.now();
const PCATS = ['刑满释放人员', '社区矫正对象', '严重精神障碍患者', '独居老人'];
const people = [];
for (const g of areas.values()) {
  if (g.level !== 'grid') continue;
  const n = g.code === WANGGE_GRID ? 6 : Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) people.push({ id: `P${people.length + 1}`, name: pick(['张*明', '李*', '王*芳', '陈*强']), category: pick(PCATS), grid: g.code, phone: '138****' + (1000 + people.length), id_number: '4418**********' + (1000 + people.length) });
}
const tracks = [];
for (const g of areas.values()) {
  if (g.level !== 'grid' || rnd() < 0.5) continue;
  const pts = Array.from({ length: 6 }, () => randIn(g.bbox));
  tracks.push({ member: g.head, grid: g.code, coordinates: pts });
}
const coverage = new Map([...areas.values()].filter((a) => a.level === 'grid').map((g) => [g.code, +rnd().toFixed(2)]));
const missed = places.filter(() => rnd() < 0.3);

/* ---------------- tiles ---------------- */
const LEVEL_MIN = { district: 6, street: 10, community: 12, grid: 13 };
const feat = (geometry, properties) => ({ type: 'Feature', geometry, properties });
const vt = (features) => geojsonvt({ type: 'FeatureCollection', features }, { maxZoom: 18, indexMaxZoom: 5, tolerance: 3, extent: 4096, buffer: 64 });
const levelIdx = {};
for (const lv of Object.keys(LEVEL_MIN)) {
  const as = [...areas.values()].filter((a) => a.level === lv);
  levelIdx[lv] = vt(as.map((a) => feat(a.geometry, { code: a.code, name: a.name, level: a.level, parent: a.parent,
    ...(lv === 'grid' ? { head: a.head, households: a.households } : {}) })));
}
const peopleCount = (code) => people.filter((p) => p.grid.startsWith(code)).length;
const masked = (n) => (n > 0 && n < 3 ? '<3' : n);
const peopleAreaIdx = {};
for (const lv of ['street', 'community', 'grid']) {
  peopleAreaIdx[lv] = vt([...areas.values()].filter((a) => a.level === lv).map((a) => feat(a.geometry, { code: a.code, name: a.name, count: masked(peopleCount(a.code)) })));
}
const patrolIdx = vt([...areas.values()].filter((a) => a.level === 'grid').map((a) => feat(a.geometry, { code: a.code, name: a.name, coverage: coverage.get(a.code) })));
const trackIdx = vt(tracks.map((t) => feat({ type: 'LineString', coordinates: t.coordinates }, { member: t.member })));

const tileXY = (lon, lat, z, x, y) => {
  const n = 2 ** z;
  const px = ((lon + 180) / 360) * n;
  const s = Math.sin((lat * Math.PI) / 180);
  const py = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n;
  return [Math.round((px - x) * 4096), Math.round((py - y) * 4096)];
};
const pointFeatures = (items, z, x, y, props) => items.map((it) => {
  const [tx, ty] = tileXY(it.lon, it.lat, z, x, y);
  if (tx < -64 || ty < -64 || tx > 4160 || ty > 4160) return null;
  return { type: 1, geometry: [[tx, ty]], tags: props(it) };
}).filter(Boolean);
const vtFeatures = (idx, z, x, y) => (idx.getTile(z, x, y) || { features: [] }).features;
const labelPoint = (a) => { const c = center(a.bbox); return { lon: c[0], lat: c[1], ...a }; };

const PRIVATE_LAYERS = new Set(['incidents', 'patrol']);
const COMPANIONS = { grids: ['grids', 'grids_labels'], incidents: ['incidents', 'incidents_clusters'], people: ['people', 'people_areas'],
  patrol: ['patrol', 'patrol_tracks', 'patrol_missed'] };
function makeTile(layer, z, x, y) {
  const L = {};
  if (layer === 'grids') {
    const lv = Object.keys(LEVEL_MIN).filter((l) => z >= LEVEL_MIN[l]);
    L.grids = lv.flatMap((l) => vtFeatures(levelIdx[l], z, x, y));
    L.grids_labels = pointFeatures([...areas.values()].filter((a) => lv.includes(a.level)).map(labelPoint), z, x, y, (a) => ({ code: a.code, name: a.name, level: a.level }));
  } else if (layer === 'hazards') {
    L.hazards = pointFeatures(hazards, z, x, y, (h) => ({ id: h.id, name: h.name, kind: h.kind, risk: h.risk, threatened_households: h.threatened_households, threatened_persons: h.threatened_persons, grid: h.grid, status: h.status }));
  } else if (layer === 'shelters') {
    L.shelters = pointFeatures(shelters, z, x, y, (s) => ({ id: s.id, name: s.name, capacity: s.capacity, grid: s.grid }));
  } else if (layer === 'places') {
    L.places = pointFeatures(places, z, x, y, (p) => ({ id: p.id, name: p.name, kind: p.kind, visit_every_hours: p.visit_every_hours, grid: p.grid }));
  } else if (layer === 'incidents') {
    if (z >= 13) {
      L.incidents = pointFeatures(incidents, z, x, y, (i) => ({ id: i.id, category: i.category, status: i.status, grid: i.grid, reported_at: i.reported_at, deadline: i.deadline, overdue: isOverdue(i) }));
    } else {
      L.incidents = [];
      const lv = z < 10 ? 'street' : z < 12 ? 'community' : 'grid';
      L.incidents_clusters = pointFeatures([...areas.values()].filter((a) => a.level === lv).map(labelPoint).map((a) => {
        const inside = incidents.filter((i) => i.grid.startsWith(a.code) && !['closed'].includes(i.status));
        return { ...a, count: inside.length, overdue: inside.filter(isOverdue).length };
      }).filter((a) => a.count > 0), z, x, y, (a) => ({ count: a.count, overdue: a.overdue }));
    }
  } else if (layer === 'people') {
    const lv = z < 12 ? 'street' : z < 13 ? 'community' : 'grid';
    L.people_areas = vtFeatures(peopleAreaIdx[lv], z, x, y);
    const pts = [];
    for (const a of [...areas.values()].filter((q) => q.level === lv)) {
      for (const c of PCATS) {
        const n = people.filter((p) => p.grid.startsWith(a.code) && p.category === c).length;
        if (n) pts.push({ ...labelPoint(a), category: c, count: masked(n) });
      }
    }
    L.people = pointFeatures(pts, z, x, y, (p) => ({ code: p.code, name: p.name, category: p.category, count: p.count }));
  } else if (layer === 'patrol') {
    L.patrol = vtFeatures(patrolIdx, z, x, y);
    if (z >= 13) {
      L.patrol_tracks = vtFeatures(trackIdx, z, x, y);
      L.patrol_missed = pointFeatures(missed, z, x, y, (p) => ({ id: p.id, name: p.name, kind: p.kind }));
    }
  } else return null;
  const layers = {};
  for (const [k, v] of Object.entries(L)) layers[k] = { features: v };
  return Buffer.from(vtpbf.fromGeojsonVt(layers, { version: 2 }));
}

/* ---------------- sessions ---------------- */
const USERS = {
  zhihui: { username: 'zhihui', role: 'command', areas: ['441802'] },
  wangge: { username: 'wangge', role: 'grid', areas: [WANGGE_GRID] },
  fangxun: { username: 'fangxun', role: 'flood', areas: ['441802'] },
  admin: { username: 'admin', role: 'admin', areas: ['441802'] },
};
const sessions = new Map(); // token -> {user, csrf}
const cookies = (req) => Object.fromEntries((req.headers.cookie || '').split(';').map((c) => c.trim().split('=')).filter((p) => p[0]));
const session = (req) => {
  const auth = req.headers.authorization || '';
  const tok = auth.startsWith('Bearer ') ? auth.slice(7) : cookies(req).minqing_session;
  const s = tok && sessions.get(tok);
  return s ? { ...s, viaCookie: !auth.startsWith('Bearer ') } : null;
};

/* ---------------- helpers ---------------- */
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '': 'text/plain; charset=utf-8' };
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'Cache-Control': 'no-cache', ...headers });
  res.end(body);
};
const json = (res, status, obj, headers = {}) => send(res, status, JSON.stringify(obj), { 'Content-Type': 'application/json', ...headers });
const err = (res, status, code, detail) => json(res, status, { error: code, detail });
const readBody = (req) => new Promise((resolve) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => { try { resolve(JSON.parse(b || 'null')); } catch { resolve(undefined); } }); });
function pip([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
const within = (geom, p) => (geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates).some((poly) => pip(p, poly[0]) && !poly.slice(1).some((h) => pip(p, h)));
const distM = ([a, b], [c, d]) => { const r = Math.PI / 180; const s = Math.sin((d - b) * r / 2) ** 2 + Math.cos(b * r) * Math.cos(d * r) * Math.sin((c - a) * r / 2) ** 2; return 2 * 6371008.8 * Math.asin(Math.sqrt(s)); };
const hazardOut = (h) => ({ ...h });
const areaCounts = (code, s) => {
  const inc = incidents.filter((i) => i.grid.startsWith(code));
  const byCat = {};
  for (const i of inc) byCat[i.category] = (byCat[i.category] || 0) + 1;
  return {
    hazards: hazards.filter((h) => h.grid.startsWith(code)).length,
    shelters: shelters.filter((h) => h.grid.startsWith(code)).length,
    places: places.filter((h) => h.grid.startsWith(code)).length,
    incidents: { total: inc.length, open: inc.filter((i) => !['closed', 'rejected'].includes(i.status)).length, overdue: inc.filter(isOverdue).length, by_category: byCat },
    people: s ? { total: peopleCount(code) } : { total: masked(peopleCount(code)) },
  };
};
const sse = new Set();
let changeNo = 1000;
function broadcast(data) {
  changeNo++;
  for (const res of sse) res.write(`id: ${changeNo}\nevent: change\ndata: ${JSON.stringify(data)}\n\n`);
}

/* ---------------- routes ---------------- */
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  const p = url.pathname;
  const s = session(req);
  const origin = `http://${req.headers.host}`;
  try {
    if (p === '/healthz' || p === '/readyz') return json(res, 200, { status: 'ok' });
    let m;
    if ((m = /^\/tiles\/(\w+)\.json$/.exec(p))) {
      const layer = m[1];
      if (!['grids', 'hazards', 'shelters', 'places', 'incidents', 'people', 'patrol'].includes(layer)) return err(res, 404, 'not_found', layer);
      if (PRIVATE_LAYERS.has(layer) && !s) return err(res, 401, 'unauthorized', 'sign in');
      return json(res, 200, { tilejson: '3.0.0', name: layer, tiles: [`${origin}/tiles/${layer}/{z}/{x}/{y}.mvt`], minzoom: 0, maxzoom: 18,
        bounds: DBOX, vector_layers: (COMPANIONS[layer] || [layer]).map((id) => ({ id, fields: {} })) });
    }
    if ((m = /^\/tiles\/(\w+)\/(\d+)\/(\d+)\/(\d+)\.mvt$/.exec(p))) {
      const [, layer, z, x, y] = m;
      if (PRIVATE_LAYERS.has(layer) && !s) return err(res, 401, 'unauthorized', 'sign in');
      const buf = makeTile(layer, +z, +x, +y);
      if (!buf) return err(res, 404, 'not_found', layer);
      return send(res, 200, buf, { 'Content-Type': 'application/vnd.mapbox-vector-tile' });
    }
    if (p === '/api/auth/login' && req.method === 'POST') {
      const b = await readBody(req);
      const u = b && USERS[b.username];
      if (!u || b.password !== 'minqing-demo') return err(res, 401, 'bad_credentials', 'wrong user name or password');
      const token = crypto.randomBytes(18).toString('hex'), csrf = crypto.randomBytes(12).toString('hex');
      sessions.set(token, { user: u, csrf });
      res.setHeader('Set-Cookie', [`minqing_session=${token}; Path=/; HttpOnly; SameSite=Strict`, `minqing_csrf=${csrf}; Path=/; SameSite=Strict`]);
      return json(res, 200, { token, user: u });
    }
    if (p.startsWith('/api/') && req.method !== 'GET' && s && s.viaCookie && req.headers['x-csrf-token'] !== s.csrf) {
      return err(res, 403, 'csrf', 'missing or wrong X-CSRF-Token');
    }
    if (p === '/api/auth/logout' && req.method === 'POST') {
      if (s) for (const [k, v] of sessions) if (v.csrf === s.csrf) sessions.delete(k);
      res.setHeader('Set-Cookie', ['minqing_session=; Path=/; Max-Age=0', 'minqing_csrf=; Path=/; Max-Age=0']);
      return send(res, 204, '');
    }
    if (p === '/api/me') return s ? json(res, 200, s.user) : err(res, 401, 'unauthorized', 'sign in');
    if ((m = /^\/api\/areas\/(\d+)$/.exec(p))) {
      const a = areas.get(m[1]);
      if (!a) return err(res, 404, 'not_found', m[1]);
      return json(res, 200, { code: a.code, name: a.name, level: a.level, parent: a.parent, children: a.children, bbox: a.bbox, geometry: a.geometry, counts: areaCounts(a.code, s) });
    }
    if (p === '/api/grids/at') {
      const g = gridAt([+url.searchParams.get('lon'), +url.searchParams.get('lat')]);
      if (!g) return err(res, 404, 'not_found', 'outside every grid');
      const anc = []; let q = areas.get(g.parent);
      while (q) { anc.unshift({ code: q.code, name: q.name, level: q.level }); q = areas.get(q.parent); }
      return json(res, 200, { code: g.code, name: g.name, level: 'grid', head: s ? { name: g.head, phone: g.phone } : { name: g.head }, households: g.households, residents: g.households * 3, ancestors: anc });
    }
    if (p === '/api/hazards/nearest') {
      const at = [+url.searchParams.get('lon'), +url.searchParams.get('lat')];
      const k = Math.min(100, Number(url.searchParams.get('k') || 10));
      if (!(k >= 1)) return err(res, 400, 'bad_request', 'k');
      return json(res, 200, { items: hazards.map((h) => ({ ...hazardOut(h), distance_m: Math.round(distM(at, [h.lon, h.lat])) })).sort((a, b) => a.distance_m - b.distance_m).slice(0, k) });
    }
    if (p === '/api/query/within' && req.method === 'POST') {
      let g = await readBody(req);
      if (g && g.type === 'Feature') g = g.geometry;
      if (!g || !['Polygon', 'MultiPolygon'].includes(g.type)) return err(res, 400, 'bad_request', 'a GeoJSON Polygon');
      const hz = hazards.filter((h) => within(g, [h.lon, h.lat]));
      const sh = shelters.filter((h) => within(g, [h.lon, h.lat]));
      const inc = s ? incidents.filter((h) => within(g, [h.lon, h.lat])) : [];
      const gridsIn = [...areas.values()].filter((a) => a.level === 'grid' && within(g, center(a.bbox)));
      const ppl = people.filter((q) => gridsIn.some((a) => a.code === q.grid));
      return json(res, 200, {
        hazards: { items: hz.map(hazardOut), total: hz.length, threatened_households: hz.reduce((n, h) => n + h.threatened_households, 0), threatened_persons: hz.reduce((n, h) => n + h.threatened_persons, 0) },
        shelters: { items: sh, total: sh.length, capacity: sh.reduce((n, h) => n + h.capacity, 0) },
        incidents: { items: inc, total: inc.length },
        people: {
          counts: Object.fromEntries(PCATS.map((c) => [c, ppl.filter((q) => q.category === c).length]).filter(([, n]) => n > 0).map(([c, n]) => [c, s ? n : masked(n)])),
          total: s ? ppl.length : masked(ppl.length),
          items: s && s.user.role !== 'public' ? ppl : [],
        },
      });
    }
    if (p === '/ogc/collections/hazards/items') {
      let f = hazards;
      if (url.searchParams.get('risk')) f = f.filter((h) => h.risk === url.searchParams.get('risk'));
      return json(res, 200, { type: 'FeatureCollection', numberMatched: f.length, numberReturned: f.length, features: f.map((h) => feat({ type: 'Point', coordinates: [h.lon, h.lat] }, h)) });
    }
    if (p === '/ogc/collections/grids/items') {
      const n = url.searchParams.get('name');
      const f = [...areas.values()].filter((a) => !n || a.name === n);
      return json(res, 200, { type: 'FeatureCollection', numberMatched: f.length, numberReturned: f.length, features: f.map((a) => ({ ...feat(a.geometry, { code: a.code, name: a.name, level: a.level }), id: a.code })) });
    }
    // Everything below needs a session.
    if (p.startsWith('/api/') && !s) return err(res, 401, 'unauthorized', 'sign in');
    if (p === '/api/incidents/categories') return json(res, 200, { items: CATS.map(([code, name]) => ({ code, name })) });
    if (p === '/api/incidents' && req.method === 'GET') {
      let f = incidents;
      const a = url.searchParams.get('area'), since = url.searchParams.get('since'), st = url.searchParams.get('status');
      if (a) f = f.filter((i) => i.grid.startsWith(a));
      if (since) { const t = Date.parse(since); if (Number.isNaN(t)) return err(res, 400, 'bad_request', 'since'); f = f.filter((i) => Date.parse(i.reported_at) >= t); }
      if (st) f = f.filter((i) => i.status === st);
      return json(res, 200, { items: f.map((i) => ({ ...i, overdue: isOverdue(i) })), total: f.length });
    }
    if (p === '/api/incidents' && req.method === 'POST') {
      const b = await readBody(req);
      const cat = b && CATS.find(([c, n]) => c === b.category || n === b.category);
      if (!cat || typeof b.lon !== 'number' || typeof b.lat !== 'number') return err(res, 400, 'bad_request', 'category, lon, lat');
      const g = gridAt([b.lon, b.lat]);
      if (!g) return err(res, 400, 'outside', 'outside every grid');
      const t0 = Date.now();
      const inc = { id: `INC${String(incSeq++).padStart(5, '0')}`, category: cat[1], status: 'reported', lon: b.lon, lat: b.lat, grid: g.code,
        reported_at: new Date(t0).toISOString(), deadline: new Date(t0 + 7 * 86400000).toISOString(), description: b.description || '' };
      incidents.push(inc);
      broadcast({ kind: 'incident.created', id: inc.id, lon: inc.lon, lat: inc.lat, category: inc.category, grid: inc.grid, status: inc.status });
      return json(res, 201, { ...inc, overdue: false });
    }
    if ((m = /^\/api\/incidents\/(\w+)$/.exec(p))) {
      const i = incidents.find((q) => q.id === m[1]);
      return i ? json(res, 200, { ...i, history: [] }) : err(res, 404, 'not_found', m[1]);
    }
    if (p === '/api/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      res.write(': hello\n\n');
      sse.add(res);
      const ping = setInterval(() => res.write(': ping\n\n'), 15000);
      req.on('close', () => { clearInterval(ping); sse.delete(res); });
      return;
    }
    if (p === '/api/people') {
      const a = url.searchParams.get('area') || s.user.areas[0];
      const f = people.filter((q) => q.grid.startsWith(a));
      return json(res, 200, { items: f, total: f.length });
    }
    if (p === '/api/patrol/coverage') {
      const a = url.searchParams.get('area') || '441802';
      const gs = [...areas.values()].filter((g) => g.level === 'grid' && g.code.startsWith(a));
      return json(res, 200, { grids: gs.map((g) => ({ code: g.code, name: g.name, coverage: coverage.get(g.code), places_visited: 1, places_missed: missed.filter((q) => q.grid === g.code).map((q) => ({ id: q.id, name: q.name, kind: q.kind })) })) });
    }
    if (p.startsWith('/api/') || p.startsWith('/tiles/') || p.startsWith('/ogc')) return err(res, 404, 'not_found', p);
    // static
    let file = ['/', '/wall', '/grid', '/flood'].includes(p) ? '/index.html' : p;
    file = path.normalize(path.join(WEB, file));
    if (!file.startsWith(WEB + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return err(res, 404, 'not_found', p);
    return send(res, 200, fs.readFileSync(file), { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' });
  } catch (e) {
    console.error(e);
    return err(res, 500, 'internal', 'internal error');
  }
});
server.listen(PORT, '127.0.0.1', () => console.log(`mock-server: http://127.0.0.1:${PORT} (wangge grid ${WANGGE_GRID})`));
const stop = () => { for (const r of sse) r.end(); server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
