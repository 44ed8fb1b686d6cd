//! Patrol coverage of a grid in a time window: the share of its area within
//! reach of a track, and which key places were visited or missed.

use chrono::{DateTime, Utc};
use geo::Contains;
use geo_types::Point;

use super::BBox;
use super::geom::haversine_m;
use super::index::SpatialIndex;

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_320.0;
/// Default reach of a patrol around its track.
pub const DEFAULT_REACH_M: f64 = 50.0;
/// Sample points per side of a grid's bounding box.
const SAMPLES_PER_SIDE: usize = 24;

/// Coverage of one grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// 0–1: share of the grid's area within reach of a track.
    pub share: f64,
    /// Positions (in `places`) of key places visited in the window.
    pub visited: Vec<usize>,
    /// Positions of key places due in the window and not visited.
    pub missed: Vec<usize>,
    /// Last visit of each visited place.
    pub last_visit: Vec<(usize, DateTime<Utc>)>,
}

/// Distance in metres from a point to a segment, on a local flat projection.
fn point_segment_m(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = p.1.to_radians().cos() * M_PER_DEG;
    let (px, py) = (p.0 * k, p.1 * M_PER_DEG);
    let (ax, ay) = (a.0 * k, a.1 * M_PER_DEG);
    let (bx, by) = (b.0 * k, b.1 * M_PER_DEG);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
    };
    ((px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)).sqrt()
}

impl SpatialIndex {
    fn reach_box(&self, lon: f64, lat: f64, reach_m: f64) -> BBox {
        let dlat = reach_m / M_PER_DEG;
        let dlon = reach_m / (M_PER_DEG * lat.to_radians().cos());
        BBox {
            min_lon: lon - dlon,
            min_lat: lat - dlat,
            max_lon: lon + dlon,
            max_lat: lat + dlat,
        }
    }

    /// True when a track segment of the window passes within `reach_m` of the point.
    fn reached(
        &self,
        lon: f64,
        lat: f64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        reach_m: f64,
    ) -> bool {
        let t = &self.tracks;
        t.segments_in(&self.reach_box(lon, lat, reach_m)).any(|i| {
            let (a, b) = (t.points[i], t.points[i + 1]);
            a.time >= from
                && a.time <= to
                && point_segment_m((lon, lat), (a.lon, a.lat), (b.lon, b.lat)) <= reach_m
        })
    }

    /// Coverage of the area at `area_idx` (a grid) between `from` and `to`.
    pub fn coverage(&self, area_idx: usize, from: DateTime<Utc>, to: DateTime<Utc>) -> Coverage {
        self.coverage_with(area_idx, from, to, DEFAULT_REACH_M)
    }

    /// Coverage with an explicit reach in metres.
    pub fn coverage_with(
        &self,
        area_idx: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        reach_m: f64,
    ) -> Coverage {
        let e = &self.areas.entries[area_idx];
        let b = e.bbox;
        let n = SAMPLES_PER_SIDE;
        let (mut inside, mut covered) = (0usize, 0usize);
        // A regular lattice of sample points (cell centres) estimates the covered share.
        for i in 0..n {
            for j in 0..n {
                let lon = b.min_lon + (i as f64 + 0.5) / n as f64 * (b.max_lon - b.min_lon);
                let lat = b.min_lat + (j as f64 + 0.5) / n as f64 * (b.max_lat - b.min_lat);
                if e.area.geometry.contains(&Point::new(lon, lat)) {
                    inside += 1;
                    if self.reached(lon, lat, from, to, reach_m) {
                        covered += 1;
                    }
                }
            }
        }
        let share = if inside == 0 {
            0.0
        } else {
            covered as f64 / inside as f64
        };
        let window_h = (to - from).num_hours().max(0) as u32;
        let (mut visited, mut missed, mut last_visit) = (vec![], vec![], vec![]);
        let t = &self.tracks;
        for &p in self.places_in_grid(area_idx) {
            let pl = &self.places.items[p];
            let last = t
                .segments_in(&self.reach_box(pl.lon, pl.lat, pl.radius_m))
                .flat_map(|i| [t.points[i], t.points[i + 1]])
                .filter(|q| {
                    q.time >= from
                        && q.time <= to
                        && haversine_m(pl.lon, pl.lat, q.lon, q.lat) <= pl.radius_m
                })
                .map(|q| q.time)
                .max();
            match last {
                Some(at) => {
                    visited.push(p);
                    last_visit.push((p, at));
                }
                None if window_h >= pl.visit_every_hours => missed.push(p),
                None => {}
            }
        }
        Coverage {
            share,
            visited,
            missed,
            last_visit,
        }
    }
}
