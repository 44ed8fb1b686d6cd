//! The demo district as a newcomer meets it: a fresh demo store passes the
//! grid topology check, its grids are compact, today's patrols cover most of
//! the district with some clear misses, and the seed is deterministic.
//!
//! The demo is generated and stored once for this test binary (it is the
//! largest dataset the tests use); each test reads the shared copy.

use std::f64::consts::PI;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use geo::orient::{Direction, Orient};
use geo::{Contains, Euclidean, GeodesicArea, Length};
use geo_types::{MultiPolygon, Point};
use minqing::demo;
use minqing::domain::{Area, Dataset, Level};
use minqing::import::topology::{self, SLIVER_M2};
use minqing::spatial::coverage::DEFAULT_REACH_M;
use minqing::spatial::{SpatialIndex, haversine_m};
use minqing::store;

/// The demo's clock in these tests: a weekday morning, Beijing 09:30.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 3, 1, 30, 0).unwrap()
}

struct Demo {
    /// What `demo::generate` returned.
    generated: Dataset,
    /// What a fresh SQLite store seeded with it loads back.
    stored: Dataset,
    /// Seconds `demo::generate` took.
    seconds: f64,
    /// Seconds seeding the store took.
    seed_seconds: f64,
}

/// The demo, generated and stored once per test binary.
fn shared() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        // Own thread and runtime: the tests' runtimes come and go with each test.
        std::thread::spawn(|| {
            let t = std::time::Instant::now();
            let generated = demo::generate(now());
            let seconds = t.elapsed().as_secs_f64();
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            let (stored, seed_seconds) = rt.block_on(async {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/minqing.db", dir.path().display());
                let s = store::open(&url).await.expect("open store");
                s.migrate().await.expect("migrate");
                let t = std::time::Instant::now();
                s.seed(&generated).await.expect("seed the demo");
                let seed_seconds = t.elapsed().as_secs_f64();
                (s.load().await.expect("load the demo"), seed_seconds)
            });
            Demo {
                generated,
                stored,
                seconds,
                seed_seconds,
            }
        })
        .join()
        .expect("the demo generates and stores")
    })
}

#[test]
fn pinyin_initials_find_fengcheng_street_first() {
    use minqing::spatial::search::{Rights, search};
    let index = SpatialIndex::build(shared().stored.clone());
    let rights = Rights {
        phones: false,
        incident: None,
    };
    let names = |q: &str| -> Vec<String> {
        search(&index, q, 5, &rights)
            .into_iter()
            .map(|h| h.name)
            .collect()
    };
    let fcjd = names("fcjd");
    assert_eq!(
        fcjd.first().map(String::as_str),
        Some("凤城街道"),
        "fcjd → 凤城街道 first: {fcjd:?}"
    );
    let prefix = names("凤城");
    assert_eq!(
        prefix.first().map(String::as_str),
        Some("凤城街道"),
        "a name prefix finds the street: {prefix:?}"
    );
}

/// Geodesic area in m², whatever the rings' winding.
fn m2(mp: &MultiPolygon<f64>) -> f64 {
    mp.orient(Direction::Default).geodesic_area_signed().abs()
}

fn grids(d: &Dataset) -> Vec<&Area> {
    d.areas
        .iter()
        .filter(|a| a.level() == Level::Grid)
        .collect()
}

/// Polsby–Popper compactness 4πA/P², in degrees scaled to metres at the area's latitude.
fn compactness(a: &Area) -> f64 {
    let lat = a.geometry.0[0].exterior().0[0].y;
    let k = lat.to_radians().cos();
    let scaled =
        geo::MapCoords::map_coords(&a.geometry, |c| geo_types::Coord { x: c.x * k, y: c.y });
    let area = geo::Area::unsigned_area(&scaled);
    let perimeter: f64 = scaled
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| Euclidean.length(r))
        .sum();
    4.0 * PI * area / (perimeter * perimeter)
}

#[test]
fn a_fresh_demo_store_passes_the_grid_topology_check() {
    let d = shared();
    let problems = topology::check(&d.stored.areas, SLIVER_M2);
    let listed: Vec<String> = problems.iter().take(20).map(|p| p.detail.clone()).collect();
    assert!(
        problems.is_empty(),
        "`minqing check grids` finds no problem in a fresh demo store; it found {}:\n{}",
        problems.len(),
        listed.join("\n")
    );
    // Nesting is exact: each parent's area is the sum of its children's. Measured
    // in the plane of the coordinates: a parent's edge runs straight through
    // vertices its children share, which geodesic areas would read as a bend.
    let mut worst = (0.0_f64, String::new());
    for parent in d.stored.areas.iter().filter(|a| a.level() != Level::Grid) {
        let own = geo::Area::unsigned_area(&parent.geometry);
        let kids: f64 = d
            .stored
            .areas
            .iter()
            .filter(|a| a.parent.as_ref() == Some(&parent.code))
            .map(|a| geo::Area::unsigned_area(&a.geometry))
            .sum();
        let off = (own - kids).abs() / own;
        if off >= worst.0 {
            worst = (
                off,
                format!(
                    "{} {} ({own:.3e} deg², children {kids:.3e} deg²)",
                    parent.code, parent.name
                ),
            );
        }
    }
    println!(
        "largest parent/children area mismatch: {:.1e} of {}",
        worst.0, worst.1
    );
    assert!(
        worst.0 < 1e-9,
        "each parent's area is the sum of its children's: worst {:.1e} of {}",
        worst.0,
        worst.1
    );
    // And the district is still the real one: no holes, no ground lost.
    let district = &d.stored.areas[0];
    assert_eq!(
        district.code.as_str(),
        demo::DISTRICT_CODE,
        "district first"
    );
    let holes: Vec<(f64, (f64, f64))> = district
        .geometry
        .0
        .iter()
        .flat_map(|p| p.interiors())
        .map(|r| {
            let hole = MultiPolygon::new(vec![geo_types::Polygon::new(r.clone(), vec![])]);
            (m2(&hole), (r.0[0].x, r.0[0].y))
        })
        .collect();
    // Hairlines where clipping dropped a thin sliver of a cell (a few m², centimetres
    // wide: under the check's sliver tolerance) may remain; nothing one could stand in.
    assert!(
        holes.iter().all(|(a, _)| *a < 50.0),
        "the district has no hole of 50 m² or more (m², at): {holes:?}"
    );
    println!("hairline holes in the district (m², at): {holes:?}");
    let real = m2(&demo::boundary_wgs84());
    let ours = m2(&district.geometry);
    assert!(
        (real - ours).abs() < 1e-6 * real,
        "the district keeps its real boundary's area: {real:.0} m², the demo's {ours:.0} m²"
    );
}

#[test]
fn demo_grids_are_compact() {
    let d = shared();
    let mut c: Vec<f64> = grids(&d.stored).into_iter().map(compactness).collect();
    c.sort_by(f64::total_cmp);
    let at = |q: f64| c[((c.len() - 1) as f64 * q).round() as usize];
    let p5 = at(0.05);
    println!(
        "{} grids; Polsby–Popper min {:.2}, 5 % {:.2}, median {:.2}, max {:.2}",
        c.len(),
        c[0],
        p5,
        at(0.5),
        c[c.len() - 1]
    );
    assert!(
        p5 >= 0.3,
        "95 % of the demo's grids have a Polsby–Popper compactness of at least 0.3; the 5th percentile is {p5:.2}"
    );
}

#[test]
fn todays_patrols_cover_most_of_the_district_with_clear_misses() {
    let d = shared();
    let index = SpatialIndex::build(d.stored.clone());
    let ids: Vec<usize> = index
        .areas
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.area.level() == Level::Grid)
        .map(|(i, _)| i)
        .collect();
    // What GET /api/patrol/coverage answers by default: the last 24 hours, a 50 m reach.
    let (from, to) = (now() - Duration::hours(24), now());
    let cov = index.coverage_many(&ids, from, to, DEFAULT_REACH_M);
    let mean = cov.iter().map(|c| c.share).sum::<f64>() / cov.len() as f64;
    // Not walked: what reaches such a grid is the edge of its neighbours' walks.
    let unwalked = cov.iter().filter(|c| c.share < 0.2).count();
    let visited: usize = cov.iter().map(|c| c.visited.len()).sum();
    let missed: usize = cov.iter().map(|c| c.missed.len()).sum();
    let mut deciles = [0usize; 10];
    for c in &cov {
        deciles[((c.share * 10.0) as usize).min(9)] += 1;
    }
    println!(
        "today: mean coverage {mean:.3} over {} grids (by tenths: {deciles:?}), {unwalked} under 20 %, key places {visited} visited / {missed} missed",
        ids.len()
    );
    assert!(
        (0.5..=0.9).contains(&mean),
        "district-wide patrol coverage today (mean over grids, as the wall's KPI) is between 50 % and 90 %, got {:.1} %",
        mean * 100.0
    );
    assert!(
        unwalked >= 3 && unwalked * 5 <= ids.len(),
        "a few grids, not most, are clearly missed today: {unwalked} of {} under 20 %",
        ids.len()
    );
    assert!(
        missed >= 3 && visited > missed,
        "most key places are visited today and a few are clearly missed: {visited} visited, {missed} missed"
    );
    let gaps = index.patrol_gaps(&ids, from, to, DEFAULT_REACH_M);
    let hot = gaps
        .iter()
        .filter(|g| g.incidents > 0 && g.coverage < 0.2)
        .count();
    assert!(
        hot >= 2,
        "some of today's incident hot spots are out of the patrols' reach: {hot} grids with incidents today and under 20 % coverage"
    );
    // The contract's grid head walked today and missed a key place.
    let (lon, lat) = demo::WANGGE_POINT;
    let w = index
        .areas
        .grid_at((lon, lat))
        .expect("the contract's point is in a grid") as usize;
    let k = ids.iter().position(|&i| i == w).expect("a grid");
    assert!(
        cov[k].share > 0.3 && !cov[k].missed.is_empty() && !cov[k].visited.is_empty(),
        "wangge's grid was walked today ({:.2}) with key places visited ({}) and missed ({})",
        cov[k].share,
        cov[k].visited.len(),
        cov[k].missed.len()
    );
}

#[test]
fn demo_tracks_are_walks_along_the_grid_within_budget() {
    let d = shared();
    let points = &d.stored.patrol_points;
    println!(
        "{} patrol points, {} members; generated in {:.2} s, stored in {:.2} s",
        points.len(),
        d.stored.members.len(),
        d.seconds,
        d.seed_seconds
    );
    assert!(
        points.len() <= 500_000,
        "the demo keeps to 500 000 patrol points, has {}",
        points.len()
    );
    let gs = grids(&d.stored);
    let mut by_member: Vec<Vec<_>> = vec![Vec::new(); d.stored.members.len()];
    for p in points {
        by_member[p.member as usize].push(*p);
    }
    let (mut inside, mut total, mut too_fast, mut steps) = (0usize, 0usize, 0usize, 0usize);
    for (m, track) in by_member.iter_mut().enumerate() {
        track.sort_by_key(|p| p.time);
        let team = &d.stored.members[m].team;
        let grid = gs
            .iter()
            .find(|g| g.code.as_str() == team)
            .unwrap_or_else(|| panic!("member {} patrols a demo grid", d.stored.members[m].id));
        for p in track.iter() {
            total += 1;
            if grid.geometry.contains(&Point::new(p.lon, p.lat)) {
                inside += 1;
            }
        }
        for w in track.windows(2) {
            let dt = (w[1].time - w[0].time).num_seconds();
            assert!(dt > 0, "member {m}: fixes have distinct times");
            if dt <= 180 {
                steps += 1;
                if haversine_m(w[0].lon, w[0].lat, w[1].lon, w[1].lat) / dt as f64 > 15.0 {
                    too_fast += 1;
                }
            }
        }
    }
    assert!(
        inside as f64 >= 0.95 * total as f64,
        "tracks keep to their member's grid: {inside} of {total} fixes inside it"
    );
    assert_eq!(
        too_fast, 0,
        "no step of a walk is faster than a motorbike in a village ({too_fast} of {steps})"
    );
}

#[test]
fn the_demo_is_deterministic_for_a_given_now() {
    let d = shared();
    let again = demo::generate(now());
    assert_eq!(
        d.generated.areas, again.areas,
        "two generations with the same `now` give identical areas"
    );
    assert_eq!(
        d.generated.patrol_points, again.patrol_points,
        "two generations with the same `now` give identical tracks"
    );
    assert_eq!(
        (
            &d.generated.members,
            &d.generated.places,
            &d.generated.shelters
        ),
        (&again.members, &again.places, &again.shelters),
        "two generations with the same `now` give identical members, key places and shelters"
    );
    let mut generated: Vec<&Area> = d.generated.areas.iter().collect();
    generated.sort_by_key(|a| (a.code.as_str().len(), a.code.as_str().to_owned()));
    let stored: Vec<&Area> = d.stored.areas.iter().collect();
    assert!(
        generated == stored,
        "a fresh store gives back the generated areas exactly"
    );
}

#[test]
fn the_contracts_demo_facts_hold() {
    let d = &shared().stored;
    let (lon, lat) = demo::WANGGE_POINT;
    let at = Point::new(lon, lat);
    let grid = grids(d)
        .into_iter()
        .find(|g| g.geometry.contains(&at))
        .expect("a grid contains the contract's point");
    let street = d
        .areas
        .iter()
        .find(|a| a.level() == Level::Street && grid.code.as_str().starts_with(a.code.as_str()))
        .expect("the grid has a street");
    assert_eq!(street.name, "凤城街道", "wangge's grid lies in 凤城街道");
    assert!(grid.head.is_some(), "wangge's grid has a head");
    let inside = |lon: f64, lat: f64| grid.geometry.contains(&Point::new(lon, lat));
    let people = d.people.iter().filter(|p| inside(p.lon, p.lat)).count();
    assert!(people >= 10, "wangge's grid has people ({people})");
    assert!(
        d.hazards
            .iter()
            .any(|h| h.kind == "内涝积水点" && inside(h.lon, h.lat)),
        "wangge's grid has a 内涝积水点 hazard"
    );
    let places = d.places.iter().filter(|p| inside(p.lon, p.lat)).count();
    assert!(places >= 3, "wangge's grid has key places ({places})");
    let river = demo::beijiang();
    let near: Vec<f64> = d
        .shelters
        .iter()
        .filter(|s| street.geometry.contains(&Point::new(s.lon, s.lat)))
        .map(|s| demo::metres_to_beijiang(&river, s.lon, s.lat))
        .collect();
    let flood = demo::FLOOD_PRONE_M;
    assert!(
        near.iter().filter(|&&m| m <= flood).count() >= 2,
        "凤城街道 has shelters inside the flood-prone area along the 北江 (≤ {flood} m): {near:?}"
    );
    assert!(
        near.iter()
            .filter(|&&m| m > flood && m <= flood + 1000.0)
            .count()
            >= 2,
        "凤城街道 has shelters just outside the flood-prone area ({flood}–{} m): {near:?}",
        flood + 1000.0
    );
}

#[test]
fn every_demo_incident_has_the_history_that_brought_it_to_its_status_and_the_statistics_are_not_empty()
 {
    use minqing::domain::IncidentStatus;
    use minqing::domain::handling::{Handling, Timing};
    use std::collections::HashMap;
    let d = &shared().generated;
    let mut last: HashMap<&str, IncidentStatus> = HashMap::new();
    let mut timings: HashMap<&str, Timing> = HashMap::new();
    for s in &d.steps {
        last.insert(&s.incident_id, s.status);
        let t = timings.entry(&s.incident_id).or_default();
        match s.action.as_str() {
            "resolve" => t.resolved_at = t.resolved_at.or(Some(s.at)),
            "close" => t.closed_at = t.closed_at.or(Some(s.at)),
            "revisit" if s.status == IncidentStatus::InProgress => t.reopens += 1,
            _ => {}
        }
    }
    for i in &d.incidents {
        assert_eq!(
            last.get(i.id.as_str()),
            Some(&i.status),
            "{}: its last step leaves it {:?}",
            i.id,
            i.status
        );
    }
    assert!(
        d.steps.iter().all(|s| s.at <= now()),
        "no step lies in the future"
    );
    let mut h = Handling::default();
    for i in &d.incidents {
        h.add(
            i,
            timings.get(i.id.as_str()).unwrap_or(&Timing::default()),
            now(),
        );
    }
    let s = h.summary();
    assert!(
        s.closed > 1000,
        "thousands of closed cases make the sample: {s:?}"
    );
    let (median, p90) = (s.median_hours.unwrap(), s.p90_hours.unwrap());
    assert!(
        median > 0.0 && p90 >= median,
        "median and 90th percentile handling times: {s:?}"
    );
    let on_time = s.on_time_rate.unwrap();
    assert!(
        (0.7..0.95).contains(&on_time),
        "most cases finish in time, not all: {s:?}"
    );
    let reopen = s.reopen_rate.unwrap();
    assert!(
        reopen > 0.0 && reopen < 0.2,
        "a few cases are reopened: {s:?}"
    );
}
