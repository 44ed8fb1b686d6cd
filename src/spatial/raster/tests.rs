use super::*;
use geo::Contains;
use geo_types::{LineString, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn bbox() -> BBox {
    BBox {
        min_lon: 113.0,
        min_lat: 23.0,
        max_lon: 113.01,
        max_lat: 23.01,
    }
}

/// Distance in cell units from a point to a segment.
fn dist(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let l2 = dx * dx + dy * dy;
    let t = if l2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / l2).clamp(0.0, 1.0)
    };
    ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
}

#[test]
fn stamping_sets_exactly_the_cells_within_reach_as_brute_force_does() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for case in 0..40 {
        let mut r = Raster::new(Frame::new(&bbox(), 10.0));
        let f = r.frame;
        let a = (
            rng.random_range(113.0..113.01),
            rng.random_range(23.0..23.01),
        );
        let b = if case % 5 == 0 {
            a
        } else {
            (
                a.0 + rng.random_range(-0.002..0.002),
                a.1 + rng.random_range(-0.002..0.002),
            )
        };
        let reach = rng.random_range(5.0..80.0);
        r.stamp(a, b, reach);
        let (pa, pb) = (f.to_cells(a.0, a.1), f.to_cells(b.0, b.1));
        for row in 0..f.h {
            for col in 0..f.w {
                let d = dist((col as f64 + 0.5, row as f64 + 0.5), pa, pb) * f.cell_m;
                if (d - reach).abs() < 1e-6 {
                    continue; // on the rim: either answer is right
                }
                let set = r.count_run(row, col, col) == 1;
                assert_eq!(
                    set,
                    d < reach,
                    "case {case}: cell {col},{row} at {d:.3} m, reach {reach:.3} m"
                );
            }
        }
    }
}

#[test]
fn counting_inside_a_polygon_matches_point_in_polygon_of_cell_centres() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut r = Raster::new(Frame::new(&bbox(), 10.0));
    for _ in 0..30 {
        let a = (
            rng.random_range(113.0..113.01),
            rng.random_range(23.0..23.01),
        );
        r.stamp(a, (a.0 + 0.001, a.1 + 0.0005), 30.0);
    }
    let f = r.frame;
    // A concave polygon with a hole, in WGS84.
    let outer = LineString::from(vec![
        (113.001, 23.001),
        (113.009, 23.002),
        (113.005, 23.005),
        (113.008, 23.009),
        (113.002, 23.008),
        (113.001, 23.001),
    ]);
    let hole = LineString::from(vec![
        (113.003, 23.004),
        (113.004, 23.004),
        (113.004, 23.005),
        (113.003, 23.005),
        (113.003, 23.004),
    ]);
    let mp = MultiPolygon::new(vec![Polygon::new(outer, vec![hole])]);
    let (inside, covered) = r.count_in(&mp);
    let (mut bi, mut bc) = (0, 0);
    for row in 0..f.h {
        for col in 0..f.w {
            let (lon, lat) = f.to_lonlat(col as f64 + 0.5, row as f64 + 0.5);
            if mp.contains(&Point::new(lon, lat)) {
                bi += 1;
                bc += u64::from(r.count_run(row, col, col) == 1);
            }
        }
    }
    assert!(inside > 1000, "the polygon holds many cells: {inside}");
    assert_eq!(
        (inside, covered),
        (bi, bc),
        "scanline count vs point-in-polygon per cell"
    );
}

#[test]
fn neighbouring_grids_share_no_cell_and_miss_none() {
    let r = Raster::new(Frame::new(&bbox(), 10.0));
    let sq = |x0: f64, y0: f64, x1: f64, y1: f64| {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )])
    };
    let whole = r.count_in(&sq(113.001, 23.001, 113.009, 23.009)).0;
    let parts: u64 = [
        sq(113.001, 23.001, 113.005, 23.005),
        sq(113.005, 23.001, 113.009, 23.005),
        sq(113.001, 23.005, 113.005, 23.009),
        sq(113.005, 23.005, 113.009, 23.009),
    ]
    .iter()
    .map(|p| r.count_in(p).0)
    .sum();
    assert_eq!(
        parts, whole,
        "four quarters hold exactly the cells of the whole"
    );
}
