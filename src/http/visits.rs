//! Follow-up visits (走访): `GET/PUT /api/config/visits`,
//! `GET/POST /api/people/{id}/visits`, `GET /api/visits`, `GET /api/visits/due`
//! and the `visits.{csv,xlsx}` export. Parse, ask the policy, call the
//! service; every read and write of visits is audited like people reads.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use geo_types::{Geometry, Point};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Caller, Json, Params, count_param, offset_param, ready, time_param};
use crate::auth::policy::{Action, Kind, Scope};
use crate::domain::AreaCode;
use crate::domain::visit::shanghai_date;
use crate::error::{AppError, clip};
use crate::service::AppState;
use crate::service::visits::{self as service, NewVisit, ScheduleItem, person_grid};
use crate::views::{VisitView, to_value};

/// Longest look ahead of the due list.
pub const MAX_WITHIN_DAYS: i64 = 366;

/// `GET /api/config/visits` — the schedule (anyone who may read visits).
pub async fn schedule(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, AppError> {
    caller.may(Kind::Visits, Action::Read)?;
    Ok(Json(service::schedule_json(
        &state.store.visit_schedule().await?,
    )))
}

/// Body of `PUT /api/config/visits`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    items: Vec<ScheduleItem>,
}

/// `PUT /api/config/visits` (admin) — replaces the whole schedule.
pub async fn put_schedule(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<ScheduleBody>,
) -> Result<Json<Value>, AppError> {
    let p = caller.may(Kind::Visits, Action::Change)?;
    let rows = service::parse_schedule(&body.items)?;
    let out = service::put_schedule(&state, rows).await?;
    state
        .store
        .audit(&p.username, "visits.schedule", &[], None)
        .await?;
    Ok(Json(out))
}

/// `POST /api/people/{id}/visits` (retries: the idempotency layer in the routes table)
pub async fn post(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<NewVisit>,
) -> Result<Response, AppError> {
    let p = caller.may(Kind::Visits, Action::Create)?;
    let answer = service::record(&state, p, &id, body).await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// `GET /api/people/{id}/visits` — newest first; outside one's rights 404.
pub async fn of_person(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let p = caller.may(Kind::Visits, Action::Read)?;
    let scope = caller.reads(Kind::Visits);
    ready(&state)?;
    {
        let index = state.index();
        let inside = index
            .people
            .position(&id)
            .is_some_and(|i| scope.allows(person_grid(&index, i), None));
        if !inside {
            return Err(AppError::NotFound(format!("no record {}", clip(&id))));
        }
    }
    let items: Vec<VisitView> = state
        .store
        .visits_of(&id)
        .await?
        .iter()
        .map(VisitView::of)
        .collect();
    state
        .store
        .audit(&p.username, "visits.read", std::slice::from_ref(&id), None)
        .await?;
    Ok(Json(json!({ "items": items })))
}

fn area_param(q: &HashMap<String, String>, scope: &Scope) -> Result<Option<AreaCode>, AppError> {
    let area = q
        .get("area")
        .map(|a| AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d)))
        .transpose()?;
    if let Some(a) = &area
        && !scope.meets_area(a.as_str())
    {
        return Err(AppError::Forbidden(format!(
            "area {a} is outside your areas"
        )));
    }
    Ok(area)
}

/// Visits in `[from, to)` whose record the caller may read, under `area`.
async fn visits_in(
    state: &AppState,
    scope: &Scope,
    area: Option<&AreaCode>,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
) -> Result<Vec<VisitView>, AppError> {
    let all = state.store.visits_between(from, to).await?;
    let index = state.index();
    Ok(all
        .iter()
        .filter(|v| {
            // Rights follow the record's grid now; a record since removed
            // reaches only those who reach everything.
            let grid = index
                .people
                .position(&v.person)
                .and_then(|i| person_grid(&index, i));
            let known = index.people.position(&v.person).is_some();
            (known || *scope == Scope::All)
                && scope.allows(grid, None)
                && area.is_none_or(|a| grid.is_some_and(|g| g.starts_with(a.as_str())))
        })
        .map(VisitView::of)
        .collect())
}

/// `GET /api/visits?area=&since=&until=&limit=&offset=` — visits done (default: the last 7 days).
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let p = caller.may(Kind::Visits, Action::Read)?;
    let scope = caller.reads(Kind::Visits);
    let area = area_param(&q, &scope)?;
    let now = Utc::now();
    let from = time_param(&q, "since")?.unwrap_or(now - Duration::days(7));
    let to = time_param(&q, "until")?.unwrap_or(now + Duration::days(1));
    let limit = count_param(&q, "limit", 100, 10_000)?;
    let offset = offset_param(&q)?;
    ready(&state)?;
    let all = visits_in(&state, &scope, area.as_ref(), from, to).await?;
    let total = all.len();
    let items: Vec<VisitView> = all.into_iter().skip(offset).take(limit).collect();
    let ids: Vec<String> = items.iter().map(|v| v.person.clone()).collect();
    state
        .store
        .audit(&p.username, "visits.list", &ids, None)
        .await?;
    Ok(Json(json!({"items": items, "total": total})))
}

/// `GET /api/visits/due?area=&within_days=&limit=&offset=` — records due on or
/// before today + `within_days` (default 0: due today or overdue).
pub async fn due(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let p = caller.may(Kind::Visits, Action::Read)?;
    let scope = caller.reads(Kind::Visits);
    let area = area_param(&q, &scope)?;
    let within = match q.get("within_days") {
        None => 0,
        Some(w) => w
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (0..=MAX_WITHIN_DAYS).contains(d))
            .ok_or_else(|| {
                AppError::BadRequest(
                    "bad_parameter",
                    format!(
                        "`within_days` must be a whole number 0–{MAX_WITHIN_DAYS}, got {:?}",
                        clip(w)
                    ),
                )
            })?,
    };
    let limit = count_param(&q, "limit", 100, 10_000)?;
    let offset = offset_param(&q)?;
    ready(&state)?;
    let today = shanghai_date(Utc::now());
    let (items, total, overdue, streets) = {
        let index = state.index();
        let all = service::due_list(&index, &scope, area.as_ref(), within, today);
        let overdue = all.iter().filter(|d| d.overdue).count();
        let streets = service::by_street(&index, &all);
        let total = all.len();
        let page: Vec<_> = all.into_iter().skip(offset).take(limit).collect();
        (page, total, overdue, streets)
    };
    let ids: Vec<String> = items.iter().map(|d| d.person.clone()).collect();
    state
        .store
        .audit(&p.username, "visits.due", &ids, None)
        .await?;
    Ok(Json(json!({
        "items": items, "total": total, "overdue": overdue,
        "today": today, "by_street": streets,
    })))
}

/// `GET /api/export/visits.{csv,xlsx}?area=&since=&until=` — the visit log by rights.
pub async fn export(
    state: Arc<AppState>,
    caller: Caller,
    ext: &str,
    q: &HashMap<String, String>,
) -> Result<Response, AppError> {
    let p = caller.may(Kind::Visits, Action::Read)?.clone();
    if !matches!(ext, "csv" | "xlsx") {
        return Err(AppError::NotFound(format!(
            "no visits export as {:?}; csv or xlsx",
            clip(ext)
        )));
    }
    if let Some(k) = q
        .keys()
        .find(|k| !["area", "since", "until"].contains(&k.as_str()))
    {
        return Err(AppError::BadRequest(
            "bad_parameter",
            format!(
                "unknown filter `{}` for visits; use area, since, until",
                clip(k)
            ),
        ));
    }
    let scope = caller.reads(Kind::Visits);
    let area = area_param(q, &scope)?;
    let now = Utc::now();
    let from = time_param(q, "since")?.unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    let to = time_param(q, "until")?.unwrap_or(now + Duration::days(1));
    ready(&state)?;
    let visits = visits_in(&state, &scope, area.as_ref(), from, to).await?;
    let ids: Vec<String> = visits.iter().map(|v| v.person.clone()).collect();
    let cols = [
        "id",
        "person",
        "grid",
        "at",
        "how",
        "note",
        "by",
        "risk_before",
        "risk_after",
        "next_due",
    ];
    let rows: Vec<(String, Map<String, Value>, Geometry<f64>)> = visits
        .into_iter()
        .map(|v| {
            let (x, y) = (v.lon.unwrap_or(0.0), v.lat.unwrap_or(0.0));
            let props = match to_value(&v) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            (v.id, props, Geometry::Point(Point::new(x, y)))
        })
        .collect();
    let ext = ext.to_owned();
    let (ctype, body) = state
        .heavy(move || {
            let table = crate::export::Table::from_json("visits", &cols, rows);
            match ext.as_str() {
                "csv" => Ok(("text/csv; charset=utf-8", table.to_csv())),
                _ => table
                    .to_xlsx()
                    .map(|b| {
                        (
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            b,
                        )
                    })
                    .map_err(|d| AppError::BadRequest("too_large_for_xlsx", d)),
            }
        })
        .await??;
    state
        .store
        .audit(&p.username, "visits.export", &ids, None)
        .await?;
    let date = shanghai_date(now).format("%Y%m%d");
    let name = match &area {
        Some(a) => format!(
            "visits-{a}-{date}.{}",
            if ctype.starts_with("text") {
                "csv"
            } else {
                "xlsx"
            }
        ),
        None => format!(
            "visits-{date}.{}",
            if ctype.starts_with("text") {
                "csv"
            } else {
                "xlsx"
            }
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
