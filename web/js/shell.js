// The page frame shared by all views: header, view links, 中/EN toggle, login panel.
import { h, $, toast } from '/js/dom.js';
import { t, toggleLang, applyI18n, onLangChange, errText } from '/js/i18n.js';
import { api, login, logout, getUser, onAuthChange, forgetSession } from '/js/api.js';

export const VIEWS = [
  { path: '/', key: 'view.general' },
  { path: '/wall', key: 'view.wall' },
  { path: '/grid', key: 'view.grid' },
  { path: '/flood', key: 'view.flood' },
  { path: '/admin', key: 'admin.nav', role: 'admin' }, // shown to that role only
];

export function currentView() {
  const p = location.pathname.replace(/\/+$/, '') || '/';
  return VIEWS.find((v) => v.path === p) ? p : '/';
}

export function buildShell(view) {
  const header = $('#topbar');
  const nav = h('nav.views', VIEWS.map((v) => h('a', {
    href: v.path, 'data-i18n': v.key, class: v.path === view ? 'active' : null, dataset: v.role ? { role: v.role } : null,
    hidden: !!v.role, id: v.role ? 'nav-' + v.path.slice(1) : null,
    'aria-current': v.path === view ? 'page' : null,
  }, t(v.key))));
  const userBox = h('div.user#userbox');
  const lang = h('button.lang#lang-toggle', { type: 'button', title: 'Language / 语言', on: { click: toggleLang } }, '中/EN');
  header.append(
    h('a.brand', { href: '/' }, h('span.logo', { 'aria-hidden': 'true', dataset: { value: 'logo' } }, '民'), h('span.brand-name', { 'data-i18n': 'app.title' }, t('app.title'))),
    nav,
    h('div.header-slot#header-slot'),
    lang,
    userBox,
  );
  renderUser();
  onAuthChange(renderUser);
  buildLoginDialog();
  buildPasswordDialog();
  applyI18n();
  onLangChange(renderUser);
}

function renderUser() {
  const box = $('#userbox');
  if (!box) return;
  box.replaceChildren();
  const u = getUser();
  for (const a of document.querySelectorAll('nav.views a[data-role]')) a.hidden = !u || u.role !== a.dataset.role;
  if (u) {
    box.append(
      h('span.username', { title: u.role || '' }, u.username),
      h('button.linkish#password-btn', { type: 'button', on: { click: openPassword } }, t('admin.pw.open')),
      h('button.linkish#logout-btn', { type: 'button', on: { click: async () => { await logout(); toast(t('logout.ok')); } } }, t('logout')),
    );
  } else {
    box.append(h('button.primary#login-btn', { type: 'button', on: { click: () => openLogin() } }, t('login')));
  }
}

function buildLoginDialog() {
  const err = h('div.form-error#login-error', { role: 'alert' });
  const user = h('input#login-username', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input#login-password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form#login-form', { method: 'dialog' },
    h('h2', { 'data-i18n': 'login.title' }, t('login.title')),
    h('p.note#login-needed', { 'data-i18n': 'login.needed', hidden: true }, t('login.needed')),
    h('label', h('span', { 'data-i18n': 'login.username' }, t('login.username')), user),
    h('label', h('span', { 'data-i18n': 'login.password' }, t('login.password')), pass),
    err,
    h('div.buttons',
      h('button#login-cancel', { type: 'button', 'data-i18n': 'login.cancel', value: 'cancel' }, t('login.cancel')),
      h('button.primary#login-submit', { type: 'submit', 'data-i18n': 'login.submit' }, t('login.submit'))),
    h('p.hint', { 'data-i18n': 'login.hint' }, t('login.hint')),
  );
  const dlg = h('dialog#login-dialog', form);
  document.body.append(dlg);
  $('#login-cancel', dlg).addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const btn = $('#login-submit', dlg);
    btn.disabled = true;
    try {
      await login(user.value.trim(), pass.value);
      pass.value = '';
      dlg.close();
      toast(t('login.ok'));
    } catch (e) {
      err.textContent = `${t('login.failed')}: ${errText(e)}`;
    } finally {
      btn.disabled = false;
    }
  });
}

/** Opens the login panel; `required` says the view needs it (text shown, cannot be dismissed as easily). */
export function openLogin({ required = false } = {}) {
  const dlg = $('#login-dialog');
  $('#login-needed', dlg).hidden = !required;
  dlg.classList.toggle('required', required);
  if (!dlg.open) dlg.showModal();
  $('#login-username', dlg).focus();
}

export function closeLogin() {
  const dlg = $('#login-dialog');
  if (dlg && dlg.open) dlg.close();
}

/* Own password (any signed-in account): POST /api/me/password ends every session of the account,
   so the page forgets it and asks to sign in again with the new password. */
function buildPasswordDialog() {
  const old = h('input#pw-old', { type: 'password', autocomplete: 'current-password', required: true });
  const neu = h('input#pw-new', { type: 'password', autocomplete: 'new-password', minlength: '8', required: true });
  const again = h('input#pw-again', { type: 'password', autocomplete: 'new-password', minlength: '8', required: true });
  const err = h('div.form-error#pw-error', { role: 'alert' });
  const form = h('form#pw-form', { method: 'dialog' },
    h('h2', { 'data-i18n': 'admin.pw.title' }, t('admin.pw.title')),
    h('label', h('span', { 'data-i18n': 'admin.pw.old' }, t('admin.pw.old')), old),
    h('label', h('span', { 'data-i18n': 'admin.pw.new' }, t('admin.pw.new')), neu),
    h('label', h('span', { 'data-i18n': 'admin.pw.again' }, t('admin.pw.again')), again),
    h('p.hint', { 'data-i18n': 'admin.pw.hint' }, t('admin.pw.hint')),
    err,
    h('div.buttons',
      h('button#pw-cancel', { type: 'button', 'data-i18n': 'login.cancel' }, t('login.cancel')),
      h('button.primary#pw-submit', { type: 'submit', 'data-i18n': 'admin.pw.submit' }, t('admin.pw.submit'))));
  const dlg = h('dialog#pw-dialog', form);
  document.body.append(dlg);
  $('#pw-cancel', dlg).addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (neu.value !== again.value) { err.textContent = t('admin.pw.mismatch'); return; }
    if (neu.value.length < 8) { err.textContent = t('admin.pw.short'); return; }
    const btn = $('#pw-submit', dlg);
    btn.disabled = true;
    try {
      await api('/api/me/password', { method: 'POST', body: { old: old.value, new: neu.value } });
      for (const i of [old, neu, again]) i.value = '';
      dlg.close();
      forgetSession(); // the server ended every session of this account
      toast(t('admin.pw.done'));
      openLogin({ required: true });
    } catch (e) {
      err.textContent = e.data && e.data.error === 'wrong_password' ? t('admin.pw.wrong') : `${t('admin.pw.failed')}: ${errText(e)}`;
    } finally {
      btn.disabled = false;
    }
  });
}

function openPassword() {
  const dlg = $('#pw-dialog');
  $('#pw-error', dlg).textContent = '';
  if (!dlg.open) dlg.showModal();
  $('#pw-old', dlg).focus();
}
