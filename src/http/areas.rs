//! `GET/POST /api/grids/at` and `GET /api/areas/{code}`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Caller, Json, Params, lon_lat, ready};
use crate::auth::policy::{self, Kind};
use crate::domain::AreaCode;
use crate::error::AppError;
use crate::service::AppState;
use crate::spatial::SpatialIndex;
use crate::spatial::index::AreaEntry;

/// The JSON of a grid head: phone numbers only for signed-in callers.
pub fn head_json(e: &AreaEntry, caller: &Caller) -> Value {
    match &e.area.head {
        Some(h) if policy::contact_phones(caller.who()) => {
            json!({"name": h.name, "phone": h.phone})
        }
        Some(h) => json!({"name": h.name}),
        None => Value::Null,
    }
}

fn brief(e: &AreaEntry) -> Value {
    json!({"code": e.area.code.as_str(), "name": e.area.name, "level": e.area.level().as_str()})
}

/// `GET /api/grids/at?lon=&lat=`
pub async fn grid_at(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let (lon, lat) = lon_lat(&q)?;
    ready(&state)?;
    let index = state.index();
    let hit = index
        .grid_at(lon, lat)
        .ok_or_else(|| AppError::NotFound(format!("no grid contains ({lon}, {lat})")))?;
    let g = hit.grid;
    Ok(Json(json!({
        "code": g.area.code.as_str(),
        "name": g.area.name,
        "level": "grid",
        "parent": g.area.parent.as_ref().map(|p| p.as_str()),
        "head": head_json(g, &caller),
        "households": g.area.households,
        "residents": g.area.residents,
        "ancestors": hit.ancestors.iter().map(|a| brief(a)).collect::<Vec<_>>(),
    })))
}

/// Body of the batch lookup.
#[derive(Debug, Deserialize)]
pub struct Batch {
    points: Vec<[f64; 2]>,
}

/// Most points one batch may ask for.
pub const MAX_BATCH: usize = 100_000;

/// `POST /api/grids/at` `{"points":[[lon,lat],…]}` → `{"grids":[code|null,…]}`
pub async fn grids_at_batch(
    State(state): State<Arc<AppState>>,
    Json(b): Json<Batch>,
) -> Result<Json<Value>, AppError> {
    if b.points.len() > MAX_BATCH {
        return Err(AppError::bad(format!(
            "at most {MAX_BATCH} points per batch, got {}",
            b.points.len()
        )));
    }
    for (i, [lon, lat]) in b.points.iter().enumerate() {
        crate::spatial::geom::check_lon_lat(*lon, *lat)
            .map_err(|d| AppError::BadRequest("bad_point", format!("point {i}: {d}")))?;
    }
    ready(&state)?;
    let index = state.index();
    let grids: Vec<Option<&str>> = b
        .points
        .iter()
        .map(|[lon, lat]| {
            index
                .areas
                .grid_at((*lon, *lat))
                .map(|i| index.areas.entries[i as usize].area.code.as_str())
        })
        .collect();
    Ok(Json(json!({"grids": grids})))
}

/// Counts of the public layers under an area; incidents only when the
/// caller may read every incident under it; people as [`people_counts`] says.
pub fn area_counts(
    state: &AppState,
    index: &SpatialIndex,
    idx: usize,
    caller: &Caller,
    history: &[(String, String, i64)],
) -> Value {
    let code = index.areas.entries[idx].area.code.as_str();
    let within = |g: Option<u32>| {
        g.is_some_and(|g| {
            index.areas.entries[g as usize]
                .area
                .code
                .as_str()
                .starts_with(code)
        })
    };
    let mut by_risk: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut hazards, mut households, mut persons) = (0usize, 0u64, 0u64);
    for (i, h) in index.hazards.items.iter().enumerate() {
        if within(index.hazards.grid[i]) {
            hazards += 1;
            households += u64::from(h.threatened_households);
            persons += u64::from(h.threatened_persons);
            *by_risk.entry(h.risk.as_str()).or_default() += 1;
        }
    }
    let shelters: Vec<usize> = (0..index.shelters.len())
        .filter(|&i| within(index.shelters.grid[i]))
        .collect();
    let capacity: u64 = shelters
        .iter()
        .map(|&i| u64::from(index.shelters.items[i].capacity))
        .sum();
    let places = (0..index.places.len())
        .filter(|&i| within(index.places.grid[i]))
        .count();
    let mut out = json!({
        "hazards": {"total": hazards, "by_risk": by_risk, "threatened_households": households, "threatened_persons": persons},
        "shelters": {"total": shelters.len(), "capacity": capacity},
        "places": places,
    });
    if caller.reads(Kind::Incidents).covers_area(code) {
        out["incidents"] = incident_counts(index, code, history);
    }
    if let Some(people) = people_counts(state, index, idx, code, caller) {
        out["people"] = people;
    }
    out
}

/// `history`: the store's counts of history cases by category and status
/// (finished and old: never open, overdue or new today).
fn incident_counts(index: &SpatialIndex, code: &str, history: &[(String, String, i64)]) -> Value {
    let now = Utc::now();
    let today = crate::domain::incident::to_shanghai(now)[..10].to_owned();
    let (mut total, mut open, mut overdue, mut new_today) = (0usize, 0usize, 0usize, 0usize);
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for (category, status, n) in history {
        let n = usize::try_from(*n).unwrap_or(0);
        total += n;
        *by_category
            .entry(crate::domain::incident::category_name(category))
            .or_default() += n;
        if let Some(s) = crate::domain::IncidentStatus::parse(status) {
            *by_status.entry(s.as_str()).or_default() += n;
        }
    }
    for inc in index.live_incidents() {
        if inc.grid.as_deref().is_some_and(|g| g.starts_with(code)) {
            total += 1;
            open += usize::from(inc.status.is_open());
            overdue += usize::from(inc.is_overdue(now));
            if crate::domain::incident::to_shanghai(inc.reported_at).starts_with(&today) {
                new_today += 1;
            }
            *by_category
                .entry(crate::domain::incident::category_name(&inc.category))
                .or_default() += 1;
            *by_status.entry(inc.status.as_str()).or_default() += 1;
        }
    }
    json!({"total": total, "open": open, "overdue": overdue, "new_today": new_today, "by_category": by_category, "by_status": by_status})
}

/// People counts of one stored area for the caller: exact where it may list
/// the records, protected (`"<3"`, complementary suppression) where the
/// policy gives counts only, absent otherwise.
fn people_counts(
    state: &AppState,
    index: &SpatialIndex,
    idx: usize,
    code: &str,
    caller: &Caller,
) -> Option<Value> {
    let counts = policy::people_counts(caller.who())?;
    let exact = counts.exact.covers_area(code);
    if !exact && !counts.protected_elsewhere {
        return None;
    }
    let shown = state.people_counts(index, &counts);
    let (total, by_cat) = shown.area(idx);
    let by_category: serde_json::Map<String, Value> = by_cat
        .into_iter()
        .map(|(c, n)| (c.zh().to_owned(), crate::views::to_value(&n)))
        .collect();
    Some(json!({"total": total, "by_category": by_category, "exact": exact}))
}

/// `GET /api/areas/{code}`
pub async fn area(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, AppError> {
    let code = AreaCode::parse(&code).map_err(|d| AppError::BadRequest("bad_code", d))?;
    ready(&state)?;
    // History cases under the area (closed, older than the live window) are counted by the store.
    let history = if caller.reads(Kind::Incidents).covers_area(code.as_str()) {
        crate::service::history::counts_in_area(&state, code.as_str()).await?
    } else {
        Vec::new()
    };
    let index = state.index();
    let idx = index
        .areas
        .position(code.as_str())
        .ok_or_else(|| AppError::NotFound(format!("no area with code {code}")))?;
    let e = &index.areas.entries[idx];
    let geometry = geojson::Geometry::from(&e.area.geometry);
    let mut out = json!({
        "code": e.area.code.as_str(),
        "name": e.area.name,
        "level": e.area.level().as_str(),
        "parent": e.area.parent.as_ref().map(|p| p.as_str()),
        "children": e.children.iter().map(|&c| index.areas.entries[c as usize].area.code.as_str()).collect::<Vec<_>>(),
        "ancestors": index.areas.ancestors(idx).iter().map(|a| brief(a)).collect::<Vec<_>>(),
        "bbox": e.bbox.to_array(),
        "label": [e.label.0, e.label.1],
        "households": e.area.households,
        "residents": e.area.residents,
        "geometry": geometry,
        "counts": area_counts(&state, &index, idx, &caller, &history),
    });
    if e.area.head.is_some() {
        out["head"] = head_json(e, &caller);
    }
    Ok(Json(out))
}
