//! The `patrol` map layer: grids shaded by coverage over the last 7 days,
//! tracks, missed key places, and the grids where incidents outrun patrols.

use chrono::{DateTime, Duration, Utc};

use super::layers::{EPS, area_polygons, point_geom, s, visible_areas};
use super::{BUFFER, Prop, TileCoord, TileFeature, TileGeom, TileLayer, clip};
use crate::auth::policy::Scope;
use crate::domain::Level;
use crate::domain::patrol::gap_score;
use crate::spatial::coverage::DEFAULT_REACH_M;
use crate::spatial::{SpatialIndex, lonlat_to_world};

/// Track lines are drawn from this zoom.
pub const TRACKS_FROM_Z: u8 = 13;
/// The window the layer shows, ending now.
pub const WINDOW_DAYS: i64 = 7;

fn round3(v: f64) -> Prop<'static> {
    Prop::Float((v * 1000.0).round() / 1000.0)
}

/// The MVT layers `patrol`, `patrol_tracks`, `patrol_missed` and `patrol_gaps`.
///
/// Only grids in `scope` are drawn, and only track segments that start in one.
pub fn layers<'a>(
    index: &'a SpatialIndex,
    tile: &TileCoord,
    now: DateTime<Utc>,
    scope: &Scope,
) -> Vec<TileLayer<'a>> {
    let layer = |name: &str| TileLayer {
        name: name.into(),
        features: vec![],
    };
    let (mut grids, mut missed, mut gaps) = (
        layer("patrol"),
        layer("patrol_missed"),
        layer("patrol_gaps"),
    );
    let since = now - Duration::days(WINDOW_DAYS);
    let visible: Vec<(usize, _)> = visible_areas(index, tile, &[Level::Grid])
        .into_iter()
        .filter(|(_, e)| scope.allows(Some(e.area.code.as_str()), None))
        .filter_map(|(i, e)| area_polygons(e, tile).map(|p| (i, (e, p))))
        .collect();
    let ids: Vec<usize> = visible.iter().map(|(i, _)| *i).collect();
    // One raster for every grid of the tile; incidents counted over the same window.
    let cov = index.coverage_many(&ids, since, now, DEFAULT_REACH_M);
    let incidents = index.incidents_per_grid(&ids, since, now);
    for (((i, (e, poly)), c), n) in visible.into_iter().zip(&cov).zip(incidents) {
        let code = s(e.area.code.as_str());
        grids.features.push(TileFeature {
            id: Some(i as u64),
            geom: TileGeom::Polygons(poly.clone()),
            props: vec![
                ("code", code.clone()),
                ("name", s(&e.area.name)),
                ("coverage", round3(c.share)),
            ],
        });
        let score = gap_score(n, WINDOW_DAYS as f64, c.share);
        if score > 0.0 {
            gaps.features.push(TileFeature {
                id: Some(i as u64),
                geom: TileGeom::Polygons(poly),
                props: vec![
                    ("code", code),
                    ("name", s(&e.area.name)),
                    ("incidents", Prop::Int(n as i64)),
                    ("coverage", round3(c.share)),
                    ("score", round3(score)),
                ],
            });
        }
        for &m in &c.missed {
            let pl = &index.places.items[m];
            if let Some(g) = point_geom(pl.lon, pl.lat, tile) {
                missed.features.push(TileFeature {
                    id: None,
                    geom: g,
                    props: vec![
                        ("id", s(&pl.id)),
                        ("name", s(&pl.name)),
                        ("kind", s(&pl.kind)),
                        ("grid", s(e.area.code.as_str())),
                    ],
                });
            }
        }
    }
    let tracks = if tile.z >= TRACKS_FROM_Z {
        track_lines(index, tile, since, scope)
    } else {
        layer("patrol_tracks")
    };
    vec![grids, tracks, missed, gaps]
}

/// Track segments in the tile since `since`, joined into one line per run of a member.
fn track_lines<'a>(
    index: &'a SpatialIndex,
    tile: &TileCoord,
    since: DateTime<Utc>,
    scope: &Scope,
) -> TileLayer<'a> {
    let t = &index.tracks;
    let in_scope = |i: usize| {
        *scope == Scope::All || {
            let p = t.point(i);
            let grid = index.areas.grid_at((p.lon, p.lat));
            let code = grid.map(|g| index.areas.entries[g as usize].area.code.as_str());
            scope.allows(code, None)
        }
    };
    let mut segs: Vec<usize> = t
        .segments_in(&tile.bbox_wgs84(BUFFER))
        .into_iter()
        .filter(|&i| t.point(i).time >= since && t.next(i).is_some() && in_scope(i))
        .collect();
    segs.sort_unstable_by_key(|&i| (t.point(i).member, t.point(i).time));
    let mut runs: Vec<(u32, Vec<(f64, f64)>)> = Vec::new();
    let mut end: Option<usize> = None;
    for i in segs {
        let (a, b) = (t.point(i), t.point(t.next(i).unwrap_or(i)));
        if end != Some(i) || runs.is_empty() {
            runs.push((a.member, vec![lonlat_to_world(a.lon, a.lat)]));
        }
        if let Some(r) = runs.last_mut() {
            r.1.push(lonlat_to_world(b.lon, b.lat));
        }
        end = t.next(i);
    }
    let features = runs
        .into_iter()
        .filter_map(|(member, pts)| {
            let lines = clip::line(&pts, tile, EPS);
            (!lines.is_empty()).then(|| TileFeature {
                id: None,
                geom: TileGeom::Lines(lines),
                props: vec![("member", s(&t.members[member as usize].id))],
            })
        })
        .collect();
    TileLayer {
        name: "patrol_tracks".into(),
        features,
    }
}
