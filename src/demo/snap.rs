//! Makes neighbouring polygons share their edges vertex for vertex.
//!
//! Cells clipped one at a time (each Voronoi cell against its parent) meet
//! along edges whose vertices were computed separately: a corner of one cell
//! may sit a hair off its neighbour's edge, or two copies of one corner may
//! round to neighbouring centimetres. [`share_vertices`] merges vertices
//! closer than a tolerance and threads every vertex that lies on another
//! polygon's edge into that edge, so shared boundaries are the same points
//! in the same places and unions and overlaps of neighbours come out clean.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rstar::RTree;
use rstar::primitives::GeomWithData;

type Vertex = GeomWithData<[f64; 2], ()>;

fn close(a: Coord<f64>, b: Coord<f64>, eps: f64) -> bool {
    (a.x - b.x).abs() <= eps && (a.y - b.y).abs() <= eps
}

/// Merges vertices within `eps` (degrees, per axis) into the first one seen,
/// then inserts into each edge the vertices lying within `eps` of it, in
/// order along the edge. Shapes move by at most `eps`.
pub fn share_vertices(polys: &mut [MultiPolygon<f64>], eps: f64) {
    // 1. One representative per cluster of nearly equal vertices.
    let mut reps: RTree<Vertex> = RTree::new();
    let map_ring = |ring: &LineString<f64>, reps: &mut RTree<Vertex>| -> LineString<f64> {
        let mut out: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
        for c in &ring.0 {
            let env = rstar::AABB::from_corners([c.x - eps, c.y - eps], [c.x + eps, c.y + eps]);
            let found = reps.locate_in_envelope(&env).next().map(|r| Coord {
                x: r.geom()[0],
                y: r.geom()[1],
            });
            let rep = match found {
                Some(r) => r,
                None => {
                    reps.insert(Vertex::new([c.x, c.y], ()));
                    *c
                }
            };
            if out.last() != Some(&rep) {
                out.push(rep);
            }
        }
        LineString::new(out)
    };
    for mp in polys.iter_mut() {
        for p in mp.0.iter_mut() {
            let ext = map_ring(p.exterior(), &mut reps);
            let ints = p
                .interiors()
                .iter()
                .map(|r| map_ring(r, &mut reps))
                .collect();
            *p = Polygon::new(ext, ints);
        }
    }
    // 2. Vertices lying on an edge (not at its ends) become vertices of that edge.
    let thread = |ring: &LineString<f64>| -> LineString<f64> {
        let mut out: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
        for w in ring.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push(a);
            let env = rstar::AABB::from_corners(
                [a.x.min(b.x) - eps, a.y.min(b.y) - eps],
                [a.x.max(b.x) + eps, a.y.max(b.y) + eps],
            );
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len2 = dx * dx + dy * dy;
            if len2 == 0.0 {
                continue;
            }
            let mut on: Vec<(f64, Coord<f64>)> = reps
                .locate_in_envelope(&env)
                .filter_map(|v| {
                    let c = Coord {
                        x: v.geom()[0],
                        y: v.geom()[1],
                    };
                    if close(c, a, 0.0) || close(c, b, 0.0) {
                        return None;
                    }
                    let t = ((c.x - a.x) * dx + (c.y - a.y) * dy) / len2;
                    let foot = Coord {
                        x: a.x + t * dx,
                        y: a.y + t * dy,
                    };
                    (t > 0.0 && t < 1.0 && close(c, foot, eps)).then_some((t, c))
                })
                .collect();
            on.sort_by(|x, y| x.0.total_cmp(&y.0));
            out.extend(on.into_iter().map(|(_, c)| c));
        }
        if let Some(&last) = ring.0.last() {
            out.push(last);
        }
        LineString::new(out)
    };
    for mp in polys.iter_mut() {
        for p in mp.0.iter_mut() {
            let ext = thread(p.exterior());
            let ints = p.interiors().iter().map(thread).collect();
            *p = Polygon::new(ext, ints);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps};

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )])
    }

    #[test]
    fn a_corner_off_the_neighbours_edge_is_threaded_into_it() {
        // Left cell 0–1, right cells 1–2 split at y = 0.5, whose corner sits
        // 1e-8 inside the left cell: a hairline overlap before, none after.
        let mut cells = vec![
            square(0.0, 0.0, 1.0, 1.0),
            MultiPolygon::new(vec![Polygon::new(
                LineString::from(vec![
                    (1.0, 0.0),
                    (2.0, 0.0),
                    (2.0, 0.5),
                    (1.0 - 1e-8, 0.5),
                    (1.0, 0.0),
                ]),
                vec![],
            )]),
            MultiPolygon::new(vec![Polygon::new(
                LineString::from(vec![
                    (1.0 - 1e-8, 0.5),
                    (2.0, 0.5),
                    (2.0, 1.0),
                    (1.0, 1.0),
                    (1.0 - 1e-8, 0.5),
                ]),
                vec![],
            )]),
        ];
        assert!(cells[0].intersection(&cells[1]).unsigned_area() > 0.0);
        share_vertices(&mut cells, 1e-7);
        assert!(
            cells[0].0[0].exterior().0.contains(&Coord {
                x: 1.0 - 1e-8,
                y: 0.5
            }),
            "the left cell's edge now runs through its neighbours' corner"
        );
        for i in 1..3 {
            assert_eq!(
                cells[0].intersection(&cells[i]).unsigned_area(),
                0.0,
                "left cell and right cell {i} no longer overlap"
            );
        }
        let total: f64 = cells.iter().map(|c| c.unsigned_area()).sum();
        assert!((total - 2.0).abs() < 1e-12, "the cells still tile 2 × 1");
    }
}
