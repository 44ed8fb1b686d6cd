//! `GET /api/hazards/nearest`, `GET /api/nearby` and `POST /api/query/within`.

use std::sync::Arc;

use axum::extract::State;
use chrono::Utc;
use geo::Contains;
use geo_types::Point;
use serde_json::{Value, json};

use super::{Caller, Json, Params, count_param, lon_lat, num_param, ready};
use crate::auth::policy::{self, Kind};
use crate::error::AppError;
use crate::service::AppState;
use crate::spatial::BBox;
use crate::spatial::nearest::{NearKind, nearby as nearby_records, nearest_k};
use crate::views::{HazardView, IncidentView, PersonView, ShelterView, to_value};

/// The optional `max_km` parameter in metres; it must be positive.
fn max_metres(q: &Params) -> Result<Option<f64>, AppError> {
    if q.get("max_km").is_none() {
        return Ok(None);
    }
    let km = num_param(q, "max_km")?;
    if km <= 0.0 {
        return Err(AppError::BadRequest(
            "bad_parameter",
            format!("`max_km` must be positive, got {km}"),
        ));
    }
    Ok(Some(km * 1000.0))
}

/// `GET /api/hazards/nearest?lon=&lat=&k=&max_km=`
pub async fn nearest_hazards(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let (lon, lat) = lon_lat(&q)?;
    let k = count_param(&q, "k", 10, 100)?;
    let max_m = max_metres(&q)?;
    ready(&state)?;
    let phones = policy::contact_phones(caller.who());
    let index = state.index();
    let items: Vec<Value> = nearest_k(&index.hazards, lon, lat, k, max_m)
        .into_iter()
        .map(|(i, d)| {
            let mut v = to_value(&HazardView::of(&index, i, phones));
            v["distance_m"] = json!((d * 10.0).round() / 10.0);
            v
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

/// Most records `GET /api/nearby` answers with.
const NEARBY_MAX: usize = 20;

/// `GET /api/nearby?lon=&lat=&k=&max_km=` — the named point records
/// (hazards, shelters, key places) nearest to a point, closest first, as
/// `{"items":[{"kind","id","name","type","grid","lon","lat","distance_m"}]}`:
/// what the phone's report form shows instead of coordinates. Each layer is
/// given only as far as the policy lets the caller read it.
pub async fn nearby(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let (lon, lat) = lon_lat(&q)?;
    let k = count_param(&q, "k", 3, NEARBY_MAX)?;
    let max_m = max_metres(&q)?;
    ready(&state)?;
    // Each layer only as far as the policy lets this caller read it: a layer
    // it may not read at all is not searched, and every item found is held
    // against the layer's scope (all three are public today; the check keeps
    // this answer right if a rule ever narrows one to areas).
    let scopes = [
        (NearKind::Hazard, caller.reads(Kind::Hazards)),
        (NearKind::Shelter, caller.reads(Kind::Shelters)),
        (NearKind::Place, caller.reads(Kind::Places)),
    ];
    let layers: Vec<NearKind> = scopes
        .iter()
        .filter(|(_, scope)| !scope.is_nothing())
        .map(|(near, _)| *near)
        .collect();
    let allowed = |near: NearKind, grid: Option<&str>| {
        scopes
            .iter()
            .any(|(k, scope)| *k == near && scope.allows(grid, None))
    };
    let index = state.index();
    let code = |g: Option<u32>| g.map(|g| index.areas.entries[g as usize].area.code.as_str());
    let items: Vec<Value> = nearby_records(&index, &layers, lon, lat, k, max_m)
        .into_iter()
        .filter_map(|(near, i, d)| {
            let (kind, id, name, sub, grid, x, y) = match near {
                NearKind::Hazard => {
                    let h = &index.hazards.items[i];
                    let g = code(index.hazards.grid[i]);
                    ("hazard", &h.id, &h.name, h.kind.as_str(), g, h.lon, h.lat)
                }
                NearKind::Shelter => {
                    let s = &index.shelters.items[i];
                    let g = code(index.shelters.grid[i]);
                    ("shelter", &s.id, &s.name, "", g, s.lon, s.lat)
                }
                NearKind::Place => {
                    let p = &index.places.items[i];
                    let g = code(index.places.grid[i]);
                    ("place", &p.id, &p.name, p.kind.as_str(), g, p.lon, p.lat)
                }
            };
            allowed(near, grid).then(|| {
                json!({"kind": kind, "id": id, "name": name, "type": sub, "grid": grid,
                       "lon": x, "lat": y, "distance_m": (d * 10.0).round() / 10.0})
            })
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

pub use crate::service::area::parse_area;

/// `POST /api/query/within` — hazards and shelters inside a polygon for
/// anyone; incidents and people only as the records the caller may list
/// (absent when it may list none): no counts of records it may not list, so a
/// shrinking polygon finds nobody.
pub async fn within(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Json<Value>, AppError> {
    ready(&state)?;
    let phones = policy::contact_phones(caller.who());
    let incident_scope = caller.reads(Kind::Incidents);
    let people_scope = caller.reads(Kind::People);
    let st = state.clone();
    // Validation and the query are CPU work: the bounded pool, not the async workers.
    let (answer, people_read) = state.heavy(move || {
        let area = parse_area(&body)?;
        let bbox = BBox::of(&area).ok_or_else(|| AppError::bad("empty polygon"))?;
        let index = st.index();
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
        let (households, persons) = crate::domain::hazard::threatened(
            hz.iter().map(|&i| &index.hazards.items[i]),
        );
        let capacity: u64 = sh
            .iter()
            .map(|&i| u64::from(index.shelters.items[i].capacity))
            .sum();
        let mut answer = json!({
            "hazards": {
                "items": hz.iter().map(|&i| HazardView::of(&index, i, phones)).collect::<Vec<_>>(),
                "total": hz.len(), "threatened_households": households, "threatened_persons": persons,
            },
            "shelters": {
                "items": sh.iter().map(|&i| ShelterView::of(&index, i)).collect::<Vec<_>>(),
                "total": sh.len(), "capacity": capacity,
            },
        });
        if !incident_scope.is_nothing() {
            let now = Utc::now();
            let mut inc: Vec<usize> = index
                .incidents
                .in_bbox(&bbox)
                .filter(|&i| {
                    let v = &index.incidents.items[i];
                    v.status.is_open()
                        && incident_scope.allows(v.grid.as_deref(), v.reporter.as_deref())
                        && inside(v.lon, v.lat)
                })
                .collect();
            inc.sort_unstable();
            let items: Vec<IncidentView> = inc
                .iter()
                .map(|&i| IncidentView::of(&index.incidents.items[i], now))
                .collect();
            answer["incidents"] = json!({"total": items.len(), "items": items});
        }
        let mut read = Vec::new();
        if !people_scope.is_nothing() {
            let mut ppl: Vec<usize> = index
                .people
                .in_bbox(&bbox)
                .filter(|&i| {
                    let grid = index.people.grid[i]
                        .map(|g| index.areas.entries[g as usize].area.code.as_str());
                    people_scope.allows(grid, None)
                        && inside(index.people.items[i].lon, index.people.items[i].lat)
                })
                .collect();
            ppl.sort_unstable();
            let items: Vec<PersonView> = ppl
                .iter()
                .map(|&i| PersonView::of(&index, i, false))
                .collect();
            let mut by_cat: std::collections::BTreeMap<&str, usize> = Default::default();
            for p in &items {
                *by_cat.entry(p.category).or_default() += 1;
            }
            read = items.iter().map(|p| p.id.clone()).collect();
            answer["people"] = json!({"total": items.len(), "counts": by_cat, "items": items});
        }
        Ok::<_, AppError>((answer, read))
    })
    .await??;
    if let (Some(p), false) = (caller.who(), people_read.is_empty()) {
        state
            .store
            .audit(
                &p.username,
                "people.within",
                &people_read,
                Some("area query"),
            )
            .await?;
    }
    Ok(Json(answer))
}
