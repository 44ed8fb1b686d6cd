// The admin pages (/admin) in Chromium: as admin, upload a GBK Shapefile of hazards whose columns
// do not all map themselves and which has one bad row; read the dry run's report; fix the mapping
// and the data; import; see the points on the map without a reload (here and, live, on another
// signed-in viewer's map). Then the topology and audit tabs, and a grid-head account whose area is
// picked on the map, which signs in and sees only that grid, and changes its own password.
//
// Run by run.mjs when E2E_ONLY includes `admin` and ADMIN_FILES names a folder with `bad/` and
// `fixed/` Shapefiles (hazards.shp/.shx/.dbf/.cpg), as tests/it/browser.rs writes them.
import path from 'node:path';

const SHP_PARTS = ['hazards.shp', 'hazards.shx', 'hazards.dbf', 'hazards.cpg'];
const NEW_IDS = ['ADM-HZ-1', 'ADM-HZ-2', 'ADM-HZ-3', 'ADM-HZ-4'];
const HEAD = 'wangge-new';
const HEAD_PASSWORD = 'xin-wangge-2024';
const HEAD_PASSWORD_2 = 'geng-xin-2025!';

/** h: the harness of run.mjs (check, expect, fail, guardedPage, waitReady, login, shot, assertNoProblems, screenPoints, BASE_URL, T, WANGGE_POINT). */
export async function adminFlow(browser, hx) {
  const { check, expect, fail, guardedPage, waitReady, login, shot, assertNoProblems, screenPoints, BASE_URL, T } = hx;
  const files = process.env.ADMIN_FILES;
  if (!files) { fail('admin: ADMIN_FILES', 'the admin flow needs ADMIN_FILES (tests/it/browser.rs sets it)'); return; }
  const parts = (which) => SHP_PARTS.map((p) => path.join(files, which, p));
  const g = await guardedPage(browser, { viewport: { width: 1920, height: 1080 }, label: 'admin' });
  const viewer = await guardedPage(browser, { viewport: { width: 1280, height: 800 }, label: 'admin viewer' });
  const { page } = g;
  const body = (attr) => page.evaluate((a) => document.body.dataset[a], attr);
  const waitBody = (sel) => page.waitForSelector(`body${sel}`, { timeout: T, state: 'attached' });
  const dryRun = async () => {
    await page.evaluate(() => { delete document.body.dataset.dryRun; });
    await page.click('#import-dry-run');
    await waitBody('[data-dry-run]');
    return page.evaluate(() => ({
      state: document.body.dataset.dryRun,
      rejected: [...document.querySelectorAll('#import-rejected tbody tr')].map((tr) => ({
        line: tr.dataset.line, field: tr.dataset.field, cells: [...tr.cells].map((c) => c.textContent) })),
      ready: document.body.dataset.importReady,
      commitDisabled: document.querySelector('#import-commit').disabled,
    }));
  };
  let code = null;
  try {
    const opened = await check('admin: /admin asks an anonymous visitor to sign in as admin', async () => {
      await page.goto(`${BASE_URL}/admin`, { timeout: T });
      await waitReady(page);
      await page.waitForSelector('#admin-denied', { timeout: T });
      const shown = await page.evaluate(() => ({ dialog: document.querySelector('#login-dialog').open,
        nav: !document.querySelector('#nav-admin').hidden }));
      expect(shown.dialog, 'the sign-in panel opens');
      expect(!shown.nav, 'no Admin link for an anonymous visitor');
    });
    if (!opened) return;
    g.state.anonymous = false;
    const signed = await check('admin: signs in as admin; the Admin link and the four tabs show', async () => {
      await login(page, 'admin');
      await page.waitForSelector('#admin-tab-import', { timeout: T });
      const tabs = await page.$$eval('#admin-tabs .tab', (b) => b.map((x) => x.dataset.tab));
      expect(tabs.join() === 'import,topology,accounts,audit', `tabs: ${tabs}`);
      expect(await page.isVisible('#nav-admin'), 'the Admin link shows for an admin');
    });
    if (!signed) return;

    // A second, ordinary viewer on the general map, signed in (live events need a session).
    await check('admin: a command-centre viewer has the general map open at the import site', async () => {
      await viewer.page.goto(`${BASE_URL}/`, { timeout: T });
      await waitReady(viewer.page);
      viewer.state.anonymous = false;
      await login(viewer.page, 'zhihui');
      await viewer.page.waitForSelector('body[data-sse="open"]', { timeout: T, state: 'attached' });
      await viewer.page.evaluate(() => new Promise((r) => { const m = window.__map; m.jumpTo({ center: [113.0562, 23.6982], zoom: 16 }); m.once('idle', r); }));
    });

    let firstLine = null;
    await check('admin: first dry run of the GBK Shapefile names the unmapped kind column, maps NAME/RISK/ID itself', async () => {
      await page.selectOption('#import-layer', 'hazards');
      await page.setInputFiles('#import-files', parts('bad'));
      await page.waitForSelector('#import-file-list li', { timeout: T });
      expect(await page.isDisabled('#import-commit'), 'import is disabled before a dry run');
      const r = await dryRun();
      expect(r.state === 'rejected', `dry run state ${r.state}`);
      expect(r.rejected.length === 4 && r.rejected.every((x) => x.field === 'kind'), `every row lacks its kind: ${JSON.stringify(r.rejected)}`);
      expect(r.rejected[0].cells[1] === '类型', `the field is named in Chinese: ${r.rejected[0].cells[1]}`);
      const mapping = await page.$$eval('#import-mapping-table tbody tr[data-column]', (trs) => trs.map((tr) => [tr.dataset.column, tr.querySelector('select').value]));
      const m = Object.fromEntries(mapping);
      expect(m.ID === 'id' && m.NAME === 'name' && m.RISK === 'risk', `automatic mapping: ${JSON.stringify(m)}`);
      expect(m.ZHLX === '' && m.WXRS === '', `ZHLX and WXRS are not mapped: ${JSON.stringify(m)}`);
      return JSON.stringify(m);
    });
    await check('admin: after mapping ZHLX→kind and WXRS→threatened_persons the dry run names the one bad row (紫)', async () => {
      await page.selectOption('#import-mapping-table select[data-column="ZHLX"]', 'kind');
      await page.selectOption('#import-mapping-table select[data-column="WXRS"]', 'threatened_persons');
      const r = await dryRun();
      expect(r.state === 'rejected', `dry run state ${r.state}`);
      expect(r.rejected.length === 1, `one rejected row: ${JSON.stringify(r.rejected)}`);
      const [row] = r.rejected;
      expect(row.field === 'risk', `the risk field: ${JSON.stringify(row)}`);
      firstLine = row.line;
      expect(row.cells[0] === `第${row.line}行` && row.cells[1] === '风险等级', `shown as 第N行 / 风险等级: ${row.cells}`);
      expect(row.cells[2].includes('紫'), `the reason quotes the value: ${row.cells[2]}`);
      expect(r.commitDisabled && r.ready === '0', 'import stays disabled after a dry run with a rejected row');
      const newCount = await page.textContent('#import-new .card-value');
      expect(newCount.trim() === '3', `3 rows would be new: ${newCount}`);
      return `${row.cells.join(' | ')}`;
    });
    await shot(page, 'admin-import-rejected.png');
    await check('admin: the corrected file dry-runs clean (mapping kept) and only then enables import', async () => {
      await page.setInputFiles('#import-files', parts('fixed'));
      expect(await page.isDisabled('#import-commit'), 'new files need a new dry run');
      const r = await dryRun();
      expect(r.state === 'clean' && r.rejected.length === 0, `clean dry run: ${JSON.stringify(r)}`);
      expect(!r.commitDisabled && r.ready === '1', 'import is enabled after a clean dry run');
      const counts = await page.$$eval('#import-new .card-value, #import-updated .card-value', (e) => e.map((x) => x.textContent.trim()));
      expect(counts[0] === '4' && counts[1] === '0', `4 new, 0 updated: ${counts}`);
      return `line ${firstLine} fixed`;
    });
    await shot(page, 'admin-import-clean.png');
    const imported = await check('admin: import → the points appear on the map without a reload, and it fits to them', async () => {
      const before = await page.evaluate(() => performance.getEntriesByType('navigation').length);
      await page.click('#import-commit');
      await waitBody('[data-imported]');
      expect((await body('imported')) === 'hazards:4', `imported ${await body('imported')}`);
      await waitBody('[data-import-shown]');
      await page.waitForFunction((ids) => {
        const m = window.__map;
        const got = new Set(m.queryRenderedFeatures({ layers: ['hazards-circle'] }).map((f) => f.properties.id));
        return ids.every((id) => got.has(id));
      }, NEW_IDS, { timeout: T });
      const after = await page.evaluate(() => performance.getEntriesByType('navigation').length);
      expect(before === after, 'no reload happened');
      const z = await page.evaluate(() => window.__map.getZoom());
      expect(z >= 14, `the map fits to the new points (zoom ${z.toFixed(1)})`);
      return `zoom ${z.toFixed(1)}`;
    });
    if (imported) await shot(page, 'admin-import-done.png');
    await check('admin: the other viewer sees the new hazards live (SSE), without a reload', async () => {
      await viewer.page.waitForFunction((ids) => {
        const m = window.__map;
        const got = new Set(m.queryRenderedFeatures({ layers: ['hazards-circle'] }).map((f) => f.properties.id));
        return ids.every((id) => got.has(id));
      }, NEW_IDS, { timeout: 20000 });
    });
    await check('admin: the export links offer every layer as Shapefile zip, CSV and GeoJSON', async () => {
      const [dl] = await Promise.all([page.waitForEvent('download', { timeout: T }), page.click('#export-hazards-zip')]);
      const name = dl.suggestedFilename();
      expect(name.startsWith('hazards') && name.endsWith('.zip'), `download ${name}`);
      const n = await page.$$eval('#exports a.button', (a) => a.length);
      expect(n === 18, `${n} export links`);
    });

    await check('admin: topology tab shows the layer toggle, the legend and the problem list', async () => {
      await page.click('#admin-tab-topology');
      await page.waitForSelector('#topology-list, #topology-empty', { timeout: T });
      await page.check('#topology-toggle');
      await settled(page);
      const ok = await page.evaluate(() => !!window.__map.getLayer('topology-fill') && window.__map.getLayoutProperty('topology-fill', 'visibility') !== 'none');
      expect(ok, 'the topology layer is on the map');
      const legend = await page.$$eval('.topology-legend .legend-row', (r) => r.length);
      expect(legend === 6, `six kinds in the legend: ${legend}`);
      const n = await page.evaluate(() => document.body.dataset.topology);
      if (Number(n) > 0) {
        await page.click('#topology-list tbody tr');
        await page.waitForSelector('body[data-topology-focus]', { timeout: T, state: 'attached' });
      }
      return `${n} problems`;
    });
    await shot(page, 'admin-topology.png');

    await check('admin: accounts tab lists the demo accounts', async () => {
      await page.click('#admin-tab-accounts');
      await page.waitForSelector('#accounts-table tr[data-user="wangge"]', { timeout: T });
    });
    await shot(page, 'admin-accounts.png');
    const created = await check('admin: creates a grid-head account with its grid picked on the map', async () => {
      await page.fill('#new-username', HEAD);
      await page.selectOption('#new-role', 'grid');
      await page.fill('#new-password', HEAD_PASSWORD);
      await page.click('#new-areas-pick');
      await page.evaluate(() => new Promise((r) => { const m = window.__map; m.jumpTo({ center: [113.056, 23.698], zoom: 14 }); m.once('idle', r); }));
      const [pt] = await screenPoints(page, [hx.WANGGE_POINT]);
      await page.mouse.click(pt.x, pt.y);
      await waitBody('[data-picked]');
      code = await body('picked');
      const value = await page.inputValue('#new-areas');
      expect(value === code && /^\d{15}$/.test(code), `the areas field holds the picked grid: ${value} / ${code}`);
      await page.click('#new-areas-pick'); // stop picking
      await page.click('#create-submit');
      await waitBody(`[data-created="${HEAD}"]`);
      await page.waitForSelector(`#accounts-table tr[data-user="${HEAD}"]`, { timeout: T });
      const row = await page.$eval(`#accounts-table tr[data-user="${HEAD}"]`, (tr) => [...tr.cells].map((c) => c.textContent));
      expect(row[1] === '网格员' && row[2] === code, `the new row: ${row}`);
      const toastText = await page.textContent('#toast');
      expect(toastText.includes(HEAD), `a toast confirms: ${toastText}`);
      return `${HEAD} → ${code}`;
    });
    await shot(page, 'admin-accounts-created.png');

    await check('admin: audit tab lists the import and the new account, newest first, filtered by action', async () => {
      await page.click('#admin-tab-audit');
      await page.waitForSelector('#audit-list, #audit-empty', { timeout: T });
      await page.fill('#audit-action', 'import.');
      await page.click('#audit-search');
      await page.waitForSelector('#audit-list tr[data-action="import.hazards"]', { timeout: T });
      await page.fill('#audit-action', 'account.');
      await page.click('#audit-search');
      await page.waitForFunction((u) => [...document.querySelectorAll('#audit-list tbody tr')].some((tr) => tr.textContent.includes(u)), HEAD, { timeout: T });
      await page.fill('#audit-action', '');
      await page.click('#audit-search');
      await page.waitForSelector('#audit-list tbody tr', { timeout: T });
      const ids = await page.$$eval('#audit-list tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.id)));
      expect(ids.every((id, i) => i === 0 || ids[i - 1] > id), `newest first: ${ids.slice(0, 5)}`);
    });
    await shot(page, 'admin-audit.png');
    await check('admin: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(g, 'admin'));
    await check('admin viewer: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(viewer, 'admin viewer'));

    if (!created || !code) return;
    await check('admin: the grid head signs in on /admin and is told it is not an admin', async () => {
      await page.click('#logout-btn');
      await page.waitForSelector('#login-dialog[open]', { timeout: T });
      await signIn(page, HEAD, HEAD_PASSWORD, hx);
      await page.waitForSelector('#admin-denied', { timeout: T });
      expect(!(await page.isVisible('#nav-admin')), 'no Admin link for a grid head');
    });
    await check('admin: the grid head sees only its own grid', async () => {
      await page.goto(`${BASE_URL}/grid`, { timeout: T });
      await waitReady(page);
      const me = await page.evaluate(async () => (await fetch('/api/me')).json());
      const areas = (me.user || me).areas;
      expect(JSON.stringify(areas) === JSON.stringify([code]), `/api/me areas ${JSON.stringify(areas)}`);
      await page.waitForSelector('body[data-fitted]', { timeout: T, state: 'attached' });
      const fitted = await body('fitted');
      expect(fitted === code, `the map fits to the grid ${code}: ${fitted}`);
      const shown = await page.textContent('.area-code');
      expect(shown.includes(code), `the grid panel names the grid: ${shown}`);
      const lists = await page.evaluate(async () => {
        const people = await (await fetch('/api/people')).json();
        const inc = await (await fetch('/api/incidents')).json();
        return { people: people.items.map((p) => p.grid), incidents: inc.items.map((i) => i.grid) };
      });
      const others = [...lists.people, ...lists.incidents].filter((x) => x !== code);
      expect(lists.people.length > 0, 'the grid has people records to see');
      expect(others.length === 0, `records of other grids: ${others.slice(0, 5)}`);
      return `${lists.people.length} people, ${lists.incidents.length} incidents, all in ${code}`;
    });
    await shot(page, 'admin-grid-head.png');
    await check('admin: the grid head changes its own password and signs in again with it', async () => {
      await page.click('#password-btn');
      await page.fill('#pw-old', HEAD_PASSWORD);
      await page.fill('#pw-new', HEAD_PASSWORD_2);
      await page.fill('#pw-again', HEAD_PASSWORD_2);
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/me/password'), { timeout: T }),
        page.click('#pw-submit'),
      ]);
      expect(resp.status() === 200, `password change answered ${resp.status()}`);
      await page.waitForSelector('#login-dialog[open]', { timeout: T });
      await signIn(page, HEAD, HEAD_PASSWORD_2, hx);
    });
    await check('admin: grid head pages: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(g, 'grid head'));
    await topologyFlow(browser, hx, code);
  } finally {
    await g.context.close();
    await viewer.context.close();
  }
}

/** As admin: import (GeoJSON) a grid that overlaps the one at the grid head's point; the topology tab shows it. */
async function topologyFlow(browser, hx, gridCode) {
  const { check, expect, guardedPage, waitReady, login, shot, assertNoProblems, BASE_URL, T, WANGGE_POINT } = hx;
  const g = await guardedPage(browser, { viewport: { width: 1920, height: 1080 }, label: 'admin topology' });
  const { page } = g;
  try {
    const community = gridCode.slice(0, 12);
    const [x, y] = WANGGE_POINT;
    const d = 0.0015;
    const fc = { type: 'FeatureCollection', features: [{ type: 'Feature',
      properties: { code: `${community}099`, name: '拓扑测试网格' },
      geometry: { type: 'Polygon', coordinates: [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]] } }] };
    await page.goto(`${BASE_URL}/admin`, { timeout: T });
    await waitReady(page);
    g.state.anonymous = false;
    await login(page, 'admin');
    await page.waitForSelector('#admin-tab-import', { timeout: T });
    const ok = await check('admin: a GeoJSON grid overlapping its neighbour dry-runs clean and imports', async () => {
      await page.selectOption('#import-layer', 'grids');
      await page.setInputFiles('#import-files', { name: '网格.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(fc)) });
      await page.click('#import-dry-run');
      await page.waitForSelector('body[data-dry-run="clean"]', { timeout: T, state: 'attached' });
      await page.click('#import-commit');
      await page.waitForSelector('body[data-imported="grids:1"]', { timeout: T, state: 'attached' });
    });
    if (!ok) return;
    await check('admin: the topology tab lists the overlap and draws it; a click flies to it', async () => {
      await page.click('#admin-tab-topology');
      await page.waitForSelector('#topology-list tbody tr[data-kind="overlap"]', { timeout: T });
      await page.check('#topology-toggle');
      await page.click('#topology-list tbody tr[data-kind="overlap"]');
      await page.waitForSelector('body[data-topology-focus="overlap"]', { timeout: T, state: 'attached' });
      await settled(page);
      const drawn = await page.evaluate(() => {
        const m = window.__map;
        const f = m.queryRenderedFeatures({ layers: ['topology-fill', 'topology-line', 'topology-point'] });
        return { kinds: [...new Set(f.map((x) => x.properties.kind))], n: f.length, zoom: m.getZoom(), center: m.getCenter().toArray(),
          source: m.isSourceLoaded('topology') };
      });
      expect(drawn.kinds.includes('overlap'), `the overlap is drawn on the map: ${JSON.stringify(drawn)}`);
      const rows = await page.$$eval('#topology-list tbody tr', (trs) => trs.map((tr) => tr.dataset.kind));
      const cells = await page.$eval('#topology-list tbody tr[data-kind="overlap"]', (tr) => [...tr.cells].map((c) => c.textContent));
      expect(cells[0] === '重叠' && cells[2].includes(`${community}099`), `the overlap row: ${cells}`);
      return rows.join(', ');
    });
    await settled(page);
    await shot(page, 'admin-topology-problems.png');
    await check('admin: every tab reads in English after 中/EN (data values aside)', async () => {
      await page.click('#lang-toggle');
      const bad = [];
      for (const tab of ['import', 'topology', 'accounts', 'audit']) {
        await page.click(`#admin-tab-${tab}`);
        await page.waitForSelector(`#admin-body[data-tab="${tab}"] h2`, { timeout: T });
        await page.waitForTimeout(300);
        bad.push(...await page.evaluate(() => {
          const out = [];
          const CJK = /[\u3400-\u9fff]/;
          for (const root of [document.querySelector('#panel'), document.querySelector('#topbar')]) {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
              const el = n.parentElement;
              if (!el || el.closest('#lang-toggle, [data-value], .brand')) continue;
              if (CJK.test(n.textContent)) out.push(n.textContent.trim());
            }
            for (const o of root.querySelectorAll('option')) if (CJK.test(o.textContent)) out.push(o.textContent);
          }
          return out;
        }));
      }
      expect(bad.length === 0, `Chinese left in the English UI: ${[...new Set(bad)].slice(0, 8).join(' | ')}`);
    });
    await shot(page, 'admin-audit-en.png');
    await check('admin: at 1366×768 the panel fits without sideways scrolling and the map keeps most of the width', async () => {
      await page.setViewportSize({ width: 1366, height: 768 });
      await page.click('#admin-tab-accounts');
      await page.waitForSelector('#accounts-table', { timeout: T });
      const m = await page.evaluate(() => {
        const p = document.querySelector('#panel');
        return { over: p.scrollWidth - p.clientWidth, map: document.querySelector('#map').clientWidth, panel: p.clientWidth };
      });
      expect(m.over <= 1, `the panel scrolls sideways by ${m.over}px`);
      expect(m.map >= 800, `the map is ${m.map}px wide`);
      return `map ${m.map}px, panel ${m.panel}px`;
    });
    await shot(page, 'admin-accounts-1366.png');
    await check('admin topology: no console error, no other host, no 4xx/5xx', async () => assertNoProblems(g, 'admin topology'));
  } finally {
    await g.context.close();
  }
}

async function signIn(page, username, password, { expect, T }) {
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/auth/login'), { timeout: T }),
    page.click('#login-submit'),
  ]);
  expect(resp.status() === 200, `sign-in as ${username} answered ${resp.status()}`);
  await page.waitForSelector('#logout-btn', { timeout: T });
}

/** Waits until the map has nothing left to load or draw (at most 20 s: `idle` does not fire on a map already idle). */
async function settled(page) {
  await page.evaluate(() => new Promise((r) => {
    const m = window.__map;
    const done = () => { clearTimeout(timer); r(); };
    const timer = setTimeout(r, 20000);
    if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) done(); else m.once('idle', done);
  }));
}
