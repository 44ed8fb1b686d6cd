//! `GET /api/hazards/nearest` and `POST /api/query/within`.

use std::sync::Arc;

use axum::extract::State;
use chrono::Utc;
use geo::{Contains, Validation};
use geo_types::{MultiPolygon, Point};
use serde_json::{Value, json};

use super::{Caller, Json, Params, count_param, lon_lat, num_param, ready};
use crate::app::AppState;
use crate::auth::{Role, suppressed_count};
use crate::domain::{Hazard, Shelter};
use crate::error::AppError;
use crate::spatial::nearest::nearest_k;
use crate::spatial::{BBox, SpatialIndex};

fn grid_of(index: &SpatialIndex, g: Option<u32>) -> Option<&str> {
    g.map(|i| index.areas.entries[i as usize].area.code.as_str())
}

/// A hazard's JSON; contact phones only for signed-in callers.
pub fn hazard_json(index: &SpatialIndex, i: usize, h: &Hazard, signed_in: bool) -> Value {
    let contact = |c: &crate::domain::hazard::Contact| {
        if signed_in {
            json!({"name": c.name, "phone": c.phone})
        } else {
            json!({"name": c.name})
        }
    };
    let shelter = h
        .shelter
        .as_deref()
        .and_then(|s| index.shelters.get(s))
        .map(|s| json!({"id": s.id, "name": s.name, "capacity": s.capacity}));
    json!({
        "id": h.id, "name": h.name, "kind": h.kind, "risk": h.risk.as_str(),
        "threatened_households": h.threatened_households, "threatened_persons": h.threatened_persons,
        "monitor": contact(&h.monitor), "leader": contact(&h.leader),
        "shelter": shelter, "status": h.status, "lon": h.lon, "lat": h.lat,
        "grid": grid_of(index, index.hazards.grid[i]),
    })
}

fn shelter_json(index: &SpatialIndex, i: usize, s: &Shelter) -> Value {
    json!({"id": s.id, "name": s.name, "capacity": s.capacity, "address": s.address, "lon": s.lon, "lat": s.lat, "grid": grid_of(index, index.shelters.grid[i])})
}

/// `GET /api/hazards/nearest?lon=&lat=&k=&max_km=`
pub async fn nearest_hazards(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let (lon, lat) = lon_lat(&q)?;
    let k = count_param(&q, "k", 10, 100)?;
    let max_m = match q.get("max_km") {
        None => None,
        Some(_) => {
            let km = num_param(&q, "max_km")?;
            if km <= 0.0 {
                return Err(AppError::BadRequest(
                    "bad_parameter",
                    format!("`max_km` must be positive, got {km}"),
                ));
            }
            Some(km * 1000.0)
        }
    };
    ready(&state)?;
    let index = state.index();
    let items: Vec<Value> = nearest_k(&index.hazards, lon, lat, k, max_m)
        .into_iter()
        .map(|(i, d)| {
            let mut v = hazard_json(&index, i, &index.hazards.items[i], caller.0.is_some());
            v["distance_m"] = json!((d * 10.0).round() / 10.0);
            v
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

/// Reads a GeoJSON Polygon/MultiPolygon (or a Feature of one) and checks it.
pub fn parse_area(body: &Value) -> Result<MultiPolygon<f64>, AppError> {
    let gj: geojson::GeoJson = serde_json::from_value(body.clone())
        .map_err(|e| AppError::BadRequest("bad_geojson", format!("not GeoJSON: {e}")))?;
    let geom = match gj {
        geojson::GeoJson::Geometry(g) => g,
        geojson::GeoJson::Feature(f) => f.geometry.ok_or_else(|| {
            AppError::BadRequest("bad_geojson", "the Feature has no geometry".into())
        })?,
        geojson::GeoJson::FeatureCollection(_) => {
            return Err(AppError::BadRequest(
                "bad_geojson",
                "send one Polygon, MultiPolygon or Feature, not a FeatureCollection".into(),
            ));
        }
    };
    let g: geo_types::Geometry<f64> = geom
        .try_into()
        .map_err(|e| AppError::BadRequest("bad_geojson", format!("{e}")))?;
    let mp = match g {
        geo_types::Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
        geo_types::Geometry::MultiPolygon(mp) => mp,
        _ => {
            return Err(AppError::BadRequest(
                "bad_geojson",
                "the geometry must be a Polygon or MultiPolygon".into(),
            ));
        }
    };
    for c in mp.0.iter().flat_map(|p| {
        p.exterior()
            .0
            .iter()
            .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
    }) {
        crate::spatial::geom::check_lon_lat(c.x, c.y)
            .map_err(|d| AppError::BadRequest("bad_geojson", d))?;
    }
    if mp.0.iter().any(|p| p.exterior().0.len() < 4) {
        return Err(AppError::BadRequest(
            "bad_geojson",
            "a polygon ring needs at least 4 positions".into(),
        ));
    }
    if let Err(e) = mp.check_validation() {
        return Err(AppError::BadRequest(
            "invalid_geometry",
            format!("the polygon is not valid (for example self-intersecting): {e}"),
        ));
    }
    Ok(mp)
}

/// `POST /api/query/within` — hazards, shelters, incidents and (by rights) people inside a polygon.
pub async fn within(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Json<Value>, AppError> {
    let area = parse_area(&body)?;
    ready(&state)?;
    let bbox = BBox::of(&area).ok_or_else(|| AppError::bad("empty polygon"))?;
    let signed_in = caller.0.is_some();
    let (answer, people_read) = {
        let index = state.index();
        let inside = |lon: f64, lat: f64| area.contains(&Point::new(lon, lat));
        let mut hz: Vec<usize> = index
            .hazards
            .in_bbox(&bbox)
            .filter(|&i| inside(index.hazards.items[i].lon, index.hazards.items[i].lat))
            .collect();
        hz.sort_unstable();
        let mut sh: Vec<usize> = index
            .shelters
            .in_bbox(&bbox)
            .filter(|&i| inside(index.shelters.items[i].lon, index.shelters.items[i].lat))
            .collect();
        sh.sort_unstable();
        let now = Utc::now();
        let mut inc: Vec<usize> = index
            .incidents
            .in_bbox(&bbox)
            .filter(|&i| {
                let v = &index.incidents.items[i];
                v.status.is_open() && inside(v.lon, v.lat)
            })
            .collect();
        inc.sort_unstable();
        let mut ppl: Vec<usize> = index
            .people
            .in_bbox(&bbox)
            .filter(|&i| inside(index.people.items[i].lon, index.people.items[i].lat))
            .collect();
        ppl.sort_unstable();
        let hazards: Vec<Value> = hz
            .iter()
            .map(|&i| hazard_json(&index, i, &index.hazards.items[i], signed_in))
            .collect();
        let households: u64 = hz
            .iter()
            .map(|&i| u64::from(index.hazards.items[i].threatened_households))
            .sum();
        let persons: u64 = hz
            .iter()
            .map(|&i| u64::from(index.hazards.items[i].threatened_persons))
            .sum();
        let capacity: u64 = sh
            .iter()
            .map(|&i| u64::from(index.shelters.items[i].capacity))
            .sum();
        let incidents: Vec<Value> = inc
            .iter()
            .map(|&i| crate::http::incidents::incident_json(&index, &index.incidents.items[i], now))
            .collect();
        let (people, read) = people_answer(&index, &caller, &ppl);
        (
            json!({
                "hazards": {"items": hazards, "total": hz.len(), "threatened_households": households, "threatened_persons": persons},
                "shelters": {"items": sh.iter().map(|&i| shelter_json(&index, i, &index.shelters.items[i])).collect::<Vec<_>>(), "total": sh.len(), "capacity": capacity},
                "incidents": {"items": incidents, "total": inc.len()},
                "people": people,
            }),
            read,
        )
    };
    if let (Some(p), false) = (&caller.0, people_read.is_empty()) {
        state
            .store
            .audit(
                &p.username,
                "people.within",
                &people_read,
                Some("warning-area query"),
            )
            .await?;
    }
    Ok(Json(answer))
}

/// People inside a queried area: masked records for roles that may list them
/// (flood leaders: the vulnerable people to evacuate), counts otherwise.
fn people_answer(index: &SpatialIndex, caller: &Caller, inside: &[usize]) -> (Value, Vec<String>) {
    let mut by_cat: std::collections::BTreeMap<&str, usize> = Default::default();
    for &i in inside {
        *by_cat
            .entry(index.people.items[i].category.zh())
            .or_default() += 1;
    }
    let listable: Vec<usize> = match &caller.0 {
        None => vec![],
        Some(p) => inside
            .iter()
            .copied()
            .filter(|&i| {
                let grid = grid_of(index, index.people.grid[i]);
                match p.role {
                    Role::Admin | Role::Command => true,
                    Role::Flood => index.people.items[i].category.is_vulnerable(),
                    Role::Street | Role::Community | Role::Grid => {
                        grid.is_some_and(|g| p.covers(g))
                    }
                    Role::Public => false,
                }
            })
            .collect(),
    };
    let exact = caller.0.as_ref().is_some_and(|p| p.role != Role::Public);
    let counts: serde_json::Map<String, Value> = by_cat
        .iter()
        .map(|(k, v)| {
            (
                (*k).to_owned(),
                if exact {
                    json!(v)
                } else {
                    suppressed_count(*v)
                },
            )
        })
        .collect();
    let items: Vec<Value> = listable
        .iter()
        .map(|&i| crate::http::people::masked(index, i))
        .collect();
    let ids = listable
        .iter()
        .map(|&i| index.people.items[i].id.clone())
        .collect();
    (
        json!({"counts": counts, "total": if exact { json!(inside.len()) } else { suppressed_count(inside.len()) }, "items": items}),
        ids,
    )
}
