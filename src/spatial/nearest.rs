//! Nearest records by true (haversine) distance.
//!
//! rstar orders by Euclidean distance in degrees, which at 23.7°N stretches
//! east–west distances by 1/cos(lat) ≈ 9 %. We walk rstar's order anyway but
//! compare in metres, and stop only when no later candidate can beat the k-th
//! best: a degree-space distance `d` bounds the true distance from below by
//! `d · cos(max |lat|) · R`.

use super::geom::{EARTH_RADIUS_M, haversine_m};
use super::index::{Located, PointLayer};
use rstar::PointDistance;

/// The `k` records nearest to (lon, lat) within `max_m` metres, closest first,
/// as (position, distance in metres).
pub fn nearest_k<T: Located>(
    layer: &PointLayer<T>,
    lon: f64,
    lat: f64,
    k: usize,
    max_m: Option<f64>,
) -> Vec<(usize, f64)> {
    let mut best: Vec<(usize, f64)> = Vec::with_capacity(k + 1);
    if k == 0 {
        return best;
    }
    // Lower bound of metres per degree of Euclidean distance near this latitude
    // (points of one district lie within a few degrees; allow 5°).
    let lat_bound = (lat.abs() + 5.0).min(89.0);
    let m_per_deg_min = lat_bound.to_radians().cos() * EARTH_RADIUS_M.to_radians();
    for entry in layer.tree().nearest_neighbor_iter(&[lon, lat]) {
        let deg = entry.geom().distance_2(&[lon, lat]).sqrt();
        let lower_m = deg * m_per_deg_min;
        if let Some(max) = max_m
            && lower_m > max
        {
            break;
        }
        if best.len() == k && lower_m > best[k - 1].1 {
            break;
        }
        let [x, y] = *entry.geom();
        let d = haversine_m(lon, lat, x, y);
        if max_m.is_some_and(|m| d > m) {
            continue;
        }
        let pos = best.partition_point(|(_, bd)| *bd <= d);
        if pos < k {
            best.insert(pos, (entry.data as usize, d));
            best.truncate(k);
        }
    }
    best
}

/// Which layer a record found by [`nearby`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NearKind {
    /// 隐患点
    Hazard,
    /// 安置点
    Shelter,
    /// 重点场所
    Place,
}

/// The `k` named point records of the `layers` asked for (hazards, shelters,
/// key places) nearest to (lon, lat) within `max_m` metres, closest first, as
/// (layer, position, metres): what a report form names instead of raw
/// coordinates.
pub fn nearby(
    index: &super::SpatialIndex,
    layers: &[NearKind],
    lon: f64,
    lat: f64,
    k: usize,
    max_m: Option<f64>,
) -> Vec<(NearKind, usize, f64)> {
    // The k nearest of each layer hold the k nearest of all of them.
    let mut all: Vec<(NearKind, usize, f64)> = layers
        .iter()
        .flat_map(|&kind| {
            let found = match kind {
                NearKind::Hazard => nearest_k(&index.hazards, lon, lat, k, max_m),
                NearKind::Shelter => nearest_k(&index.shelters, lon, lat, k, max_m),
                NearKind::Place => nearest_k(&index.places, lon, lat, k, max_m),
            };
            found.into_iter().map(move |(i, d)| (kind, i, d))
        })
        .collect();
    all.sort_by(|a, b| a.2.total_cmp(&b.2));
    all.truncate(k);
    all
}
