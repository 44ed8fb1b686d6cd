//! Incidents: `POST/GET /api/incidents`, `GET /api/incidents/{id}`,
//! workflow actions and categories. Parse, ask the policy, call the service.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::{Caller, Json, Params, count_param, offset_param, ready};
use crate::auth::policy::{Action, Kind};
use crate::domain::IncidentStatus;
use crate::domain::incident::{CATEGORIES, SOURCES, category_code};
use crate::error::{AppError, clip};
use crate::service::AppState;
use crate::service::incidents::{ActionBody, NewIncident};
use crate::spatial::BBox;

/// `GET /api/incidents/categories` (anyone: the report form needs it before sign-in)
/// — with the deadlines configured now (`/api/config/deadlines`), not the built-in ones.
pub async fn categories(State(state): State<Arc<AppState>>) -> Result<Json<Value>, AppError> {
    let stored = state.store.deadlines().await?;
    let items: Vec<Value> = CATEGORIES
        .iter()
        .map(|(code, name, default)| {
            let hours = stored
                .iter()
                .find(|(c, _)| c == code)
                .map_or(*default, |(_, h)| *h);
            json!({"code": code, "name": name, "deadline_hours": hours})
        })
        .collect();
    Ok(Json(json!({"items": items, "sources": SOURCES})))
}

/// `POST /api/incidents` (retries: [`super::idempotency`], in the routes table)
pub async fn post(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<NewIncident>,
) -> Result<Response, AppError> {
    let p = caller.may(Kind::Incidents, Action::Create)?;
    let answer = crate::service::incidents::report(&state, p, body).await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

fn parse_bool(q: &Params, name: &str) -> Result<Option<bool>, AppError> {
    q.get(name)
        .map(|o| match o.as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(AppError::BadRequest(
                "bad_parameter",
                format!("`{name}` must be true or false"),
            )),
        })
        .transpose()
}

/// `GET /api/incidents?status=&area=&category=&bbox=&since=&overdue=&limit=&offset=`
/// — the incidents the caller may read (a public account: its own reports).
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    caller.require()?;
    let scope = caller.reads(Kind::Incidents);
    let status = q
        .get("status")
        .map(|s| {
            IncidentStatus::parse(s).ok_or_else(|| {
                AppError::BadRequest("bad_parameter", format!("unknown status {:?}", clip(s)))
            })
        })
        .transpose()?;
    let category = q
        .get("category")
        .map(|c| {
            category_code(c).ok_or_else(|| {
                AppError::BadRequest("bad_parameter", format!("unknown category {:?}", clip(c)))
            })
        })
        .transpose()?;
    let area = q
        .get("area")
        .map(|a| {
            crate::domain::AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d))
        })
        .transpose()?;
    let bbox = q
        .get("bbox")
        .map(|b| BBox::parse(b).map_err(|d| AppError::BadRequest("bad_parameter", d)))
        .transpose()?;
    let since = super::time_param(&q, "since")?;
    let overdue = parse_bool(&q, "overdue")?;
    let limit = count_param(&q, "limit", 100, 10_000)?;
    let offset = offset_param(&q)?;
    if let Some(a) = &area
        && !scope.meets_area(a.as_str())
    {
        return Err(AppError::Forbidden(format!(
            "area {a} is outside your areas"
        )));
    }
    ready(&state)?;
    let query = crate::service::history::ListQuery {
        status,
        category: category.map(str::to_owned),
        area: area.map(|a| a.as_str().to_owned()),
        bbox,
        since,
        overdue,
    };
    let (items, total) =
        crate::service::history::list(&state, &scope, &query, limit, offset, Utc::now()).await?;
    Ok(Json(json!({"items": items, "total": total})))
}

/// `GET /api/incidents/{id}` — the case detail (see [`crate::service::case`]);
/// an id outside the caller's rights answers as an id that does not exist.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    Ok(Json(crate::service::case::detail(&state, p, &id).await?))
}

/// `POST /api/incidents/{id}/actions` `{"action","note","satisfaction","version"}`
pub async fn act(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ActionBody>,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    Ok(Json(
        crate::service::incidents::act(&state, p, &id, body).await?,
    ))
}

/// `GET /api/incidents/recent?limit=` — the last changes (reported, or a
/// step taken) to the cases the caller may read, newest first, naming grid
/// and street: the wall's feed on open. `limit` default 20, max 100.
pub async fn recent(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    caller.require()?;
    let scope = caller.reads(Kind::Incidents);
    let limit = count_param(&q, "limit", 20, 100)?;
    ready(&state)?;
    let items = crate::service::incidents::recent_changes(&state, &scope, limit).await?;
    Ok(Json(json!({"items": items})))
}
