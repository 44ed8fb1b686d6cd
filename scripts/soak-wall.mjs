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
// Env: BASE_URL (default http://127.0.0.1:8123), CHROMIUM (default /usr/bin/chromium),
// SERVER_PID (default: `pgrep -f <port of BASE_URL>`), DEMO_PASSWORD (default minqing-demo),
// POST_EVERY_MS (default 2000), SAMPLE_EVERY_MS (default 30000), CSV (optional file to copy the
// samples to). Needs a server started with --demo.
import { createRequire } from 'node:module';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/e2e/package.json'));
const { chromium } = require('playwright-core');

const MINUTES = Number(process.argv[2] || 20);
const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8123').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PASSWORD = process.env.DEMO_PASSWORD || 'minqing-demo';
const POST_EVERY = Number(process.env.POST_EVERY_MS || 2000);
const SAMPLE_EVERY = Number(process.env.SAMPLE_EVERY_MS || 30000);
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
  let pageErrors = 0;
  page.on('pageerror', (e) => { pageErrors++; console.error(`page error: ${e.message}`); });
  page.on('console', (m) => { if (m.type() === 'error') { pageErrors++; console.error(`console error: ${m.text()}`); } });

  await page.goto(`${BASE_URL}/wall`);
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
  const stats = { posted: 0, failed: 0, lastError: '' };
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
        if (r.status === 201 || r.ok) stats.posted++;
        else { stats.failed++; stats.lastError = `HTTP ${r.status}`; }
        await r.arrayBuffer();
      } catch (e) { stats.failed++; stats.lastError = e.message; }
      await sleep(Math.max(0, POST_EVERY - (Date.now() - t0)));
    }
  })();

  const t00 = Date.now();
  const samples = [];
  const header = 'elapsed_s,js_heap_mb,dom_nodes,feed_items,server_rss_mb,posted,post_failed,js_listeners,documents';
  console.log(header);
  const sample = async () => {
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
    };
    samples.push(s);
    const line = [s.t.toFixed(0), s.heap.toFixed(2), s.nodes, s.feed, s.rss.toFixed(1), s.posted, s.failed, s.listeners, s.docs].join(',');
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
  await sleep(3000); // let the last events arrive
  lines.push(await sample());
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
  await browser.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
