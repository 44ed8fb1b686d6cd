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
