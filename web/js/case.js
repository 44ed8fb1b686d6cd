// The case detail panel, one for every view (map popup, wall feed, grid-head list, search result).
// It shows what the server answers for GET /api/incidents/{id}: category, description, photos,
// channel, grid name with its head and phone, community and street, status with deadline and
// time left, the whole history, likely duplicates; and a button for each step in `actions` —
// the server computes them from the policy and the workflow table, so this page never decides
// rights. A step taken here, or by anyone else (SSE), refreshes the open panel.
import { h, $, fmtTime, toast } from '/js/dom.js';
import { t, tv, errText, onLangChange } from '/js/i18n.js';
import { api, ApiError, csrfToken } from '/js/api.js';

let current = null; // {id, data}
const changeListeners = new Set();

/** Called with the incident id after this page changed a case (views refresh their lists). */
export function onCaseChange(f) { changeListeners.add(f); return () => changeListeners.delete(f); }

/** Time left until (or past) a deadline, in the UI's language; null when there is none. */
export function timeLeft(deadline, now = Date.now()) {
  if (!deadline) return null;
  const ms = new Date(deadline).getTime() - now;
  if (Number.isNaN(ms)) return null;
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86400000), hh = Math.floor((abs % 86400000) / 3600000), mm = Math.floor((abs % 3600000) / 60000);
  const text = d > 0 ? `${d}${t('unit.d')}${hh}${t('unit.h')}` : hh > 0 ? `${hh}${t('unit.h')}${mm}${t('unit.min')}` : `${mm}${t('unit.min')}`;
  return { overdue: ms < 0, ms, text: ms < 0 ? `${t('grid.overdueBy')} ${text}` : `${t('grid.timeLeft')} ${text}` };
}

const OPEN = ['reported', 'accepted', 'dispatched', 'in_progress'];

function panel() {
  let el = $('#case-panel');
  if (!el) {
    el = h('aside#case-panel.case-panel', { role: 'dialog', 'aria-modal': 'false', hidden: true });
    document.body.append(el);
    onLangChange(() => { if (current) render(); });
  }
  return el;
}

/** Opens the panel on incident `id` (closing any other). */
export async function openCase(id) {
  current = { id, data: null };
  const el = panel();
  el.hidden = false;
  el.replaceChildren(h('div.case-loading', '…'));
  await reload();
}

export function closeCase() {
  current = null;
  const el = $('#case-panel');
  if (el) { el.hidden = true; el.replaceChildren(); delete el.dataset.id; }
  delete document.body.dataset.caseOpen;
}

/** A live event (SSE) about an incident: the open panel follows it. */
export function caseEvent(ev) {
  if (current && ev && ev.id === current.id) reload();
}

async function reload() {
  if (!current) return;
  const id = current.id;
  try {
    const d = await api(`/api/incidents/${encodeURIComponent(id)}`);
    if (!current || current.id !== id) return;
    current.data = d;
    render();
  } catch (e) {
    if (!current || current.id !== id) return;
    panel().replaceChildren(closeBtn(), h('p.form-error', errText(e)));
  }
}

function closeBtn() {
  return h('button.case-close#case-close', { type: 'button', 'aria-label': t('case.close'), title: t('case.close'), on: { click: closeCase } }, '×');
}

function row(label, ...value) {
  return h('div.case-row', h('span.case-k', label), h('span.case-v', ...value));
}

function render() {
  const d = current.data;
  const el = panel();
  // A live event about this case (someone's photo, the echo of my own step) redraws the panel:
  // what I was typing must survive it.
  const kept = el.dataset.id === d.id
    ? { note: $('#case-note', el)?.value ?? '', rating: $('#case-rating', el)?.value ?? '' } : null;
  el.dataset.id = d.id;
  const left = OPEN.includes(d.status) ? timeLeft(d.deadline) : null;
  const head = d.head ? [d.head.name, d.head.phone ? h('a.tel', { href: `tel:${d.head.phone}` }, `☎ ${d.head.phone}`) : null] : ['–'];
  el.replaceChildren(...[
    closeBtn(),
    h('header.case-head',
      h('div.case-title', h('strong', tv(d.category)), h('span.status-tag', { dataset: { status: d.status } }, tv(d.status))),
      h('div.case-id', d.id)),
    h('section.case-deadline', { class: left && left.overdue ? 'case-deadline overdue' : 'case-deadline' },
      h('span', `${t('f.deadline')} ${fmtTime(d.deadline)}`), left ? h('strong.left', left.text) : null),
    d.description ? h('p.case-desc', d.description) : null,
    h('section.case-facts',
      row(t('case.source'), d.source || '–'),
      row(t('f.reported_at'), fmtTime(d.reported_at)),
      row(t('case.grid'), d.grid_name || d.grid || t('case.fallback')),
      row(t('f.head'), ...head),
      row(t('case.place'), [d.community?.name, d.street?.name].filter(Boolean).join(' · ') || '–'),
      d.duplicate_of ? row(t('case.duplicateOf'), h('a.case-link', { href: '#', on: { click: (e) => { e.preventDefault(); openCase(d.duplicate_of); } } }, d.duplicate_of)) : null),
    photosBox(d),
    actionsBox(d),
    duplicatesBox(d),
    historyBox(d),
  ].filter(Boolean));
  if (kept) {
    const note = $('#case-note', el), rating = $('#case-rating', el);
    if (note) note.value = kept.note;
    if (rating && [...rating.options].some((o) => o.value === kept.rating)) rating.value = kept.rating;
  }
  document.body.dataset.caseOpen = d.id;
  document.body.dataset.caseRendered = String(Number(document.body.dataset.caseRendered || 0) + 1);
  document.body.dataset.caseStatus = d.status;
}

function photosBox(d) {
  const photos = d.photos || [];
  const input = h('input#case-photo-input', { type: 'file', accept: 'image/*', multiple: true, hidden: true,
    on: { change: async (e) => { const files = [...e.target.files]; e.target.value = ''; if (files.length) await addPhotos(d.id, files); } } });
  return h('section.case-photos',
    h('h3', `${t('case.photos')} (${photos.length})`),
    photos.length ? h('div.thumbs', photos.map((p) => h('a.thumb', { href: p.url, target: '_blank', rel: 'noopener' },
      h('img', { src: p.thumb, alt: `${t('case.photo')} ${p.n}`, loading: 'lazy' })))) : null,
    d.can_add_photos ? [input, h('button#case-photo-add', { type: 'button', on: { click: () => input.click() } }, `+ ${t('case.addPhoto')}`)] : null);
}

/** Uploads photos to a case (multipart, parts named `photo`). */
export async function uploadPhotos(id, files) {
  const form = new FormData();
  for (const f of files.slice(0, 9)) form.append('photo', f, f.name || 'photo.jpg');
  const res = await fetch(`/api/incidents/${encodeURIComponent(id)}/photos`, {
    method: 'POST', body: form, credentials: 'same-origin', headers: { Accept: 'application/json', ...(csrfToken() ? { 'X-CSRF-Token': csrfToken() } : {}) } });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data, 'photos');
  return data;
}

async function addPhotos(id, files) {
  try {
    await uploadPhotos(id, files);
    toast(t('case.photoAdded'));
    for (const f of changeListeners) f(id);
    await reload();
  } catch (e) {
    toast(errText(e), 'error');
  }
}

function actionsBox(d) {
  const steps = (d.actions || []).filter((a) => a.action !== 'link_duplicate');
  if (!steps.length) return h('section.case-actions#case-actions', h('p.none', t('case.noSteps')));
  const note = h('textarea#case-note', { rows: 2, maxlength: 2000, placeholder: t('case.note') });
  const rating = h('select#case-rating', h('option', { value: '' }, `— ${t('case.rating')} —`),
    [5, 4, 3, 2, 1].map((n) => h('option', { value: String(n) }, `${n} ${t('case.stars')}`)));
  const needsRating = steps.some((a) => a.needs_rating);
  const err = h('div.form-error#case-error', { role: 'alert' });
  return h('section.case-actions#case-actions',
    h('h3', t('case.steps')),
    note,
    needsRating ? h('label.rating', h('span', t('case.rating')), rating) : null,
    err,
    h('div.buttons', steps.map((a) => h('button.primary.step', { type: 'button', dataset: { action: a.action },
      on: { click: (e) => takeStep(d, a, note.value.trim(), rating.value, err, e.currentTarget) } },
    stepName(a)))));
}

function stepName(a) {
  const k = 'step.' + a.action;
  const s = t(k);
  return s === k ? a.zh : s;
}

async function takeStep(d, a, note, rating, err, btn, of) {
  err.textContent = '';
  if (a.needs_note && !note) { err.textContent = t('case.needNote'); return; }
  if (a.needs_rating && !rating) { err.textContent = t('case.needRating'); return; }
  const body = { action: a.action, version: d.version };
  if (note) body.note = note;
  if (a.needs_rating) body.satisfaction = Number(rating);
  if (of) body.of = of;
  btn.disabled = true;
  try {
    await api(`/api/incidents/${encodeURIComponent(d.id)}/actions`, { method: 'POST', body });
    // The note and rating went with this step; the next one starts empty.
    for (const sel of ['#case-note', '#case-rating']) { const f = $(sel); if (f) f.value = ''; }
    toast(`${stepName(a)} ✓`);
    for (const f of changeListeners) f(d.id);
    await reload();
  } catch (e) {
    btn.disabled = false;
    err.textContent = errText(e);
    if (e.status === 409) reload();
  }
}

function duplicatesBox(d) {
  const dups = d.duplicates || [];
  if (!dups.length) return null;
  const link = (d.actions || []).find((a) => a.action === 'link_duplicate');
  const err = h('div.form-error', { role: 'alert' });
  return h('section.case-dups#case-dups', h('h3', `${t('case.duplicates')} (${dups.length})`), err,
    h('ul.list', dups.map((x) => h('li', { dataset: { id: x.id } },
      h('div.row1', h('a.case-link', { href: '#', on: { click: (e) => { e.preventDefault(); openCase(x.id); } } }, x.id),
        h('span.status', tv(x.status))),
      h('div.row2', h('span', tv(x.category)), h('span', `${Math.round(x.distance_m)}${t('unit.m')}`), h('span', fmtTime(x.reported_at))),
      link ? h('button.link-dup', { type: 'button', dataset: { of: x.id },
        on: { click: (e) => takeStep(d, link, '', '', err, e.currentTarget, x.id) } }, t('case.linkDuplicate')) : null))));
}

function historyBox(d) {
  const hist = [...(d.history || [])].reverse();
  return h('section.case-history', h('h3', t('case.history')),
    h('ol.history#case-history', hist.map((e) => h('li', { dataset: { action: e.action } },
      h('div.row1', h('strong', historyName(e)), h('span.time', fmtTime(e.at))),
      h('div.row2', h('span', e.by || ''), e.from && e.from !== e.to ? h('span', `${tv(e.from)} → ${tv(e.to)}`) : h('span', tv(e.to))),
      e.note ? h('div.row3', historyNote(e)) : null))));
}

function historyName(e) {
  const k = 'step.' + e.action;
  const s = t(k);
  return s === k ? e.action : s;
}

function historyNote(e) {
  if (e.action === 'photo') return `${e.note} ${t('case.photoUnit')}`;
  if (e.action === 'link_duplicate') return `${t('case.duplicateOf')} ${e.note}`;
  return e.note;
}
