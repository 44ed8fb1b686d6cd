// Soak run of the command-center wall map (/wall) — a documented manual check, not a CI test.
//
//   node scripts/soak-wall.mjs [minutes=20]
//
// Opens /wall at 1920x1080 in headless Chromium, signs in as zhihui through the page's login
// panel, then keeps the page open while a second loop POSTs a new incident every 2 s through the
// API. Every 30 s it samples the page's JS heap and DOM node count (CDP Performance.getMetrics),
// the live-feed item count, and the server's VmRSS (/proc/<pid>/status). Prints one CSV line per
// sample, then a summary (first vs last, least-squares slope per hour).
//
// Missed events: the feed is read every second and every id seen there is remembered (in this
// script, not in the page); every POSTed id that never showed in the feed counts as missed, and
// the delay from the POST's answer to the first sighting is summed up (1 s resolution).
// Drops: the page reaches the server through a local proxy (tests/e2e/dropper.mjs); every
// DROP_EVERY_MIN minutes it resets every connection, the SSE stream included, and refuses new
// ones for DROP_SECONDS while POSTs go on; the cases made meanwhile must still reach the feed.
//
// Env: BASE_URL (default http://127.0.0.1:8123), CHROMIUM (default /usr/bin/chromium),
// SERVER_PID (default: `pgrep -f <port of BASE_URL>`), DEMO_PASSWORD (default minqing-demo),
// POST_EVERY_MS (default 2000), SAMPLE_EVERY_MS (default 30000), DROP_EVERY_MIN (default 20,
// 0 = never), DROP_SECONDS (default 15), CSV (optional file to copy the samples to).
// Needs a server started with --demo.
import { createRequire } from 'node:module';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropProxy } from '../tests/e2e/dropper.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/e2e/package.json'));
const { chromium } = require('playwright-core');

const MINUTES = Number(process.argv[2] || 20);
const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8123').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PASSWORD = process.env.DEMO_PASSWORD || 'minqing-demo';
const POST_EVERY = Number(process.env.POST_EVERY_MS || 2000);
const SAMPLE_EVERY = Number(process.env.SAMPLE_EVERY_MS || 30000);
const DROP_EVERY = Number(process.env.DROP_EVERY_MIN ?? 20) * 60000;
const DROP_MS = Number(process.env.DROP_SECONDS || 15) * 1000;
const ARGS = [
  '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-default-apps', '--disable-extensions', '--mute-audio', '--hide-scrollbars',
];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function serverPid() {
  if (process.env.SERVER_PID) return Number(process.env.SERVER_PID);
  const port = new URL(BASE_URL).port || '80';
  const pids = execSync(`pgrep -f -- 'minqing.*${port}' || true`).toString().trim().split(/\s+/).filter(Boolean);
  return pids.length ? Number(pids[0]) : null;
}
function rssKiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)\s+kB/);
    return m ? Number(m[1]) : NaN;
  } catch { return NaN; }
}
/** Least-squares slope of ys over xs. */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den ? num / den : NaN;
}

async function main() {
  const pid = serverPid();
  if (!pid) throw new Error(`no server process found for ${BASE_URL} (set SERVER_PID)`);
  console.error(`soak: ${BASE_URL} server pid ${pid}, ${MINUTES} min, post every ${POST_EVERY} ms, sample every ${SAMPLE_EVERY} ms`);

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const context = await browser.newContext({
    viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
    serviceWorkers: 'block',
  });
  const page = await context.newPage();
  let pageErrors = 0, netErrors = 0;
  let dropping = false; // from a cut until 5 s after the stream is back
  page.on('pageerror', (e) => { pageErrors++; console.error(`page error: ${e.message}`); });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Requests failing while the soak holds the page offline are the drop, not a fault.
    if (dropping && /net::ERR_(CONNECTION_RESET|CONNECTION_REFUSED|CONNECTION_CLOSED|EMPTY_RESPONSE|INCOMPLETE_CHUNKED_ENCODING|SOCKET_NOT_CONNECTED)|AJAXError: Failed to fetch \(0\)/.test(m.text())) { netErrors++; return; }
    pageErrors++;
    console.error(`console error: ${m.text()}`);
  });

  // The page talks to the server through a proxy that can cut the network (see dropper.mjs);
  // the poster below talks to the server directly.
  const proxy = await dropProxy(BASE_URL);
  await page.goto(`${proxy.url}/wall`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 60000 });
  // Sign in through the page's login panel (same selectors as tests/e2e/run.mjs login()).
  if (!(await page.locator('#login-dialog').evaluate((d) => d.open))) await page.click('#login-btn');
  await page.fill('#login-username', 'zhihui');
  await page.fill('#login-password', PASSWORD);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/auth/login')),
    page.click('#login-submit'),
  ]);
  if (resp.status() !== 200) throw new Error(`page login answered ${resp.status()}`);
  await page.waitForFunction(() => !document.querySelector('#login-dialog').open);
  await page.waitForSelector('body[data-sse="open"]', { state: 'attached', timeout: 30000 });
  console.error('soak: signed in on /wall, live feed connected');

  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');

  // API poster: its own session, a bearer token.
  const lr = await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'zhihui', password: PASSWORD }),
  });
  if (!lr.ok) throw new Error(`API login answered ${lr.status}`);
  const { token } = await lr.json();

  const deadline = Date.now() + MINUTES * 60000;
  const stats = { posted: 0, failed: 0, lastError: '', drops: 0, reconnects: 0 };
  const postedAt = new Map(); // id → ms when the POST answered
  const seenAt = new Map(); // id → ms when the feed first showed it
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        const ids = await page.$$eval('#feed li[data-id]', (els) => els.map((e) => e.dataset.id));
        const now = Date.now();
        for (const id of ids) if (!seenAt.has(id)) seenAt.set(id, now);
      } catch (e) { console.error(`feed read: ${e.message}`); }
      await sleep(1000);
    }
  })();
  const dropper = (async () => {
    if (!DROP_EVERY) return;
    let next = Date.now() + DROP_EVERY;
    while (next + DROP_MS < deadline) {
      await sleep(next - Date.now());
      console.error(`soak: network cut for ${DROP_MS / 1000} s (drop ${stats.drops + 1})`);
      stats.drops++;
      dropping = true;
      const cut = proxy.drop(DROP_MS);
      await sleep(500);
      const fell = await page.evaluate(() => document.body.dataset.sse);
      console.error(`soak: stream state during the drop: ${fell}`);
      await cut;
      const t0 = Date.now();
      try {
        await page.waitForSelector('body[data-sse="open"]', { state: 'attached', timeout: 120000 });
        stats.reconnects++;
        console.error(`soak: stream open again ${((Date.now() - t0) / 1000).toFixed(1)} s after the network returned`);
      } catch { console.error('soak: the stream did not come back within 120 s'); }
      setTimeout(() => { dropping = false; }, 5000);
      next += DROP_EVERY;
    }
  })();
  const poster = (async () => {
    while (Date.now() < deadline) {
      const t0 = Date.now();
      try {
        const r = await fetch(`${BASE_URL}/api/incidents`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            category: '邻里纠纷', description: 'soak',
            lon: 113.05 + Math.random() * 0.05, lat: 23.69 + Math.random() * 0.03,
          }),
        });
        if (r.status === 201) {
          stats.posted++;
          const { id } = await r.json();
          postedAt.set(id, Date.now());
        } else {
          stats.failed++; stats.lastError = `HTTP ${r.status}`;
          await r.arrayBuffer();
        }
      } catch (e) { stats.failed++; stats.lastError = e.message; }
      await sleep(Math.max(0, POST_EVERY - (Date.now() - t0)));
    }
  })();

  const t00 = Date.now();
  const samples = [];
  const header = 'elapsed_s,js_heap_mb,dom_nodes,feed_items,server_rss_mb,posted,post_failed,js_listeners,documents,unseen_after_30s';
  console.log(header);
  // Posted more than 30 s ago and never shown in the feed (so far).
  const unseen = (olderThan = 30000) => {
    const now = Date.now();
    let n = 0;
    for (const [id, at] of postedAt) if (now - at > olderThan && !seenAt.has(id)) n++;
    return n;
  };
  const sample = async () => {
    // Measured after a full collection, so the heap column shows what stays, not what awaits GC.
    await cdp.send('HeapProfiler.collectGarbage').catch(() => null);
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const feed = await page.evaluate(() => document.querySelectorAll('#feed li[data-id]').length);
    const s = {
      t: (Date.now() - t00) / 1000,
      heap: m.JSHeapUsedSize / 1048576,
      nodes: m.Nodes,
      feed,
      rss: rssKiB(pid) / 1024,
      posted: stats.posted,
      failed: stats.failed,
      listeners: m.JSEventListeners,
      docs: m.Documents,
      unseen: unseen(),
    };
    samples.push(s);
    const line = [s.t.toFixed(0), s.heap.toFixed(2), s.nodes, s.feed, s.rss.toFixed(1), s.posted, s.failed, s.listeners, s.docs, s.unseen].join(',');
    console.log(line);
    return line;
  };
  const lines = [header];
  lines.push(await sample());
  while (Date.now() < deadline) {
    await sleep(Math.min(SAMPLE_EVERY, Math.max(0, deadline - Date.now())));
    lines.push(await sample());
  }
  await poster;
  await dropper;
  await sleep(5000); // let the last events arrive
  watching = false;
  await watcher;
  lines.push(await sample());
  const missed = [...postedAt.keys()].filter((id) => !seenAt.has(id));
  const delays = [...postedAt].filter(([id]) => seenAt.has(id)).map(([id, at]) => Math.max(0, seenAt.get(id) - at) / 1000).sort((a, b) => a - b);
  const q = (p) => (delays.length ? delays[Math.min(delays.length - 1, Math.floor(p * delays.length))].toFixed(1) : '–');
  if (process.env.CSV) fs.writeFileSync(process.env.CSV, lines.join('\n') + '\n');

  const f = samples[0], l = samples[samples.length - 1];
  const xs = samples.map((s) => s.t / 3600);
  const fmt = (k, unit, d = 2) => {
    const sl = slope(xs, samples.map((s) => s[k]));
    return `${k}: first ${f[k].toFixed(d)}${unit}, last ${l[k].toFixed(d)}${unit}, min ${Math.min(...samples.map((s) => s[k])).toFixed(d)}, max ${Math.max(...samples.map((s) => s[k])).toFixed(d)}, slope ${sl.toFixed(d)}${unit}/h`;
  };
  console.log('# summary');
  console.log(`# duration ${(l.t / 60).toFixed(1)} min, incidents posted ${stats.posted}, failed ${stats.failed}${stats.lastError ? ` (last: ${stats.lastError})` : ''}, page errors ${pageErrors}`);
  console.log(`# ${fmt('heap', ' MB')}`);
  console.log(`# ${fmt('nodes', '', 0)}`);
  console.log(`# ${fmt('feed', '', 0)}`);
  console.log(`# ${fmt('rss', ' MB', 1)}`);
  console.log(`# ${fmt('listeners', '', 0)}`);
  console.log(`# requests cut by the drops (expected, not counted above): ${netErrors}`);
  console.log(`# drops ${stats.drops}, stream re-opened ${stats.reconnects}`);
  console.log(`# events: posted ${postedAt.size}, shown in the feed ${postedAt.size - missed.length}, missed ${missed.length}${missed.length ? ` (${missed.slice(0, 10).join(', ')})` : ''}`);
  console.log(`# delay POST answer → in the feed (1 s resolution): median ${q(0.5)} s, p90 ${q(0.9)} s, p99 ${q(0.99)} s, max ${delays.length ? delays[delays.length - 1].toFixed(1) : '–'} s`);
  await browser.close();
  proxy.close();
  if (missed.length) process.exitCode = 2;
}

main().catch((e) => { console.error(e); process.exit(1); });
