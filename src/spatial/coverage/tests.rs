use super::*;
use crate::domain::{Area, AreaCode, Dataset, PatrolMember, PatrolPoint, Place};
use chrono::TimeZone;
use geo_types::{LineString, MultiPolygon, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const M_LON: f64 = 111_320.0 * 0.920_504_853_452_440_4; // cos 23°: metres per degree of longitude
const M_LAT: f64 = 111_320.0;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn square(code: &str, x0: f64, y0: f64, side: f64) -> Area {
    let ring = LineString::from(vec![
        (x0, y0),
        (x0 + side, y0),
        (x0 + side, y0 + side),
        (x0, y0 + side),
        (x0, y0),
    ]);
    Area {
        code: AreaCode::parse(code).unwrap(),
        name: code.into(),
        parent: None,
        geometry: MultiPolygon::new(vec![Polygon::new(ring, vec![])]),
        head: None,
        households: 0,
        residents: 0,
    }
}

fn member() -> PatrolMember {
    PatrolMember {
        id: "M1".into(),
        name: "甲".into(),
        team: String::new(),
    }
}

/// A walk through the given lon/lat corners, a fix every `step_m` metres, 10 s apart.
fn walk(corners: &[(f64, f64)], step_m: f64) -> Vec<PatrolPoint> {
    let mut out = Vec::new();
    let mut t = t0();
    for w in corners.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = (((b.0 - a.0) * M_LON).powi(2) + ((b.1 - a.1) * M_LAT).powi(2)).sqrt();
        let n = (len / step_m).ceil().max(1.0) as usize;
        for k in 0..n {
            let f = k as f64 / n as f64;
            out.push(PatrolPoint {
                member: 0,
                time: t,
                lon: a.0 + f * (b.0 - a.0),
                lat: a.1 + f * (b.1 - a.1),
            });
            t += Duration::seconds(10);
        }
    }
    let last = corners[corners.len() - 1];
    out.push(PatrolPoint {
        member: 0,
        time: t,
        lon: last.0,
        lat: last.1,
    });
    out
}

/// Boustrophedon passes `spacing_m` apart over a square grid at (x0, y0).
fn lawnmower(x0: f64, y0: f64, side: f64, spacing_m: f64) -> Vec<(f64, f64)> {
    let mut c = Vec::new();
    let mut y = y0 + spacing_m / 2.0 / M_LAT;
    let mut east = true;
    while y < y0 + side {
        let (a, b) = if east {
            (x0, x0 + side)
        } else {
            (x0 + side, x0)
        };
        c.push((a, y));
        c.push((b, y));
        y += spacing_m / M_LAT;
        east = !east;
    }
    c
}

fn index(areas: Vec<Area>, points: Vec<PatrolPoint>, places: Vec<Place>) -> SpatialIndex {
    SpatialIndex::build(Dataset {
        areas,
        places,
        members: vec![member()],
        patrol_points: points,
        ..Dataset::default()
    })
}

#[test]
fn a_lawnmower_at_twice_the_reach_covers_nearly_all_of_the_grid() {
    let g = square("441899001001001", 113.0, 23.0, 0.005);
    let ix = index(
        vec![g],
        walk(&lawnmower(113.0, 23.0, 0.005, 100.0), 10.0),
        vec![],
    );
    let c = ix.coverage(0, t0(), t0() + Duration::days(1));
    assert!(
        c.share >= 0.97,
        "passes 100 m apart with 50 m reach cover the grid, got {}",
        c.share
    );
    let narrow = ix.coverage_with(0, t0(), t0() + Duration::days(1), 20.0);
    assert!(
        (0.35..0.45).contains(&narrow.share),
        "20 m reach covers 40 of every 100 m: {}",
        narrow.share
    );
}

#[test]
fn a_track_outside_the_window_or_outside_the_grid_covers_nothing() {
    let g = square("441899001001001", 113.0, 23.0, 0.005);
    let far = walk(&[(113.02, 23.02), (113.03, 23.02)], 10.0);
    let ix = index(vec![g], far, vec![]);
    assert_eq!(ix.coverage(0, t0(), t0() + Duration::days(1)).share, 0.0);
    let near = walk(&[(113.0, 23.0025), (113.005, 23.0025)], 10.0);
    let ix = index(
        vec![square("441899001001001", 113.0, 23.0, 0.005)],
        near,
        vec![],
    );
    let later = ix.coverage(0, t0() + Duration::days(1), t0() + Duration::days(2));
    assert_eq!(later.share, 0.0, "the walk happened before the window");
}

#[test]
fn a_grid_gets_the_same_share_alone_as_with_its_neighbours() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let areas: Vec<Area> = (0..16)
        .map(|i| {
            square(
                &format!("441899001001{:03}", i + 1),
                113.0 + 0.003 * (i % 4) as f64,
                23.0 + 0.003 * (i / 4) as f64,
                0.003,
            )
        })
        .collect();
    let corners: Vec<(f64, f64)> = (0..40)
        .map(|_| {
            (
                rng.random_range(113.0..113.012),
                rng.random_range(23.0..23.012),
            )
        })
        .collect();
    let ix = index(areas, walk(&corners, 12.0), vec![]);
    let all: Vec<usize> = (0..16).collect();
    let day = (t0(), t0() + Duration::days(1));
    let many = ix.coverage_many(&all, day.0, day.1, 50.0);
    for g in all {
        let one = ix.coverage(g, day.0, day.1);
        assert_eq!(
            one.share, many[g].share,
            "grid {g}: the cell lattice does not depend on the query"
        );
    }
    assert!(
        many.iter().any(|c| c.share > 0.1),
        "the walk covers something"
    );
}

/// Brute force: the share of a fine lattice of sample points within reach of any segment.
fn sampled_share(x0: f64, y0: f64, side: f64, pts: &[PatrolPoint], reach: f64) -> f64 {
    let n = 120;
    let mut hit = 0;
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (
                x0 + (i as f64 + 0.5) / n as f64 * side,
                y0 + (j as f64 + 0.5) / n as f64 * side,
            );
            let near = pts.windows(2).any(|w| {
                let (ax, ay) = ((w[0].lon - x) * M_LON, (w[0].lat - y) * M_LAT);
                let (bx, by) = ((w[1].lon - x) * M_LON, (w[1].lat - y) * M_LAT);
                let (dx, dy) = (bx - ax, by - ay);
                let l2 = dx * dx + dy * dy;
                let t = if l2 == 0.0 {
                    0.0
                } else {
                    (-(ax * dx + ay * dy) / l2).clamp(0.0, 1.0)
                };
                ((ax + t * dx).powi(2) + (ay + t * dy).powi(2)).sqrt() <= reach
            });
            hit += usize::from(near);
        }
    }
    hit as f64 / (n * n) as f64
}

#[test]
fn shares_agree_with_brute_force_sampling_on_random_walks() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    for case in 0..6 {
        let corners: Vec<(f64, f64)> = (0..8)
            .map(|_| {
                (
                    rng.random_range(112.999..113.006),
                    rng.random_range(22.999..23.006),
                )
            })
            .collect();
        let pts = walk(&corners, 10.0);
        let ix = index(
            vec![square("441899001001001", 113.0, 23.0, 0.005)],
            pts.clone(),
            vec![],
        );
        let got = ix.coverage(0, t0(), t0() + Duration::days(1)).share;
        let want = sampled_share(113.0, 23.0, 0.005, &pts, 50.0);
        assert!(
            (got - want).abs() < 0.03,
            "case {case}: raster {got:.3} vs sampled {want:.3}"
        );
    }
}

fn place(id: &str, lon: f64, lat: f64, hours: u32) -> Place {
    Place {
        id: id.into(),
        name: id.into(),
        kind: "学校".into(),
        visit_every_hours: hours,
        radius_m: 30.0,
        lon,
        lat,
    }
}

#[test]
fn places_passed_within_their_radius_are_visited_and_others_missed() {
    let g = square("441899001001001", 113.0, 23.0, 0.005);
    let pts = walk(&[(113.0, 23.001), (113.005, 23.001)], 5.0);
    let places = vec![
        place("ON", 113.0025, 23.0012, 24),   // 22 m off the walk
        place("OFF", 113.0025, 23.004, 24),   // 330 m off
        place("LATER", 113.0025, 23.004, 72), // off, but due only every 3 days
    ];
    let ix = index(vec![g], pts, places);
    let c = ix.coverage(0, t0(), t0() + Duration::days(1));
    let ids = |v: &[usize]| {
        v.iter()
            .map(|&k| ix.places.items[k].id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&c.visited), vec!["ON"]);
    assert_eq!(
        ids(&c.missed),
        vec!["OFF", "LATER"],
        "never visited, so due whatever the frequency"
    );
    assert_eq!(c.last_visit.len(), 1);
    // Later windows: ON was visited at the start of the day; with a 24 h rule it is
    // due again only 24 h after that visit.
    let soon = ix.coverage(0, t0() + Duration::hours(10), t0() + Duration::hours(20));
    assert_eq!(
        ids(&soon.missed),
        vec!["OFF", "LATER"],
        "ON visited 20 h before the window's end: not due"
    );
    assert_eq!(
        soon.last_visit.len(),
        1,
        "ON's last visit, from before the window, is still reported"
    );
    let late = ix.coverage(0, t0() + Duration::hours(20), t0() + Duration::hours(30));
    assert_eq!(
        ids(&late.missed),
        vec!["ON", "OFF", "LATER"],
        "30 h after its visit ON is due and missed"
    );
}
