//! `minqing gen --scale N`: a synthetic city of N grids for benchmarks.
//!
//! Grids are cells of a lattice of ~250 m whose corners and edge midpoints
//! are jittered (shared between neighbours, so cells still tile exactly);
//! 5 × 5 grids make a community, 10 × 10 communities a street. Incidents
//! (10 per grid), hazards (1 per 10 grids), people (1 per grid) and patrol
//! tracks (one member per 250 grids) come in proportion.

use chrono::{DateTime, Duration, Utc};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::hazard::{Contact, HAZARD_KINDS};
use crate::domain::incident::{CATEGORIES, deadline_for};
use crate::domain::*;

/// South-west corner of the synthetic city.
const ORIGIN: (f64, f64) = (112.9, 23.4);
/// Cell size in degrees (~250 m).
const CELL: f64 = 0.0025;
/// Grids per community side, communities per street side.
const G: usize = 5;
const C: usize = 10;

/// Deterministic jitter in [-1, 1) of a lattice point.
fn jitter(i: i64, j: i64, salt: u64) -> f64 {
    let mut h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ salt;
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    (h % 2_000_000) as f64 / 1_000_000.0 - 1.0
}

/// A lattice vertex: corners (even, even) and edge midpoints, in a doubled index space.
fn vertex(i: i64, j: i64) -> Coord<f64> {
    let amp = 0.18 * CELL;
    let x = ORIGIN.0 + i as f64 * CELL / 2.0 + amp * jitter(i, j, 1);
    let y = ORIGIN.1 + j as f64 * CELL / 2.0 + amp * jitter(i, j, 2);
    Coord {
        x: (x * 1e7).round() / 1e7,
        y: (y * 1e7).round() / 1e7,
    }
}

/// The ring around the block of cells [c0, c1) × [r0, r1), counter-clockwise,
/// through every shared vertex so neighbouring blocks match exactly.
fn block(c0: usize, r0: usize, c1: usize, r1: usize) -> MultiPolygon<f64> {
    let (a, b, c, d) = (2 * c0 as i64, 2 * r0 as i64, 2 * c1 as i64, 2 * r1 as i64);
    let mut pts = Vec::new();
    for i in a..c {
        pts.push(vertex(i, b));
    }
    for j in b..d {
        pts.push(vertex(c, j));
    }
    for i in (a + 1..=c).rev() {
        pts.push(vertex(i, d));
    }
    for j in (b + 1..=d).rev() {
        pts.push(vertex(a, j));
    }
    pts.push(pts[0]);
    MultiPolygon::new(vec![Polygon::new(LineString::new(pts), vec![])])
}

/// The synthetic city with about `n` grids.
pub fn city(n: u32, now: DateTime<Utc>) -> Dataset {
    let side_communities = ((n as f64 / (G * G) as f64).sqrt().ceil() as usize).max(1);
    let communities_wanted = (n as usize).div_ceil(G * G);
    let mut rng = ChaCha8Rng::seed_from_u64(u64::from(n));
    let district = AreaCode::parse("449900").expect("code");
    let cells_side = side_communities * G;
    let mut areas = vec![Area {
        code: district.clone(),
        name: "基准市".into(),
        parent: None,
        geometry: block(0, 0, cells_side, cells_side),
        head: None,
        households: 0,
        residents: 0,
    }];
    let streets_side = side_communities.div_ceil(C);
    let mut grid_cells: Vec<(usize, usize, String)> = Vec::new();
    let mut community_count = 0;
    for sy in 0..streets_side {
        for sx in 0..streets_side {
            let s_no = sy * streets_side + sx + 1;
            let s_code = format!("449900{s_no:03}");
            let (cx0, cy0) = (sx * C, sy * C);
            let (cx1, cy1) = (
                ((sx + 1) * C).min(side_communities),
                ((sy + 1) * C).min(side_communities),
            );
            let mut street_has = false;
            let mut c_no = 0;
            for cy in cy0..cy1 {
                for cx in cx0..cx1 {
                    if community_count >= communities_wanted {
                        continue;
                    }
                    if !street_has {
                        areas.push(Area {
                            code: AreaCode::parse(&s_code).expect("code"),
                            name: format!("第{s_no}街道"),
                            parent: Some(district.clone()),
                            geometry: block(cx0 * G, cy0 * G, cx1 * G, cy1 * G),
                            head: None,
                            households: 0,
                            residents: 0,
                        });
                        street_has = true;
                    }
                    community_count += 1;
                    c_no += 1;
                    let c_code = format!("{s_code}{c_no:03}");
                    areas.push(Area {
                        code: AreaCode::parse(&c_code).expect("code"),
                        name: format!("第{s_no}街道第{c_no}社区"),
                        parent: AreaCode::parse(&s_code).ok(),
                        geometry: block(cx * G, cy * G, (cx + 1) * G, (cy + 1) * G),
                        head: None,
                        households: 0,
                        residents: 0,
                    });
                    let mut g_no = 0;
                    for gy in 0..G {
                        for gx in 0..G {
                            g_no += 1;
                            let (col, row) = (cx * G + gx, cy * G + gy);
                            let code = format!("{c_code}{g_no:03}");
                            let hh = rng.random_range(300..=500);
                            areas.push(Area {
                                code: AreaCode::parse(&code).expect("code"),
                                name: format!("{c_no}社区第{g_no}网格"),
                                parent: AreaCode::parse(&c_code).ok(),
                                geometry: block(col, row, col + 1, row + 1),
                                head: Some(GridHead {
                                    name: format!("网格员{}", grid_cells.len() + 1),
                                    phone: format!("139{:08}", grid_cells.len()),
                                }),
                                households: hh,
                                residents: hh * 3,
                            });
                            grid_cells.push((col, row, code));
                        }
                    }
                }
            }
        }
    }
    // A point safely inside a cell: its inner half never meets the jittered edges.
    let inside = |rng: &mut ChaCha8Rng, col: usize, row: usize| -> (f64, f64) {
        let x = ORIGIN.0 + (col as f64 + rng.random_range(0.25..0.75)) * CELL;
        let y = ORIGIN.1 + (row as f64 + rng.random_range(0.25..0.75)) * CELL;
        ((x * 1e7).round() / 1e7, (y * 1e7).round() / 1e7)
    };
    let g = grid_cells.len();
    let hazards = (0..g.div_ceil(10))
        .map(|i| {
            let (col, row, _) = &grid_cells[rng.random_range(0..g)];
            let (lon, lat) = inside(&mut rng, *col, *row);
            Hazard {
                id: format!("BH{i:06}"),
                name: format!("隐患{i}"),
                kind: HAZARD_KINDS[i % 5].into(),
                risk: Risk::ALL[i % 4],
                threatened_households: (i % 50) as u32 + 1,
                threatened_persons: (i % 50) as u32 * 3 + 3,
                monitor: Contact {
                    name: "监测员".into(),
                    phone: "13900000000".into(),
                },
                leader: Contact {
                    name: "责任人".into(),
                    phone: "13900000001".into(),
                },
                shelter: None,
                status: "在册".into(),
                lon,
                lat,
            }
        })
        .collect();
    let incidents = (0..g * 10)
        .map(|i| {
            let (col, row, code) = &grid_cells[rng.random_range(0..g)];
            let (lon, lat) = inside(&mut rng, *col, *row);
            let c = CATEGORIES[i % CATEGORIES.len()].0;
            let reported_at = now - Duration::minutes(rng.random_range(0..730 * 24 * 60));
            let status = if rng.random_bool(0.05) {
                IncidentStatus::Accepted
            } else {
                IncidentStatus::Closed
            };
            Incident {
                id: format!("BJ{i:08}"),
                category: c.into(),
                source: "网格巡查".into(),
                description: String::new(),
                lon,
                lat,
                grid: Some(code.clone()),
                status,
                reported_at,
                deadline: deadline_for(c, reported_at),
                version: 1,
                reporter: None,
            }
        })
        .collect();
    let people = (0..g)
        .map(|i| {
            let (col, row, _) = &grid_cells[rng.random_range(0..g)];
            let (lon, lat) = inside(&mut rng, *col, *row);
            Person {
                id: format!("BP{i:07}"),
                category: PersonCategory::ALL[i % 9],
                name: "测试人".into(),
                id_number: "449900199001011234".into(),
                phone: "13800000000".into(),
                address: "基准路1号".into(),
                risk_level: None,
                next_visit: None,
                lon,
                lat,
            }
        })
        .collect();
    let members: Vec<PatrolMember> = (0..g.div_ceil(250))
        .map(|m| PatrolMember {
            id: format!("BM{m:04}"),
            name: format!("队员{m}"),
            team: grid_cells[(m * 250) % g].2.clone(),
        })
        .collect();
    let mut patrol_points = Vec::new();
    for (m, member) in members.iter().enumerate() {
        let (col, row, _) = grid_cells[(m * 250) % g];
        let (mut lon, mut lat) = inside(&mut rng, col, row);
        let start = now - Duration::hours(26);
        for k in 0..240 {
            patrol_points.push(PatrolPoint {
                member: m as u32,
                time: start + Duration::seconds(30 * k),
                lon,
                lat,
            });
            lon += rng.random_range(-0.0003..0.0003);
            lat += rng.random_range(-0.0003..0.0003);
        }
        let _ = member;
    }
    Dataset {
        areas,
        hazards,
        shelters: vec![],
        places: vec![],
        incidents,
        people,
        members,
        patrol_points,
        steps: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area as _;

    #[test]
    fn grids_tile_their_community_and_counts_are_in_proportion() {
        let d = city(100, Utc::now());
        let grids: Vec<&Area> = d
            .areas
            .iter()
            .filter(|a| a.level() == Level::Grid)
            .collect();
        assert_eq!(grids.len(), 100, "100 grids (4 communities of 25)");
        assert_eq!(d.incidents.len(), 1000);
        assert_eq!(d.hazards.len(), 10);
        let community = d
            .areas
            .iter()
            .find(|a| a.level() == Level::Community)
            .unwrap();
        let children: f64 = grids
            .iter()
            .filter(|g| g.parent.as_ref() == Some(&community.code))
            .map(|g| g.geometry.unsigned_area())
            .sum();
        assert!(
            (children - community.geometry.unsigned_area()).abs() < 1e-12,
            "the grids of a community cover it exactly"
        );
        let index = crate::spatial::SpatialIndex::build(d.clone());
        for i in d.incidents.iter().take(200) {
            assert_eq!(
                index.grid_code_at(i.lon, i.lat).as_ref(),
                i.grid.as_ref(),
                "incident {} lies in its grid",
                i.id
            );
        }
    }
}
