//! Patrol reads: `GET /api/patrol/coverage` (coverage and key places per grid
//! under an area) and `GET /api/patrol/gaps` (grids where incidents outrun
//! patrols). Ingest is in [`super::patrol_tracks`].

use std::sync::Arc;

use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{Caller, Json, Params, count_param, ready};
use crate::auth::policy::{Action, Kind};
use crate::domain::incident::to_shanghai;
use crate::domain::{AreaCode, Level};
use crate::error::AppError;
use crate::service::AppState;
use crate::spatial::SpatialIndex;
use crate::spatial::coverage::{DEFAULT_REACH_M, MAX_REACH_M};

/// Longest window one request may ask for (coverage cost grows with it).
const MAX_WINDOW_DAYS: i64 = 31;
/// Gap list length: default and cap.
const GAPS_DEFAULT: usize = 20;
const GAPS_MAX: usize = 1000;

/// What a patrol read asks: the area, the window and the reach.
struct PatrolQuery {
    area: AreaCode,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reach_m: f64,
}

/// Patrol readers only (the policy's scope); the area must be within their reach.
fn patrol_query(caller: &Caller, q: &Params) -> Result<PatrolQuery, AppError> {
    let p = caller.may(Kind::Patrol, Action::Read)?;
    let scope = caller.reads(Kind::Patrol);
    let to = super::time_param(q, "to")?.unwrap_or_else(Utc::now);
    let from = super::time_param(q, "from")?.unwrap_or(to - Duration::days(1));
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
    let reach_m = match q.get("reach_m") {
        None => DEFAULT_REACH_M,
        Some(raw) => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite() && *r > 0.0)
            .ok_or_else(|| {
                AppError::BadRequest(
                    "bad_parameter",
                    format!("`reach_m` must be a positive number of metres, got {raw:?}"),
                )
            })?
            .min(MAX_REACH_M),
    };
    let area = match q.get("area") {
        Some(a) => AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d))?,
        None => p
            .areas
            .first()
            .cloned()
            .ok_or_else(|| AppError::bad("give an area code"))?,
    };
    if !scope.covers_area(area.as_str()) {
        return Err(AppError::Forbidden(format!(
            "area {area} is outside your areas"
        )));
    }
    Ok(PatrolQuery {
        area,
        from,
        to,
        reach_m,
    })
}

/// Positions of the grids under an area, or 404.
fn grids_under(index: &SpatialIndex, area: &AreaCode) -> Result<Vec<usize>, AppError> {
    if index.areas.get(area.as_str()).is_none() {
        return Err(AppError::NotFound(format!("no area with code {area}")));
    }
    Ok(index
        .areas
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.area.level() == Level::Grid && e.area.code.is_within(area))
        .map(|(i, _)| i)
        .collect())
}

/// Runs a read of the index off the async workers: a district's coverage is
/// seconds of CPU, which must not stall other requests.
async fn on_index<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&SpatialIndex) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    ready(state)?;
    let st = state.clone();
    state.heavy(move || f(&st.index())).await?
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The index holds the tracks (and the reports gaps count) of the live window
/// only (`--live-days`): a window reaching back before it would be answered
/// short, so it is refused with the date it may start from.
fn within_live_window(index: &SpatialIndex, from: DateTime<Utc>) -> Result<(), AppError> {
    match index.history_before {
        Some(start) if from < start => Err(AppError::BadRequest(
            "bad_parameter",
            format!(
                "patrol tracks before {} (Beijing time) are kept in the store only (the server holds the last --live-days days); ask for `from` at or after that time",
                start
                    .with_timezone(&crate::domain::incident::shanghai())
                    .format("%Y-%m-%d %H:%M")
            ),
        )),
        _ => Ok(()),
    }
}

/// `GET /api/patrol/coverage?area=&from=&to=&reach_m=`
pub async fn coverage(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let pq = patrol_query(&caller, &q)?;
    let grids = on_index(&state, move |index| {
        within_live_window(index, pq.from)?;
        let ids = grids_under(index, &pq.area)?;
        let cov = index.coverage_many(&ids, pq.from, pq.to, pq.reach_m);
        let place = |k: usize, last: Option<DateTime<Utc>>| {
            let pl = &index.places.items[k];
            json!({"id": pl.id, "name": pl.name, "kind": pl.kind, "lon": pl.lon, "lat": pl.lat,
                   "visit_every_hours": pl.visit_every_hours, "last_visit": last.map(to_shanghai)})
        };
        let grids: Vec<Value> = ids
            .iter()
            .zip(cov)
            .map(|(&i, c)| {
                let e = &index.areas.entries[i];
                let last = |k: usize| c.last_visit.iter().find(|(p, _)| *p == k).map(|(_, t)| *t);
                json!({
                    "code": e.area.code.as_str(), "name": e.area.name, "coverage": round3(c.share),
                    "places_visited": c.visited.len(),
                    "places_missed": c.missed.iter().map(|&k| place(k, last(k))).collect::<Vec<_>>(),
                    "last_visits": c.last_visit.iter().map(|(k, t)| json!({"id": index.places.items[*k].id, "at": to_shanghai(*t)})).collect::<Vec<_>>(),
                    // Every key place of the grid with its last visit (any time up to `to`)
                    // and whether it is missed in the window: the phone's 重点场所 list.
                    "places": index.places_in_grid(i).iter().map(|&k| {
                        let mut v = place(k, last(k));
                        v["missed"] = json!(c.missed.contains(&k));
                        v
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok((grids, pq))
    })
    .await?;
    let (grids, pq) = grids;
    Ok(Json(json!({
        "area": pq.area.as_str(), "from": to_shanghai(pq.from), "to": to_shanghai(pq.to),
        "reach_m": pq.reach_m, "grids": grids,
    })))
}

/// How gaps are scored, as given in the answer.
const SCORING: &str = "score = (1 − coverage) × r / (r + 1), r = incidents reported in the grid per day of the window (rejected reports left out; a window under a day counts as one day); grids with incidents only, highest score first";

/// `GET /api/patrol/gaps?area=&from=&to=&reach_m=&limit=`
pub async fn gaps(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let pq = patrol_query(&caller, &q)?;
    let limit = count_param(&q, "limit", GAPS_DEFAULT, GAPS_MAX)?;
    let (items, total, pq) = on_index(&state, move |index| {
        within_live_window(index, pq.from)?;
        let ids = grids_under(index, &pq.area)?;
        let mut gaps: Vec<_> = index
            .patrol_gaps(&ids, pq.from, pq.to, pq.reach_m)
            .into_iter()
            .filter(|g| g.incidents > 0)
            .collect();
        gaps.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.incidents.cmp(&a.incidents))
                .then(a.grid.cmp(&b.grid))
        });
        let total = gaps.len();
        let items: Vec<Value> = gaps
            .iter()
            .take(limit)
            .map(|g| {
                let e = &index.areas.entries[g.grid];
                json!({"code": e.area.code.as_str(), "name": e.area.name, "incidents": g.incidents,
                       "coverage": round3(g.coverage), "score": round3(g.score)})
            })
            .collect();
        Ok((items, total, pq))
    })
    .await?;
    Ok(Json(json!({
        "area": pq.area.as_str(), "from": to_shanghai(pq.from), "to": to_shanghai(pq.to),
        "reach_m": pq.reach_m, "scoring": SCORING, "total": total, "items": items,
    })))
}
