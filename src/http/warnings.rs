//! Warning areas (预警区): `POST/GET /api/warnings`, `GET /api/warnings/{id}`,
//! `POST /api/warnings/{id}/actions`, and the warning as `cap.xml`,
//! `calls.csv`, `calls.xlsx`. Parse, ask the policy, call the service.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::{Caller, Json, ready};
use crate::auth::policy::{Action, Kind};
use crate::domain::warning::cap_xml;
use crate::error::{AppError, clip};
use crate::service::AppState;
use crate::service::warnings::{self, NewWarning, WarningAction};

/// `POST /api/warnings` (flood, command, admin)
pub async fn post(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<NewWarning>,
) -> Result<Response, AppError> {
    let p = caller.may(Kind::Warnings, Action::Create)?;
    let answer = warnings::issue(&state, p, body).await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// `GET /api/warnings` — the warnings touching the caller's areas, newest first.
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, AppError> {
    caller.require()?;
    ready(&state)?;
    let now = Utc::now();
    let index = state.index();
    let mut items: Vec<Value> = state
        .warnings()
        .iter()
        .rev()
        .filter(|w| warnings::visible(caller.who(), &index, w))
        .map(|w| warnings::summary(&index, w, now))
        .collect();
    // Active first, then the rest, each newest first.
    items.sort_by_key(|w| w["status"] != "active");
    let total = items.len();
    Ok(Json(json!({"items": items, "total": total})))
}

/// The warning `id` if the caller may read it; 404 otherwise (as for a missing id).
fn readable(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<crate::domain::Warning, AppError> {
    let not_found = || AppError::NotFound(format!("no warning {}", clip(id)));
    let w = state.warning(id).ok_or_else(not_found)?;
    if !warnings::visible(caller.who(), &state.index(), &w) {
        return Err(not_found());
    }
    Ok(w)
}

/// `GET /api/warnings/{id}` — the answer for the warning, by rights. A head
/// of a touched grid is recorded as having seen it; people read are audited
/// naming the warning.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    ready(&state)?;
    readable(&state, &caller, &id)?;
    warnings::mark_seen(&state, p, &id).await?;
    let w = readable(&state, &caller, &id)?;
    let (out, read) = {
        let index = state.index();
        warnings::detail(&index, Some(p), &w, Utc::now())
    };
    if !read.is_empty() {
        state
            .store
            .audit(
                &p.username,
                "people.warning",
                &read,
                Some(&format!("预警 {} {}", w.id, w.name)),
            )
            .await?;
    }
    Ok(Json(out))
}

/// `POST /api/warnings/{id}/actions` `{"action": "extend"|"lift"|"confirm", "until"?, "hazard"?}`
pub async fn act(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<WarningAction>,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    Ok(Json(warnings::act(&state, p, &id, body).await?))
}

/// `GET /api/warnings/{id}/cap.xml`, `…/calls.csv`, `…/calls.xlsx`
pub async fn file(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    caller.require()?;
    ready(&state)?;
    let w = readable(&state, &caller, &id)?;
    let phones = crate::auth::policy::contact_phones(caller.who());
    let disposition = |ext: &str| format!("attachment; filename=\"{}-{ext}\"", w.id);
    let (ctype, name, body): (&str, String, Vec<u8>) = match file.as_str() {
        "cap.xml" => {
            let sender = format!(
                "minqing@{}",
                state
                    .index()
                    .areas
                    .roots()
                    .next()
                    .map(|e| e.area.code.as_str().to_owned())
                    .unwrap_or_else(|| "district".into())
            );
            (
                "application/xml; charset=utf-8",
                format!("inline; filename=\"{}.cap.xml\"", w.id),
                cap_xml(&w, &sender).into_bytes(),
            )
        }
        "calls.csv" => (
            "text/csv; charset=utf-8",
            disposition("calls.csv"),
            warnings::calls(&state.index(), &w, phones).to_csv(),
        ),
        "calls.xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            disposition("calls.xlsx"),
            warnings::calls(&state.index(), &w, phones)
                .to_xlsx()
                .map_err(AppError::Internal)?,
        ),
        other => {
            return Err(AppError::NotFound(format!(
                "no {:?} for a warning; cap.xml, calls.csv or calls.xlsx",
                clip(other)
            )));
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
