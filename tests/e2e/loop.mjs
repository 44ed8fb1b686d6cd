// The closed loop across views, in real Chromium (group `loop` of run.mjs): the grid head reports
// with photos from the phone (/grid, 390×844) at his own position → the case appears on the
// command centre's wall (/wall, 1920×1080) within 2 s → the wall accepts and dispatches it from
// the case panel opened from its feed → the grid head starts and resolves it from his to-do list
// → the wall verifies, revisits with a rating and closes it. Each step is taken with the buttons
// the server lists in the case's `actions`; the phone is checked to show no button for the steps
// its role does not take (dispatch, verify, close). Along the way, the phone's own checks: header
// counts equal to the lists, the to-do order, tap-to-call numbers, key places with their last
// visit, hiding the patrol tracks, the report sheet naming the place, the warning outside the
// grid, the nine-photo limit. Screenshots of each view at its real size go to SHOT_DIR.

const PHONE = { width: 390, height: 844 };
const WALL = { width: 1920, height: 1080 };

/** A small real PNG of colour `c`, drawn in the page. */
async function png(page, c) {
  const bytes = await page.evaluate(async (color) => {
    const cv = document.createElement('canvas');
    cv.width = 16; cv.height = 16;
    const g = cv.getContext('2d');
    g.fillStyle = color; g.fillRect(0, 0, 16, 16);
    const blob = await new Promise((r) => cv.toBlob(r, 'image/png'));
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, c);
  return Buffer.from(bytes);
}

/** Steps offered in the open case panel of `page`. */
const steps = (page) => page.$$eval('#case-panel #case-actions .step', (bs) => bs.map((b) => b.dataset.action));

/** Takes step `action` in the open case panel of `page` and waits for status `to`. */
async function take(page, action, to, { note, rating, T }) {
  await page.waitForSelector(`#case-panel .step[data-action="${action}"]`, { timeout: T });
  if (note) await page.fill('#case-note', note);
  if (rating) await page.selectOption('#case-rating', String(rating));
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/actions') && r.request().method() === 'POST', { timeout: T }),
    page.click(`#case-panel .step[data-action="${action}"]`),
  ]);
  if (resp.status() !== 200) throw new Error(`${action} answered ${resp.status()}: ${await resp.text()}`);
  await page.waitForSelector(`body[data-case-status="${to}"]`, { timeout: T, state: 'attached' });
}

/** Screen position of a lon/lat on the map of `page`. */
async function screenOf(page, lonlat) {
  return page.evaluate((ll) => {
    const m = window.__map;
    const c = m.getCanvas().getBoundingClientRect();
    const p = m.project(ll);
    return { x: c.left + p.x, y: c.top + p.y };
  }, lonlat);
}

async function dragPin(page, to) {
  const box = await page.locator('#report-pin').boundingBox();
  // A MapLibre marker's anchor is its bottom centre; grab it a little above.
  const from = { x: box.x + box.width / 2, y: box.y + box.height - 6 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(from.x + ((to.x - from.x) * i) / 8, from.y + ((to.y - from.y) * i) / 8);
  await page.mouse.up();
}

/**
 * A phone reaching the server over plain HTTP by its office name is not a secure context: "my
 * location" and patrol recording must say that HTTPS is needed (the browser's own message was
 * English and did not say what to do). Its own Chromium maps `minqing.internal` to the server.
 */
export async function insecureContext(k) {
  const { check, expect, chromium, CHROMIUM, ARGS, BASE_URL, T, login, waitReady } = k;
  const base = new URL(BASE_URL);
  const host = 'minqing.internal';
  const b = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: [...ARGS, `--host-resolver-rules=MAP ${host} ${base.hostname}`, '--disable-features=HttpsUpgrades'] });
  try {
    await check('loop: over plain HTTP on the office network, "my location" and patrol say HTTPS is needed', async () => {
      const ctx = await b.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'zh-CN', serviceWorkers: 'block' });
      const p = await ctx.newPage();
      await p.goto(`http://${host}:${base.port}/grid`, { timeout: T });
      await waitReady(p);
      await login(p, 'wangge');
      expect(!(await p.evaluate(() => window.isSecureContext)), 'an http:// office name counted as a secure context');
      const toastAfter = async (sel) => {
        await p.evaluate(() => { const t = document.querySelector('#toast'); if (t) t.textContent = ''; });
        await p.click(sel);
        await p.waitForFunction(() => (document.querySelector('#toast')?.textContent || '').length > 0, null, { timeout: T });
        return p.textContent('#toast');
      };
      const loc = await toastAfter('#locate-btn');
      await p.click('.tab[data-tab="patrol"]');
      const patrol = await toastAfter('#patrol-toggle');
      await ctx.close();
      for (const msg of [loc, patrol]) expect(msg.includes('HTTPS') && msg.includes('https://'), `the phone said "${msg}"`);
      return loc;
    });
  } finally {
    await b.close();
  }
}

export async function loopFlow(browser, k) {
  const { check, expect, guardedPage, waitReady, login, shot, assertNoProblems, BASE_URL, T, WANGGE_POINT } = k;
  const wall = await guardedPage(browser, { viewport: WALL, label: 'loop wall' });
  const phone = await guardedPage(browser, { viewport: PHONE, mobile: true, label: 'loop phone' });
  // The grid head stands at the demo point inside his grid.
  await phone.context.grantPermissions(['geolocation'], { origin: BASE_URL });
  await phone.context.setGeolocation({ longitude: WANGGE_POINT[0], latitude: WANGGE_POINT[1], accuracy: 8 });
  const p = phone.page;
  const w = wall.page;
  const desc = `e2e 闭环：路面塌陷，行人绕行 ${new Date().toISOString()}`;
  let area = null;
  let id = null;
  try {
    const up = await check('loop: zhihui\'s wall (1920x1080) and wangge\'s phone (390x844) are signed in and listening', async () => {
      await w.goto(`${BASE_URL}/wall`, { timeout: T });
      await waitReady(w);
      wall.state.anonymous = false;
      await login(w, 'zhihui');
      await w.waitForSelector('body[data-sse="open"]', { timeout: T, state: 'attached' });
      await p.goto(`${BASE_URL}/grid`, { timeout: T });
      await waitReady(p);
      phone.state.anonymous = false;
      await login(p, 'wangge');
      await p.waitForSelector('body[data-sse="open"]', { timeout: T, state: 'attached' });
      await p.waitForSelector('body[data-lists="1"]', { timeout: T, state: 'attached' });
      area = await p.evaluate(async () => {
        const code = (await (await fetch('/api/me')).json()).areas[0];
        const a = await (await fetch(`/api/areas/${code}`)).json();
        return { code, name: a.name, bbox: a.bbox };
      });
      return `${area.name} ${area.code}`;
    });
    if (!up) return;

    await check('loop: the phone\'s header counts are exactly the lists\' (to do, overdue, hazards)', async () => {
      const head = await p.$$eval('#head-counts [data-count]', (els) => Object.fromEntries(els.map((e) => [e.dataset.count, Number(e.querySelector('b').textContent.replace(/\D/g, ''))])));
      const todo = await p.$$eval('#incident-list li', (els) => els.length);
      const overdue = await p.$$eval('#incident-list li.overdue', (els) => els.length);
      const badge = Number(await p.textContent('.tab[data-tab="incidents"] .badge'));
      await p.click('.tab[data-tab="hazards"]');
      const hazards = await p.$$eval('#hazard-list li', (els) => els.length);
      const hBadge = Number(await p.textContent('.tab[data-tab="hazards"] .badge'));
      await p.click('.tab[data-tab="incidents"]');
      const got = { head, todo, overdue, badge, hazards, hBadge };
      expect(head.todo === todo && badge === todo, `to do: header ${head.todo}, badge ${badge}, list ${todo} (${JSON.stringify(got)})`);
      expect(head.overdue === overdue, `overdue: header ${head.overdue}, list ${overdue}`);
      expect(head.hazards === hazards && hBadge === hazards, `hazards: header ${head.hazards}, badge ${hBadge}, list ${hazards}`);
      // Every open case of the grid is in the list: none cut off.
      const api = await p.evaluate(async (c) => (await (await fetch(`/api/incidents?area=${c}&limit=10000`)).json()).items
        .filter((i) => ['reported', 'accepted', 'dispatched', 'in_progress'].includes(i.status)).length, area.code);
      expect(api === todo, `the server has ${api} open cases in my grid, the list shows ${todo}`);
      return JSON.stringify(got);
    });

    await check('loop: the to-do list has overdue cases first, then the least time left; finished cases apart, collapsed', async () => {
      const rows = await p.$$eval('#incident-list li', (els) => els.map((e) => ({ status: e.dataset.status, deadline: e.dataset.deadline, overdue: e.classList.contains('overdue') })));
      expect(rows.length > 0, 'the demo grid has open cases');
      const firstOnTime = rows.findIndex((r) => !r.overdue);
      expect(firstOnTime === -1 || rows.slice(firstOnTime).every((r) => !r.overdue), `an overdue case below one on time: ${JSON.stringify(rows.map((r) => r.overdue))}`);
      const ms = rows.map((r) => new Date(r.deadline).getTime());
      expect(ms.every((v, i) => i === 0 || v >= ms[i - 1]), `deadlines not ascending: ${rows.map((r) => r.deadline).join(', ')}`);
      const finished = rows.filter((r) => !['reported', 'accepted', 'dispatched', 'in_progress'].includes(r.status));
      expect(finished.length === 0, `finished cases in the to-do list: ${JSON.stringify(finished)}`);
      const done = await p.$eval('#done-cases', (d) => ({ open: d.open, n: d.querySelectorAll('li').length }));
      expect(!done.open, 'the finished section starts collapsed');
      return `${rows.length} to do (${rows.filter((r) => r.overdue).length} overdue), ${done.n} finished apart`;
    });
    await shot(p, 'loop-phone-todo.png');

    await check('loop: hazard monitors\' phone numbers are tap-to-call links', async () => {
      await p.click('.tab[data-tab="hazards"]');
      const tels = await p.$$eval('#hazard-list a[href^="tel:"]', (as) => as.map((a) => a.getAttribute('href')));
      await p.click('.tab[data-tab="incidents"]');
      expect(tels.length > 0 && tels.every((h) => /^tel:\+?\d[\d-]{6,}$/.test(h)), `tel links ${JSON.stringify(tels.slice(0, 3))}`);
      return tels[0];
    });

    await check('loop: the patrol tab lists my key places with their last visit, and hides the tracks', async () => {
      await p.click('.tab[data-tab="patrol"]');
      const places = await p.$$eval('#place-list li', (els) => els.map((e) => e.textContent));
      expect(places.length > 0, 'no key place listed in my grid (the demo gives it some)');
      expect(places.every((t) => /最近巡查|从未巡查/.test(t)), `a place without its last visit: ${places[0]}`);
      // The tab's coverage is the API's default window (the last 24 hours) and must say so; it
      // was labelled "7 days" while the map's 7-day colours showed another number.
      const cov = await p.textContent(`.coverage[data-code="${area.code}"]`);
      const api = await p.evaluate(async (c) => (await (await fetch(`/api/patrol/coverage?area=${c}`)).json()), area.code);
      const hours = (new Date(api.to) - new Date(api.from)) / 3600000;
      const pct = Math.round(api.grids.find((g) => g.code === area.code).coverage * 100);
      expect(hours === 24 && cov.includes('24小时') && !/7日|7 days/.test(cov) && cov.endsWith(` ${pct}%`), `coverage reads "${cov}" for a ${hours} h window at ${pct}%`);
      const missed = await p.$$eval('#place-list li[data-missed="1"]', (els) => els.length);
      const badge = Number(await p.textContent('.tab[data-tab="patrol"] .badge'));
      expect(badge === missed, `patrol badge ${badge}, missed places listed ${missed}`);
      const vis = () => p.evaluate(() => window.__map.getLayoutProperty('patrol-tracks', 'visibility') || 'visible');
      expect(await vis() === 'visible', 'tracks start shown');
      await p.click('#tracks-toggle');
      await p.waitForSelector('body[data-tracks="hidden"]', { timeout: T, state: 'attached' });
      expect(await vis() === 'none', 'tracks still drawn after hiding them');
      await shot(p, 'loop-phone-places.png');
      await p.click('#tracks-toggle');
      expect(await vis() === 'visible', 'tracks not drawn again');
      await p.click('.tab[data-tab="incidents"]');
      return `${places.length} places, ${missed} missed`;
    });

    await check('loop: without a position fix, "report here" puts the pin at the map centre', async () => {
      const centre = await p.evaluate(() => window.__map.getCenter().toArray());
      await p.click('#report-here');
      await p.waitForSelector('body[data-report-open="centre"]', { timeout: T, state: 'attached' });
      const pin = (await p.evaluate(() => document.body.dataset.reportAt)).split(',').map(Number);
      await p.click('#report-cancel');
      expect(Math.abs(pin[0] - centre[0]) < 2e-6 && Math.abs(pin[1] - centre[1]) < 2e-6, `pin at ${pin}, centre was ${centre}`);
      expect(!(await p.$('#report-pin')), 'the pin stays after cancelling');
      return pin.map((v) => v.toFixed(5)).join(',');
    });

    await check('loop: "my location" centres the map on the phone\'s position', async () => {
      await p.click('#locate-btn');
      await p.waitForSelector('body[data-located]', { timeout: T, state: 'attached' });
      const r = await p.evaluate(() => ({ at: document.body.dataset.located, c: window.__map.getCenter().toArray(), dot: !!document.querySelector('.me-dot') }));
      const [lon, lat] = r.at.split(',').map(Number);
      expect(Math.abs(lon - WANGGE_POINT[0]) < 1e-5 && Math.abs(lat - WANGGE_POINT[1]) < 1e-5, `located at ${r.at}`);
      expect(r.dot, 'no dot for my position');
      await p.evaluate(() => new Promise((res) => (window.__map.isMoving() ? window.__map.once('moveend', res) : res())));
      return r.at;
    });

    await check('loop: "report here" opens the sheet with a pin at my position, naming the grid and the nearest place, not coordinates', async () => {
      await p.click('#report-here');
      await p.waitForSelector('#report-dialog[open]', { timeout: T });
      await p.waitForSelector('body[data-report-open="me"]', { timeout: T, state: 'attached' });
      await p.waitForSelector(`body[data-report-where="${area.code}"]`, { timeout: T, state: 'attached' });
      const where = await p.textContent('#report-where');
      const grid = await p.textContent('#report-grid');
      const near = await p.textContent('#report-near');
      expect(grid === area.name, `sheet names grid "${grid}", mine is ${area.name}`);
      expect(!/\d+\.\d{4,}/.test(where), `raw coordinates in the sheet: ${where}`);
      expect(/附近：.+（.+，约 [\d,]+ 米）/.test(near), `no nearby place named: ${near}`);
      expect(await p.isHidden('#report-outside'), 'outside warning shown inside my grid');
      const pin = await p.evaluate(() => document.querySelector('#report-pin') && true);
      expect(pin, 'no pin on the map');
      return `${where}`;
    });

    await check('loop: dragging the pin out of my grid warns (still allowed, no photos); dragging it back clears it', async () => {
      // Show the grid's east edge above the sheet, then drag the pin just past it.
      const edge = [area.bbox[2] + (area.bbox[2] - area.bbox[0]) * 0.15, WANGGE_POINT[1]];
      await p.evaluate(({ b, e }) => new Promise((res) => {
        const m = window.__map;
        m.fitBounds([[b[0], b[1]], [e[0], b[3]]], { padding: { top: 20, left: 20, right: 20, bottom: 20 + Math.max(0, m.getContainer().getBoundingClientRect().bottom - document.querySelector('#report-dialog').getBoundingClientRect().top) }, duration: 0 });
        m.once('idle', res);
      }), { b: area.bbox, e: edge });
      const out = await screenOf(p, edge);
      await dragPin(p, out);
      await p.waitForFunction((c) => document.body.dataset.reportWhere && document.body.dataset.reportWhere !== c, area.code, { timeout: T });
      const warn = await p.textContent('#report-outside');
      expect(await p.isVisible('#report-outside'), 'no warning with the pin outside my grid');
      expect(warn.includes('不在您的网格内') && warn.includes('仍可上报'), `warning reads ${warn}`);
      expect(await p.isDisabled('#report-gallery-btn') && await p.isDisabled('#report-camera-btn'), 'photos still offered outside my grid');
      await shot(p, 'loop-phone-outside.png');
      await dragPin(p, await screenOf(p, WANGGE_POINT));
      await p.waitForSelector(`body[data-report-where="${area.code}"]`, { timeout: T, state: 'attached' });
      expect(await p.isHidden('#report-outside'), 'the warning stays after dragging back');
      expect(!(await p.isDisabled('#report-gallery-btn')), 'photos still off back inside');
      return `outside: ${warn.slice(0, 60)}…`;
    });

    await check('loop: ten photos chosen → nine kept, and the phone says so', async () => {
      const files = [];
      for (let i = 0; i < 10; i++) files.push({ name: `scene-${i}.png`, mimeType: 'image/png', buffer: await png(p, `hsl(${i * 36},70%,50%)`) });
      await p.setInputFiles('#report-photos', files);
      await p.waitForSelector('body[data-report-photos="9"]', { timeout: T, state: 'attached' });
      const count = await p.textContent('#report-photo-count');
      const err = await p.textContent('#report-error');
      expect(count === '9/9', `count reads ${count}`);
      expect(err.includes('9') && err.includes('1'), `no word about the photo left out: "${err}"`);
      expect(await p.$$eval('#report-thumbs img', (is) => is.length) === 9, 'not nine thumbnails');
      expect(await p.isDisabled('#report-camera-btn'), 'the camera is still offered with nine photos');
      // Take the last one out again: eight go with the report, the ninth place is left for the wall.
      await p.click('#report-thumbs .pick[data-n="9"] .pick-remove');
      await p.waitForSelector('body[data-report-photos="8"]', { timeout: T, state: 'attached' });
      expect(!(await p.isDisabled('#report-camera-btn')), 'the camera stays off with eight photos');
      return err;
    });

    let sentAt = 0;
    id = await check('loop: the grid head submits → 201 in my grid, channel 网格员上报, his eight photos arrive', async () => {
      const options = await p.$$eval('#report-category option', (os) => os.map((o) => ({ v: o.value, t: o.textContent })).filter((o) => o.v));
      const cat = options.find((o) => o.t === '安全隐患') || options[0];
      await p.selectOption('#report-category', cat.v);
      await p.fill('#report-description', desc);
      await shot(p, 'loop-phone-report.png');
      const photosDone = p.waitForResponse((r) => /\/api\/incidents\/[^/]+\/photos$/.test(r.url()) && r.request().method() === 'POST', { timeout: T });
      const [resp] = await Promise.all([
        p.waitForResponse((r) => r.url().endsWith('/api/incidents') && r.request().method() === 'POST', { timeout: T }),
        p.click('#report-submit'),
      ]);
      sentAt = Date.now();
      expect(resp.status() === 201, `POST /api/incidents answered ${resp.status()}`);
      const body = await resp.json();
      expect(body.grid === area.code, `reported into ${body.grid}, not my grid ${area.code}`);
      const ph = await photosDone;
      expect(ph.status() === 201, `photos answered ${ph.status()}`);
      const d = await p.evaluate(async (i) => (await fetch(`/api/incidents/${i}`)).json(), body.id);
      expect(d.source === '网格员上报', `channel ${d.source}`);
      expect((d.photos || []).length === 8, `${(d.photos || []).length} photos on the case`);
      return body.id;
    });
    if (typeof id !== 'string') return;

    await check('loop: the new case is on the wall\'s feed within 2 s', async () => {
      await w.waitForSelector(`#feed li[data-id="${id}"]`, { timeout: 10000 });
      const ms = Date.now() - sentAt;
      expect(ms <= 2000, `${ms} ms after the 201`);
      return `${ms} ms`;
    });
    await w.waitForTimeout(600);
    await shot(w, 'loop-wall-feed.png');

    await check('loop: the case is at the top of the grid head\'s to-do list; he may accept but not dispatch', async () => {
      await p.waitForSelector(`#incident-list li[data-id="${id}"]`, { timeout: T });
      await p.click(`#incident-list li[data-id="${id}"]`);
      await p.waitForSelector(`body[data-case-open="${id}"]`, { timeout: T, state: 'attached' });
      const s = await steps(p);
      expect(s.includes('accept') && !s.includes('dispatch') && !s.includes('reject'), `the grid head's steps on a new case: ${s}`);
      return s.join(',');
    });

    await check('loop: the wall opens the case from its feed and accepts and dispatches it there', async () => {
      await w.click(`#feed li[data-id="${id}"]`);
      await w.waitForSelector(`body[data-case-open="${id}"]`, { timeout: T, state: 'attached' });
      const s = await steps(w);
      expect(s.includes('accept') && s.includes('reject'), `the command centre's steps: ${s}`);
      const facts = await w.textContent('#case-panel');
      expect(facts.includes(area.name) && facts.includes('网格员上报'), 'the wall\'s panel names neither my grid nor the channel');
      await w.waitForFunction(() => {
        const imgs = [...document.querySelectorAll('#case-panel .thumbs img')];
        return imgs.length === 8 && imgs.every((i) => i.complete && i.naturalWidth > 0);
      }, null, { timeout: T });
      await shot(w, 'loop-wall-case.png');
      await take(w, 'accept', 'accepted', { T });
      await take(w, 'dispatch', 'dispatched', { note: '派凤城街道城管中队到场处置', T });
      return s.join(',');
    });

    await check('loop: the phone\'s open panel follows live; the grid head starts and resolves it from his list', async () => {
      await p.waitForSelector('body[data-case-status="dispatched"]', { timeout: T, state: 'attached' });
      const s = await steps(p);
      expect(s.includes('start') && !s.includes('verify') && !s.includes('close'), `steps on a dispatched case: ${s}`);
      await p.waitForSelector(`#incident-list li[data-id="${id}"][data-status="dispatched"]`, { timeout: T });
      await take(p, 'start', 'in_progress', { T });
      // While he writes his note, the command centre adds a photo: the live redraw of his panel
      // must keep what he typed (it wiped it, and the step then asked for a note again).
      const note = '已设置围挡，路面已修复';
      await p.fill('#case-note', note);
      const before = await p.evaluate(() => document.body.dataset.caseRendered);
      await w.setInputFiles('#case-photo-input', { name: 'site.png', mimeType: 'image/png', buffer: await png(w, '#333') });
      await p.waitForFunction((b) => document.body.dataset.caseRendered !== b
        && /\(9\)/.test(document.querySelector('#case-panel .case-photos h3')?.textContent || ''), before, { timeout: T });
      const kept = await p.inputValue('#case-note');
      expect(kept === note, `the note reads "${kept}" after the live redraw`);
      await take(p, 'resolve', 'resolved', { T });
      await shot(p, 'loop-phone-case.png');
      const after = await steps(p);
      expect(after.length === 0, `the grid head may not verify his own work: ${after}`);
      expect(await p.isVisible('#case-actions .none'), 'no "no step" note for the grid head');
      return s.join(',');
    });

    await check('loop: a resolved case leaves the to-do list for the finished section', async () => {
      await p.click('#case-close');
      await p.waitForSelector(`#done-list li[data-id="${id}"]`, { timeout: T, state: 'attached' });
      expect(!(await p.$(`#incident-list li[data-id="${id}"]`)), 'still in the to-do list');
      const head = await p.$eval('#head-counts [data-count="todo"] b', (b) => Number(b.textContent));
      const todo = await p.$$eval('#incident-list li', (els) => els.length);
      expect(head === todo, `header ${head}, list ${todo}`);
    });

    await check('loop: the wall verifies, revisits with a rating and closes; the history shows every step', async () => {
      await w.waitForSelector('body[data-case-status="resolved"]', { timeout: T, state: 'attached' });
      await take(w, 'verify', 'verified', { T });
      await take(w, 'revisit', 'revisited', { rating: 5, note: '回访网格员及周边居民，满意', T });
      // The note went with the revisit; closing starts with an empty one.
      const left = await w.inputValue('#case-note');
      expect(left === '', `the revisit's note is still in the box for closing: "${left}"`);
      await take(w, 'close', 'closed', { T });
      const hist = await w.$$eval('#case-history li', (els) => els.map((e) => e.dataset.action).reverse());
      const want = ['report', 'photo', 'accept', 'dispatch', 'start', 'resolve', 'verify', 'revisit', 'close'];
      const missing = want.filter((a) => !hist.includes(a));
      expect(missing.length === 0, `history ${hist} lacks ${missing}`);
      const order = want.filter((a) => a !== 'photo').map((a) => hist.indexOf(a));
      expect(order.every((v, i) => i === 0 || v > order[i - 1]), `history out of order: ${hist}`);
      const d = await w.evaluate(async (i) => (await fetch(`/api/incidents/${i}`)).json(), id);
      const by = Object.fromEntries(d.history.map((e) => [e.action, e.by]));
      expect(by.report === 'wangge' && by.resolve === 'wangge' && by.dispatch === 'zhihui' && by.close === 'zhihui', `who did what: ${JSON.stringify(by)}`);
      await shot(w, 'loop-wall-closed.png');
      return hist.join(' → ');
    });

    await check('loop: the closed case shows on the phone with its history and no step', async () => {
      await p.waitForSelector(`#done-list li[data-id="${id}"][data-status="closed"]`, { timeout: T, state: 'attached' });
      await p.click('#done-cases summary');
      await p.click(`#done-list li[data-id="${id}"]`);
      await p.waitForSelector('body[data-case-status="closed"]', { timeout: T, state: 'attached' });
      const n = await p.$$eval('#case-history li', (els) => els.length);
      expect((await steps(p)).length === 0, 'steps offered on a closed case');
      await shot(p, 'loop-phone-closed.png');
      return `${n} history entries`;
    });

    await check('loop: in English the report sheet and its category picker read English; "report here" stays clear of the attribution', async () => {
      await p.click('#case-close');
      await p.click('#lang-toggle');
      await p.click('#report-here');
      await p.waitForSelector('body[data-report-where]', { timeout: T, state: 'attached' });
      await p.waitForFunction(() => document.querySelectorAll('#report-category option').length > 1, null, { timeout: T });
      const options = await p.$$eval('#report-category option', (os) => os.map((o) => o.textContent));
      const cjk = options.filter((o) => /[\u4e00-\u9fff]/.test(o));
      expect(cjk.length === 0, `categories in Chinese under EN: ${cjk.join(', ')}`);
      const near = await p.textContent('#report-near');
      expect(near.startsWith('Near '), `near line reads ${near}`);
      // Colour emoji draw as empty boxes where no emoji font is installed (this Chromium, office PCs).
      const sheet = await p.textContent('#report-dialog');
      expect(!/[\u{1F000}-\u{1FAFF}]/u.test(sheet), `emoji in the sheet: ${sheet.match(/[\u{1F000}-\u{1FAFF}]/gu)}`);
      await shot(p, 'loop-phone-report-en.png');
      await p.click('#report-cancel');
      const [btn, attrib] = await Promise.all(['#report-here', '.maplibregl-ctrl-attrib'].map((s) => p.locator(s).boundingBox()));
      expect(btn.y + btn.height <= attrib.y, `the button (bottom ${btn.y + btn.height}) covers the attribution (top ${attrib.y})`);
      // The people list wrote 风险 (risk) in Chinese whatever the language.
      await p.click('.tab[data-tab="people"]');
      const rows = await p.$$eval('#people-list li .row2', (els) => els.map((e) => e.textContent));
      const badge = Number(await p.textContent('.tab[data-tab="people"] .badge'));
      await p.click('.tab[data-tab="incidents"]');
      expect(rows.length > 0 && rows.length === badge, `people badge ${badge}, list ${rows.length}`);
      expect(!rows.some((r) => r.includes('风险')) && rows.some((r) => r.includes('Risk')), `people rows under EN: ${rows[0]}`);
      await p.click('#lang-toggle');
      return options.slice(0, 3).join(', ');
    });

    await check('loop: no console error, no other host, no 4xx/5xx on the phone', async () => assertNoProblems(phone, 'loop phone'));
    await check('loop: no console error, no other host, no 4xx/5xx on the wall', async () => assertNoProblems(wall, 'loop wall'));
  } finally {
    await phone.context.close();
    await wall.context.close();
  }
}
