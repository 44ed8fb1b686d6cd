//! The demo's point layers, all synthetic: hazards in the northern and eastern
//! hills, shelters, key places, two years of incidents, special-population
//! records and a week of patrol tracks.

use chrono::{DateTime, Duration, Utc};
use geo::Contains;
use geo_types::{Coord, MultiPolygon, Point};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{WANGGE_POINT, names, voronoi::random_point_in};
use crate::domain::hazard::Contact;
use crate::domain::incident::{CATEGORIES, SOURCES, deadline_for};
use crate::domain::{
    Area, Dataset, Hazard, Incident, IncidentStatus, Level, PatrolMember, PatrolPoint, Person,
    PersonCategory, Place, Risk, Shelter,
};
use crate::spatial::haversine_m;

const M_PER_DEG: f64 = 111_320.0;

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
    data.people = people(&grids, wangge, now, rng);
    let (members, points) = patrols(&grids, wangge, &data.places, now, rng);
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
    }
    out
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

fn patrols(
    grids: &[&Area],
    wangge: usize,
    places: &[Place],
    now: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
) -> (Vec<PatrolMember>, Vec<PatrolPoint>) {
    let mut members = Vec::new();
    let mut points = Vec::new();
    let step = grids.len() / 40;
    for m in 0..40u32 {
        let gi = if m == 0 {
            wangge
        } else {
            (m as usize * step + 7) % grids.len()
        };
        let g = grids[gi];
        members.push(PatrolMember {
            id: format!("M{:03}", m + 1),
            name: g
                .head
                .as_ref()
                .map(|h| h.name.clone())
                .unwrap_or_else(|| names::name(rng)),
            team: g.code.as_str().to_owned(),
        });
        let goals: Vec<&Place> = places
            .iter()
            .filter(|p| g.geometry.contains(&Point::new(p.lon, p.lat)))
            .collect();
        for day in 1..=7 {
            // Walks start between 08:00 and 10:00 Beijing time (00:00–02:00 UTC).
            let day_start = (now - Duration::days(day))
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .expect("midnight");
            let start = day_start.and_utc() + Duration::minutes(rng.random_range(0..120));
            walk(&g.geometry, &goals, m, start, rng, &mut points);
        }
        // And a walk that ended within the last hours, so "today's coverage"
        // (the last 24 h) is never empty on a freshly seeded demo.
        let recent = now - Duration::minutes(rng.random_range(180..300));
        walk(&g.geometry, &goals, m, recent, rng, &mut points);
    }
    (members, points)
}

/// One patrol walk: a GPS fix every 30 s at walking pace, turning back at the
/// grid's edge and heading for a key place now and then.
fn walk(
    grid: &MultiPolygon<f64>,
    goals: &[&Place],
    member: u32,
    start: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<PatrolPoint>,
) {
    let (mut lon, mut lat) = point_in(grid, rng);
    let mut heading: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let fixes = rng.random_range(120..=240);
    let m_per_deg_lon = M_PER_DEG * lat.to_radians().cos();
    for n in 0..fixes {
        if n % 40 == 0 && !goals.is_empty() && rng.random_bool(0.6) {
            let g = goals[rng.random_range(0..goals.len())];
            heading = ((g.lat - lat) * M_PER_DEG).atan2((g.lon - lon) * m_per_deg_lon);
        }
        out.push(PatrolPoint {
            member,
            time: start + Duration::seconds(30 * n),
            lon: round7(lon),
            lat: round7(lat),
        });
        let dist = rng.random_range(25.0..45.0);
        for _ in 0..8 {
            let (nl, nt) = (
                lon + dist * heading.cos() / m_per_deg_lon,
                lat + dist * heading.sin() / M_PER_DEG,
            );
            if grid.contains(&Point::new(nl, nt)) {
                lon = nl;
                lat = nt;
                break;
            }
            heading = rng.random_range(0.0..std::f64::consts::TAU);
        }
        heading += rng.random_range(-0.4..0.4);
    }
}
