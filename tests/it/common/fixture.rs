//! A tiny district with known answers: 441899 (fictional) is the square
//! 113.0–113.1 E × 23.0–23.1 N; two streets split it west/east, each holds one
//! community, each community two grids split south/north.
//!
//! ```text
//!  23.10 ┌──────────┬──────────┐
//!        │ ...001002│ ...001002│   west street 441899001 / community 441899001001
//!  23.05 ├──────────┼──────────┤   east street 441899002 / community 441899002001
//!        │ ...001001│ ...001001│
//!  23.00 └──────────┴──────────┘
//!      113.00     113.05     113.10
//! ```

use chrono::{DateTime, Duration, TimeZone, Utc};
use geo_types::{LineString, MultiPolygon, Polygon};
use minqing::domain::hazard::Contact;
use minqing::domain::*;

pub const DISTRICT: &str = "441899";
pub const WEST_STREET: &str = "441899001";
pub const EAST_STREET: &str = "441899002";
pub const WEST_SOUTH_GRID: &str = "441899001001001";
pub const WEST_NORTH_GRID: &str = "441899001001002";
pub const EAST_SOUTH_GRID: &str = "441899002001001";
pub const EAST_NORTH_GRID: &str = "441899002001002";

/// (username, role, areas)
pub const USERS: &[(&str, &str, &[&str])] = &[
    ("admin", "admin", &[DISTRICT]),
    ("command", "command", &[DISTRICT]),
    ("west_street", "street", &[WEST_STREET]),
    ("west_community", "community", &["441899001001"]),
    ("west_grid", "grid", &[WEST_SOUTH_GRID]),
    ("east_grid", "grid", &[EAST_SOUTH_GRID]),
    ("flood", "flood", &[DISTRICT]),
    ("public", "public", &[]),
];

/// The fixture's clock.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap()
}

pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

fn area(code: &str, name: &str, g: MultiPolygon<f64>, head: Option<&str>) -> Area {
    let code = AreaCode::parse(code).unwrap();
    Area {
        parent: code.parent(),
        code,
        name: name.into(),
        geometry: g,
        head: head.map(|h| GridHead {
            name: h.into(),
            phone: "13800000000".into(),
        }),
        households: if head.is_some() { 400 } else { 0 },
        residents: if head.is_some() { 1100 } else { 0 },
    }
}

/// Hazards at known places: (id, lon, lat, risk, households).
pub const HAZARDS: &[(&str, f64, f64, Risk, u32)] = &[
    ("HZ1", 113.01, 23.01, Risk::Red, 10),
    ("HZ2", 113.02, 23.02, Risk::Orange, 5),
    ("HZ3", 113.07, 23.07, Risk::Yellow, 3),
    ("HZ4", 113.09, 23.02, Risk::Blue, 1),
];

pub fn dataset() -> Dataset {
    let areas = vec![
        area(DISTRICT, "测试区", rect(113.0, 23.0, 113.1, 23.1), None),
        area(WEST_STREET, "西街道", rect(113.0, 23.0, 113.05, 23.1), None),
        area(
            "441899001001",
            "西社区",
            rect(113.0, 23.0, 113.05, 23.1),
            None,
        ),
        area(
            WEST_SOUTH_GRID,
            "西社区第1网格",
            rect(113.0, 23.0, 113.05, 23.05),
            Some("张三明"),
        ),
        area(
            WEST_NORTH_GRID,
            "西社区第2网格",
            rect(113.0, 23.05, 113.05, 23.1),
            Some("李四"),
        ),
        area(EAST_STREET, "东镇", rect(113.05, 23.0, 113.1, 23.1), None),
        area(
            "441899002001",
            "东村",
            rect(113.05, 23.0, 113.1, 23.1),
            None,
        ),
        area(
            EAST_SOUTH_GRID,
            "东村第1网格",
            rect(113.05, 23.0, 113.1, 23.05),
            Some("王五"),
        ),
        area(
            EAST_NORTH_GRID,
            "东村第2网格",
            rect(113.05, 23.05, 113.1, 23.1),
            Some("赵六"),
        ),
    ];
    // Parents first, as the stores return them: by code length, then code.
    let mut areas = areas;
    areas.sort_by_key(|a| (a.code.as_str().len(), a.code.as_str().to_owned()));
    let hazards = HAZARDS
        .iter()
        .map(|(id, lon, lat, risk, hh)| Hazard {
            id: (*id).into(),
            name: format!("{id}滑坡"),
            kind: "滑坡".into(),
            risk: *risk,
            threatened_households: *hh,
            threatened_persons: hh * 3,
            monitor: Contact {
                name: "监测员".into(),
                phone: "13900000001".into(),
            },
            leader: Contact {
                name: "领导".into(),
                phone: "13900000002".into(),
            },
            shelter: Some("SH1".into()),
            status: "在册".into(),
            lon: *lon,
            lat: *lat,
        })
        .collect();
    let shelters = vec![Shelter {
        id: "SH1".into(),
        name: "西小学".into(),
        capacity: 300,
        address: "西街1号".into(),
        lon: 113.03,
        lat: 23.03,
    }];
    let places = vec![
        Place {
            id: "PL1".into(),
            name: "西小学".into(),
            kind: "学校".into(),
            visit_every_hours: 24,
            radius_m: 30.0,
            lon: 113.03,
            lat: 23.03,
        },
        Place {
            id: "PL2".into(),
            name: "西市场".into(),
            kind: "市场".into(),
            visit_every_hours: 24,
            radius_m: 30.0,
            lon: 113.04,
            lat: 23.04,
        },
    ];
    let t = now();
    let incidents = (0..6)
        .map(|i| Incident {
            id: format!("SJ-{i}"),
            category: "neighbour".into(),
            source: "网格巡查".into(),
            description: "邻里纠纷".into(),
            lon: if i < 4 {
                113.01 + 0.001 * i as f64
            } else {
                113.08
            },
            lat: 23.01,
            grid: Some(
                if i < 4 {
                    WEST_SOUTH_GRID
                } else {
                    EAST_SOUTH_GRID
                }
                .into(),
            ),
            status: if i == 0 {
                IncidentStatus::Closed
            } else {
                IncidentStatus::Accepted
            },
            reported_at: t - Duration::days(10 - i),
            deadline: t - Duration::days(10 - i) + Duration::days(7),
            version: 1,
            reporter: None,
        })
        .collect();
    // People: 5 in the west-south grid, 2 in the west-north grid, 1 in the east-south grid.
    let spots = [
        (113.01, 23.01, PersonCategory::ElderlyAlone),
        (113.011, 23.011, PersonCategory::ElderlyAlone),
        (113.012, 23.012, PersonCategory::Released),
        (113.013, 23.013, PersonCategory::Mental),
        (113.014, 23.014, PersonCategory::Disabled),
        (113.01, 23.06, PersonCategory::ElderlyAlone),
        (113.011, 23.061, PersonCategory::Drug),
        (113.08, 23.01, PersonCategory::LeftBehindChild),
    ];
    let people = spots
        .iter()
        .enumerate()
        .map(|(i, (lon, lat, c))| Person {
            id: format!("RY{i}"),
            category: *c,
            name: "张三明".into(),
            id_number: "44189919800101123X".into(),
            phone: "13812345678".into(),
            address: "西街道西社区幸福路8号".into(),
            risk_level: (*c == PersonCategory::Mental).then_some(3),
            next_visit: None,
            lon: *lon,
            lat: *lat,
        })
        .collect();
    Dataset {
        areas,
        hazards,
        shelters,
        places,
        incidents,
        people,
        members: vec![],
        patrol_points: vec![],
        steps: vec![],
    }
}
