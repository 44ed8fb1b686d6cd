// HTTP helpers and the session.
//
// The session lives in the HttpOnly cookie the server sets at login. This page only remembers
// *that* someone is logged in (username and role, never the token) in localStorage, so that an
// anonymous page load never calls /api/me (which would answer 401).

const KEY = 'minqing.user';
const listeners = new Set();
let current = null; // {username, role, areas}

export class ApiError extends Error {
  constructor(status, data, path) {
    super((data && (data.detail || data.error)) || `HTTP ${status}`);
    this.status = status;
    this.data = data;
    this.path = path;
  }
}

export function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'minqing_csrf') return decodeURIComponent(v.join('='));
  }
  return null;
}

export async function api(path, { method = 'GET', body, headers = {}, raw = false } = {}) {
  const h = { Accept: 'application/json', ...headers };
  let payload;
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const token = csrfToken();
    if (token) h['X-CSRF-Token'] = token;
  }
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, { error: 'network', detail: String(e.message || e) }, path);
  }
  if (raw && res.ok) return res;
  let data = null;
  const ct = res.headers.get('content-type') || '';
  if (res.status !== 204 && ct.includes('json')) data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && current) setUser(null); // session ended on the server
    throw new ApiError(res.status, data, path);
  }
  return data;
}

export const getUser = () => current;
export const isLoggedIn = () => current != null;

/** Layers anyone may see; a signed-in account gets its own list from the server's policy. */
export const OPEN_LAYERS = ['grids', 'hazards', 'shelters', 'places'];
export const mayShow = (name) => (current && Array.isArray(current.layers) ? current.layers : OPEN_LAYERS).includes(name);

function remembered() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || 'null');
    return v && typeof v.username === 'string' ? v : null;
  } catch { return null; }
}

function setUser(u) {
  const before = current;
  current = u ? { username: u.username, role: u.role, areas: Array.isArray(u.areas) ? u.areas.map(String) : [],
    layers: Array.isArray(u.layers) ? u.layers.map(String) : null } : null;
  try {
    if (current) localStorage.setItem(KEY, JSON.stringify({ username: current.username, role: current.role }));
    else localStorage.removeItem(KEY);
  } catch { /* private mode */ }
  if ((before && before.username) !== (current && current.username)) for (const f of listeners) f(current);
}

export function onAuthChange(f) { listeners.add(f); return () => listeners.delete(f); }

/** Called once at start: asks /api/me only when this browser says it is logged in. */
export async function restoreSession() {
  const r = remembered();
  if (!r) return null;
  try {
    const me = await api('/api/me');
    setUser(me && me.user ? me.user : me);
  } catch (e) {
    if (e.status === 401 || e.status === 403) setUser(null);
    else setUser({ username: r.username, role: r.role, areas: [] }); // server unreachable: keep the remembered user
  }
  return current;
}

export async function login(username, password) {
  const r = await api('/api/auth/login', { method: 'POST', body: { username, password } });
  let user = r && r.user ? r.user : { username };
  if (!Array.isArray(user.areas)) {
    try { const me = await api('/api/me'); user = me && me.user ? me.user : me; } catch { /* keep what we have */ }
  }
  setUser(user);
  return current;
}

/** Forgets the session here when the server already ended it (e.g. after a password change). */
export function forgetSession() { setUser(null); }

export async function logout() {
  try { await api('/api/auth/logout', { method: 'POST' }); } catch { /* gone anyway */ }
  // An explicit sign-out (not an expired session): the phone view's offline copies are dropped.
  window.dispatchEvent(new Event('minqing-logout'));
  setUser(null);
}
