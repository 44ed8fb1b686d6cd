// The grid head's to-do list: open cases by urgency — overdue first (the longest overdue on
// top), then by time left — and the finished ones apart, in a collapsed section. The header's
// counts and the tab's badge are read from the same split, so they agree with the list.
import { h, fmtTime } from '/js/dom.js';
import { t, tv } from '/js/i18n.js';
import { OPEN_STATUSES, STATUS_COLORS } from '/js/mapbase.js';
import { timeLeft } from '/js/case.js';

/** How many finished cases the collapsed section shows (newest first). */
export const DONE_SHOWN = 50;

const deadlineMs = (i) => {
  const ms = new Date(i.deadline).getTime();
  return Number.isNaN(ms) ? Infinity : ms; // no deadline: least urgent
};

/**
 * Splits cases into the to-do list (open statuses, most urgent first) and the finished ones
 * (newest first), and counts the overdue. Pure: `now` in ms.
 */
export function splitCases(cases, now = Date.now()) {
  const todo = cases.filter((i) => OPEN_STATUSES.includes(i.status));
  const overdueOf = (i) => deadlineMs(i) < now;
  // Overdue before not overdue; within each, the earlier deadline first — the most overdue
  // on top, then the least time left.
  todo.sort((a, b) => Number(overdueOf(b)) - Number(overdueOf(a)) || deadlineMs(a) - deadlineMs(b) || String(a.id).localeCompare(String(b.id)));
  const done = cases.filter((i) => !OPEN_STATUSES.includes(i.status))
    .sort((a, b) => String(b.reported_at || '').localeCompare(String(a.reported_at || '')));
  return { todo, done, overdue: todo.filter(overdueOf).length };
}

function row(i, open) {
  const left = OPEN_STATUSES.includes(i.status) ? timeLeft(i.deadline) : null;
  const dot = h('span.swatch.dot'); dot.style.background = STATUS_COLORS[i.status] || '#999';
  return h('li', { dataset: { id: i.id, status: i.status, deadline: i.deadline || '' }, class: left && left.overdue ? 'overdue' : null,
    on: { click: () => open(i) } },
  h('div.row1', dot, h('strong', tv(i.category)), h('span.status', tv(i.status))),
  h('div.row2', h('span', fmtTime(i.reported_at)), left ? h('span.left', left.text) : null),
  i.description ? h('div.row3.desc', i.description) : null);
}

/** The rows of the to-do list (every open case: no cut that would hide one). */
export function todoRows(todo, open) { return todo.map((i) => row(i, open)); }

/** The finished cases, collapsed. */
export function doneSection(done, open) {
  const shown = done.slice(0, DONE_SHOWN);
  const label = done.length > shown.length
    ? t('grid.doneSome', { n: shown.length, total: done.length })
    : `${t('grid.done')} (${done.length})`;
  return h('details.done-cases#done-cases', h('summary', label),
    shown.length ? h('ul.list#done-list', shown.map((i) => row(i, open))) : h('p.none', t('grid.none')));
}
