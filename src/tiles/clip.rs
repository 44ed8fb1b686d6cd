//! From world-unit geometry to valid MVT geometry: project, clip to the
//! buffered tile, simplify, round, drop repeats and slivers, orient rings.

use geo_types::{LineString, MultiPolygon, Rect};

use super::{BUFFER, EXTENT, TileCoord};

/// Clips a closed ring (open form) to an axis-aligned box (Sutherland–Hodgman).
/// The result may run along the box edge; that edge lies in the buffer, so it
/// is never drawn.
fn clip_ring(ring: Vec<(f64, f64)>, lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut pts = ring;
    // Each pass keeps the points on the inside of one edge.
    let edges: [(usize, f64, bool); 4] =
        [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)];
    for (axis, v, keep_greater) in edges {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &(f64, f64)| {
            let c = if axis == 0 { p.0 } else { p.1 };
            if keep_greater { c >= v } else { c <= v }
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let (p, q) = (pts[i], pts[(i + 1) % pts.len()]);
            let (pi, qi) = (inside(&p), inside(&q));
            if pi {
                out.push(p);
            }
            if pi != qi {
                let (pc, qc) = if axis == 0 { (p.0, q.0) } else { (p.1, q.1) };
                let t = (v - pc) / (qc - pc);
                out.push((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)));
            }
        }
        pts = out;
    }
    pts
}

/// Ramer–Douglas–Peucker on an open point list, keeping both ends.
fn simplify(pts: &[(f64, f64)], eps: f64) -> Vec<(f64, f64)> {
    if pts.len() < 3 || eps <= 0.0 {
        return pts.to_vec();
    }
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0usize, pts.len() - 1)];
    let eps2 = eps * eps;
    while let Some((a, b)) = stack.pop() {
        let (ax, ay) = pts[a];
        let (bx, by) = pts[b];
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let mut best = (0.0, 0usize);
        for (i, &(px, py)) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d2 = if len2 == 0.0 {
                (px - ax).powi(2) + (py - ay).powi(2)
            } else {
                let cross = dx * (py - ay) - dy * (px - ax);
                cross * cross / len2
            };
            if d2 > best.0 {
                best = (d2, i);
            }
        }
        if best.0 > eps2 {
            keep[best.1] = true;
            stack.push((a, best.1));
            stack.push((best.1, b));
        }
    }
    pts.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
}

fn round_dedup(pts: &[(f64, f64)]) -> Vec<[i32; 2]> {
    let mut out: Vec<[i32; 2]> = Vec::with_capacity(pts.len());
    for &(x, y) in pts {
        let p = [x.round() as i32, y.round() as i32];
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Twice the signed area in tile units (positive = clockwise on screen, y down).
pub fn signed_area2(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

fn ring_to_tile(
    ls: &LineString<f64>,
    tile: &TileCoord,
    needs_clip: bool,
    eps: f64,
) -> Option<Vec<[i32; 2]>> {
    let mut pts: Vec<(f64, f64)> = ls.0.iter().map(|c| tile.to_tile(c.x, c.y)).collect();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if needs_clip {
        let b = f64::from(BUFFER);
        pts = clip_ring(pts, -b, f64::from(EXTENT) + b);
    }
    if pts.len() < 3 {
        return None;
    }
    // Simplify the ring as a closed path: RDP on the path back to its start.
    pts.push(pts[0]);
    let mut s = simplify(&pts, eps);
    s.pop();
    let mut r = round_dedup(&s);
    if r.len() > 1 && r.first() == r.last() {
        r.pop();
    }
    // Rings of under 3 distinct points or of sub-pixel area are dropped.
    (r.len() >= 3 && signed_area2(&r).abs() >= 2).then_some(r)
}

/// Converts a world-unit multipolygon into tile polygons with MVT winding
/// (exterior clockwise on screen, holes counter-clockwise). `None` when
/// nothing of it is left in the tile at this resolution.
pub fn polygons(
    mp: &MultiPolygon<f64>,
    tile: &TileCoord,
    eps: f64,
) -> Option<Vec<Vec<Vec<[i32; 2]>>>> {
    use geo::BoundingRect;
    polygons_within(mp, mp.bounding_rect()?, tile, eps)
}

/// [`polygons`] of a multipolygon whose bounds (world units) are known:
/// the index keeps each area's, and a street's outline is thousands of
/// points to walk per tile for them otherwise.
pub fn polygons_within(
    mp: &MultiPolygon<f64>,
    r: Rect<f64>,
    tile: &TileCoord,
    eps: f64,
) -> Option<Vec<Vec<Vec<[i32; 2]>>>> {
    let (x0, y0) = tile.to_tile(r.min().x, r.min().y);
    let (x1, y1) = tile.to_tile(r.max().x, r.max().y);
    let (lo, hi) = (-f64::from(BUFFER), f64::from(EXTENT) + f64::from(BUFFER));
    if x1 < lo || x0 > hi || y1 < lo || y0 > hi {
        return None;
    }
    // Features wholly inside the buffered tile skip clipping altogether.
    let needs_clip = x0 < lo || x1 > hi || y0 < lo || y1 > hi;
    let mut out = Vec::new();
    for poly in &mp.0 {
        let Some(mut ext) = ring_to_tile(poly.exterior(), tile, needs_clip, eps) else {
            continue;
        };
        if signed_area2(&ext) < 0 {
            ext.reverse();
        }
        let mut rings = vec![ext];
        for hole in poly.interiors() {
            if let Some(mut h) = ring_to_tile(hole, tile, needs_clip, eps) {
                if signed_area2(&h) > 0 {
                    h.reverse();
                }
                rings.push(h);
            }
        }
        out.push(rings);
    }
    (!out.is_empty()).then_some(out)
}

/// Converts a polyline in world units to clipped, simplified tile lines.
pub fn line(pts_world: &[(f64, f64)], tile: &TileCoord, eps: f64) -> Vec<Vec<[i32; 2]>> {
    let (lo, hi) = (-f64::from(BUFFER), f64::from(EXTENT) + f64::from(BUFFER));
    let inside = |p: &(f64, f64)| p.0 >= lo && p.0 <= hi && p.1 >= lo && p.1 <= hi;
    // Split the line where it leaves the buffered tile (coarse: keeps the
    // segments with at least one end inside, good enough for GPS tracks).
    let pts: Vec<(f64, f64)> = pts_world.iter().map(|&(x, y)| tile.to_tile(x, y)).collect();
    let mut lines = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for i in 0..pts.len() {
        let keep = inside(&pts[i])
            || (i > 0 && inside(&pts[i - 1]))
            || (i + 1 < pts.len() && inside(&pts[i + 1]));
        if keep {
            cur.push(pts[i]);
        } else if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
        .into_iter()
        .map(|l| round_dedup(&simplify(&l, eps)))
        .filter(|l| l.len() >= 2)
        .collect()
}

/// A point in tile units if it lies in the buffered tile.
pub fn point(wx: f64, wy: f64, tile: &TileCoord) -> Option<[i32; 2]> {
    let (x, y) = tile.to_tile(wx, wy);
    let (lo, hi) = (-f64::from(BUFFER), f64::from(EXTENT) + f64::from(BUFFER));
    (x >= lo && x <= hi && y >= lo && y <= hi).then(|| [x.round() as i32, y.round() as i32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_square_crossing_the_tile_edge_is_clipped_to_the_buffer() {
        let ring = vec![
            (-1000.0, 100.0),
            (200.0, 100.0),
            (200.0, 300.0),
            (-1000.0, 300.0),
        ];
        let c = clip_ring(ring, -64.0, 4160.0);
        assert!(
            c.iter().all(|p| p.0 >= -64.0),
            "every point is inside the buffered tile: {c:?}"
        );
        assert_eq!(c.len(), 4, "the clipped square keeps four corners: {c:?}");
    }

    #[test]
    fn simplify_keeps_corners_and_drops_collinear_points() {
        let pts = vec![(0.0, 0.0), (1.0, 0.01), (2.0, 0.0), (2.0, 2.0)];
        assert_eq!(
            simplify(&pts, 0.5),
            vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0)]
        );
    }
}
