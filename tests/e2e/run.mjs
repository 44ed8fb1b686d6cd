// End-to-end checks of the Minqing Map web app in headless Debian Chromium (playwright-core).
//
//   BASE_URL=http://127.0.0.1:8090 node tests/e2e/run.mjs
//
// Env: BASE_URL (default http://127.0.0.1:8080), SHOT_DIR (default target/screenshots, relative
// to the working directory), CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_MS (per wait,
// default 60000), E2E_ONLY (comma list of: anon,wall,grid,general,flood,warning,base,lang,offline,loop — default all;
// `admin` runs only when named, with ADMIN_FILES set: see tests/e2e/admin.mjs).
// Needs a server started with the demo district (--demo) and its demo accounts.
//
// Prints one line per check ("ok   name" / "FAIL name: why"), then "N passed, N failed".
// Exit 0 only when every check passed.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { adminFlow } from './admin.mjs';
import { loopFlow, insecureContext } from './loop.mjs';
import { dropProxy } from './dropper.mjs';

const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const BASE = new URL(BASE_URL);
const SHOT_DIR = path.resolve(process.env.SHOT_DIR || 'target/screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const T = Number(process.env.E2E_TIMEOUT_MS || 60000);
const ONLY = new Set((process.env.E2E_ONLY || 'anon,wall,grid,general,flood,warning,base,lang,offline,loop').split(',').map((s) => s.trim()));
const PASSWORD = process.env.DEMO_PASSWORD || 'minqing-demo';
// The grid head's demo grid contains this point (shared/contract.md, demo accounts).
const WANGGE_POINT = [113.056, 23.698];
const ATTRIBUTION = '边界示意，非审图号地图';

let passed = 0;
let failed = 0;
const failures = [];

function ok(name, detail = '') {
  passed++;
  console.log(`ok   ${name}${detail ? ' — ' + detail : ''}`);
}
function fail(name, why) {
  failed++;
  failures.push(name);
  console.log(`FAIL ${name}: ${why}`);
}
class CheckError extends Error {}
/** Runs one check; a thrown error fails it. Returns the function's value or undefined. */
async function check(name, fn) {
  try {
    const r = await fn();
    ok(name, typeof r === 'string' ? r : '');
    return r === undefined ? true : r;
  } catch (e) {
    fail(name, (e && e.message ? e.message : String(e)).split('\n')[0]);
    return undefined;
  }
}
function expect(cond, msg) { if (!cond) throw new CheckError(msg); }

/* ---------------- browser ---------------- */

async function waitForFile(file, ms) {
  const t0 = Date.now();
  let told = false;
  while (!fs.existsSync(file)) {
    if (Date.now() - t0 > ms) return false;
    if (!told) { console.log(`..   waiting for ${file}`); told = true; }
    await new Promise((r) => setTimeout(r, 2000));
  }
  return true;
}

async function waitForServer(ms) {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < ms) {
    try {
      const r = await fetch(`${BASE_URL}/readyz`);
      if (r.ok) return true;
      last = `readyz ${r.status}`;
    } catch (e) { last = e.cause ? e.cause.code || e.message : e.message; }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`server at ${BASE_URL} not ready after ${ms / 1000}s (${last})`);
}

const ARGS = [
  '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-default-apps', '--disable-extensions', '--mute-audio', '--hide-scrollbars',
  // No --disable-gpu: Chromium 156 renders WebGL through SwiftShader (ANGLE/Vulkan) with or
  // without it, but with it every readback logs "GPU stall due to ReadPixels" warnings.
];

/**
 * A page with guards: console errors, page errors, requests to other hosts, and (when
 * `anonymous`) responses >= 400 are collected as problems.
 */
async function guardedPage(browser, { viewport = { width: 1280, height: 800 }, mobile = false, anonymous = true, label, timezoneId = 'Asia/Shanghai' }) {
  const context = await browser.newContext({
    viewport, deviceScaleFactor: 1, isMobile: mobile, hasTouch: mobile, locale: 'zh-CN', timezoneId,
    acceptDownloads: true, serviceWorkers: 'block',
  });
  const page = await context.newPage();
  const problems = [];
  const state = { anonymous };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    let host;
    try { host = new URL(u).host; } catch { host = u; }
    if (host !== BASE.host) problems.push(`request to another host: ${u}`);
  });
  page.on('response', (r) => {
    // Anonymous loads must make no 4xx; signed-in flows are held to the same rule.
    if (r.status() >= 400) {
      problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url().replace(BASE_URL, '')}${state.anonymous ? ' (anonymous)' : ''}`);
    }
  });
  page.on('requestfailed', (r) => {
    const f = r.failure();
    const why = f ? f.errorText : '';
    // MapLibre cancels tiles it no longer needs; EventSource is aborted when a page closes.
    if (why.includes('ERR_ABORTED')) return;
    problems.push(`request failed: ${r.url().replace(BASE_URL, '')} ${why}`);
  });
  return { context, page, problems, state, label };
}

function assertNoProblems(g, what) {
  const p = g.problems.splice(0);
  expect(p.length === 0, `${what}: ${p.slice(0, 5).join(' | ')}${p.length > 5 ? ` (+${p.length - 5} more)` : ''}`);
}

async function waitReady(page) {
  await page.waitForSelector('body[data-ready="1"]', { timeout: T, state: 'attached' });
}

/** Counts of rendered features per style layer id. */
async function rendered(page, layers) {
  return page.evaluate((ids) => {
    const m = window.__map;
    const out = {};
    for (const id of ids) out[id] = m.getLayer(id) ? m.queryRenderedFeatures({ layers: [id] }).length : -1;
    return out;
  }, layers);
}

async function shot(page, name) {
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  const file = path.join(SHOT_DIR, name);
  await page.screenshot({ path: file });
  return file;
}

async function login(page, username) {
  const dlg = page.locator('#login-dialog');
  if (!(await dlg.evaluate((d) => d.open))) await page.click('#login-btn');
  await page.fill('#login-username', username);
  await page.fill('#login-password', PASSWORD);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/auth/login'), { timeout: T }),
    page.click('#login-submit'),
  ]);
  expect(resp.status() === 200, `login as ${username} answered ${resp.status()}`);
  await page.waitForFunction(() => !document.querySelector('#login-dialog').open, null, { timeout: T });
  await page.waitForSelector('#logout-btn', { timeout: T });
  const stored = await page.evaluate(() => localStorage.getItem('minqing.user'));
  expect(stored && !/token/i.test(stored), `localStorage must hold username/role only, holds ${stored}`);
}

/** Style: no glyphs, no source outside our own origin. */
async function styleIsOffline(page) {
  return page.evaluate((origin) => {
    const s = window.__map.getStyle();
    const bad = [];
    if (s.glyphs) bad.push(`glyphs=${s.glyphs}`);
    if (s.sprite) bad.push(`sprite=${JSON.stringify(s.sprite)}`);
    for (const [id, src] of Object.entries(s.sources)) {
      const urls = [src.url, ...(src.tiles || [])].filter(Boolean);
      for (const u of urls) if (!String(u).startsWith(origin)) bad.push(`${id}: ${u}`);
    }
    return bad;
  }, BASE.origin);
}

/* ---------------- anonymous views ---------------- */

const VIEWS = [
  { path: '/', shot: 'index.png', viewport: { width: 1280, height: 800 } },
  { path: '/wall', shot: 'wall.png', viewport: { width: 1920, height: 1080 }, needsLogin: true },
  { path: '/grid', shot: 'grid.png', viewport: { width: 360, height: 740 }, mobile: true, needsLogin: true },
  { path: '/flood', shot: 'flood.png', viewport: { width: 1280, height: 800 } },
];

async function anonymousView(browser, v) {
  const name = `anon ${v.path}`;
  const g = await guardedPage(browser, { viewport: v.viewport, mobile: v.mobile, label: name });
  const { page } = g;
  try {
    const okLoad = await check(`${name}: loads and the map becomes ready`, async () => {
      const r = await page.goto(BASE_URL + v.path, { waitUntil: 'domcontentloaded', timeout: T });
      expect(r && r.status() === 200, `GET ${v.path} answered ${r && r.status()}`);
      await waitReady(page);
      return `${(await page.evaluate(() => performance.now() / 1000)).toFixed(1)} s`;
    });
    if (!okLoad) { assertNoProblemsSoft(g, name); return; }
    // Let late tiles and labels arrive before judging.
    await page.waitForTimeout(500);
    await page.evaluate(() => new Promise((r) => (window.__map.loaded() ? r() : window.__map.once('idle', r))));
    await check(`${name}: grid polygons and hazard points rendered`, async () => {
      const c = await rendered(page, ['grids-fill', 'hazards-circle']);
      expect(c['grids-fill'] > 0, `no grids polygon rendered (${JSON.stringify(c)})`);
      expect(c['hazards-circle'] > 0, `no hazard point rendered (${JSON.stringify(c)})`);
      return `grids ${c['grids-fill']}, hazards ${c['hazards-circle']}`;
    });
    await check(`${name}: style is offline (no glyphs, only our own sources)`, async () => {
      const bad = await styleIsOffline(page);
      expect(bad.length === 0, bad.join('; '));
    });
    await check(`${name}: attribution marks the map as illustrative`, async () => {
      const text = await page.textContent('.maplibregl-ctrl-attrib');
      expect(text && text.includes(ATTRIBUTION), `attribution is "${text}"`);
    });
    if (v.needsLogin) {
      await check(`${name}: shows its login panel`, async () => {
        expect(await page.evaluate(() => document.querySelector('#login-dialog').open), 'login dialog is not open');
      });
    }
    if (v.path === '/') {
      await check(`${name}: layer panel lists every layer`, async () => {
        const layers = await page.$$eval('#panel input[data-layer]', (els) => els.map((e) => e.dataset.layer));
        for (const l of ['grids', 'hazards', 'shelters', 'places', 'incidents', 'people', 'patrol']) {
          expect(layers.includes(l), `no toggle for ${l} (have ${layers})`);
        }
      });
      await check(`${name}: people and incident layers are locked until sign-in (nothing about them is public)`, async () => {
        for (const l of ['people', 'incidents', 'patrol']) {
          expect(await page.isDisabled(`#layer-${l}`), `#layer-${l} can be switched on anonymously`);
        }
        const sources = await page.evaluate(() => Object.keys(window.__map.getStyle().sources));
        for (const l of ['people', 'incidents', 'patrol']) expect(!sources.includes(l), `anonymous map loads the ${l} source`);
      });
      await check(`${name}: clicking a hazard point opens its popup`, async () => {
        const pt = await page.evaluate(() => {
          const m = window.__map;
          const c = m.getCanvas().getBoundingClientRect();
          const f = m.queryRenderedFeatures({ layers: ['hazards-circle'] })
            .map((q) => ({ q, p: m.project(q.geometry.coordinates) }))
            .find(({ p }) => p.x > 300 && p.y > 60 && p.x < c.width - 60 && p.y < c.height - 60); // clear of the panel
          return f && { x: c.left + f.p.x, y: c.top + f.p.y, name: f.q.properties.name };
        });
        expect(pt, 'no hazard point clear of the panel');
        await page.mouse.click(pt.x, pt.y);
        await page.waitForSelector('.maplibregl-popup', { timeout: 5000 });
        const text = await page.textContent('.maplibregl-popup');
        await page.click('.maplibregl-popup-close-button');
        expect(text.includes('风险等级'), `popup text "${text}"`);
        return pt.name;
      });
      await check(`${name}: 中/EN toggle switches the UI language`, async () => {
        await page.click('#lang-toggle');
        const en = await page.textContent('nav.views a[href="/flood"]');
        const lang = await page.evaluate(() => document.documentElement.lang);
        await page.click('#lang-toggle');
        const zh = await page.textContent('nav.views a[href="/flood"]');
        expect(en === 'Flood' && lang === 'en' && zh === '防汛', `got "${en}" (${lang}) then "${zh}"`);
      });
    }
    if (v.path === '/grid') {
      await check(`${name}: fits a 360 px phone (no horizontal overflow)`, async () => {
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(w <= 360, `page is ${w}px wide`);
      });
    }
    await check(`${name}: screenshot ${v.shot}`, async () => path.relative(process.cwd(), await shot(page, v.shot)));
    await check(`${name}: no console error, no other host, no 4xx/5xx`, async () => assertNoProblems(g, name));
  } finally {
    await g.context.close();
  }
}

function assertNoProblemsSoft(g, name) {
  if (g.problems.length) fail(`${name}: problems while loading`, g.problems.slice(0, 5).join(' | '));
}

/* ---------------- logged-in flows ---------------- */

const CODE_RE = /\d{9,15}/; // an area code where a name belongs

/** The time in Asia/Shanghai as the wall's clock writes it (YYYY-MM-DDTHH:MM:SS). */
function shanghaiNow(d = new Date()) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

async function apiToken(username) {
  const r = await fetch(`${BASE_URL}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }) });
  expect(r.ok, `API login of ${username} answered ${r.status}`);
  return (await r.json()).token;
}

/**
 * The command-centre wall at its real size (1920×1080), in a browser whose own zone is not
 * Shanghai (the clock must not care): feed on open, overdue list, trend, rankings, handling,
 * clock, patrol fill off by default, whole district, full screen, a new case flashing within 2 s,
 * session renewal and the stream coming back after a drop.
 */
async function wallAsCommand(browser) {
  const g = await guardedPage(browser, { viewport: { width: 1920, height: 1080 }, anonymous: true, label: 'wall', timezoneId: 'America/New_York' });
  const { page } = g;
  const loaded = await check('wall: zhihui signs in on /wall', async () => {
    await page.goto(`${BASE_URL}/wall`, { timeout: T });
    await waitReady(page);
    g.state.anonymous = false;
    await login(page, 'zhihui');
  });
  if (!loaded) return { g, page, ok: false };
  const live = await check('wall: live feed connects (SSE)', async () => {
    await page.waitForSelector('body[data-sse="open"]', { timeout: T, state: 'attached' });
  });
  await check('wall: KPIs filled from the server', async () => {
    await page.waitForSelector('body[data-kpis="1"]', { timeout: T, state: 'attached' });
    const kpis = await page.$$eval('[data-kpi]', (els) => Object.fromEntries(els.map((e) => [e.dataset.kpi, e.querySelector('.kpi-value').textContent])));
    for (const k of ['open', 'overdue', 'today', 'red', 'coverage']) expect(kpis[k] && kpis[k] !== '–', `KPI ${k} is "${kpis[k]}" (${JSON.stringify(kpis)})`);
    return JSON.stringify(kpis);
  });
  await check('wall: the feed shows the last 20 changes on open, newest first, with street and grid names (not codes)', async () => {
    await page.waitForSelector('body[data-recent]', { timeout: T, state: 'attached' });
    const api = (await pageApi(page, '/api/incidents/recent?limit=20')).body;
    const rows = await page.$$eval('#feed li[data-id]', (els) => els.map((e) => ({ id: e.dataset.id, at: e.dataset.at, text: e.textContent,
      place: e.querySelector('.place').textContent, cat: e.querySelector('.cat').textContent })));
    expect(rows.length === 20, `${rows.length} entries in the feed on open (the demo has more than 20 changes)`);
    const times = rows.map((r) => Date.parse(r.at));
    expect(times.every((x, i) => i === 0 || times[i - 1] >= x), 'entries are newest first');
    const first = api.items[0];
    expect(rows[0].id === first.id, `first entry ${rows[0].id}, the server's newest change is ${first.id}`);
    for (const r of rows) {
      expect(r.place && !CODE_RE.test(r.place) && r.cat, `entry "${r.text}" names no place or shows a code`);
    }
    expect(rows[0].place.includes(first.grid_name) && rows[0].place.includes(first.street_name),
      `first entry "${rows[0].place}" names ${first.street_name} · ${first.grid_name}`);
    return `${rows.length} entries, first "${rows[0].text}"`;
  });
  await check('wall: the overdue list shows the most overdue cases and agrees with the KPI', async () => {
    await page.waitForSelector('#overdue-list li', { timeout: T });
    const kpi = Number((await page.textContent('[data-kpi="overdue"] .kpi-value')).replace(/\D/g, ''));
    const head = Number((await page.textContent('#overdue-box h2 .count')).replace(/\D/g, ''));
    const rows = await page.$$eval('#overdue-list li', (els) => els.map((e) => ({ late: e.querySelector('.late').textContent, place: e.querySelector('.place').textContent })));
    expect(head === kpi && head > 0, `list says ${head}, KPI says ${kpi}`);
    expect(rows.length === Math.min(5, head), `${rows.length} rows shown of ${head}`);
    expect(rows.every((r) => /超期/.test(r.late) && !CODE_RE.test(r.place)), `rows ${JSON.stringify(rows.slice(0, 2))}`);
    return `${head} overdue, first: ${rows[0].late} ${rows[0].place}`;
  });
  await check('wall: KPIs carry a 7-day trend (sparkline and ▲▼ against yesterday)', async () => {
    const t = await page.$$eval('[data-kpi] .kpi-trend', (els) => els.map((e) => ({
      kpi: e.parentElement.dataset.kpi, days: e.dataset.days,
      points: (e.querySelector('svg.spark polyline')?.getAttribute('points') || '').trim().split(/\s+/).length,
      delta: e.querySelector('.delta')?.textContent })));
    expect(t.length === 3, `trend on ${t.map((x) => x.kpi)}`);
    for (const x of t) expect(x.days === '7' && x.points === 7 && /[▲▼＝]/.test(x.delta || ''), `trend of ${x.kpi}: ${JSON.stringify(x)}`);
    return t.map((x) => `${x.kpi} ${x.delta}`).join(', ');
  });
  await check('wall: incidents ranked by category and by street, handling median/p90, on-time and reopen rates shown', async () => {
    const bars = (id) => page.$$eval(`#${id} li`, (els) => els.map((e) => ({ label: e.querySelector('.bar-label').textContent, v: Number(e.querySelector('.bar-value').textContent.replace(/\D/g, '')) })));
    const cat = await bars('bars-category');
    const street = await bars('bars-street');
    expect(cat.length >= 3 && street.length >= 2, `${cat.length} category bars, ${street.length} street bars`);
    for (const b of [cat, street]) expect(b.every((x, i) => i === 0 || b[i - 1].v >= x.v), `bars not ranked: ${JSON.stringify(b)}`);
    expect(street.every((s) => !CODE_RE.test(s.label)), `street bars show codes: ${JSON.stringify(street)}`);
    const hd = await page.$$eval('#wall-handling .hd', (els) => Object.fromEntries(els.map((e) => [e.dataset.k, e.querySelector('.hd-value').textContent])));
    for (const k of ['median', 'p90', 'on_time', 'reopen']) expect(hd[k] && hd[k] !== '–', `handling ${k} is "${hd[k]}"`);
    return `${cat[0].label} ${cat[0].v}, ${street[0].label} ${street[0].v}; ${JSON.stringify(hd)}`;
  });
  await check('wall: the clock shows Asia/Shanghai time although the browser runs in New York', async () => {
    const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    const shown = await page.getAttribute('#wall-clock', 'data-shanghai');
    const text = await page.textContent('#wall-clock .clock-time');
    const diff = Math.abs(Date.parse(`${shown}+08:00`) - Date.now());
    expect(zone === 'America/New_York', `browser zone ${zone}`);
    expect(diff < 3000 && text === shown.slice(11), `clock shows ${text} (${shown}), Shanghai is ${shanghaiNow()}`);
    return `${text} in Shanghai`;
  });
  await check('wall: patrol coverage fill is off by default and the button shows it', async () => {
    const vis = () => page.evaluate(() => (window.__map.getLayer('patrol-fill') ? window.__map.getLayoutProperty('patrol-fill', 'visibility') : 'absent'));
    const before = await vis();
    expect(before !== 'visible' && (await page.getAttribute('#wall-patrol', 'aria-pressed')) === 'false', `patrol fill is ${before} on open`);
    await page.click('#wall-patrol');
    await page.evaluate(() => new Promise((r) => (window.__map.loaded() ? r() : window.__map.once('idle', r))));
    const c = await rendered(page, ['patrol-fill']);
    expect((await vis()) === 'visible' && c['patrol-fill'] > 0, `after the button: ${await vis()}, ${c['patrol-fill']} rendered`);
    await page.click('#wall-patrol');
    expect((await vis()) !== 'visible', 'a second press hides it again');
    return `${c['patrol-fill']} coverage polygons when on`;
  });
  await check('wall: "whole district" fits the district after zooming in', async () => {
    const tj = (await pageApi(page, '/tiles/grids.json')).body;
    await page.evaluate(() => window.__map.jumpTo({ center: [113.056, 23.698], zoom: 16 }));
    const before = await page.evaluate(() => window.__map.getZoom());
    await page.click('#wall-district');
    await page.waitForSelector('body[data-fitted]', { timeout: T, state: 'attached' });
    const b = await page.evaluate(() => window.__map.getBounds().toArray());
    const [w, s, e, n] = tj.bounds;
    const slack = 0.02;
    expect(b[0][0] <= w + slack && b[0][1] <= s + slack && b[1][0] >= e - slack && b[1][1] >= n - slack,
      `view ${JSON.stringify(b)} does not hold the district ${tj.bounds}`);
    expect((b[1][0] - b[0][0]) < 2 * (e - w) + 0.5, `view ${JSON.stringify(b)} is far wider than the district`);
    return `zoom ${before.toFixed(1)} → ${(await page.evaluate(() => window.__map.getZoom())).toFixed(1)}`;
  });
  await check('wall: large labels for three metres at 1920×1080 (feed ≥ 20 px, KPI ≥ 48 px, clock ≥ 40 px)', async () => {
    const px = (sel) => page.$eval(sel, (e) => parseFloat(getComputedStyle(e).fontSize));
    const sizes = { feed: await px('#feed li[data-id] .cat'), kpi: await px('[data-kpi="open"] .kpi-value'),
      clock: await px('#wall-clock .clock-time'), bars: await px('#bars-street li'), buttons: await px('#wall-district') };
    expect(sizes.feed >= 20 && sizes.kpi >= 48 && sizes.clock >= 40 && sizes.bars >= 18 && sizes.buttons >= 18, JSON.stringify(sizes));
    const over = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(over <= 1920, `page is ${over}px wide`);
    return JSON.stringify(sizes);
  });
  await check('wall: screenshot wall-1920.png', async () => {
    await page.evaluate(() => new Promise((r) => (window.__map.loaded() ? r() : window.__map.once('idle', r))));
    return path.relative(process.cwd(), await shot(page, 'wall-1920.png'));
  });
  await check('wall: full-screen mode (F key and button) hides the header and navigation', async () => {
    expect(await page.isVisible('nav.views'), 'navigation visible before');
    await page.keyboard.press('f');
    await page.waitForSelector('body.wall-full', { timeout: 5000, state: 'attached' });
    await page.waitForTimeout(300);
    const hidden = !(await page.isVisible('#topbar')) && !(await page.isVisible('nav.views'));
    const mapBox = await page.$eval('#map', (e) => e.getBoundingClientRect().height);
    expect(hidden && mapBox >= 1070, `header hidden ${hidden}, map ${mapBox}px high`);
    await shot(page, 'wall-fullscreen.png');
    await page.click('#wall-full');
    await page.waitForSelector('body:not(.wall-full)', { timeout: 5000, state: 'attached' });
    expect(await page.isVisible('nav.views'), 'navigation back after the button');
    return `map ${mapBox}px high in full screen`;
  });
  const flashed = await check('wall: a new case flashes (map ring, banner, highlighted entry naming street, grid and category) within 2 s', async () => {
    const token = await apiToken('zhihui');
    const t0 = Date.now();
    const r = await fetch(`${BASE_URL}/api/incidents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ category: '治安隐患', description: 'e2e 大屏闪烁', lon: WANGGE_POINT[0], lat: WANGGE_POINT[1] }) });
    const made = await r.json();
    expect(r.status === 201, `POST answered ${r.status}`);
    await page.waitForSelector(`#feed li.fresh[data-id="${made.id}"]`, { timeout: 5000 });
    await page.waitForSelector(`body[data-flash="${made.id}"] #wall-alert:not([hidden])`, { timeout: 5000, state: 'attached' });
    const ms = Date.now() - t0;
    const grid = (await pageApi(page, `/api/areas/${made.grid}`)).body;
    const street = grid.ancestors.find((a) => a.level === 'street');
    const entry = await page.textContent(`#feed li[data-id="${made.id}"]`);
    const banner = await page.textContent('#wall-alert');
    const first = await page.getAttribute('#feed li[data-id]', 'data-id');
    // The ring is drawn from the next animation frames (a GeoJSON source updates in a worker).
    const ring = await page.waitForFunction((id) => window.__map.querySourceFeatures('flash').some((f) => f.properties.id === id),
      made.id, { timeout: 5000 }).then(() => true, () => false);
    expect(ms <= 2000, `took ${ms} ms`);
    expect(first === made.id, `the new case is not first in the feed (${first})`);
    for (const want of [grid.name, street.name, '治安隐患']) {
      expect(entry.includes(want) && banner.includes(want), `"${want}" missing: entry "${entry}", banner "${banner}"`);
    }
    expect(ring, 'no flash ring on the map');
    await page.waitForTimeout(600);
    await shot(page, 'wall-flash.png');
    return `${ms} ms: ${entry}`;
  });
  await check('wall: the session renews while the screen is on (GET /api/me refreshes the cookie)', async () => {
    const before = (await g.context.cookies()).find((c) => c.name === 'minqing_session');
    await page.waitForTimeout(1100); // cookie expiry has one-second resolution
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await page.waitForSelector('body[data-renewed]', { timeout: T, state: 'attached' });
    const after = (await g.context.cookies()).find((c) => c.name === 'minqing_session');
    const hours = (after.expires - Date.now() / 1000) / 3600;
    expect(after.value === before.value && after.expires > before.expires && hours > 11.9, `cookie expires in ${hours.toFixed(2)} h (before: ${((before.expires - Date.now() / 1000) / 3600).toFixed(2)} h)`);
    return `${hours.toFixed(2)} h left`;
  });
  await check('wall: the live feed reconnects after the network drops, and misses nothing', async () => {
    // A second wall reached through a proxy that cuts every connection for 6 s (the stream
    // included); a case and a step are made meanwhile; after the drop the page reconnects and
    // both are in its feed.
    const proxy = await dropProxy(BASE_URL);
    const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', serviceWorkers: 'block' });
    try {
      const p2 = await ctx.newPage();
      await p2.goto(`${proxy.url}/wall`, { timeout: T });
      await waitReady(p2);
      await login(p2, 'zhihui');
      await p2.waitForSelector('body[data-sse="open"]', { timeout: T, state: 'attached' });
      const token = await apiToken('zhihui');
      const dropped = proxy.drop(6000);
      await p2.waitForFunction(() => document.body.dataset.sse !== 'open', null, { timeout: 5000 });
      const r = await fetch(`${BASE_URL}/api/incidents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ category: '民生诉求', description: 'e2e 断线期间', lon: WANGGE_POINT[0], lat: WANGGE_POINT[1] }) });
      const made = await r.json();
      expect(r.status === 201, `POST answered ${r.status}`);
      const a = await fetch(`${BASE_URL}/api/incidents/${made.id}/actions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ action: 'accept', note: 'e2e' }) });
      expect(a.status === 200, `accept answered ${a.status}`);
      await dropped;
      const t0 = Date.now();
      await p2.waitForSelector('body[data-sse="open"]', { timeout: 60000, state: 'attached' });
      await p2.waitForSelector(`#feed li[data-id="${made.id}"][data-key$="|report"]`, { timeout: 20000 });
      await p2.waitForSelector(`#feed li[data-id="${made.id}"][data-key$="|accept"]`, { timeout: 20000 });
      return `back ${((Date.now() - t0) / 1000).toFixed(1)} s after the drop; ${made.id} reported and accepted meanwhile are both in the feed`;
    } finally {
      await ctx.close();
      proxy.close();
    }
  });
  await check('wall: English labels after 中/EN', async () => {
    await page.click('#lang-toggle');
    const texts = { district: await page.textContent('#wall-district'), title: await page.textContent('#feed-title'),
      overdue: await page.textContent('#overdue-box h2'), handling: await page.textContent('#wall-handling h2'),
      status: await page.textContent('#feed-status') };
    await page.click('#lang-toggle');
    expect(texts.district === 'Whole district' && texts.title === 'Latest changes' && texts.overdue.startsWith('Overdue cases')
      && texts.handling.startsWith('Handling') && texts.status === 'Live feed connected', JSON.stringify(texts));
  });
  await check('wall: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(g, 'wall'));
  return { g, page, ok: !!live, flashed: !!flashed };
}

/** `/` signed in: sign in, reload (the session is restored through /api/me), search. */
async function generalSignedIn(browser) {
  const g = await guardedPage(browser, { viewport: { width: 1280, height: 800 }, label: 'general' });
  const { page } = g;
  try {
    const signed = await check('general: zhihui signs in on /', async () => {
      await page.goto(`${BASE_URL}/`, { timeout: T });
      await waitReady(page);
      g.state.anonymous = false;
      await login(page, 'zhihui');
    });
    if (!signed) return;
    await check('general: a signed-in reload shows incidents without asking to log in', async () => {
      const [me] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/me'), { timeout: T }),
        page.reload({ timeout: T }),
      ]);
      expect(me.status() === 200, `/api/me answered ${me.status()}`);
      await waitReady(page);
      await page.waitForSelector('#logout-btn', { timeout: T });
      await page.evaluate(() => new Promise((r) => (window.__map.loaded() ? r() : window.__map.once('idle', r))));
      const c = await rendered(page, ['incidents-cluster', 'incidents-circle']);
      expect(c['incidents-cluster'] > 0 || c['incidents-circle'] > 0, `no incident drawn (${JSON.stringify(c)})`);
    });
    await check('general: toggling the people layer draws the per-area counts for the command centre', async () => {
      await page.check('#layer-people');
      await page.evaluate(() => new Promise((r) => window.__map.once('idle', r)));
      const c = await rendered(page, ['people-fill']);
      expect(c['people-fill'] > 0, `people-fill ${c['people-fill']}`);
      await page.uncheck('#layer-people');
    });
    await check('general: search by area code fits the area', async () => {
      await page.fill('#search-input', '441802');
      await page.press('#search-input', 'Enter');
      await page.waitForSelector('body[data-searched="441802"]', { timeout: T, state: 'attached' });
    });
    await check('general: search by a street name', async () => {
      const label = await page.evaluate(() => {
        const f = window.__map.querySourceFeatures('grids', { sourceLayer: 'grids_labels' }).find((q) => q.properties.level === 'street');
        return f && { name: f.properties.name, code: String(f.properties.code) };
      });
      expect(label, 'no street label loaded at this zoom');
      await page.fill('#search-input', label.name);
      await page.press('#search-input', 'Enter');
      await page.waitForSelector(`body[data-searched="${label.code}"]`, { timeout: T, state: 'attached' });
      await page.evaluate(() => new Promise((r) => window.__map.once('idle', r)));
      return `${label.name} → ${label.code}`;
    });
    await shot(page, 'index-signed-in.png');
    await check('general: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(g, 'general'));
  } finally {
    await g.context.close();
  }
}

/** A pixel inside the area where no point feature is drawn (so a tap reports, not pops up). */
async function emptyPixelInside(page, bbox) {
  return page.evaluate((b) => {
    const m = window.__map;
    const pts = ['hazards-circle', 'shelters-circle', 'places-circle', 'incidents-circle', 'incidents-cluster', 'patrol-missed'].filter((id) => m.getLayer(id));
    const canvas = m.getCanvas().getBoundingClientRect();
    for (const fx of [0.5, 0.35, 0.65, 0.25, 0.75]) {
      for (const fy of [0.5, 0.35, 0.65, 0.25, 0.75]) {
        const lngLat = [b[0] + (b[2] - b[0]) * fx, b[1] + (b[3] - b[1]) * fy];
        const p = m.project(lngLat);
        if (p.x < 10 || p.y < 10 || p.x > canvas.width - 10 || p.y > canvas.height - 10) continue;
        const hits = m.queryRenderedFeatures([[p.x - 14, p.y - 14], [p.x + 14, p.y + 14]], { layers: pts });
        if (!hits.length) return { x: canvas.left + p.x, y: canvas.top + p.y, lngLat };
      }
    }
    return null;
  }, bbox);
}

async function gridAsHead(browser) {
  const g = await guardedPage(browser, { viewport: { width: 360, height: 740 }, mobile: true, label: 'grid' });
  const { page } = g;
  const signed = await check('grid: wangge signs in on /grid (360x740)', async () => {
    await page.goto(`${BASE_URL}/grid`, { timeout: T });
    await waitReady(page);
    g.state.anonymous = false;
    await login(page, 'wangge');
  });
  if (!signed) return null;
  let area = null;
  await check('grid: the map fits my grid polygon', async () => {
    await page.waitForSelector('body[data-fitted]', { timeout: T, state: 'attached' });
    const r = await page.evaluate(async () => {
      const code = document.body.dataset.fitted;
      const a = await (await fetch(`/api/areas/${code}`)).json();
      const b = window.__map.getBounds();
      return { code, level: a.level, bbox: a.bbox, view: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom: window.__map.getZoom() };
    });
    area = r;
    const [x0, y0, x1, y1] = r.bbox, [v0, w0, v1, w1] = r.view;
    const eps = 1e-4;
    expect(v0 <= x0 + eps && w0 <= y0 + eps && v1 >= x1 - eps && w1 >= y1 - eps, `view ${r.view} does not contain grid ${r.bbox}`);
    const share = ((x1 - x0) * (y1 - y0)) / ((v1 - v0) * (w1 - w0));
    expect(share > 0.08, `grid fills only ${(share * 100).toFixed(1)}% of the view`);
    expect(r.bbox[0] <= WANGGE_POINT[0] && WANGGE_POINT[0] <= r.bbox[2] && r.bbox[1] <= WANGGE_POINT[1] && WANGGE_POINT[1] <= r.bbox[3],
      `grid ${r.code} bbox ${r.bbox} does not hold the demo point ${WANGGE_POINT}`);
    return `${r.code}, zoom ${r.zoom.toFixed(1)}, ${(share * 100).toFixed(0)}% of the view`;
  });
  await check('grid: my hazards, people (masked) and incidents are listed', async () => {
    await page.waitForSelector('body[data-lists="1"]', { timeout: T, state: 'attached' });
    await page.click('.tab[data-tab="hazards"]');
    const hz = await page.$$eval('#hazard-list li', (els) => els.map((e) => e.textContent));
    expect(hz.length > 0, 'no hazard listed in my grid');
    expect(hz.some((t) => t.includes('内涝积水点')), `no 内涝积水点 among ${hz.length} hazards`);
    await page.click('.tab[data-tab="people"]');
    const ppl = await page.$$eval('#people-list li', (els) => els.map((e) => e.textContent));
    expect(ppl.length > 0, 'no person listed in my grid');
    const leak = ppl.find((t) => /\d{17}[\dXx]/.test(t) || /(?<!\d)1[3-9]\d{9}(?!\d)/.test(t));
    expect(!leak, `unmasked ID or phone number in the people list: ${leak}`);
    await page.click('.tab[data-tab="incidents"]');
    return `${hz.length} hazards, ${ppl.length} people`;
  });
  await shot(page, 'grid-mine.png');
  let incidentId = null;
  await check('grid: tap the map → report an incident → 201', async () => {
    expect(area, 'no grid area known');
    await page.evaluate(() => new Promise((r) => (window.__map.loaded() ? r() : window.__map.once('idle', r))));
    const px = await emptyPixelInside(page, area.bbox);
    expect(px, 'no empty spot inside my grid to tap');
    let how = 'tap';
    await page.touchscreen.tap(px.x, px.y);
    try {
      await page.waitForSelector('#report-dialog[open]', { timeout: 5000 });
    } catch {
      how = 'click'; // the tap did not become a click
      await page.mouse.click(px.x, px.y);
      await page.waitForSelector('#report-dialog[open]', { timeout: T });
    }
    await page.waitForFunction(() => document.querySelectorAll('#report-category option').length > 1, null, { timeout: T });
    const options = await page.$$eval('#report-category option', (os) => os.map((o) => o.value).filter(Boolean));
    await page.selectOption('#report-category', options[0]);
    await page.fill('#report-description', `e2e 测试上报 ${new Date().toISOString()}`);
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/incidents') && r.request().method() === 'POST', { timeout: T }),
      page.click('#report-submit'),
    ]);
    const headers = resp.request().headers();
    expect(resp.status() === 201, `POST /api/incidents answered ${resp.status()}: ${await resp.text()}`);
    expect(headers['x-csrf-token'], 'the write carried no X-CSRF-Token header');
    const body = await resp.json();
    expect(typeof body.id === 'string' && body.id, `no string id in ${JSON.stringify(body)}`);
    expect(typeof body.grid === 'string' && body.grid === area.code, `incident grid ${body.grid}, expected my grid ${area.code}`);
    incidentId = body.id;
    await page.waitForSelector(`body[data-last-incident="${body.id}"]`, { timeout: T, state: 'attached' });
    return `${body.id} in ${body.grid} (by ${how})`;
  });
  await shot(page, 'grid-reported.png');
  await check('grid: a <script> in an incident description renders as inert text', async () => {
    const hostile = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">井盖缺失';
    const status = await page.evaluate(async ({ hostile, lon, lat }) => {
      const csrf = (document.cookie.match(/(?:^|; )minqing_csrf=([^;]+)/) || [])[1];
      const r = await fetch('/api/incidents', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ category: '安全隐患', description: hostile, lon, lat }) });
      return r.status;
    }, { hostile, lon: (area.bbox[0] + area.bbox[2]) / 2, lat: (area.bbox[1] + area.bbox[3]) / 2 });
    expect(status === 201, `POST with a hostile description answered ${status}`);
    await page.reload();
    await waitReady(page);
    await page.waitForFunction((text) => [...document.querySelectorAll('#incident-list .desc')].some((d) => d.textContent === text), hostile, { timeout: T });
    const injected = await page.evaluate(() => ({ xss: window.__xss, scripts: document.querySelectorAll('#incident-list script, #incident-list img').length }));
    expect(injected.xss === undefined, `the description ran as code (window.__xss = ${injected.xss})`);
    expect(injected.scripts === 0, `${injected.scripts} script/img elements were created from the description`);
    return 'shown as text, nothing executed';
  });
  await check('grid: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(g, 'grid'));
  await g.context.close();
  return incidentId;
}

async function floodAsLeader(browser) {
  const g = await guardedPage(browser, { viewport: { width: 1280, height: 800 }, label: 'flood' });
  const { page } = g;
  const signed = await check('flood: fangxun signs in on /flood', async () => {
    await page.goto(`${BASE_URL}/flood`, { timeout: T });
    await waitReady(page);
    g.state.anonymous = false;
    await login(page, 'fangxun');
  });
  if (!signed) { await g.context.close(); return; }
  let target = null;
  await check('flood: draw a polygon → hazards listed', async () => {
    await page.evaluate(() => new Promise((r) => (window.__map.loaded() ? r() : window.__map.once('idle', r))));
    // Pick a rendered hazard near the middle of the map and draw a square around it.
    target = await page.evaluate(() => {
      const m = window.__map;
      const c = m.getCanvas().getBoundingClientRect();
      const fs = m.queryRenderedFeatures({ layers: ['hazards-circle'] });
      fs.sort((a, b) => {
        const pa = m.project(a.geometry.coordinates), pb = m.project(b.geometry.coordinates);
        return Math.hypot(pa.x - c.width / 2, pa.y - c.height / 2) - Math.hypot(pb.x - c.width / 2, pb.y - c.height / 2);
      });
      const f = fs[0];
      if (!f) return null;
      const p = m.project(f.geometry.coordinates);
      const d = 40;
      const corners = [[p.x - d, p.y - d], [p.x + d, p.y - d], [p.x + d, p.y + d], [p.x - d, p.y + d]].map(([x, y]) => ({ x: c.left + x, y: c.top + y }));
      return { id: String(f.properties.id), name: f.properties.name, coords: f.geometry.coordinates, center: { x: c.left + p.x, y: c.top + p.y }, corners };
    });
    expect(target, 'no hazard rendered to draw around');
    await page.click('#draw-polygon');
    for (const q of target.corners) { await page.mouse.click(q.x, q.y); await page.waitForTimeout(120); }
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/query/within'), { timeout: T }),
      page.mouse.click(target.corners[0].x, target.corners[0].y), // click the first vertex: closes the ring
    ]);
    expect(resp.status() === 200, `POST /api/query/within answered ${resp.status()}`);
    await page.waitForSelector('body[data-queried="within"]', { timeout: T, state: 'attached' });
    const ids = await page.$$eval('#flood-hazards tbody tr', (trs) => trs.map((t) => t.dataset.id));
    expect(ids.length > 0, 'no hazard listed');
    expect(ids.includes(target.id), `hazard ${target.id} (${target.name}) inside the polygon is not listed (${ids.join(',')})`);
    const cards = await page.$$eval('[data-card]', (els) => Object.fromEntries(els.map((e) => [e.dataset.card, e.querySelector('.card-value').textContent])));
    expect(cards.households && cards.households !== '–', `no households total (${JSON.stringify(cards)})`);
    return `${ids.length} hazards; ${JSON.stringify(cards)}`;
  });
  await shot(page, 'flood-query.png');
  await check('flood: export CSV downloads the list', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: T }), page.click('#export-csv')]);
    const name = dl.suggestedFilename();
    expect(name.endsWith('.csv'), `download named ${name}`);
    const file = await dl.path();
    const text = fs.readFileSync(file, 'utf8');
    expect(text.includes(target.id), `CSV does not name hazard ${target.id}`);
    expect(text.charCodeAt(0) === 0xfeff, 'CSV has no UTF-8 BOM (Excel would garble Chinese)');
    fs.mkdirSync(SHOT_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(SHOT_DIR, 'flood-export.csv'));
    return `${name}, ${text.split('\n').length} lines`;
  });
  await check('flood: radius around a point → hazards listed', async () => {
    await page.click('#draw-clear');
    await page.fill('#radius-km', '1.5');
    await page.click('#draw-radius');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/query/within'), { timeout: T }),
      page.mouse.click(target.center.x, target.center.y),
    ]);
    expect(resp.status() === 200, `POST /api/query/within answered ${resp.status()}`);
    const body = JSON.parse(resp.request().postData());
    expect(body.type === 'Polygon' && body.coordinates[0].length > 16, `query body is not a circle polygon: ${resp.request().postData().slice(0, 80)}`);
    await page.waitForSelector('body[data-queried="within"]', { timeout: T, state: 'attached' });
    const ids = await page.$$eval('#flood-hazards tbody tr', (trs) => trs.map((t) => t.dataset.id));
    expect(ids.includes(target.id), `hazard ${target.id} at the centre is not listed (${ids.join(',')})`);
    return `${ids.length} hazards within 1.5 km`;
  });
  await check('flood: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(g, 'flood'));
  await g.context.close();
}

/* ---------------- warnings: issue → the grid head's phone → confirm → live share; printout ---------------- */

/** Screen points of lon/lat corners on the map of `page`. */
async function screenPoints(page, lonlats) {
  return page.evaluate((lls) => {
    const m = window.__map;
    const c = m.getCanvas().getBoundingClientRect();
    return lls.map((ll) => { const p = m.project(ll); return { x: c.left + p.x, y: c.top + p.y }; });
  }, lonlats);
}

function tool(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); } catch { return null; }
}

async function warningsFlow(browser) {
  const phone = await guardedPage(browser, { viewport: { width: 390, height: 844 }, mobile: true, label: 'warning phone' });
  const desk = await guardedPage(browser, { viewport: { width: 1920, height: 1080 }, label: 'warning flood' });
  const wall = await guardedPage(browser, { viewport: { width: 1600, height: 900 }, label: 'warning wall' });
  const NAME = '凤城北江沿岸暴雨红色预警';
  try {
    const listening = await check('warning: wangge is signed in on /grid (390x844) and listening (SSE)', async () => {
      await phone.page.goto(`${BASE_URL}/grid`, { timeout: T });
      await waitReady(phone.page);
      phone.state.anonymous = false;
      await login(phone.page, 'wangge');
      await phone.page.waitForSelector('body[data-sse="open"]', { timeout: T, state: 'attached' });
      await phone.page.waitForSelector('body[data-warnings]', { timeout: T, state: 'attached' });
    });
    const signed = await check('warning: fangxun signs in on /flood (1920x1080)', async () => {
      await desk.page.goto(`${BASE_URL}/flood`, { timeout: T });
      await waitReady(desk.page);
      desk.state.anonymous = false;
      await login(desk.page, 'fangxun');
      await desk.page.waitForSelector('body[data-sse="open"]', { timeout: T, state: 'attached' });
      await desk.page.waitForSelector('#warn-list-box h2', { timeout: T });
    });
    const wallUp = await check('warning: zhihui\'s wall is open and listening', async () => {
      await wall.page.goto(`${BASE_URL}/wall`, { timeout: T });
      await waitReady(wall.page);
      wall.state.anonymous = false;
      await login(wall.page, 'zhihui');
      await wall.page.waitForSelector('body[data-sse="open"]', { timeout: T, state: 'attached' });
    });
    if (!listening || !signed) return;
    const page = desk.page;
    let id = null;
    let issuedAt = 0;
    await check('warning: fangxun draws an area over the riverside and issues a red warning → 201', async () => {
      await page.evaluate((c) => new Promise((r) => { window.__map.jumpTo({ center: c, zoom: 14 }); window.__map.once('idle', r); }), WANGGE_POINT);
      const [x, y] = WANGGE_POINT;
      const d = 0.012;
      const pts = await screenPoints(page, [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d]]);
      await page.click('#draw-polygon');
      for (const q of pts) { await page.mouse.click(q.x, q.y); await page.waitForTimeout(120); }
      const [q] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/query/within'), { timeout: T }),
        page.mouse.click(pts[0].x, pts[0].y),
      ]);
      expect(q.status() === 200, `query answered ${q.status()}`);
      await page.waitForSelector('#warn-form', { timeout: T });
      await page.fill('#warn-name', NAME);
      await page.selectOption('#warn-level', '红');
      await page.selectOption('#warn-kind', '暴雨');
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/warnings') && r.request().method() === 'POST', { timeout: T }),
        page.click('#warn-issue'),
      ]);
      issuedAt = Date.now();
      expect(resp.status() === 201, `POST /api/warnings answered ${resp.status()}`);
      id = (await resp.json()).id;
      await page.waitForSelector(`body[data-warning="${id}"]`, { timeout: T, state: 'attached' });
      return id;
    });
    if (!id) return;
    const latency = await check('warning: the banner shows on the grid head\'s phone within 2 s, no reload (10 s limit)', async () => {
      await phone.page.waitForSelector(`.warn-banner[data-id="${id}"]`, { timeout: 10000 });
      const ms = Date.now() - issuedAt;
      const text = await phone.page.textContent(`.warn-banner[data-id="${id}"]`);
      expect(text.includes(NAME), `banner reads ${text}`);
      return `${ms} ms after the 201`;
    });
    if (latency) await shot(phone.page, 'warning-phone-banner.png');
    if (wallUp) {
      await check('warning: the wall shows the active warning live (level colour, name)', async () => {
        const t0 = Date.now();
        await wall.page.waitForSelector(`#wall-warnings li[data-id="${id}"][data-level="红"]`, { timeout: 10000 });
        const text = await wall.page.textContent(`#wall-warnings li[data-id="${id}"]`);
        expect(text.includes(NAME), `wall reads ${text}`);
        return `${Date.now() - t0} ms after the phone's banner`;
      });
      await wall.page.waitForTimeout(300);
      await shot(wall.page, 'warning-wall.png');
    }
    await check('warning: the flood view shows the call list first, exports and print at the top, the shortfall', async () => {
      const order = await page.evaluate(() => {
        const y = (sel) => { const e = document.querySelector(sel); return e ? e.getBoundingClientRect().top : null; };
        return { exports: y('#warn-calls-csv'), print: y('#warn-print'), calls: y('#call-list'), hazards: y('#warn-hazards'),
          shelters: y('#warn-shelters-outside'), rows: document.querySelectorAll('#call-list tbody tr').length,
          first: document.querySelector('#call-list tbody tr')?.dataset.role, alert: document.querySelector('#capacity-alert')?.textContent };
      });
      expect(order.rows > 0, 'empty call list');
      expect(order.exports < order.calls && order.print < order.calls, `exports/print not above the call list ${JSON.stringify(order)}`);
      expect(order.calls < order.hazards && order.hazards < order.shelters, `the call list is not first ${JSON.stringify(order)}`);
      expect(order.first === '网格长', `first call is ${order.first}, not a grid head who has not seen it`);
      expect(order.alert, 'no capacity line');
      for (const [sel, want] of [['#warn-calls-csv', 'calls.csv'], ['#warn-calls-xlsx', 'calls.xlsx'], ['#warn-cap', 'cap.xml']]) {
        const href = await page.getAttribute(sel, 'href');
        const r = await page.request.get(BASE_URL + href);
        expect(r.status() === 200 && href.endsWith(want), `${sel} ${href} answered ${r.status()}`);
      }
      return `${order.rows} calls; ${order.alert}`;
    });
    const seenBefore = await page.evaluate(() => document.body.dataset.seenShare);
    const confirmedBefore = await page.evaluate(() => document.body.dataset.confirmedShare);
    let hazard = null;
    await check('warning: wangge opens the banner (seen) and confirms a hazard → the flood view\'s shares move live', async () => {
      await Promise.all([
        phone.page.waitForResponse((r) => r.url().endsWith(`/api/warnings/${id}`) && r.status() === 200, { timeout: T }),
        phone.page.click(`.warn-banner[data-id="${id}"]`),
      ]);
      await phone.page.waitForSelector('#warn-detail', { timeout: T });
      await page.waitForFunction((b) => document.body.dataset.seenShare !== b, seenBefore, { timeout: 10000 });
      const btn = await phone.page.waitForSelector('#warn-check-list .check-btn', { timeout: T });
      hazard = await btn.getAttribute('data-hazard');
      const [resp] = await Promise.all([
        phone.page.waitForResponse((r) => r.url().endsWith(`/api/warnings/${id}/actions`), { timeout: T }),
        btn.click(),
      ]);
      expect(resp.status() === 200, `confirm answered ${resp.status()}`);
      const t0 = Date.now();
      await phone.page.waitForSelector(`#warn-check-list li[data-id="${hazard}"][data-confirmed="1"]`, { timeout: T });
      await page.waitForFunction((b) => document.body.dataset.confirmedShare !== b, confirmedBefore, { timeout: 10000 });
      await page.waitForSelector(`#warn-hazards tr[data-id="${hazard}"][data-confirmed="1"]`, { timeout: 10000 });
      const after = await page.evaluate(() => [document.body.dataset.seenShare, document.body.dataset.confirmedShare]);
      return `seen ${seenBefore} → ${after[0]}, confirmed ${confirmedBefore} → ${after[1]} (${Date.now() - t0} ms after the confirm)`;
    });
    await shot(phone.page, 'warning-phone-checked.png');
    await page.waitForTimeout(300);
    await shot(page, 'warning-flood.png');
    await check('warning: the printout (PDF) has the title, level, map and call list on page 1', async () => {
      fs.mkdirSync(SHOT_DIR, { recursive: true });
      const file = path.join(SHOT_DIR, 'warning-print.pdf');
      fs.writeFileSync(file, await page.pdf({ printBackground: true, preferCSSPageSize: true }));
      // The print layout in print media at the A4 content box (190 × 277 mm at 96 dpi).
      await page.setViewportSize({ width: 718, height: 1047 });
      await page.emulateMedia({ media: 'print' });
      await page.waitForTimeout(300);
      const r = await page.evaluate(() => {
        const box = (sel) => { const e = document.querySelector(sel); if (!e) return null; const b = e.getBoundingClientRect(); return { top: b.top + scrollY, bottom: b.bottom + scrollY, h: b.height, text: e.textContent }; };
        return { head: box('#print-head'), map: box('#map'), legend: box('#print-legend'), call: box('#call-list tbody tr') };
      });
      for (const k of ['head', 'map', 'legend', 'call']) expect(r[k] && r[k].h > 0, `${k} not shown in print: ${JSON.stringify(r[k])}`);
      expect(r.head.text.includes(NAME) && r.head.text.includes('红'), `print title ${r.head.text}`);
      expect(r.head.top < r.map.top && r.map.bottom <= r.legend.top && r.legend.bottom <= r.call.top, `order ${JSON.stringify(r)}`);
      expect(r.call.bottom < 1047, `the first call is below page 1 (${Math.round(r.call.bottom)} px > 1047)`);
      const text = tool('pdftotext', ['-f', '1', '-l', '1', '-layout', file, '-']);
      let how = 'print-media DOM';
      if (text != null) {
        for (const want of [NAME, '红', '呼叫名单']) expect(text.includes(want), `page 1 of the PDF lacks ${want}`);
        how = 'pdftotext page 1 + print-media DOM';
        tool('pdftoppm', ['-f', '1', '-l', '1', '-r', '80', '-png', '-singlefile', file, path.join(SHOT_DIR, 'warning-print-page1')]);
      } else {
        await page.screenshot({ path: path.join(SHOT_DIR, 'warning-print-page1.png'), clip: { x: 0, y: 0, width: 718, height: 1047 } });
      }
      await page.emulateMedia({ media: null });
      await page.setViewportSize({ width: 1920, height: 1080 });
      return how;
    });
    await check('warning: no console error, no other host, no 4xx/5xx (flood and phone)', async () => {
      assertNoProblems(desk, 'flood');
      assertNoProblems(phone, 'phone');
      assertNoProblems(wall, 'wall');
    });
  } finally {
    await phone.context.close();
    await desk.context.close();
    await wall.context.close();
  }
}

/* ---------------- main ---------------- */

/* ---------------- base map, search, both languages ---------------- */

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60]/;

async function jump(page, center, zoom) {
  await page.evaluate(([c, z]) => new Promise((r) => { const m = window.__map; m.jumpTo({ center: c, zoom: z }); m.once('idle', r); }), [center, zoom]);
}

async function basemapAndSearch(browser) {
  const g = await guardedPage(browser, { label: 'base' });
  const { page } = g;
  try {
    await page.goto(BASE_URL + '/', { waitUntil: 'domcontentloaded', timeout: T });
    await waitReady(page);
    const info = await page.evaluate(() => fetch('/basemap/tiles.json').then((r) => r.json()));
    if (info.type !== 'vector') { ok('base: no vector base map configured, base map checks skipped'); return; }
    await check('base: roads of the vector base map are drawn under our layers', async () => {
      await jump(page, WANGGE_POINT, 15);
      const order = await page.evaluate(() => window.__map.getStyle().layers.map((l) => l.id));
      const road = order.indexOf('base-transportation');
      expect(road >= 0, `no base-transportation layer (${order.slice(0, 12)})`);
      expect(road < order.indexOf('z-fill') && road < order.indexOf('grids-fill'), 'base roads must sit under our fills');
      const c = await rendered(page, ['base-transportation', 'grids-fill', 'hazards-circle']);
      expect(c['base-transportation'] > 0 && c['grids-fill'] > 0, JSON.stringify(c));
      return `roads ${c['base-transportation']}, grids ${c['grids-fill']}`;
    });
    await check('base: screenshot basemap-z15.png', async () => path.relative(process.cwd(), await shot(page, 'basemap-z15.png')));
    await jump(page, WANGGE_POINT, 12);
    await page.waitForTimeout(300);
    await check('base: screenshot basemap-z12.png', async () => path.relative(process.cwd(), await shot(page, 'basemap-z12.png')));

    const search = async (q) => {
      await page.fill('#search-input', q);
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('/api/search?'), { timeout: T }),
        page.click('#search-go'),
      ]);
      expect(resp.status() === 200, `search answered ${resp.status()}`);
      await page.waitForSelector('#search-results li', { timeout: 5000 });
      return page.$$eval('#search-results li', (els) => els.map((e) => `${e.dataset.kind}:${e.dataset.key}:${e.querySelector('.name').textContent}`));
    };
    const here = await check('search: fcjd lists 凤城街道 first', async () => {
      const r = await search('fcjd');
      expect(r[0] && r[0].endsWith(':凤城街道'), `first result ${r[0]} of ${r.length}`);
      return r;
    });
    await check('search: the same list from another map position', async () => {
      await page.keyboard.press('Escape');
      await jump(page, [113.3, 23.9], 10);
      const there = await search('fcjd');
      expect(JSON.stringify(there) === JSON.stringify(here), `${there.slice(0, 3)} vs ${here && here.slice(0, 3)}`);
    });
    await check('search: choosing a result zooms to it and outlines the area', async () => {
      const z0 = await page.evaluate(() => window.__map.getZoom());
      await page.click('#search-results li >> nth=0');
      await page.waitForFunction(() => document.body.dataset.outlined && !window.__map.isMoving(), null, { timeout: 10000 });
      const z1 = await page.evaluate(() => window.__map.getZoom());
      expect(z1 > z0, `zoom ${z0} → ${z1}`);
      await page.waitForTimeout(700);
      await shot(page, 'search-fcjd.png');
      return `z ${z0.toFixed(1)} → ${z1.toFixed(1)}`;
    });
    await check('base: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(g, 'base'));
  } finally {
    await g.context.close();
  }
}

/** Text the user reads: the page's text, placeholders, titles and labels (not the map canvas). */
async function uiText(page) {
  return page.evaluate(() => {
    const out = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      // Not UI strings: the language switch (bilingual on purpose), data values, and the map's
      // attribution, which quotes the data's own notices (the mandated 边界示意，非审图号地图 mark
      // of our tiles, the base-map file's credits).
      if (!el || el.closest('#lang-toggle, script, style, noscript, [data-value], .maplibregl-ctrl-attrib')) continue;
      const s = n.textContent.trim();
      if (s) out.push(s);
    }
    for (const el of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
      if (el.closest('#lang-toggle')) continue;
      for (const a of ['placeholder', 'title', 'aria-label']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    return out;
  });
}

async function languagesEverywhere(browser) {
  for (const lang of ['en', 'zh']) {
    for (const v of VIEWS) {
      const g = await guardedPage(browser, { viewport: v.viewport, mobile: v.mobile, label: `${lang} ${v.path}` });
      const { page } = g;
      try {
        await page.addInitScript((l) => localStorage.setItem('minqing.lang', l), lang);
        await check(`${lang} ${v.path}: every UI string is in ${lang === 'en' ? 'English' : 'Chinese'}`, async () => {
          await page.goto(BASE_URL + v.path, { waitUntil: 'domcontentloaded', timeout: T });
          await waitReady(page);
          if (v.path === '/') { // open every legend
            for (const box of await page.$$('#panel input[data-layer]:not([disabled])')) if (!(await box.isChecked())) await box.check();
          }
          const texts = await uiText(page);
          // Chinese UI: English words of three or more letters are untranslated, except names of things.
          // Names are not words to translate: the demo accounts and their password, file formats.
          const allowed = /^(MapLibre|OpenStreetMap|CSV|GeoJSON|KPI|SSE|EN|zhihui|wangge|fangxun|minqing|demo)$/;
          const bad = lang === 'en' ? texts.filter((s) => CJK.test(s))
            : texts.flatMap((s) => s.match(/[A-Za-z]{3,}/g) || []).filter((w) => !allowed.test(w));
          expect(bad.length === 0, `untranslated: ${[...new Set(bad)].slice(0, 8).join(' | ')}`);
          return `${texts.length} strings`;
        });
      } finally {
        await g.context.close();
      }
    }
  }
}

/* ---------------- the phone view offline (issue 16) ---------------- */

/** Runs `fetch` in the page and returns {status, body}. */
async function pageApi(page, path) {
  return page.evaluate(async (p) => {
    const r = await fetch(p, { cache: 'no-store' });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, path);
}

/**
 * wangge on a 390×844 phone with the service worker: the app opens offline from its cache with
 * the grid drawn, a visit and a report made offline wait in the outbox, and once the connection
 * returns both arrive exactly once (checked through the API); an expired session asks to sign in
 * again, then sends.
 */
async function offlineFlow(browser) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true,
    locale: 'zh-CN', timezoneId: 'Asia/Shanghai', serviceWorkers: 'allow',
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).host !== BASE.host) errors.push(`request to another host: ${u}`);
  });
  const note = `e2e 离线走访 ${Date.now()}`;
  const desc = `e2e 离线上报 ${Date.now()}`;
  let code = null;
  let person = null;
  try {
    const ready = await check('offline: /grid links a manifest and registers its service worker', async () => {
      await page.goto(`${BASE_URL}/grid`, { timeout: T });
      await waitReady(page);
      await login(page, 'wangge');
      const href = await page.$eval('link[rel="manifest"]', (l) => l.getAttribute('href'));
      const m = await pageApi(page, href);
      expect(m.status === 200 && m.body.name && m.body.start_url === '/grid' && m.body.icons.length >= 2, `manifest ${JSON.stringify(m)}`);
      await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: T });
      return `${href}: ${m.body.name}`;
    });
    if (!ready) return;
    await check('offline: the 走访 tab lists overdue visits in my grid', async () => {
      // A reload under the service worker's control keeps every answer for later.
      await page.reload();
      await waitReady(page);
      await page.waitForSelector('body[data-visits="1"]', { timeout: T, state: 'attached' });
      code = await page.evaluate(() => document.body.dataset.fitted);
      await page.click('.tab[data-tab="visits"]');
      const n = await page.$$eval('#visits-overdue li', (els) => els.length);
      expect(n >= 5, `${n} overdue visits listed, the demo has several`);
      person = await page.$eval('#visits-overdue li', (li) => li.dataset.person);
      await page.waitForSelector('body[data-tiles-cached]', { timeout: T, state: 'attached' });
      await shot(page, 'grid-visits.png');
      return `${n} overdue in ${code}, ${await page.evaluate(() => document.body.dataset.tilesCached)} tiles kept`;
    });
    const before = await pageApi(page, `/api/people/${person}/visits`);
    const opened = await check('offline: with no connection a reload still opens the app with my grid drawn', async () => {
      await context.setOffline(true);
      await page.reload({ timeout: T });
      await waitReady(page);
      await page.waitForSelector(`body[data-fitted="${code}"]`, { timeout: T, state: 'attached' });
      await page.evaluate(() => new Promise((r) => (window.__map.loaded() ? r() : window.__map.once('idle', r))));
      await shot(page, 'grid-offline-reload.png');
      const c = await rendered(page, ['highlight-line', 'grids-fill', 'grids-line-grid', 'grids-line-community', 'hazards-circle']);
      expect(c['highlight-line'] > 0, `my grid's outline is not drawn (${JSON.stringify(c)})`);
      const drawn = Object.entries(c).filter(([k, v]) => k !== 'highlight-line' && v > 0);
      expect(drawn.length > 0, `no grid tile drawn from the cache (${JSON.stringify(c)})`);
      return JSON.stringify(c);
    });
    if (!opened) return;
    await check('offline: a visit recorded offline waits in the outbox', async () => {
      await page.click('.tab[data-tab="visits"]');
      await page.click(`#visits-overdue .visit-btn[data-person="${person}"]`);
      await page.waitForSelector('#visit-dialog[open]', { timeout: T });
      await page.click('#visit-how label:nth-child(2)');
      await page.fill('#visit-note', note);
      await page.selectOption('#visit-risk', '2');
      await page.click('#visit-submit');
      await page.waitForSelector('body[data-outbox="1"]', { timeout: T, state: 'attached' });
      return person;
    });
    await check('offline: a report made offline waits behind it', async () => {
      const bbox = await page.evaluate(async (c) => (await (await fetch(`/api/areas/${c}`)).json()).bbox, code);
      const px = await emptyPixelInside(page, bbox);
      expect(px, 'no empty spot inside my grid to tap');
      await page.mouse.click(px.x, px.y);
      await page.waitForSelector('#report-dialog[open]', { timeout: T });
      await page.waitForFunction(() => document.querySelectorAll('#report-category option').length > 1, null, { timeout: T });
      const options = await page.$$eval('#report-category option', (os) => os.map((o) => o.value).filter(Boolean));
      await page.selectOption('#report-category', options[0]);
      await page.fill('#report-description', desc);
      // A photo from the phone's camera roll: a real 8×8 PNG, drawn in the page.
      const png = await page.evaluate(async () => {
        const c = document.createElement('canvas');
        c.width = 8; c.height = 8;
        const g = c.getContext('2d');
        g.fillStyle = '#c0392b'; g.fillRect(0, 0, 8, 8);
        const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
        return [...new Uint8Array(await blob.arrayBuffer())];
      });
      await page.setInputFiles('#report-photos', { name: 'scene.png', mimeType: 'image/png', buffer: Buffer.from(png) });
      await page.click('#report-submit');
      await page.waitForSelector('body[data-outbox="3"]', { timeout: T, state: 'attached' });
      await page.click('#outbox-head');
      await shot(page, 'grid-offline.png');
      const items = await page.$$eval('#outbox-list li', (els) => els.map((e) => e.dataset.kind));
      expect(items.join() === 'visit,report,photos', `outbox in order visit, report, its photos: ${items}`);
      return items.join(', ');
    });
    await check('offline: back online, both arrive exactly once (ids checked through the API)', async () => {
      await context.setOffline(false);
      await page.waitForSelector('body[data-outbox="0"]', { timeout: T, state: 'attached' });
      const id = await page.waitForFunction(() => document.body.dataset.lastIncident, null, { timeout: T }).then((h) => h.jsonValue());
      // Nudge the outbox again: nothing is sent twice.
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForTimeout(1500);
      const visits = await pageApi(page, `/api/people/${person}/visits`);
      const mine = visits.body.items.filter((v) => v.note === note);
      expect(mine.length === 1, `${mine.length} visits with my note arrived`);
      expect(visits.body.items.length === before.body.items.length + 1, `${visits.body.items.length} visits, were ${before.body.items.length}`);
      expect(mine[0].how === '电话' && mine[0].risk_after === 2, `the visit as made: ${JSON.stringify(mine[0])}`);
      const list = await pageApi(page, `/api/incidents?area=${code}&limit=10000`);
      const reports = list.body.items.filter((i) => i.description === desc);
      expect(reports.length === 1 && reports[0].id === id, `${reports.length} reports with my text, ids ${reports.map((r) => r.id)}, shown ${id}`);
      const detail = await pageApi(page, `/api/incidents/${id}`);
      const photos = detail.body.photos || [];
      expect(photos.length === 1, `the offline report's photo arrived once: ${JSON.stringify(photos)}`);
      const p = await pageApi(page, `/api/people/${person}`);
      expect(p.body.risk_level === 2, `the record's risk level is now ${p.body.risk_level}`);
      await shot(page, 'grid-online-again.png');
      return `visit ${mine[0].id}, report ${id}`;
    });
    await check('offline: an expired session asks to sign in again, then the visit is sent', async () => {
      await page.click('.tab[data-tab="visits"]');
      const other = await page.$eval('#visits-overdue .visit-btn', (b) => b.dataset.person);
      const count = (await pageApi(page, `/api/people/${other}/visits`)).body;
      await context.setOffline(true);
      await page.click(`#visits-overdue .visit-btn[data-person="${other}"]`);
      await page.waitForSelector('#visit-dialog[open]', { timeout: T });
      await page.fill('#visit-note', `${note} 2`);
      await page.click('#visit-submit');
      await page.waitForSelector('body[data-outbox="1"]', { timeout: T, state: 'attached' });
      // The session ends on the server meanwhile.
      const csrf = (await context.cookies()).find((c) => c.name === 'minqing_csrf');
      const out = await context.request.post(`${BASE_URL}/api/auth/logout`, { headers: { 'X-CSRF-Token': csrf ? csrf.value : '' } });
      expect(out.status() < 300, `logout answered ${out.status()}`);
      await context.setOffline(false);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForSelector('#login-dialog[open]', { timeout: T });
      await shot(page, 'grid-login-again.png');
      await login(page, 'wangge');
      await page.waitForSelector('body[data-outbox="0"]', { timeout: T, state: 'attached' });
      const after = (await pageApi(page, `/api/people/${other}/visits`)).body;
      const mine = after.items.filter((v) => v.note === `${note} 2`);
      expect(mine.length === 1 && after.items.length === count.items.length + 1, `${mine.length} visits arrived`);
      return other;
    });
    await check('offline: no page error, no other host', async () => {
      expect(errors.length === 0, errors.slice(0, 4).join(' | '));
    });
  } finally {
    await context.close();
  }
}

async function main() {
  console.log(`e2e: BASE_URL=${BASE_URL} SHOT_DIR=${path.relative(process.cwd(), SHOT_DIR) || '.'}`);
  if (!(await waitForFile(CHROMIUM, 10 * 60 * 1000))) throw new Error(`${CHROMIUM} does not exist`);
  await waitForServer(Number(process.env.E2E_SERVER_WAIT_MS || 90000));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    console.log(`e2e: ${CHROMIUM} ${browser.version()}`);
    if (ONLY.has('anon')) for (const v of VIEWS) await anonymousView(browser, v);
    let wall = null;
    if (ONLY.has('wall') || ONLY.has('grid')) wall = await wallAsCommand(browser);
    if (ONLY.has('grid')) {
      const id = await gridAsHead(browser);
      if (wall && wall.ok && id) {
        await check('wall: the new incident appears in the live feed (SSE)', async () => {
          await wall.page.waitForSelector(`#feed li[data-id="${id}"]`, { timeout: 20000 });
          return id;
        });
        await wall.page.waitForTimeout(1200); // let the flash show
        await shot(wall.page, 'wall-live.png');
      } else if (id) {
        fail('wall: the new incident appears in the live feed (SSE)', 'the wall did not connect');
      }
    }
    if (wall) {
      await check('wall: still no console error after the live update', async () => assertNoProblems(wall.g, 'wall'));
      await wall.g.context.close();
    }
    if (ONLY.has('general')) await generalSignedIn(browser);
    if (ONLY.has('flood')) await floodAsLeader(browser);
    if (ONLY.has('warning')) await warningsFlow(browser);
    if (ONLY.has('base')) await basemapAndSearch(browser);
    if (ONLY.has('lang')) await languagesEverywhere(browser);
    if (ONLY.has('offline')) await offlineFlow(browser);
    if (ONLY.has('loop')) {
      const kit = { check, expect, guardedPage, waitReady, login, shot, assertNoProblems, BASE_URL, T, WANGGE_POINT, chromium, CHROMIUM, ARGS };
      await loopFlow(browser, kit);
      await insecureContext(kit);
    }
    if (ONLY.has('admin')) {
      await adminFlow(browser, { check, expect, fail, guardedPage, waitReady, login, shot, assertNoProblems, screenPoints,
        BASE_URL, T, WANGGE_POINT });
    }
  } finally {
    await browser.close();
  }
}

main()
  .catch((e) => fail('e2e harness', e && e.message ? e.message : String(e)))
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    if (failed) console.log(`e2e: FAILED: ${failures.join('; ')}`);
    process.exit(failed ? 1 : 0);
  });
