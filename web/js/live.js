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

/** The map layer an import event (`hazard.imported`, …) changed, or null for any other event. */
const IMPORTED = { area: 'grids', hazard: 'hazards', shelter: 'shelters', place: 'places', people: 'people', incident: 'incidents' };
export function importedLayer(ev) {
  const m = /^(\w+)\.imported$/.exec(String((ev && ev.kind) || ''));
  return (m && IMPORTED[m[1]]) || null;
}

/** Pulsing rings at new points, fading over `ms`; a small dot stays. */
export function flasher(map, { ms = 8000, color = '#ff3b30' } = {}) {
  const items = [];
  const src = overlay(map, 'flash', [
    { id: 'flash-ring', type: 'circle', paint: {
      'circle-radius': ['+', 8, ['*', 40, ['get', 'phase']]],
      'circle-color': 'rgba(0,0,0,0)',
      'circle-stroke-color': color,
      'circle-stroke-width': 3,
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
