//! What each map layer puts in a tile. Rights are applied here, from the
//! caller's [`PeopleView`], so no path can leave them out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::clip;
use super::{BUFFER, Prop, TileCoord, TileFeature, TileGeom, TileLayer};
use crate::auth::suppressed_count;
use crate::domain::{Level, PersonCategory};
use crate::spatial::index::AreaEntry;
use crate::spatial::{SpatialIndex, lonlat_to_world};

/// Layer names served as tiles.
pub const LAYERS: [&str; 7] = [
    "grids",
    "hazards",
    "shelters",
    "places",
    "incidents",
    "people",
    "patrol",
];

/// Incidents are drawn one by one from this zoom; below it, as clusters.
pub const INCIDENT_POINTS_FROM_Z: u8 = 13;

/// How much of the special-population layer the caller may see in tiles.
#[derive(Debug, Clone, PartialEq)]
pub enum PeopleView {
    /// Counts everywhere, 1–2 shown as "<3" (anonymous, public, flood).
    Suppressed,
    /// Exact counts everywhere (command, admin).
    Exact,
    /// Exact counts only inside these subtrees; nothing elsewhere.
    Within(Vec<String>),
}

impl PeopleView {
    /// A stable key for the tile cache.
    pub fn cache_key(&self) -> String {
        match self {
            PeopleView::Suppressed => "suppressed".into(),
            PeopleView::Exact => "exact".into(),
            PeopleView::Within(a) => a.join("+"),
        }
    }
}

/// Simplification tolerance in tile units (a quarter pixel of a 256 px tile).
pub(super) const EPS: f64 = 4.0;

pub(super) fn s(v: &str) -> Prop {
    Prop::Str(v.to_owned())
}

fn count_prop(n: usize, exact: bool) -> Prop {
    if exact {
        Prop::Int(n as i64)
    } else {
        match suppressed_count(n) {
            serde_json::Value::String(t) => Prop::Str(t),
            _ => Prop::Int(n as i64),
        }
    }
}

pub(super) fn point_geom(lon: f64, lat: f64, tile: &TileCoord) -> Option<TileGeom> {
    let (wx, wy) = lonlat_to_world(lon, lat);
    clip::point(wx, wy, tile).map(|p| TileGeom::Points(vec![p]))
}

/// Builds the MVT layers for one map layer (the named layer plus companions).
pub fn build(
    index: &SpatialIndex,
    layer: &str,
    tile: &TileCoord,
    now: DateTime<Utc>,
    people: &PeopleView,
) -> Option<Vec<TileLayer>> {
    Some(match layer {
        "grids" => grids(index, tile),
        "hazards" => vec![hazards(index, tile)],
        "shelters" => vec![shelters(index, tile)],
        "places" => vec![places(index, tile)],
        "incidents" => incidents(index, tile, now),
        "people" => people_counts(index, tile, people),
        "patrol" => super::patrol::layers(index, tile, now),
        _ => return None,
    })
}

pub(super) fn visible_areas<'a>(
    index: &'a SpatialIndex,
    tile: &TileCoord,
    levels: &[Level],
) -> Vec<(usize, &'a AreaEntry)> {
    let bbox = tile.bbox_wgs84(BUFFER);
    let mut out = Vec::new();
    for &level in levels {
        let mut idx: Vec<usize> = index.areas.in_bbox(level, &bbox).collect();
        idx.sort_unstable();
        out.extend(idx.into_iter().map(|i| (i, &index.areas.entries[i])));
    }
    out
}

fn levels_at(z: u8) -> Vec<Level> {
    Level::ALL
        .into_iter()
        .filter(|l| l.min_zoom() <= z.max(Level::District.min_zoom()))
        .collect()
}

fn label(e: &AreaEntry, tile: &TileCoord) -> Option<TileFeature> {
    Some(TileFeature {
        id: None,
        geom: point_geom(e.label.0, e.label.1, tile)?,
        props: vec![
            ("code", s(e.area.code.as_str())),
            ("name", s(&e.area.name)),
            ("level", s(e.area.level().as_str())),
        ],
    })
}

fn grids(index: &SpatialIndex, tile: &TileCoord) -> Vec<TileLayer> {
    let mut polys = TileLayer {
        name: "grids".into(),
        features: vec![],
    };
    let mut labels = TileLayer {
        name: "grids_labels".into(),
        features: vec![],
    };
    for (i, e) in visible_areas(index, tile, &levels_at(tile.z)) {
        let Some(p) = clip::polygons(&e.world, tile, EPS) else {
            continue;
        };
        let a = &e.area;
        let mut props = vec![
            ("code", s(a.code.as_str())),
            ("name", s(&a.name)),
            ("level", s(a.level().as_str())),
            (
                "parent",
                s(a.parent.as_ref().map(|p| p.as_str()).unwrap_or("")),
            ),
        ];
        if let Some(h) = &a.head {
            props.push(("head", s(&h.name)));
        }
        if a.level() == Level::Grid {
            props.push(("households", Prop::Int(i64::from(a.households))));
        }
        polys.features.push(TileFeature {
            id: Some(i as u64),
            geom: TileGeom::Polygons(p),
            props,
        });
        labels.features.extend(label(e, tile));
    }
    vec![polys, labels]
}

fn grid_code(index: &SpatialIndex, g: Option<u32>) -> Prop {
    s(
        g.map(|i| index.areas.entries[i as usize].area.code.as_str())
            .unwrap_or(""),
    )
}

fn hazards(index: &SpatialIndex, tile: &TileCoord) -> TileLayer {
    let l = &index.hazards;
    let mut idx: Vec<usize> = l.in_bbox(&tile.bbox_wgs84(BUFFER)).collect();
    idx.sort_unstable();
    let features = idx
        .into_iter()
        .filter_map(|i| {
            let h = &l.items[i];
            Some(TileFeature {
                id: Some(i as u64),
                geom: point_geom(h.lon, h.lat, tile)?,
                props: vec![
                    ("id", s(&h.id)),
                    ("name", s(&h.name)),
                    ("kind", s(&h.kind)),
                    ("risk", s(h.risk.as_str())),
                    (
                        "threatened_households",
                        Prop::Int(i64::from(h.threatened_households)),
                    ),
                    (
                        "threatened_persons",
                        Prop::Int(i64::from(h.threatened_persons)),
                    ),
                    ("status", s(&h.status)),
                    ("grid", grid_code(index, l.grid[i])),
                ],
            })
        })
        .collect();
    TileLayer {
        name: "hazards".into(),
        features,
    }
}

fn shelters(index: &SpatialIndex, tile: &TileCoord) -> TileLayer {
    let l = &index.shelters;
    let mut idx: Vec<usize> = l.in_bbox(&tile.bbox_wgs84(BUFFER)).collect();
    idx.sort_unstable();
    let features = idx
        .into_iter()
        .filter_map(|i| {
            let v = &l.items[i];
            Some(TileFeature {
                id: Some(i as u64),
                geom: point_geom(v.lon, v.lat, tile)?,
                props: vec![
                    ("id", s(&v.id)),
                    ("name", s(&v.name)),
                    ("capacity", Prop::Int(i64::from(v.capacity))),
                    ("grid", grid_code(index, l.grid[i])),
                ],
            })
        })
        .collect();
    TileLayer {
        name: "shelters".into(),
        features,
    }
}

fn places(index: &SpatialIndex, tile: &TileCoord) -> TileLayer {
    let l = &index.places;
    let mut idx: Vec<usize> = l.in_bbox(&tile.bbox_wgs84(BUFFER)).collect();
    idx.sort_unstable();
    let features = idx
        .into_iter()
        .filter_map(|i| {
            let v = &l.items[i];
            Some(TileFeature {
                id: Some(i as u64),
                geom: point_geom(v.lon, v.lat, tile)?,
                props: vec![
                    ("id", s(&v.id)),
                    ("name", s(&v.name)),
                    ("kind", s(&v.kind)),
                    (
                        "visit_every_hours",
                        Prop::Int(i64::from(v.visit_every_hours)),
                    ),
                    ("grid", grid_code(index, l.grid[i])),
                ],
            })
        })
        .collect();
    TileLayer {
        name: "places".into(),
        features,
    }
}

pub use crate::domain::incident::is_on_map;

fn incidents(index: &SpatialIndex, tile: &TileCoord, now: DateTime<Utc>) -> Vec<TileLayer> {
    let l = &index.incidents;
    let mut idx: Vec<usize> = index
        .map_incidents
        .in_bbox(&tile.bbox_wgs84(BUFFER))
        .filter(|&i| is_on_map(&l.items[i], now))
        .collect();
    idx.sort_unstable();
    if tile.z >= INCIDENT_POINTS_FROM_Z {
        let features = idx
            .into_iter()
            .filter_map(|i| {
                let v = &l.items[i];
                Some(TileFeature {
                    id: Some(i as u64),
                    geom: point_geom(v.lon, v.lat, tile)?,
                    props: vec![
                        ("id", s(&v.id)),
                        (
                            "category",
                            s(crate::domain::incident::category_name(&v.category)),
                        ),
                        ("status", s(v.status.as_str())),
                        ("grid", s(v.grid.as_deref().unwrap_or(""))),
                        (
                            "reported_at",
                            s(&crate::domain::incident::to_shanghai(v.reported_at)),
                        ),
                        (
                            "deadline",
                            s(&crate::domain::incident::to_shanghai(v.deadline)),
                        ),
                        ("overdue", Prop::Bool(v.is_overdue(now))),
                    ],
                })
            })
            .collect();
        return vec![TileLayer {
            name: "incidents".into(),
            features,
        }];
    }
    // Below the point zoom: clusters on a 16 × 16 grid of cells per tile.
    let mut cells: HashMap<(i32, i32), (f64, f64, i64, i64)> = HashMap::new();
    for i in idx {
        let v = &l.items[i];
        let (wx, wy) = lonlat_to_world(v.lon, v.lat);
        let Some(p) = clip::point(wx, wy, tile) else {
            continue;
        };
        let c = cells
            .entry((p[0].div_euclid(256), p[1].div_euclid(256)))
            .or_insert((0.0, 0.0, 0, 0));
        c.0 += f64::from(p[0]);
        c.1 += f64::from(p[1]);
        c.2 += 1;
        c.3 += i64::from(v.is_overdue(now));
    }
    let mut keys: Vec<_> = cells.keys().copied().collect();
    keys.sort_unstable();
    let features = keys
        .into_iter()
        .map(|k| {
            let (sx, sy, n, overdue) = cells[&k];
            let p = [
                (sx / n as f64).round() as i32,
                (sy / n as f64).round() as i32,
            ];
            TileFeature {
                id: None,
                geom: TileGeom::Points(vec![p]),
                props: vec![("count", Prop::Int(n)), ("overdue", Prop::Int(overdue))],
            }
        })
        .collect();
    vec![
        TileLayer {
            name: "incidents".into(),
            features: vec![],
        },
        TileLayer {
            name: "incidents_clusters".into(),
            features,
        },
    ]
}

/// The level whose per-area people counts a zoom shows.
fn people_level(z: u8) -> Level {
    match z {
        0..=11 => Level::Street,
        12 => Level::Community,
        _ => Level::Grid,
    }
}

fn people_counts(index: &SpatialIndex, tile: &TileCoord, view: &PeopleView) -> Vec<TileLayer> {
    let level = people_level(tile.z);
    let len = level.code_len();
    let mut counts: HashMap<&str, HashMap<PersonCategory, usize>> = HashMap::new();
    for (i, p) in index.people.items.iter().enumerate() {
        if let Some(g) = index.people.grid[i] {
            let code = index.areas.entries[g as usize].area.code.as_str();
            *counts
                .entry(&code[..len])
                .or_default()
                .entry(p.category)
                .or_default() += 1;
        }
    }
    let mut points = TileLayer {
        name: "people".into(),
        features: vec![],
    };
    let mut areas = TileLayer {
        name: "people_areas".into(),
        features: vec![],
    };
    let exact = !matches!(view, PeopleView::Suppressed);
    for (i, e) in visible_areas(index, tile, &[level]) {
        let code = e.area.code.as_str();
        if let PeopleView::Within(scope) = view
            && !scope.iter().any(|a| code.starts_with(a.as_str()))
        {
            continue;
        }
        let Some(by_cat) = counts.get(code) else {
            continue;
        };
        let total: usize = by_cat.values().sum();
        if let Some(p) = clip::polygons(&e.world, tile, EPS) {
            areas.features.push(TileFeature {
                id: Some(i as u64),
                geom: TileGeom::Polygons(p),
                props: vec![
                    ("code", s(code)),
                    ("name", s(&e.area.name)),
                    ("count", count_prop(total, exact)),
                ],
            });
        }
        if let Some(g) = point_geom(e.label.0, e.label.1, tile) {
            for cat in PersonCategory::ALL {
                if let Some(&n) = by_cat.get(&cat) {
                    points.features.push(TileFeature {
                        id: None,
                        geom: g.clone(),
                        props: vec![
                            ("code", s(code)),
                            ("name", s(&e.area.name)),
                            ("category", s(cat.zh())),
                            ("count", count_prop(n, exact)),
                        ],
                    });
                }
            }
        }
    }
    vec![points, areas]
}
