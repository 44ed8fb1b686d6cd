// A small drawing interaction of our own (no plugin): a polygon by clicks, or a circle by
// centre + radius. Produces a GeoJSON Polygon in WGS84.
import { overlay } from '/js/mapbase.js';

const R = 6371008.8; // mean Earth radius, metres

/** A geodesic-enough circle (destination points on the sphere), `steps` vertices. */
export function circlePolygon([lon, lat], radiusM, steps = 64) {
  const d = radiusM / R, φ1 = lat * Math.PI / 180, λ1 = lon * Math.PI / 180;
  const ring = [];
  for (let i = 0; i < steps; i++) {
    const θ = (i / steps) * 2 * Math.PI;
    const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(θ));
    const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2));
    ring.push([+(λ2 * 180 / Math.PI).toFixed(6), +(φ2 * 180 / Math.PI).toFixed(6)]);
  }
  ring.reverse(); // counter-clockwise exterior ring (RFC 7946)
  ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}

export function distanceM([lon1, lat1], [lon2, lat2]) {
  const r = Math.PI / 180;
  const a = Math.sin((lat2 - lat1) * r / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin((lon2 - lon1) * r / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

function ringArea(ring) {
  let s = 0;
  for (let i = 0; i < ring.length - 1; i++) s += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return s / 2;
}

/**
 * new Draw(map, {onDone(polygon, meta), onChange()})
 *   .polygon()   click vertices; click the first vertex, double-click or Enter finishes; Esc cancels
 *   .radius(m?)  click the centre; move and click again (or give m to finish at once)
 *   .point(cb)   one click, cb(lngLat)
 *   .clear()
 */
export class Draw {
  constructor(map, { onDone, onChange, color = '#d7191c' } = {}) {
    this.map = map;
    this.onDone = onDone;
    this.onChange = onChange;
    this.mode = null;
    this.src = overlay(map, 'draw', [
      { id: 'draw-fill', type: 'fill', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': color, 'fill-opacity': 0.12 } },
      { id: 'draw-line', type: 'line', filter: ['all', ['!=', ['geometry-type'], 'Point'], ['!', ['get', 'rubber']]],
        paint: { 'line-color': color, 'line-width': 2.5 } },
      { id: 'draw-line-rubber', type: 'line', filter: ['all', ['!=', ['geometry-type'], 'Point'], ['get', 'rubber']],
        paint: { 'line-color': color, 'line-width': 2, 'line-dasharray': [2, 2] } },
      { id: 'draw-vertex', type: 'circle', filter: ['==', ['geometry-type'], 'Point'],
        paint: { 'circle-radius': ['case', ['get', 'first'], 6, 4], 'circle-color': '#ffffff', 'circle-stroke-color': color, 'circle-stroke-width': 2 } },
    ]);
    this._click = (e) => this.handleClick(e);
    this._move = (e) => this.handleMove(e);
    this._dbl = (e) => { if (this.mode === 'polygon') { e.preventDefault(); this.finishPolygon(); } };
    this._key = (e) => {
      if (!this.mode) return;
      if (e.key === 'Escape') this.cancel();
      else if (e.key === 'Enter' && this.mode === 'polygon') this.finishPolygon();
      else if (e.key === 'Backspace' && this.mode === 'polygon' && this.pts.length) { this.pts.pop(); this.render(); }
    };
    this.result = null;
  }

  start(mode) {
    this.cancel(true);
    this.mode = mode;
    this.pts = [];
    this.center = null;
    this.cursor = null;
    this.map._minqingDrawing = true;
    this.map.doubleClickZoom.disable();
    this.map.getCanvas().style.cursor = 'crosshair';
    this.map.on('click', this._click);
    this.map.on('mousemove', this._move);
    this.map.on('dblclick', this._dbl);
    window.addEventListener('keydown', this._key);
    document.body.dataset.drawing = mode;
  }

  stop() {
    this.map.off('click', this._click);
    this.map.off('mousemove', this._move);
    this.map.off('dblclick', this._dbl);
    window.removeEventListener('keydown', this._key);
    this.map.getCanvas().style.cursor = '';
    // Re-enable after this event loop turn, so the finishing click opens no popup.
    setTimeout(() => { this.map._minqingDrawing = false; this.map.doubleClickZoom.enable(); }, 0);
    this.mode = null;
    delete document.body.dataset.drawing;
  }

  polygon() { this.start('polygon'); }

  radius(meters) {
    this.start('radius');
    this.fixedRadius = meters > 0 ? meters : null;
  }

  point(cb) { this.start('point'); this.pointCb = cb; }

  cancel(silent) {
    if (this.mode) this.stop();
    if (!silent) this.render();
  }

  clear() {
    this.cancel(true);
    this.result = null;
    this.src.setData({ type: 'FeatureCollection', features: [] });
    if (this.onChange) this.onChange(null);
  }

  handleClick(e) {
    const p = [e.lngLat.lng, e.lngLat.lat];
    if (this.mode === 'point') {
      const cb = this.pointCb;
      this.stop();
      if (cb) cb(e.lngLat);
      return;
    }
    if (this.mode === 'polygon') {
      if (this.pts.length >= 3) {
        const first = this.map.project(this.pts[0]);
        if (Math.hypot(first.x - e.point.x, first.y - e.point.y) < 12) { this.finishPolygon(); return; }
      }
      const last = this.pts.at(-1);
      if (last && last[0] === p[0] && last[1] === p[1]) return; // the second click of a double-click
      this.pts.push(p);
      this.render();
      return;
    }
    if (this.mode === 'radius') {
      if (!this.center) {
        this.center = p;
        if (this.fixedRadius) { this.finishRadius(this.fixedRadius); return; }
        this.render();
      } else {
        this.finishRadius(distanceM(this.center, p));
      }
    }
  }

  handleMove(e) {
    this.cursor = [e.lngLat.lng, e.lngLat.lat];
    if (this.mode === 'polygon' && this.pts.length) this.render();
    if (this.mode === 'radius' && this.center) this.render();
  }

  finishPolygon() {
    if (this.mode !== 'polygon') return;
    const pts = this.pts.map((q) => [+q[0].toFixed(6), +q[1].toFixed(6)]);
    if (pts.length < 3) return;
    let ring = [...pts, pts[0]];
    if (ringArea(ring) < 0) ring = ring.reverse(); // exterior ring counter-clockwise
    this.stop();
    this.done({ type: 'Polygon', coordinates: [ring] }, { kind: 'polygon' });
  }

  finishRadius(m) {
    const center = this.center.map((v) => +v.toFixed(6));
    const radius = Math.max(10, Math.round(m));
    this.stop();
    this.done(circlePolygon(center, radius), { kind: 'radius', center, radius });
  }

  done(polygon, meta) {
    this.result = { polygon, meta };
    this.src.setData({ type: 'Feature', properties: { rubber: false, first: false }, geometry: polygon });
    if (this.onDone) this.onDone(polygon, meta);
  }

  render() {
    const feats = [];
    const f = (geometry, props = {}) => feats.push({ type: 'Feature', properties: { rubber: false, first: false, ...props }, geometry });
    if (this.mode === 'polygon') {
      const pts = this.cursor ? [...this.pts, this.cursor] : this.pts;
      if (pts.length >= 3) f({ type: 'Polygon', coordinates: [[...pts, pts[0]]] }, { rubber: true });
      else if (pts.length === 2) f({ type: 'LineString', coordinates: pts }, { rubber: true });
      this.pts.forEach((q, i) => f({ type: 'Point', coordinates: q }, { first: i === 0 }));
    } else if (this.mode === 'radius' && this.center) {
      f({ type: 'Point', coordinates: this.center }, { first: true });
      if (this.cursor) f(circlePolygon(this.center, Math.max(10, distanceM(this.center, this.cursor))), { rubber: true });
    } else if (this.result) {
      f(this.result.polygon);
    }
    this.src.setData({ type: 'FeatureCollection', features: feats });
  }
}
