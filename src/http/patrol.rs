//! `GET /api/patrol/coverage?area=&from=&to=`: coverage per grid under an area.

use std::sync::Arc;

use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{Caller, Json, Params, ready};
use crate::app::AppState;
use crate::auth::Role;
use crate::domain::{AreaCode, Level};
use crate::error::AppError;

fn time_param(q: &Params, name: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    q.get(name)
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    AppError::BadRequest(
                        "bad_parameter",
                        format!("`{name}` must be RFC 3339, got {s:?}"),
                    )
                })
        })
        .transpose()
}

/// Longest window one request may ask for (coverage cost grows with it).
const MAX_WINDOW_DAYS: i64 = 31;

/// `GET /api/patrol/coverage`
pub async fn coverage(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    if p.role == Role::Public {
        return Err(AppError::Forbidden("patrol coverage is for staff".into()));
    }
    let to = time_param(&q, "to")?.unwrap_or_else(Utc::now);
    let from = time_param(&q, "from")?.unwrap_or(to - Duration::days(1));
    if from >= to {
        return Err(AppError::BadRequest(
            "bad_parameter",
            "`from` must be before `to`".into(),
        ));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(AppError::BadRequest(
            "bad_parameter",
            format!("the window is limited to {MAX_WINDOW_DAYS} days"),
        ));
    }
    let area = match q.get("area") {
        Some(a) => AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d))?,
        None => p
            .areas
            .first()
            .cloned()
            .ok_or_else(|| AppError::bad("give an area code"))?,
    };
    if !p.covers(area.as_str()) && p.role != Role::Flood {
        return Err(AppError::Forbidden(format!(
            "area {area} is outside your areas"
        )));
    }
    ready(&state)?;
    let index = state.index();
    if index.areas.get(area.as_str()).is_none() {
        return Err(AppError::NotFound(format!("no area with code {area}")));
    }
    let grids: Vec<Value> = index
        .areas
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.area.level() == Level::Grid && e.area.code.is_within(&area))
        .map(|(i, e)| {
            let c = index.coverage(i, from, to);
            let place = |k: usize| {
                let pl = &index.places.items[k];
                json!({"id": pl.id, "name": pl.name, "kind": pl.kind, "lon": pl.lon, "lat": pl.lat, "visit_every_hours": pl.visit_every_hours})
            };
            json!({
                "code": e.area.code.as_str(), "name": e.area.name, "coverage": (c.share * 1000.0).round() / 1000.0,
                "places_visited": c.visited.len(),
                "places_missed": c.missed.iter().map(|&k| place(k)).collect::<Vec<_>>(),
                "last_visits": c.last_visit.iter().map(|(k, t)| json!({"id": index.places.items[*k].id, "at": crate::domain::incident::to_shanghai(*t)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(
        json!({"area": area.as_str(), "from": crate::domain::incident::to_shanghai(from), "to": crate::domain::incident::to_shanghai(to), "grids": grids}),
    ))
}
