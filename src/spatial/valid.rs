//! Polygon validity for query areas in O(n log n): every ring edge goes into
//! an R-tree once, and only edges whose boxes meet are tested against each
//! other. (geo's `Validation` compares every edge with every other: a
//! 64,000-vertex circle took ~15 s on the request thread.)

use geo_types::{Coord, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Most vertices a geometry in a request may have (contract: General rules).
pub const MAX_VERTICES: usize = 100_000;

/// The number of positions of a multipolygon.
pub fn vertex_count(mp: &MultiPolygon<f64>) -> usize {
    mp.0.iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum()
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    ring: usize,
    at: usize,
    ring_edges: usize,
    a: Coord<f64>,
    b: Coord<f64>,
}

fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> f64 {
    (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)
}

fn on_segment(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> bool {
    r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
}

/// True when segments pq and rs share any point.
fn meet(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>, s: Coord<f64>) -> bool {
    let (d1, d2) = (orient(r, s, p), orient(r, s, q));
    let (d3, d4) = (orient(p, q, r), orient(p, q, s));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(r, s, p))
        || (d2 == 0.0 && on_segment(r, s, q))
        || (d3 == 0.0 && on_segment(p, q, r))
        || (d4 == 0.0 && on_segment(p, q, s))
}

/// Neighbouring edges of one ring share an end; they must not fold back onto each other.
fn adjacent_ok(e: &Edge, f: &Edge) -> bool {
    // The shared end is e.b = f.a (or f.b = e.a); collinear and pointing back means overlap.
    let (shared, ep, fp) = if e.b == f.a {
        (e.b, e.a, f.b)
    } else {
        (e.a, e.b, f.a)
    };
    let cross = orient(ep, shared, fp);
    let dot = (ep.x - shared.x) * (fp.x - shared.x) + (ep.y - shared.y) * (fp.y - shared.y);
    !(cross == 0.0 && dot > 0.0)
}

/// Checks that rings are closed with at least 4 positions and that no two
/// edges meet except neighbours at their shared vertex. Stricter than OGC in
/// one respect: a hole may not touch its shell even at a single point.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use minqing::spatial::valid::check_polygons;
/// let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)];
/// assert!(check_polygons(&MultiPolygon::new(vec![square])).is_ok());
/// let bowtie = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)];
/// assert!(check_polygons(&MultiPolygon::new(vec![bowtie])).is_err());
/// ```
pub fn check_polygons(mp: &MultiPolygon<f64>) -> Result<(), String> {
    let mut edges = Vec::new();
    let rings =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors().iter()));
    for (ring, r) in rings.enumerate() {
        let pts = &r.0;
        if pts.len() < 4 || pts.first() != pts.last() {
            return Err(format!(
                "ring {} must be closed and have at least 4 positions",
                ring + 1
            ));
        }
        // Repeated consecutive positions carry no edge.
        let mut clean: Vec<Coord<f64>> = Vec::with_capacity(pts.len());
        for &c in pts {
            if clean.last() != Some(&c) {
                clean.push(c);
            }
        }
        let n = clean.len() - 1;
        if n < 3 {
            return Err(format!(
                "ring {} has fewer than 3 distinct corners",
                ring + 1
            ));
        }
        for (at, w) in clean.windows(2).enumerate() {
            edges.push(Edge {
                ring,
                at,
                ring_edges: n,
                a: w[0],
                b: w[1],
            });
        }
    }
    let tree = RTree::bulk_load(
        edges
            .iter()
            .enumerate()
            .map(|(i, e)| {
                GeomWithData::new(Rectangle::from_corners([e.a.x, e.a.y], [e.b.x, e.b.y]), i)
            })
            .collect(),
    );
    for (i, e) in edges.iter().enumerate() {
        let env = AABB::from_corners(
            [e.a.x.min(e.b.x), e.a.y.min(e.b.y)],
            [e.a.x.max(e.b.x), e.a.y.max(e.b.y)],
        );
        for hit in tree.locate_in_envelope_intersecting(&env) {
            let j = hit.data;
            if j <= i {
                continue;
            }
            let f = &edges[j];
            let neighbours =
                e.ring == f.ring && (f.at == e.at + 1 || (e.at == 0 && f.at + 1 == e.ring_edges));
            let ok = if neighbours {
                adjacent_ok(e, f)
            } else {
                !meet(e.a, e.b, f.a, f.b)
            };
            if !ok {
                return Err(format!(
                    "edges cross or touch near ({:.6}, {:.6})",
                    f.a.x, f.a.y
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use geo_types::{LineString, Polygon};
    use rand::{Rng, SeedableRng};

    fn ring(points: &[(f64, f64)]) -> MultiPolygon<f64> {
        let mut p: Vec<(f64, f64)> = points.to_vec();
        p.push(points[0]);
        MultiPolygon::new(vec![Polygon::new(LineString::from(p), vec![])])
    }

    #[test]
    fn agrees_with_geo_on_random_small_rings() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut invalid = 0;
        for _ in 0..2000 {
            let n = rng.random_range(3..8);
            let pts: Vec<(f64, f64)> = (0..n)
                .map(|_| {
                    (
                        f64::from(rng.random_range(0..6u8)),
                        f64::from(rng.random_range(0..6u8)),
                    )
                })
                .collect();
            let mp = ring(&pts);
            let ours = check_polygons(&mp).is_ok();
            let theirs = mp.is_valid();
            invalid += usize::from(!theirs);
            // We are never more lenient than geo.
            assert!(!ours || theirs, "we accept what geo rejects: {pts:?}");
        }
        assert!(
            invalid > 100,
            "the random rings include invalid ones ({invalid})"
        );
    }

    #[test]
    fn a_64000_vertex_circle_is_checked_quickly() {
        let n = 64_000;
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * f64::from(i) / f64::from(n);
                (113.0 + 0.1 * a.cos(), 23.0 + 0.1 * a.sin())
            })
            .collect();
        let t = std::time::Instant::now();
        assert!(check_polygons(&ring(&pts)).is_ok());
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "a circle of 64,000 vertices took {:?}",
            t.elapsed()
        );
    }
}
