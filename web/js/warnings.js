// Warning areas (预警区) shared by /flood, /grid and /wall: level colours, the call order, the
// area on the map, and a live subscription (SSE `warning.issued` / `warning.updated`).
import { h, fmtTime } from '/js/dom.js';
import { t, tv } from '/js/i18n.js';
import { api, getUser } from '/js/api.js';
import { overlay, RISK_COLORS } from '/js/mapbase.js';

export const LEVELS = ['红', '橙', '黄', '蓝'];
export const KINDS = ['暴雨', '山洪', '地质灾害', '台风', '内涝', '洪水'];
export const levelColor = (l) => RISK_COLORS[l] || '#d7191c';
/** Roles the server lets issue, extend and lift (the server decides; this only shows buttons). */
export const mayIssue = () => ['flood', 'command', 'admin'].includes(getUser()?.role);

export async function listWarnings() {
  const r = await api('/api/warnings');
  return (r && r.items) || [];
}

/** A level chip: the level's colour and its name. */
export function levelChip(level) {
  const s = h('span.level-chip', { dataset: { level } }, tv(level));
  s.style.background = levelColor(level);
  return s;
}

export const statusText = (s) => t('warn.status.' + s) || s;
export const untilText = (w) => `${t('warn.until')} ${fmtTime(w.until)}`;

/**
 * The call list in call order, as the server's calls.csv gives it: heads who have not seen the
 * warning, then each hazard's monitor and responsible person (highest risk first), then the
 * heads who have seen it. `keep(hazard)` filters hazards (the risk filter).
 */
export function callList(d, keep = () => true) {
  const heads = (d.grids || []).filter((g) => g.head).map((g) => ({
    role: '网格长', name: g.head, phone: g.phone || '', for: g.name || g.code, id: g.code, level: '', seen: g.seen || '' }));
  const rows = heads.filter((c) => !c.seen);
  for (const z of d.hazards || []) {
    if (!keep(z)) continue;
    for (const [role, c] of [['监测人', z.monitor], ['责任人', z.responsible]]) {
      if (!c || !c.name) continue;
      rows.push({ role, name: c.name, phone: c.phone || '', for: z.name, id: z.id, level: z.risk, seen: '' });
    }
  }
  rows.push(...heads.filter((c) => c.seen));
  return rows.map((r, i) => ({ order: i + 1, ...r }));
}

/** Draws warning areas (a fill and an outline in each level's colour). */
export function showAreas(map, warnings) {
  const src = overlay(map, 'warnings', [
    { id: 'warnings-fill', type: 'fill', paint: { 'fill-color': ['get', 'color'], 'fill-opacity': 0.12 } },
    { id: 'warnings-line', type: 'line', paint: { 'line-color': ['get', 'color'], 'line-width': 3, 'line-dasharray': [3, 1.5] } },
  ]);
  src.setData({ type: 'FeatureCollection', features: warnings.filter((w) => w.area).map((w) => ({
    type: 'Feature', properties: { id: w.id, color: levelColor(w.level) }, geometry: w.area })) });
}

export function areaBounds(geom) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') { x0 = Math.min(x0, c[0]); y0 = Math.min(y0, c[1]); x1 = Math.max(x1, c[0]); y1 = Math.max(y1, c[1]); return; }
    for (const x of c) walk(x);
  };
  if (geom && geom.coordinates) walk(geom.coordinates);
  return Number.isFinite(x0) ? [[x0, y0], [x1, y1]] : null;
}

export const isWarningEvent = (ev) => String(ev.kind || '').startsWith('warning.');

/** A share (0–1) as a whole percentage. */
export const pct = (x) => (x == null ? '–' : `${Math.round(Number(x) * 100)}%`);
