// Pieces of the command-centre wall: 7-day sparklines and day-on-day arrows, ranked bars, the
// Asia/Shanghai clock and the full-screen mode. No server calls here; wall.js feeds them.
import { h, fmtNum } from '/js/dom.js';
import { t, getLang } from '/js/i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A small line of `values` (oldest first) with the last point marked; colours come from CSS. */
export function sparkline(values, { width = 120, height = 30 } = {}) {
  // Stretched to the room it gets (CSS sets its width); the line keeps its weight.
  const el = svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', class: 'spark', 'aria-hidden': 'true' });
  if (!values.length) return el;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? (width - 8) / (values.length - 1) : 0;
  const pts = values.map((v, i) => [4 + i * step, height - 4 - (v / max) * (height - 8)]);
  el.append(svg('polyline', { points: pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ') }));
  return el;
}

/** ▲ n / ▼ n / ＝ against the day before; `worseUp` colours a rise as bad (overdue, open). */
export function delta(today, yesterday, { worseUp = true } = {}) {
  if (typeof today !== 'number' || typeof yesterday !== 'number') return null;
  const d = today - yesterday;
  const dir = d > 0 ? 'up' : d < 0 ? 'down' : 'same';
  const bad = (d > 0 && worseUp) || (d < 0 && !worseUp);
  return h('span.delta', { class: `delta ${dir}${d !== 0 ? (bad ? ' bad' : ' good') : ''}`, title: t('wall.vsYesterday'), dataset: { delta: String(d) } },
    `${d > 0 ? '▲' : d < 0 ? '▼' : '＝'}${d !== 0 ? ' ' + fmtNum(Math.abs(d)) : ''}`);
}

/** Ranked horizontal bars: rows [{label, value, key}] sorted by value, the first `max` shown. */
export function bars(rows, { max = 5, id } = {}) {
  const top = rows.slice(0, max);
  const most = Math.max(1, ...top.map((r) => r.value));
  return h('ol.bars', { id },
    top.map((r, i) => {
      const fill = h('span.bar-fill');
      fill.style.width = `${Math.max(2, (r.value / most) * 100)}%`; // CSSOM, allowed by the CSP
      return h('li', { dataset: { key: r.key ?? r.label, rank: String(i + 1) } },
        h('span.bar-label', r.label), h('span.bar-track', fill), h('span.bar-value', fmtNum(r.value)));
    }));
}

/** The Asia/Shanghai wall clock, whatever zone the browser runs in; ticks every second. */
export function clock() {
  const time = h('div.clock-time');
  const date = h('div.clock-date');
  const el = h('div.wall-clock#wall-clock', { 'aria-live': 'off' }, time, date);
  const parts = (d, opts, locale = 'en-GB') =>
    Object.fromEntries(new Intl.DateTimeFormat(locale, { timeZone: 'Asia/Shanghai', ...opts }).formatToParts(d).map((p) => [p.type, p.value]));
  const tick = () => {
    const now = new Date();
    const p = parts(now, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit' });
    time.textContent = `${p.hour}:${p.minute}:${p.second}`;
    const zh = getLang() !== 'en';
    const weekday = new Intl.DateTimeFormat(zh ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', weekday: zh ? 'long' : 'short' }).format(now);
    date.textContent = `${p.year}-${p.month}-${p.day} ${weekday} · ${t('wall.tz')}`;
    el.dataset.shanghai = `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
  };
  tick();
  // Aligned to the second so the display never lags by most of one.
  setTimeout(() => { tick(); setInterval(tick, 1000); }, 1000 - (Date.now() % 1000));
  return el;
}

function typing(el) {
  return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

/**
 * Full-screen mode: the Fullscreen API where the browser allows it, and always a CSS mode
 * (`body.wall-full`) that hides the header and navigation. Toggled by a button and the F key;
 * leaving the browser's full screen (Esc) leaves the mode too.
 */
export function fullscreen(onChange) {
  const isOn = () => document.body.classList.contains('wall-full');
  const set = async (on) => {
    document.body.classList.toggle('wall-full', on);
    document.body.dataset.wallFull = on ? '1' : '0';
    onChange(on);
    try {
      if (on && !document.fullscreenElement && document.documentElement.requestFullscreen) {
        await document.documentElement.requestFullscreen({ navigationUI: 'hide' });
      } else if (!on && document.fullscreenElement) {
        await document.exitFullscreen();
      }
    } catch { /* refused (no user gesture, a kiosk browser): the CSS mode alone */ }
  };
  document.addEventListener('fullscreenchange', () => { if (!document.fullscreenElement && isOn()) set(false); });
  document.addEventListener('keydown', (e) => {
    if ((e.key === 'f' || e.key === 'F') && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target) && !document.querySelector('dialog[open]')) {
      e.preventDefault();
      set(!isOn());
    }
  });
  return { toggle: () => set(!isOn()), isOn };
}
