//! `minqing gen --scale N`: a synthetic city of N grids for benchmarks.
//!
//! Grids are cells of a lattice of ~250 m whose corners and edge midpoints
//! are jittered (shared between neighbours, so cells still tile exactly);
//! 5 × 5 grids make a community, 10 × 10 communities a street. The rest
//! comes in the proportions of the province-scale issue (300,000 grids:
//! 10,000,000 incidents over ten years, 1,000,000 people, 10,000,000 patrol
//! fixes): per grid 33⅓ incidents, 3⅓ people and 33⅓ fixes, a hazard per 10
//! grids and a patrol member per 250. Incidents are spread evenly over ten
//! years; those of the last 30 days are 40 % still open, older ones 0.5 %
//! (a backlog), so the open and recent are a few percent as in a real city.
//! Fixes come as two-hour tracks on days spread over the same ten years.

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
/// Years of history the incidents and fixes are spread over.
const YEARS: i64 = 10;
/// Fixes of one patrol track (two hours at one fix per 30 s).
const TRACK: usize = 240;

/// `per_three` thirds of an item per grid: 100 → 33⅓ per grid.
fn thirds(grids: usize, per_three: usize) -> usize {
    grids * per_three / 3
}

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
    let mut rng = ChaCha8Rng::seed_from_u64(u64::from(n));
    let (areas, grid_cells) = layout(n, &mut rng);
    city_records(areas, grid_cells, &mut rng, now)
}

/// A grid of the lattice: its column, row and code.
pub type Cell = (usize, usize, String);

/// A random point safely inside a cell: its inner half never meets the
/// jittered edges (rounded to 1e-7°, as stored).
pub fn inside(rng: &mut impl Rng, col: usize, row: usize) -> (f64, f64) {
    let x = ORIGIN.0 + (col as f64 + rng.random_range(0.25..0.75)) * CELL;
    let y = ORIGIN.1 + (row as f64 + rng.random_range(0.25..0.75)) * CELL;
    ((x * 1e7).round() / 1e7, (y * 1e7).round() / 1e7)
}

/// The areas of the city of about `n` grids (district, streets,
/// communities, grids) and the lattice cell of every grid.
pub fn layout(n: u32, rng: &mut ChaCha8Rng) -> (Vec<Area>, Vec<Cell>) {
    let side_communities = ((n as f64 / (G * G) as f64).sqrt().ceil() as usize).max(1);
    let communities_wanted = (n as usize).div_ceil(G * G);
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
    (areas, grid_cells)
}

/// Hazards, incidents, people and patrol tracks in the proportions.
fn city_records(
    areas: Vec<Area>,
    grid_cells: Vec<Cell>,
    rng: &mut ChaCha8Rng,
    now: DateTime<Utc>,
) -> Dataset {
    let g = grid_cells.len();
    let hazards = (0..g.div_ceil(10))
        .map(|i| {
            let (col, row, _) = &grid_cells[rng.random_range(0..g)];
            let (lon, lat) = inside(rng, *col, *row);
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
    let open_states = [
        IncidentStatus::Reported,
        IncidentStatus::Accepted,
        IncidentStatus::Dispatched,
        IncidentStatus::InProgress,
        IncidentStatus::Resolved,
    ];
    let mut incidents: Vec<Incident> = (0..thirds(g, 100))
        .map(|i| {
            let (col, row, code) = &grid_cells[rng.random_range(0..g)];
            let (lon, lat) = inside(rng, *col, *row);
            let c = CATEGORIES[i % CATEGORIES.len()].0;
            let age = Duration::minutes(rng.random_range(0..YEARS * 365 * 24 * 60));
            let reported_at = now - age;
            let open_share = if age < Duration::days(30) { 0.4 } else { 0.005 };
            let status = if rng.random_bool(open_share) {
                open_states[i % open_states.len()]
            } else if i % 33 == 0 {
                IncidentStatus::Rejected
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
    let people = (0..thirds(g, 10))
        .map(|i| {
            let (col, row, _) = &grid_cells[rng.random_range(0..g)];
            let (lon, lat) = inside(rng, *col, *row);
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
    // Tracks on days spread over the years, the first ending two hours ago
    // so every city has a patrol of today to show.
    let tracks = thirds(g, 100).div_ceil(TRACK);
    let mut patrol_points = Vec::with_capacity(tracks * TRACK);
    for t in 0..tracks {
        let m = t % members.len();
        let (col, row, _) = grid_cells[(m * 250) % g];
        let (mut lon, mut lat) = inside(rng, col, row);
        let start = if t == 0 {
            now - Duration::hours(4)
        } else {
            now - Duration::minutes(rng.random_range(4 * 60..YEARS * 365 * 24 * 60))
        };
        for k in 0..TRACK as i64 {
            patrol_points.push(PatrolPoint {
                member: m as u32,
                time: start + Duration::seconds(30 * k),
                lon,
                lat,
            });
            lon += rng.random_range(-0.0003..0.0003);
            lat += rng.random_range(-0.0003..0.0003);
        }
    }
    // In the order a real store receives them: cases as they are reported,
    // fixes as phones send them. The table's physical order is what makes the
    // live window cheap to read (recent rows sit together; BRIN on time).
    incidents.sort_by(|a, b| (a.reported_at, &a.id).cmp(&(b.reported_at, &b.id)));
    patrol_points.sort_by_key(|p| p.time);
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
        assert_eq!(d.incidents.len(), 3333, "33⅓ incidents per grid");
        assert_eq!(d.people.len(), 333, "3⅓ people per grid");
        assert_eq!(
            d.patrol_points.len(),
            14 * TRACK,
            "33⅓ fixes per grid, whole tracks"
        );
        assert_eq!(d.hazards.len(), 10);
        let now = Utc::now();
        let live = d
            .incidents
            .iter()
            .filter(|i| !crate::domain::incident::is_history(i, Some(now - Duration::days(90))))
            .count();
        assert!(
            (40..=300).contains(&live),
            "open and recent are a few percent of 3333 (ten years), got {live}"
        );
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
