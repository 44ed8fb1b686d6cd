//! What each map layer puts in a tile. Rights are applied here, from the
//! caller's [`Rights`] as the policy decided them, so no path can leave them out.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::clip;
use super::{BUFFER, Prop, TileCoord, TileFeature, TileGeom, TileLayer};
use crate::auth::policy::{PeopleCounts, Scope};
use crate::auth::suppress::{Protected, Shown};
use crate::domain::{Layer, Level};
use crate::spatial::index::AreaEntry;
use crate::spatial::{SpatialIndex, lonlat_to_world};

/// Incidents are drawn one by one from this zoom; below it, as clusters.
pub const INCIDENT_POINTS_FROM_Z: u8 = 13;

/// What the caller may see of the scoped layers, as the policy decided.
#[derive(Debug, Clone)]
pub struct Rights {
    /// incidents in reach
    pub incidents: Scope,
    /// patrol grids and tracks in reach
    pub patrol: Scope,
    /// how people are counted for this caller (`None`: not at all)
    pub people: Option<PeopleCounts>,
    /// the people table protected for this caller (filled when a people tile is built)
    pub people_shown: Option<Arc<Protected>>,
}

impl Rights {
    /// The part of a tile cache key that depends on the caller, for `layers`.
    pub fn cache_key(&self, layers: &[Layer]) -> String {
        let mut key = String::new();
        for l in layers {
            match l {
                Layer::Incidents => key += &format!("i:{};", self.incidents.cache_key()),
                Layer::Patrol => key += &format!("t:{};", self.patrol.cache_key()),
                Layer::People => {
                    let p = self.people.as_ref().map(PeopleCounts::cache_key);
                    key += &format!("p:{};", p.unwrap_or_default());
                }
                _ => {}
            }
        }
        key
    }
}

/// Simplification tolerance in tile units (a quarter pixel of a 256 px tile).
pub(super) const EPS: f64 = 4.0;

pub(super) fn s(v: &str) -> Prop<'_> {
    Prop::Str(Cow::Borrowed(v))
}

fn count_prop(n: Shown) -> Prop<'static> {
    match n {
        Shown::Exact(v) => Prop::Int(i64::from(v)),
        Shown::Small => Prop::Str("<3".into()),
        Shown::Hidden => Prop::Str("hidden".into()),
    }
}

/// An area's polygons in the tile, clipped and simplified.
pub(super) fn area_polygons(e: &AreaEntry, tile: &TileCoord) -> Option<Vec<Vec<Vec<[i32; 2]>>>> {
    clip::polygons_within(&e.world, e.world_bounds(), tile, EPS)
}

pub(super) fn point_geom(lon: f64, lat: f64, tile: &TileCoord) -> Option<TileGeom> {
    let (wx, wy) = lonlat_to_world(lon, lat);
    clip::point(wx, wy, tile).map(|p| TileGeom::Points(vec![p]))
}

/// Builds the MVT layers for one map layer (the named layer plus companions).
pub fn build<'a>(
    index: &'a SpatialIndex,
    layer: Layer,
    tile: &TileCoord,
    now: DateTime<Utc>,
    rights: &Rights,
) -> Vec<TileLayer<'a>> {
    match layer {
        Layer::Grids => grids(index, tile),
        Layer::Hazards => vec![hazards(index, tile)],
        Layer::Shelters => vec![shelters(index, tile)],
        Layer::Places => vec![places(index, tile)],
        Layer::Incidents => incidents(index, tile, now, &rights.incidents),
        Layer::People => match (&rights.people, &rights.people_shown) {
            (Some(counts), Some(shown)) => people_counts(index, tile, counts, shown),
            _ => vec![],
        },
        Layer::Patrol => super::patrol::layers(index, tile, now, &rights.patrol),
    }
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

fn label<'a>(e: &'a AreaEntry, tile: &TileCoord) -> Option<TileFeature<'a>> {
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

fn grids<'a>(index: &'a SpatialIndex, tile: &TileCoord) -> Vec<TileLayer<'a>> {
    let mut polys = TileLayer {
        name: "grids".into(),
        features: vec![],
    };
    let mut labels = TileLayer {
        name: "grids_labels".into(),
        features: vec![],
    };
    for (i, e) in visible_areas(index, tile, &levels_at(tile.z)) {
        let Some(p) = area_polygons(e, tile) else {
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

fn grid_code(index: &SpatialIndex, g: Option<u32>) -> Prop<'_> {
    s(
        g.map(|i| index.areas.entries[i as usize].area.code.as_str())
            .unwrap_or(""),
    )
}

fn hazards<'a>(index: &'a SpatialIndex, tile: &TileCoord) -> TileLayer<'a> {
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

fn shelters<'a>(index: &'a SpatialIndex, tile: &TileCoord) -> TileLayer<'a> {
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

fn places<'a>(index: &'a SpatialIndex, tile: &TileCoord) -> TileLayer<'a> {
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

fn incidents<'a>(
    index: &'a SpatialIndex,
    tile: &TileCoord,
    now: DateTime<Utc>,
    scope: &Scope,
) -> Vec<TileLayer<'a>> {
    let l = &index.incidents;
    let mut idx: Vec<usize> = index
        .map_incidents
        .in_bbox(&tile.bbox_wgs84(BUFFER))
        .filter(|&i| is_on_map(&l.items[i], now))
        .filter(|&i| scope.allows(l.items[i].grid.as_deref(), l.items[i].reporter.as_deref()))
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
                            Prop::Str(crate::domain::incident::to_shanghai(v.reported_at).into()),
                        ),
                        (
                            "deadline",
                            Prop::Str(crate::domain::incident::to_shanghai(v.deadline).into()),
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

fn people_counts<'a>(
    index: &'a SpatialIndex,
    tile: &TileCoord,
    counts: &PeopleCounts,
    shown: &Protected,
) -> Vec<TileLayer<'a>> {
    let level = people_level(tile.z);
    let mut points = TileLayer {
        name: "people".into(),
        features: vec![],
    };
    let mut areas = TileLayer {
        name: "people_areas".into(),
        features: vec![],
    };
    for (i, e) in visible_areas(index, tile, &[level]) {
        let code = e.area.code.as_str();
        if !(counts.protected_elsewhere || counts.exact.covers_area(code)) {
            continue;
        }
        let (total, by_cat) = shown.area(i);
        if total == Shown::Exact(0) {
            continue;
        }
        if let Some(p) = area_polygons(e, tile) {
            areas.features.push(TileFeature {
                id: Some(i as u64),
                geom: TileGeom::Polygons(p),
                props: vec![
                    ("code", s(code)),
                    ("name", s(&e.area.name)),
                    ("count", count_prop(total)),
                ],
            });
        }
        if let Some(g) = point_geom(e.label.0, e.label.1, tile) {
            for (cat, n) in by_cat {
                points.features.push(TileFeature {
                    id: None,
                    geom: g.clone(),
                    props: vec![
                        ("code", s(code)),
                        ("name", s(&e.area.name)),
                        ("category", s(cat.zh())),
                        ("count", count_prop(n)),
                    ],
                });
            }
        }
    }
    vec![points, areas]
}
