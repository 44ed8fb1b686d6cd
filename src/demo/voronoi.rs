//! Voronoi cells clipped to a parent polygon, for synthesising streets,
//! communities and grids that tile their parent exactly once.

use geo::{BooleanOps, BoundingRect, Centroid, Contains};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rand::Rng;

/// Clips a convex ring to the half-plane of points at least as close to `a` as to `b`.
fn clip_half_plane(ring: &[Coord<f64>], a: Coord<f64>, b: Coord<f64>) -> Vec<Coord<f64>> {
    let n = Coord {
        x: b.x - a.x,
        y: b.y - a.y,
    };
    let m = Coord {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    };
    let side = |p: Coord<f64>| (p.x - m.x) * n.x + (p.y - m.y) * n.y; // ≤ 0: keep
    let mut out = Vec::with_capacity(ring.len() + 1);
    for i in 0..ring.len() {
        let (p, q) = (ring[i], ring[(i + 1) % ring.len()]);
        let (sp, sq) = (side(p), side(q));
        if sp <= 0.0 {
            out.push(p);
        }
        if (sp <= 0.0) != (sq <= 0.0) {
            let t = sp / (sp - sq);
            out.push(Coord {
                x: p.x + t * (q.x - p.x),
                y: p.y + t * (q.y - p.y),
            });
        }
    }
    out
}

/// The Voronoi cells of `seeds`, each clipped to `parent`. Cell `i` belongs to seed `i`.
pub fn cells(parent: &MultiPolygon<f64>, seeds: &[Coord<f64>]) -> Vec<MultiPolygon<f64>> {
    let Some(r) = parent.bounding_rect() else {
        return vec![MultiPolygon::new(vec![]); seeds.len()];
    };
    let pad = 0.01;
    let frame = vec![
        Coord {
            x: r.min().x - pad,
            y: r.min().y - pad,
        },
        Coord {
            x: r.max().x + pad,
            y: r.min().y - pad,
        },
        Coord {
            x: r.max().x + pad,
            y: r.max().y + pad,
        },
        Coord {
            x: r.min().x - pad,
            y: r.max().y + pad,
        },
    ];
    seeds
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let mut ring = frame.clone();
            for (j, &o) in seeds.iter().enumerate() {
                if i != j && ring.len() >= 3 {
                    ring = clip_half_plane(&ring, s, o);
                }
            }
            if ring.len() < 3 {
                return MultiPolygon::new(vec![]);
            }
            ring.push(ring[0]);
            let cell = Polygon::new(LineString::new(ring), vec![]);
            MultiPolygon::new(vec![cell]).intersection(parent)
        })
        .collect()
}

/// A uniformly random point inside `mp` (rejection sampling in its bounding box).
pub fn random_point_in<R: Rng>(mp: &MultiPolygon<f64>, rng: &mut R) -> Option<Coord<f64>> {
    let r = mp.bounding_rect()?;
    for _ in 0..10_000 {
        let c = Coord {
            x: rng.random_range(r.min().x..=r.max().x),
            y: rng.random_range(r.min().y..=r.max().y),
        };
        if mp.contains(&Point::from(c)) {
            return Some(c);
        }
    }
    None
}

/// `n` well-spread seeds inside `mp`: random starts, then two Lloyd steps
/// (each seed moves to its cell's centroid) so cells look like real districts.
pub fn spread_seeds<R: Rng>(mp: &MultiPolygon<f64>, n: usize, rng: &mut R) -> Vec<Coord<f64>> {
    let mut seeds: Vec<Coord<f64>> = (0..n).filter_map(|_| random_point_in(mp, rng)).collect();
    for _ in 0..2 {
        let cs = cells(mp, &seeds);
        for (s, c) in seeds.iter_mut().zip(&cs) {
            if let Some(p) = c.centroid()
                && mp.contains(&p)
            {
                *s = p.0;
            }
        }
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use rand::SeedableRng;

    #[test]
    fn cells_tile_the_parent_without_gaps_or_overlaps() {
        let square: MultiPolygon<f64> = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ]),
            vec![],
        )]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let seeds = spread_seeds(&square, 12, &mut rng);
        assert_eq!(seeds.len(), 12, "every seed lands inside the square");
        let cs = cells(&square, &seeds);
        let total: f64 = cs.iter().map(|c| c.unsigned_area()).sum();
        assert!(
            (total - 1.0).abs() < 1e-9,
            "cells cover the unit square exactly once, sum {total}"
        );
        for (i, c) in cs.iter().enumerate() {
            assert!(
                c.contains(&Point::from(seeds[i])),
                "cell {i} contains its own seed"
            );
        }
    }
}
