// The 走访 (follow-up visits) tab of the phone view: overdue, due today, done this week; one tap
// on a record opens the visit sheet (how, note, optional risk change). A visit goes through the
// outbox (js/outbox.js), so it is kept and sent later when there is no signal.
import { h, $, toast } from '/js/dom.js';
import { t, errText } from '/js/i18n.js';
import { api, getUser } from '/js/api.js';
import { enqueue } from '/js/outbox.js';
import { lastFix } from '/js/views/grid-patrol.js';

const HOWS = ['入户', '电话', '视频'];
const vstate = { due: null, done: null, code: null, sent: new Set(), current: null };
let changed = () => {};

/** Shanghai calendar date (YYYY-MM-DD) of `d`. */
function shDate(d = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** Monday 00:00 of this week in Shanghai, RFC 3339. */
function weekStart(now = new Date()) {
  const ymd = shDate(now);
  const day = new Date(`${ymd}T00:00:00+08:00`);
  const dow = (new Date(`${ymd}T12:00:00+08:00`).getUTCDay() + 6) % 7; // Monday = 0
  const monday = new Date(day.getTime() - dow * 86400000);
  return `${shDate(monday)}T00:00:00+08:00`;
}

/** `onChange` re-renders the panel when the lists change. */
export function initVisits(onChange) {
  changed = onChange;
  buildVisitDialog();
}

export function clearVisits() {
  Object.assign(vstate, { due: null, done: null, code: null, current: null });
  vstate.sent.clear();
}

/** Loads due (today and overdue) and done (this week) for area `code`. */
export async function loadVisits(code) {
  vstate.code = code;
  const q = encodeURIComponent(code);
  const [due, done] = await Promise.allSettled([
    api(`/api/visits/due?area=${q}&within_days=0&limit=500`),
    api(`/api/visits?area=${q}&since=${encodeURIComponent(weekStart())}&limit=500`),
  ]);
  if (due.status === 'fulfilled') vstate.due = due.value;
  else if (due.reason && due.reason.status !== 403) toast(errText(due.reason), 'error');
  if (done.status === 'fulfilled') vstate.done = done.value;
  document.body.dataset.visits = '1';
  changed();
}

function dueItems() {
  return ((vstate.due && vstate.due.items) || []).filter((d) => !vstate.sent.has(d.person));
}

export function visitsBadge() {
  if (!vstate.due) return '–';
  return String(dueItems().length);
}

const today = () => shDate();

function daysBetween(a, b) {
  return Math.round((new Date(`${b}T00:00:00Z`) - new Date(`${a}T00:00:00Z`)) / 86400000);
}

function dueRow(d) {
  const late = d.overdue ? daysBetween(d.due, today()) : 0;
  return h('li', { dataset: { person: d.person }, class: d.overdue ? 'overdue' : null },
    h('div.row1', h('strong', d.name || d.person), h('span.status', d.category || '')),
    h('div.row2',
      h('span', d.address || ''),
      d.risk_level != null ? h('span', `${t('visit.risk')} ${d.risk_level}`) : null,
      h('span.left', d.overdue ? t('visit.overdueDays', { n: late }) : t('visit.dueToday'))),
    h('button.primary.visit-btn', { type: 'button', dataset: { person: d.person },
      on: { click: (e) => { e.stopPropagation(); openVisit(d); } } }, t('visit.record')));
}

/** The tab's body. */
export function visitsTab() {
  if (!vstate.due) return h('p.none', t('grid.none'));
  const items = dueItems();
  const overdue = items.filter((d) => d.overdue);
  const dueToday = items.filter((d) => !d.overdue);
  const done = [...((vstate.done && vstate.done.items) || [])];
  const section = (title, id, list, row) => h('section.visit-section',
    h('h3', `${title} (${list.length})`),
    list.length ? h(`ul.list#${id}`, list.map(row)) : h('p.none', t('grid.none')));
  return h('div#visits',
    section(t('visit.overdue'), 'visits-overdue', overdue, dueRow),
    section(t('visit.today'), 'visits-today', dueToday, dueRow),
    section(t('visit.done'), 'visits-done', done, (v) => h('li', { dataset: { id: v.id || '', person: v.person }, class: v.pending ? 'pending' : null },
      h('div.row1', h('strong', v.name || v.person), h('span.status', v.how || '')),
      h('div.row2', h('span', v.at ? new Date(v.at).toLocaleString(undefined, { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }) : ''),
        v.pending ? h('span.left', t('outbox.waiting')) : null,
        v.risk_after != null ? h('span', `${t('visit.risk')} → ${v.risk_after}`) : null),
      v.note ? h('div.row3.desc', v.note) : null)));
}

/* ---------------- the visit sheet ---------------- */

export function buildVisitDialog() {
  const old = $('#visit-dialog');
  if (old) old.remove();
  const how = h('div.segmented#visit-how', { role: 'radiogroup' }, HOWS.map((x, i) => h('label',
    h('input', { type: 'radio', name: 'how', value: x, checked: i === 0 }), h('span', t('visit.how.' + x)))));
  const risk = h('select#visit-risk', { name: 'risk' }, h('option', { value: '' }, t('visit.riskSame')),
    [0, 1, 2, 3, 4, 5].map((r) => h('option', { value: String(r) }, `${t('visit.risk')} ${r}`)));
  const note = h('textarea#visit-note', { name: 'note', rows: 3, maxlength: 2000 });
  const form = h('form#visit-form', { method: 'dialog' },
    h('h2#visit-title', t('visit.title')),
    h('div.field', h('span', t('visit.how')), how),
    h('label', h('span', t('visit.note')), note),
    h('label', h('span', t('visit.riskChange')), risk),
    h('div.form-error#visit-error', { role: 'alert' }),
    h('div.buttons',
      h('button#visit-cancel', { type: 'button', on: { click: () => closeVisit() } }, t('report.cancel')),
      h('button.primary#visit-submit', { type: 'submit' }, t('report.submit'))));
  document.body.append(h('dialog#visit-dialog.sheet', form));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submitVisit(); });
}

function openVisit(d) {
  vstate.current = d;
  const dlg = $('#visit-dialog');
  $('#visit-title', dlg).textContent = `${t('visit.title')} · ${d.name || d.person}`;
  $('#visit-error', dlg).textContent = '';
  $('#visit-note', dlg).value = '';
  $('#visit-risk', dlg).value = '';
  const first = dlg.querySelector('input[name="how"]');
  if (first) first.checked = true;
  if (!dlg.open) dlg.show();
  document.body.dataset.visitOpen = d.person;
}

function closeVisit() {
  const dlg = $('#visit-dialog');
  if (dlg && dlg.open) dlg.close();
  vstate.current = null;
  delete document.body.dataset.visitOpen;
}

async function submitVisit() {
  const d = vstate.current;
  const u = getUser();
  if (!d || !u) return;
  const dlg = $('#visit-dialog');
  const how = (dlg.querySelector('input[name="how"]:checked') || {}).value || '入户';
  const note = $('#visit-note', dlg).value.trim();
  const risk = $('#visit-risk', dlg).value;
  const body = { how, note, at: new Date().toISOString() };
  const fix = lastFix();
  if (fix) { body.lon = fix.lon; body.lat = fix.lat; }
  if (risk !== '') body.risk_level = Number(risk);
  try {
    const item = await enqueue(u.username, { kind: 'visit', path: `/api/people/${encodeURIComponent(d.person)}/visits`, body,
      label: `${t('visit.title')} · ${d.name || d.person}` });
    vstate.sent.add(d.person);
    const done = (vstate.done ||= { items: [] });
    done.items.unshift({ person: d.person, name: d.name, how, note, at: body.at, risk_after: body.risk_level, pending: item.seq });
    closeVisit();
    toast(navigator.onLine ? t('visit.ok') : t('outbox.saved'));
    changed();
  } catch (e) {
    $('#visit-error', dlg).textContent = errText(e);
  }
}

/** The outbox sent (or gave up on) a visit: mark it in the list. */
export function visitSent(item, answer) {
  const done = vstate.done && vstate.done.items;
  const v = done && done.find((x) => x.pending === item.seq);
  if (v) { delete v.pending; if (answer) Object.assign(v, { id: answer.id, next_due: answer.next_due }); }
  changed();
}
