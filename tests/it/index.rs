//! The index against brute force on seeded random data.

use geo::Contains;
use geo_types::Point;
use minqing::spatial::nearest::nearest_k;
use minqing::spatial::{SpatialIndex, haversine_m};
use rand::{Rng, SeedableRng};

use crate::common::fixture;

#[test]
fn grid_lookup_and_nearest_match_brute_force() {
    let data = fixture::dataset();
    let mut data2 = data.clone();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    data2.hazards = (0..500)
        .map(|i| {
            let mut h = data.hazards[0].clone();
            h.id = format!("R{i}");
            h.lon = rng.random_range(112.9..113.2);
            h.lat = rng.random_range(22.9..23.2);
            h
        })
        .collect();
    let index = SpatialIndex::build(data2.clone());
    for _ in 0..2000 {
        let (lon, lat) = (
            rng.random_range(112.95..113.15),
            rng.random_range(22.95..23.15),
        );
        let brute = data2
            .areas
            .iter()
            .find(|a| {
                a.level() == minqing::domain::Level::Grid
                    && a.geometry.contains(&Point::new(lon, lat))
            })
            .map(|a| a.code.as_str().to_owned());
        assert_eq!(
            index.grid_code_at(lon, lat),
            brute,
            "grid at ({lon}, {lat})"
        );
    }
    for _ in 0..300 {
        let (lon, lat) = (rng.random_range(112.9..113.2), rng.random_range(22.9..23.2));
        let k = rng.random_range(1..20);
        let got: Vec<f64> = nearest_k(&index.hazards, lon, lat, k, None)
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        let mut all: Vec<f64> = data2
            .hazards
            .iter()
            .map(|h| haversine_m(lon, lat, h.lon, h.lat))
            .collect();
        all.sort_by(f64::total_cmp);
        all.truncate(k);
        assert_eq!(got, all, "nearest {k} to ({lon}, {lat}) by true distance");
    }
}

#[test]
fn nearby_across_layers_matches_brute_force_and_skips_layers_not_asked_for() {
    use minqing::spatial::nearest::{NearKind, nearby};
    let mut data = fixture::dataset();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    // Places from their own seeded stream, so `rng` stays free for the k's.
    let mut spot = {
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        move || (r.random_range(112.9..113.2), r.random_range(22.9..23.2))
    };
    data.hazards = (0..200)
        .map(|i| {
            let mut h = data.hazards[0].clone();
            h.id = format!("H{i}");
            (h.lon, h.lat) = spot();
            h
        })
        .collect();
    data.shelters = (0..100)
        .map(|i| {
            let mut s = data.shelters[0].clone();
            s.id = format!("S{i}");
            (s.lon, s.lat) = spot();
            s
        })
        .collect();
    data.places = (0..100)
        .map(|i| {
            let mut p = data.places[0].clone();
            p.id = format!("P{i}");
            (p.lon, p.lat) = spot();
            p
        })
        .collect();
    let index = SpatialIndex::build(data.clone());
    let all = [NearKind::Hazard, NearKind::Shelter, NearKind::Place];
    for _ in 0..200 {
        let (lon, lat) = spot();
        let k = rng.random_range(1..15);
        let got: Vec<f64> = nearby(&index, &all, lon, lat, k, Some(8000.0))
            .into_iter()
            .map(|(_, _, d)| d)
            .collect();
        let mut brute: Vec<f64> = data
            .hazards
            .iter()
            .map(|h| (h.lon, h.lat))
            .chain(data.shelters.iter().map(|s| (s.lon, s.lat)))
            .chain(data.places.iter().map(|p| (p.lon, p.lat)))
            .map(|(x, y)| haversine_m(lon, lat, x, y))
            .filter(|d| *d <= 8000.0)
            .collect();
        brute.sort_by(f64::total_cmp);
        brute.truncate(k);
        assert_eq!(
            got, brute,
            "nearby {k} to ({lon}, {lat}) over all three layers"
        );
    }
    let only_places = nearby(&index, &[NearKind::Place], 113.05, 23.05, 10, None);
    assert!(
        only_places
            .iter()
            .all(|(kind, _, _)| *kind == NearKind::Place),
        "a layer not asked for (not readable) is never answered"
    );
    assert_eq!(only_places.len(), 10, "ten of the hundred places");
}
