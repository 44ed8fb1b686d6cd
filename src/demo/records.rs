//! The demo's point layers, all synthetic: hazards in the northern and eastern
//! hills, shelters, key places, two years of incidents, special-population
//! records and a week of patrol tracks.

use chrono::{DateTime, Duration, Utc};
use geo::Contains;
use geo_types::{Coord, MultiPolygon, Point};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{
    FLOOD_PRONE_M, WANGGE_POINT, beijiang, metres_to_beijiang, names, voronoi::random_point_in,
};
use crate::domain::hazard::Contact;
use crate::domain::incident::{CATEGORIES, SOURCES, deadline_for};
use crate::domain::{
    Area, Dataset, Hazard, Incident, IncidentStatus, Level, Person, PersonCategory, Place, Risk,
    Shelter,
};
use crate::spatial::haversine_m;

/// Picks an index with probability proportional to its weight.
fn weighted<R: Rng>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn point_in(mp: &MultiPolygon<f64>, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let c = random_point_in(mp, rng).unwrap_or(Coord {
        x: WANGGE_POINT.0,
        y: WANGGE_POINT.1,
    });
    (round7(c.x), round7(c.y))
}

pub(super) fn fill(data: &mut Dataset, now: DateTime<Utc>, rng: &mut ChaCha8Rng) {
    let grids: Vec<&Area> = data
        .areas
        .iter()
        .filter(|a| a.level() == Level::Grid)
        .collect();
    let wangge = grids
        .iter()
        .position(|g| {
            g.geometry
                .contains(&Point::new(WANGGE_POINT.0, WANGGE_POINT.1))
        })
        .expect("a demo grid contains the contract's point");
    let streets: Vec<&Area> = data
        .areas
        .iter()
        .filter(|a| a.level() == Level::Street)
        .collect();
    let district = &data.areas[0].geometry;

    data.shelters = shelters(&streets, rng);
    data.hazards = hazards(
        district,
        &streets,
        &grids[wangge].geometry,
        &data.shelters,
        rng,
    );
    data.places = places(
        &streets,
        &grids[wangge].geometry,
        &data.hazards,
        &data.shelters,
        rng,
    );
    data.incidents = incidents(&grids, now, rng);
    data.steps = super::histories::histories(&data.incidents, &grids, now);
    data.people = people(&grids, wangge, now, rng);
    let (members, points) =
        super::patrols::patrols(&grids, wangge, &data.places, &data.incidents, now, rng);
    data.members = members;
    data.patrol_points = points;
}

fn shelters(streets: &[&Area], rng: &mut ChaCha8Rng) -> Vec<Shelter> {
    let kinds = ["中心小学", "文体中心", "中学体育馆", "党群服务中心"];
    let mut out = Vec::new();
    for s in streets {
        for k in kinds
            .iter()
            .take(if s.name.ends_with("街道") { 3 } else { 2 })
        {
            let (lon, lat) = point_in(&s.geometry, rng);
            let short = s.name.trim_end_matches("街道").trim_end_matches('镇');
            out.push(Shelter {
                id: format!("SH{:03}", out.len() + 1),
                name: format!("{short}{k}避灾安置点"),
                capacity: rng.random_range(10..=80) * 10,
                address: format!("{}{}", s.name, k),
                lon,
                lat,
            });
        }
        if s.name == "凤城街道" {
            river_shelters(s, rng, &mut out);
        }
    }
    out
}

/// Shelters along the 北江 in 凤城街道: two on the low ground inside the
/// flood-prone area (within [`FLOOD_PRONE_M`] of the river), which a flood
/// warning there puts out of use, and two on higher ground just outside it,
/// where its people are sent instead. Found by stepping away from the river's
/// vertices (west to east) until a point in the street lies at the wanted
/// distance, at least 1.2 km from the river shelters already placed.
fn river_shelters(street: &Area, rng: &mut ChaCha8Rng, out: &mut Vec<Shelter>) {
    let river = beijiang();
    let mut vertices: Vec<Coord<f64>> = river.iter().flatten().copied().collect();
    vertices.sort_by(|a, b| a.x.total_cmp(&b.x));
    let inside = 250.0..FLOOD_PRONE_M - 100.0;
    let outside = FLOOD_PRONE_M + 200.0..FLOOD_PRONE_M + 800.0;
    let wanted = [
        ("滨江小学", inside.clone()),
        ("沿江社区服务中心", inside),
        ("北门中学", outside.clone()),
        ("城北文体中心", outside),
    ];
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for (kind, range) in wanted {
        let found = vertices.iter().find_map(|v| {
            (1..=40).flat_map(|k| [k, -k]).find_map(|k| {
                let (lon, lat) = (round7(v.x), round7(v.y + f64::from(k) * 50.0 / 111_320.0));
                let d = metres_to_beijiang(&river, lon, lat);
                (range.contains(&d)
                    && street.geometry.contains(&Point::new(lon, lat))
                    && placed
                        .iter()
                        .all(|&(x, y)| haversine_m(x, y, lon, lat) >= 1200.0))
                .then_some((lon, lat))
            })
        });
        let Some((lon, lat)) = found else {
            continue;
        };
        placed.push((lon, lat));
        out.push(Shelter {
            id: format!("SH{:03}", out.len() + 1),
            name: format!("凤城{kind}避灾安置点"),
            capacity: rng.random_range(20..=60) * 10,
            address: format!("{}{}", street.name, kind),
            lon,
            lat,
        });
    }
}

fn nearest_shelter(shelters: &[Shelter], lon: f64, lat: f64) -> Option<String> {
    shelters
        .iter()
        .min_by(|a, b| {
            haversine_m(lon, lat, a.lon, a.lat).total_cmp(&haversine_m(lon, lat, b.lon, b.lat))
        })
        .map(|s| s.id.clone())
}

fn hazards(
    district: &MultiPolygon<f64>,
    streets: &[&Area],
    wangge: &MultiPolygon<f64>,
    shelters: &[Shelter],
    rng: &mut ChaCha8Rng,
) -> Vec<Hazard> {
    let geo_kinds = [
        ("滑坡", 65.0),
        ("崩塌", 14.0),
        ("泥石流", 7.0),
        ("地面塌陷", 6.0),
        ("不稳定斜坡", 8.0),
    ];
    let urban: Vec<&&Area> = streets
        .iter()
        .filter(|s| s.name.ends_with("街道"))
        .collect();
    let mut specs: Vec<(&str, (f64, f64))> = Vec::new();
    // Geological hazards: the hills lie to the north and east of the district.
    while specs.len() < 38 {
        let (lon, lat) = point_in(district, rng);
        if lat > 23.76 || lon > 113.2 {
            let k = weighted(rng, &geo_kinds.map(|(_, w)| w));
            specs.push((geo_kinds[k].0, (lon, lat)));
        }
    }
    specs.push(("内涝积水点", point_in(wangge, rng)));
    for (kind, n) in [
        ("内涝积水点", 7),
        ("危房/自建房", 4),
        ("危化品", 2),
        ("堤防险段", 3),
    ] {
        for _ in 0..n {
            let s = urban[rng.random_range(0..urban.len())];
            specs.push((kind, point_in(&s.geometry, rng)));
        }
    }
    specs
        .into_iter()
        .enumerate()
        .map(|(i, (kind, (lon, lat)))| {
            let risk = Risk::ALL[weighted(rng, &[1.0, 2.0, 4.0, 3.0])];
            let households = rng.random_range(1..=50);
            let place =
                ["村后山", "组背坡", "路段", "片区", "新村旁", "排洪渠"][rng.random_range(0..6)];
            Hazard {
                id: format!("HZ{:04}", i + 1),
                name: format!(
                    "{}{}{}",
                    names::name(rng).chars().next().unwrap_or('新'),
                    place,
                    kind
                ),
                kind: kind.into(),
                risk,
                threatened_households: households,
                threatened_persons: households * rng.random_range(25..=40) / 10,
                monitor: Contact {
                    name: names::name(rng),
                    phone: names::phone(rng),
                },
                leader: Contact {
                    name: names::name(rng),
                    phone: names::phone(rng),
                },
                shelter: nearest_shelter(shelters, lon, lat),
                status: "在册".into(),
                lon,
                lat,
            }
        })
        .collect()
}

fn places(
    streets: &[&Area],
    wangge: &MultiPolygon<f64>,
    hazards: &[Hazard],
    shelters: &[Shelter],
    rng: &mut ChaCha8Rng,
) -> Vec<Place> {
    let mut out: Vec<Place> = Vec::new();
    let push =
        |out: &mut Vec<Place>, name: String, kind: &str, hours: u32, (lon, lat): (f64, f64)| {
            let id = format!("PL{:04}", out.len() + 1);
            out.push(Place {
                id,
                name,
                kind: kind.into(),
                visit_every_hours: hours,
                radius_m: 30.0,
                lon,
                lat,
            });
        };
    push(
        &mut out,
        "高基里小学".into(),
        "学校",
        24,
        point_in(wangge, rng),
    );
    push(
        &mut out,
        "北门农贸市场".into(),
        "市场",
        24,
        point_in(wangge, rng),
    );
    push(
        &mut out,
        "老城区加油站".into(),
        "危化品场所",
        48,
        point_in(wangge, rng),
    );
    for s in streets {
        let short = s.name.trim_end_matches("街道").trim_end_matches('镇');
        push(
            &mut out,
            format!("{short}中学"),
            "学校",
            24,
            point_in(&s.geometry, rng),
        );
        push(
            &mut out,
            format!("{short}第一小学"),
            "学校",
            24,
            point_in(&s.geometry, rng),
        );
        push(
            &mut out,
            format!("{short}农贸市场"),
            "市场",
            24,
            point_in(&s.geometry, rng),
        );
    }
    for h in hazards {
        let hours = if matches!(h.risk, Risk::Red | Risk::Orange) {
            24
        } else {
            72
        };
        push(&mut out, h.name.clone(), "隐患点", hours, (h.lon, h.lat));
    }
    for s in shelters {
        push(&mut out, s.name.clone(), "安置点", 168, (s.lon, s.lat));
    }
    out
}

const DESCRIPTIONS: [&str; 10] = [
    "邻居装修噪音扰民，双方多次争吵",
    "夫妻因家庭琐事发生争执，需调解",
    "两户村民因山林界址发生争议",
    "小区物业费及停车收费引发业主不满",
    "工人反映工地拖欠工资三个月",
    "村民对征地补偿标准有异议",
    "有工厂夜间排放刺鼻气味",
    "出租屋人员流动频繁，存在治安隐患",
    "路边电线杆倾斜，存在安全隐患",
    "居民反映路灯损坏、道路积水",
];

fn incidents(grids: &[&Area], now: DateTime<Utc>, rng: &mut ChaCha8Rng) -> Vec<Incident> {
    let weights: Vec<f64> = grids.iter().map(|g| g.residents as f64).collect();
    let mix = [40.0, 10.0, 6.0, 9.0, 6.0, 4.0, 7.0, 7.0, 5.0, 6.0];
    let open_states = [
        IncidentStatus::Reported,
        IncidentStatus::Accepted,
        IncidentStatus::Dispatched,
        IncidentStatus::InProgress,
    ];
    let done_states = [
        IncidentStatus::Resolved,
        IncidentStatus::Verified,
        IncidentStatus::Revisited,
        IncidentStatus::Closed,
        IncidentStatus::Closed,
    ];
    let mut out: Vec<Incident> = (0..20_000)
        .map(|_| {
            let g = grids[weighted(rng, &weights)];
            let (lon, lat) = point_in(&g.geometry, rng);
            let c = weighted(rng, &mix);
            let age_min = rng.random_range(0..730 * 24 * 60);
            let reported_at = now - Duration::minutes(age_min);
            let age_days = age_min / (24 * 60);
            let deadline = deadline_for(CATEGORIES[c].0, reported_at);
            let status = if age_days > 20 {
                if rng.random_bool(0.03) {
                    IncidentStatus::Rejected
                } else if rng.random_bool(0.002) {
                    IncidentStatus::InProgress
                } else {
                    IncidentStatus::Closed
                }
            } else if deadline < now && rng.random_bool(0.85) {
                // Past its deadline: most cases were handled in time.
                done_states[rng.random_range(0..done_states.len())]
            } else {
                open_states[rng.random_range(0..open_states.len())]
            };
            Incident {
                id: String::new(),
                category: CATEGORIES[c].0.into(),
                source: SOURCES[weighted(rng, &[35.0, 30.0, 10.0, 15.0, 10.0])].into(),
                description: DESCRIPTIONS[c].into(),
                lon,
                lat,
                grid: Some(g.code.as_str().to_owned()),
                status,
                reported_at,
                deadline,
                version: 1,
                reporter: None,
            }
        })
        .collect();
    out.sort_by_key(|i| i.reported_at);
    for (n, inc) in out.iter_mut().enumerate() {
        inc.id = format!("SJ{}-{:05}", inc.reported_at.format("%Y%m%d"), n + 1);
    }
    out
}

fn people(grids: &[&Area], wangge: usize, now: DateTime<Utc>, rng: &mut ChaCha8Rng) -> Vec<Person> {
    let weights: Vec<f64> = grids.iter().map(|g| g.residents as f64).collect();
    let mix = [10.0, 5.0, 6.0, 10.0, 7.0, 2.0, 30.0, 18.0, 12.0];
    (0..3000)
        .map(|i| {
            // The demo grid head's own grid gets a visible share of people.
            let g = if i < 14 {
                grids[wangge]
            } else {
                grids[weighted(rng, &weights)]
            };
            let category = PersonCategory::ALL[if i < 14 { i % 9 } else { weighted(rng, &mix) }];
            let (lon, lat) = point_in(&g.geometry, rng);
            let birth_year = match category {
                PersonCategory::ElderlyAlone => rng.random_range(1935..1960),
                PersonCategory::LeftBehindChild => rng.random_range(2012..2020),
                PersonCategory::Youth => rng.random_range(2006..2012),
                _ => rng.random_range(1960..2000),
            };
            let street = g.name.split('第').next().unwrap_or("").to_owned();
            Person {
                id: format!("RY{:05}", i + 1),
                category,
                name: names::name(rng),
                id_number: names::id_number(rng, "441802", birth_year),
                phone: names::phone(rng),
                address: format!(
                    "{street}{}巷{}号",
                    rng.random_range(1..40),
                    rng.random_range(1..120)
                ),
                risk_level: (category == PersonCategory::Mental).then(|| rng.random_range(0..=5)),
                next_visit: Some((now + Duration::days(rng.random_range(0..30))).date_naive()),
                lon,
                lat,
            }
        })
        .collect()
}
