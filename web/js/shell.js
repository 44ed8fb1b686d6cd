// The page frame shared by all views: header, view links, 中/EN toggle, login panel.
import { h, $, toast } from '/js/dom.js';
import { t, toggleLang, applyI18n, onLangChange, errText } from '/js/i18n.js';
import { login, logout, getUser, onAuthChange } from '/js/api.js';

export const VIEWS = [
  { path: '/', key: 'view.general' },
  { path: '/wall', key: 'view.wall' },
  { path: '/grid', key: 'view.grid' },
  { path: '/flood', key: 'view.flood' },
];

export function currentView() {
  const p = location.pathname.replace(/\/+$/, '') || '/';
  return VIEWS.find((v) => v.path === p) ? p : '/';
}

export function buildShell(view) {
  const header = $('#topbar');
  const nav = h('nav.views', VIEWS.map((v) => h('a', {
    href: v.path, 'data-i18n': v.key, class: v.path === view ? 'active' : null,
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
  applyI18n();
  onLangChange(renderUser);
}

function renderUser() {
  const box = $('#userbox');
  if (!box) return;
  box.replaceChildren();
  const u = getUser();
  if (u) {
    box.append(
      h('span.username', { title: u.role || '' }, u.username),
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
