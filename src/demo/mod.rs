//! The demo district: the real 清远市清城区 boundary and division names with
//! synthetic streets polygons, communities, grids, hazards, shelters, key
//! places, incidents, special-population records and patrol tracks.
//!
//! Deterministic: the same `now` gives the same dataset, byte for byte.
//! Provenance of the files it reads is in `data/README.md`.

pub mod city;
mod histories;
pub mod names;
mod patrols;
mod records;
pub mod snap;
pub mod visits;
pub mod voronoi;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use geo::{Contains, MapCoords};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::{Area, AreaCode, Dataset, GridHead, Level};

const BOUNDARY_GCJ02: &str = include_str!("../../data/qingcheng/boundary-gcj02.geojson");
const DIVISIONS: &str = include_str!("../../data/qingcheng/divisions.csv");
const STREET_SEEDS: &str = include_str!("../../data/qingcheng/street-seeds.csv");
/// The rivers of the district (WGS84 GeoJSON), drawn as a base layer.
pub const RIVERS: &str = include_str!("../../data/qingcheng/rivers-wgs84.geojson");

/// The demo district's code.
pub const DISTRICT_CODE: &str = "441802";
/// The point the contract gives the demo grid head `wangge`'s grid.
pub const WANGGE_POINT: (f64, f64) = (113.056, 23.698);

/// The demo's flood-prone area: ground within this many metres of the 北江.
pub const FLOOD_PRONE_M: f64 = 800.0;

/// The 北江 through the district, as WGS84 polylines (from [`RIVERS`]).
pub fn beijiang() -> Vec<Vec<Coord<f64>>> {
    let v: serde_json::Value = serde_json::from_str(RIVERS).expect("rivers file is JSON");
    v["features"]
        .as_array()
        .expect("rivers are a FeatureCollection")
        .iter()
        .filter(|f| f["properties"]["name"] == "北江")
        .map(|f| {
            f["geometry"]["coordinates"]
                .as_array()
                .expect("a LineString")
                .iter()
                .map(|c| Coord {
                    x: c[0].as_f64().expect("lon"),
                    y: c[1].as_f64().expect("lat"),
                })
                .collect()
        })
        .collect()
}

/// Distance in metres from a point to the 北江 (local flat approximation, fine at
/// the scale of a district).
pub fn metres_to_beijiang(river: &[Vec<Coord<f64>>], lon: f64, lat: f64) -> f64 {
    let kx = 111_320.0 * lat.to_radians().cos();
    let ky = 111_320.0;
    river
        .iter()
        .flat_map(|line| line.windows(2))
        .map(|w| {
            let (ax, ay) = ((w[0].x - lon) * kx, (w[0].y - lat) * ky);
            let (bx, by) = ((w[1].x - lon) * kx, (w[1].y - lat) * ky);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (ax + t * dx).hypot(ay + t * dy)
        })
        .fold(f64::INFINITY, f64::min)
}

/// The district boundary in WGS84 (converted from the GCJ-02 source).
pub fn boundary_wgs84() -> MultiPolygon<f64> {
    let v: serde_json::Value = serde_json::from_str(BOUNDARY_GCJ02).expect("boundary file is JSON");
    let polys = v["coordinates"]
        .as_array()
        .expect("MultiPolygon coordinates");
    let ring = |r: &serde_json::Value| -> LineString<f64> {
        r.as_array()
            .expect("ring")
            .iter()
            .map(|c| {
                let (lon, lat) = (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
                let (x, y) = coordtransform::gcj02_to_wgs84(lon, lat);
                Coord { x, y }
            })
            .collect()
    };
    MultiPolygon::new(
        polys
            .iter()
            .map(|p| {
                let rings = p.as_array().expect("polygon rings");
                Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
            })
            .collect(),
    )
}

struct Division {
    code: String,
    name: String,
    parent: String,
}

fn divisions() -> Vec<Division> {
    DIVISIONS
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Division {
                code: f[0].into(),
                name: f[1].into(),
                parent: f[3].into(),
            }
        })
        .collect()
}

fn street_seed(code: &str) -> Coord<f64> {
    STREET_SEEDS
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[0] == code)
        .map(|f| Coord {
            x: f[2].parse().expect("lon"),
            y: f[3].parse().expect("lat"),
        })
        .unwrap_or_else(|| panic!("street {code} has a seed in street-seeds.csv"))
}

/// Builds the demo dataset as of `now`.
pub fn generate(now: DateTime<Utc>) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(441_802);
    let areas = areas(&mut rng);
    let mut data = Dataset {
        areas,
        ..Dataset::default()
    };
    records::fill(&mut data, now, &mut rng);
    data
}

/// Rounds coordinates to 1e-7° (~1 cm) so stores and files round-trip exactly.
fn round7(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    mp.map_coords(|Coord { x, y }| Coord {
        x: (x * 1e7).round() / 1e7,
        y: (y * 1e7).round() / 1e7,
    })
}

fn areas(rng: &mut ChaCha8Rng) -> Vec<Area> {
    let district = round7(boundary_wgs84());
    let divs = divisions();
    let streets: Vec<&Division> = divs.iter().filter(|d| d.code.len() == 9).collect();
    let seeds: Vec<Coord<f64>> = streets.iter().map(|s| street_seed(&s.code)).collect();
    let street_cells = voronoi::cells(&district, &seeds);

    let mut out = vec![Area {
        code: AreaCode::parse(DISTRICT_CODE).expect("district code"),
        name: "清城区".into(),
        parent: None,
        geometry: district,
        head: None,
        households: 0,
        residents: 0,
    }];
    for (street, cell) in streets.iter().zip(street_cells) {
        let street_idx = out.len();
        // Geometry of parents is set below, as the union of their children.
        out.push(area(&street.code, &street.name, MultiPolygon::new(vec![])));
        let communities: Vec<&Division> = divs.iter().filter(|d| d.parent == street.code).collect();
        let urban = street.name.ends_with("街道");
        let cseeds = voronoi::spread_seeds(&cell, communities.len(), rng);
        let ccells = voronoi::cells(&cell, &cseeds);
        for (community, ccell) in communities.iter().zip(ccells) {
            if ccell.0.is_empty() {
                continue;
            }
            let households: u32 = if urban {
                rng.random_range(1200..=2600)
            } else {
                rng.random_range(700..=1600)
            };
            let n_grids = (households / 400).clamp(2, 7) as usize;
            let community_idx = out.len();
            out.push(area(
                &community.code,
                &community.name,
                MultiPolygon::new(vec![]),
            ));
            let mut gseeds = voronoi::spread_seeds(&ccell, n_grids, rng);
            if ccell.contains(&Point::new(WANGGE_POINT.0, WANGGE_POINT.1)) {
                // Give the contract's point a grid of its own seed, so it is well inside.
                gseeds[0] = Coord {
                    x: WANGGE_POINT.0,
                    y: WANGGE_POINT.1,
                };
            }
            let gcells = voronoi::cells(&ccell, &gseeds);
            let mut seq = 0;
            let mut left = households;
            let n = gcells.iter().filter(|g| !g.0.is_empty()).count() as u32;
            for gcell in gcells.into_iter().filter(|g| !g.0.is_empty()) {
                seq += 1;
                let hh = if seq == n {
                    left
                } else {
                    (households / n).min(left)
                };
                left -= hh;
                let mut g = area(
                    &format!("{}{:03}", community.code, seq),
                    &format!(
                        "{}第{}网格",
                        community
                            .name
                            .trim_end_matches("居委会")
                            .trim_end_matches("委会"),
                        seq
                    ),
                    round7(gcell),
                );
                g.head = Some(GridHead {
                    name: names::name(rng),
                    phone: names::phone(rng),
                });
                g.households = hh;
                g.residents = hh * rng.random_range(26..=32) / 10;
                out[community_idx].households += g.households;
                out[community_idx].residents += g.residents;
                out.push(g);
            }
            let (h, r) = (out[community_idx].households, out[community_idx].residents);
            out[street_idx].households += h;
            out[street_idx].residents += r;
            out[0].households += h;
            out[0].residents += r;
        }
    }
    nest(&mut out);
    out
}

/// Largest distance (degrees per axis, ~3 cm) at which two grids' vertices are
/// taken for one, or a vertex for a point of a neighbour's edge.
const SNAP_DEG: f64 = 3e-7;

/// Makes neighbouring grids share their edges vertex for vertex, then each
/// parent the union of its children, level by level from the communities up,
/// so the areas nest exactly: a parent has no ground its children miss,
/// whatever slivers clipping each Voronoi cell to its parent left between
/// them. A parent left without children is dropped.
fn nest(out: &mut Vec<Area>) {
    let grids: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].level() == Level::Grid)
        .collect();
    let mut shapes: Vec<MultiPolygon<f64>> = grids
        .iter()
        .map(|&i| std::mem::replace(&mut out[i].geometry, MultiPolygon::new(vec![])))
        .collect();
    snap::share_vertices(&mut shapes, SNAP_DEG);
    for (&i, shape) in grids.iter().zip(shapes) {
        out[i].geometry = shape;
    }
    for level in [Level::Community, Level::Street, Level::District] {
        let mut kids: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, a) in out.iter().enumerate() {
            if let Some(p) = &a.parent {
                kids.entry(p.as_str().to_owned()).or_default().push(i);
            }
        }
        for i in 0..out.len() {
            if out[i].level() != level {
                continue;
            }
            let children = kids
                .get(out[i].code.as_str())
                .map_or(&[][..], Vec::as_slice);
            let union = geo::unary_union(children.iter().map(|&k| &out[k].geometry));
            out[i].geometry = round7(union);
        }
        out.retain(|a| a.level() != level || !a.geometry.0.is_empty());
    }
}

fn area(code: &str, name: &str, geometry: MultiPolygon<f64>) -> Area {
    let code = AreaCode::parse(code).expect("division codes are valid");
    Area {
        parent: code.parent(),
        code,
        name: name.into(),
        geometry,
        head: None,
        households: 0,
        residents: 0,
    }
}
