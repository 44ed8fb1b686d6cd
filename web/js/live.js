// Live changes over Server-Sent Events (/api/events, needs a session) and a flash effect on the map.
import { overlay } from '/js/mapbase.js';

/**
 * Connects to /api/events. onEvent({kind, id, lon, lat, ...}, eventId).
 * Events may come unnamed (type "message") or named after their kind; both are handled.
 */
export function connectEvents(onEvent, { onOpen, onError } = {}) {
  const es = new EventSource('/api/events', { withCredentials: true });
  const handle = (ev) => {
    let data;
    try { data = JSON.parse(ev.data); } catch { return; }
    if (!data || typeof data !== 'object') return;
    if (!data.kind && ev.type !== 'message') data.kind = ev.type;
    onEvent(data, ev.lastEventId);
  };
  es.addEventListener('message', handle);
  for (const type of ['incident.created', 'incident.updated', 'incident.action', 'incident', 'change', 'hazard.updated', 'patrol.track']) {
    es.addEventListener(type, handle);
  }
  es.addEventListener('open', () => { document.body.dataset.sse = 'open'; if (onOpen) onOpen(); });
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) document.body.dataset.sse = 'closed';
    else document.body.dataset.sse = 'connecting';
    if (onError) onError(es.readyState);
  });
  return es;
}

/**
 * A stream that stays up for days (the wall): EventSource retries a dropped connection by itself
 * (sending Last-Event-ID, so the server replays what was missed), but gives up for good when an
 * answer is not a stream (a restart's 502/503, an expired session's 401). Then this opens a new
 * one after a growing pause (2 s … 30 s), first asking `check()` (which may renew the session, or
 * fail and stop). `onReconnect` runs after every re-open, so the page can fetch what a fresh
 * stream (without Last-Event-ID) will not replay.
 */
export function liveStream(onEvent, { onOpen, onError, onReconnect, check } = {}) {
  let es = null, timer = 0, tries = 0, stopped = false, dropped = false;
  const open = () => {
    es = connectEvents(onEvent, {
      onOpen: () => {
        tries = 0;
        if (onOpen) onOpen();
        if (dropped && onReconnect) onReconnect();
        dropped = false;
      },
      onError: (state) => {
        dropped = true;
        if (state === EventSource.CLOSED) retry();
        if (onError) onError(state, tries);
      },
    });
  };
  const retry = () => {
    if (stopped || timer) return;
    if (es) { es.close(); es = null; }
    const wait = Math.min(30000, 2000 * 2 ** Math.min(tries, 4));
    tries++;
    timer = setTimeout(async () => {
      timer = 0;
      if (stopped) return;
      try { if (check) await check(); } catch (e) {
        if (e && e.status === 401) return; // signed out: the page asks to sign in again
        retry();
        return;
      }
      open();
    }, wait);
  };
  open();
  return {
    close() { stopped = true; clearTimeout(timer); if (es) es.close(); },
    get readyState() { return es ? es.readyState : EventSource.CLOSED; },
  };
}

/** The map layer an import event (`hazard.imported`, …) changed, or null for any other event. */
const IMPORTED = { area: 'grids', hazard: 'hazards', shelter: 'shelters', place: 'places', people: 'people', incident: 'incidents' };
export function importedLayer(ev) {
  const m = /^(\w+)\.imported$/.exec(String((ev && ev.kind) || ''));
  return (m && IMPORTED[m[1]]) || null;
}

/** Pulsing rings at new points, fading over `ms`; a small dot stays. */
export function flasher(map, { ms = 8000, color = '#ff3b30', size = 1 } = {}) {
  const items = [];
  const src = overlay(map, 'flash', [
    { id: 'flash-ring', type: 'circle', paint: {
      'circle-radius': ['+', 8, ['*', 40 * size, ['get', 'phase']]],
      'circle-color': 'rgba(0,0,0,0)',
      'circle-stroke-color': color,
      'circle-stroke-width': 3 * size,
      'circle-stroke-opacity': ['-', 1, ['get', 'phase']],
    } },
    { id: 'flash-dot', type: 'circle', paint: {
      'circle-radius': 7, 'circle-color': color, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
    } },
  ]);
  let raf = 0;
  const frame = () => {
    const now = performance.now();
    const feats = items.map((it) => {
      const age = (now - it.t0) / ms;
      const phase = age >= 1 ? 1 : (age * 4) % 1; // four pulses, then stays as a dot
      return { type: 'Feature', properties: { phase, id: it.id }, geometry: { type: 'Point', coordinates: it.coords } };
    });
    src.setData({ type: 'FeatureCollection', features: feats });
    raf = items.some((it) => now - it.t0 < ms) ? requestAnimationFrame(frame) : 0;
  };
  return {
    flash(coords, id) {
      items.push({ coords, id, t0: performance.now() });
      if (items.length > 200) items.shift();
      if (!raf) raf = requestAnimationFrame(frame);
    },
  };
}
