//! Evidence photos on a case (`POST/GET /api/incidents/{id}/photos…`) and the
//! deadlines configuration (`GET /api/config/deadlines`,
//! `PUT /api/config/deadlines/{category}`). Parse, ask the policy, call the service.

use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Caller, Json, Params};
use crate::auth::policy::{Action, Kind};
use crate::domain::incident::{CATEGORIES, MAX_DEADLINE_HOURS, category_code, category_name};
use crate::error::{AppError, clip};
use crate::service::AppState;
use crate::service::photos::{MAX_PHOTO_BYTES, MAX_PHOTOS};

/// Largest request to the photo endpoint: nine photos and the multipart framing.
pub const MAX_PHOTO_REQUEST_BYTES: usize = MAX_PHOTOS as usize * MAX_PHOTO_BYTES + (1 << 20);

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!(
            "a request carries at most {MAX_PHOTOS} photos of 10 MB each"
        ))
    } else {
        AppError::BadRequest("bad_multipart", clip(&e.body_text()))
    }
}

/// `POST /api/incidents/{id}/photos` — multipart parts named `photo`.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    let p = caller.may(Kind::Incidents, Action::Attach)?;
    let incident = crate::service::photos::target(&state, p, &id).await?;
    let mut form = form.map_err(|r| {
        AppError::UnsupportedMedia(format!(
            "send multipart/form-data with parts named `photo` ({})",
            clip(&r.body_text())
        ))
    })?;
    let mut uploads: Vec<Vec<u8>> = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("photo") {
            return Err(AppError::BadRequest(
                "bad_part",
                format!(
                    "unknown part {:?}; photos go in parts named `photo`",
                    clip(field.name().unwrap_or(""))
                ),
            ));
        }
        if uploads.len() as i64 >= MAX_PHOTOS {
            return Err(AppError::Conflict(format!(
                "a case holds at most {MAX_PHOTOS} photos"
            )));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > MAX_PHOTO_BYTES {
                return Err(AppError::TooLarge(format!(
                    "a photo is at most {MAX_PHOTO_BYTES} bytes (10 MB)"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        uploads.push(bytes);
    }
    let photos = crate::service::photos::add(&state, p, incident, uploads).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"photos": photos}))).into_response())
}

/// `GET /api/incidents/{id}/photos/{n}` (`?size=thumb` for the thumbnail),
/// by the incident's rights: outside them, 404 as for a missing photo.
pub async fn photo(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, n)): Path<(String, String)>,
    q: Params,
) -> Result<Response, AppError> {
    caller.require()?;
    let scope = caller.reads(Kind::Incidents);
    let thumb = match q.get("size").map(String::as_str) {
        None | Some("full") => false,
        Some("thumb") => true,
        Some(other) => {
            return Err(AppError::BadRequest(
                "bad_parameter",
                format!("`size` is thumb or full, got {:?}", clip(other)),
            ));
        }
    };
    state.ready()?;
    let not_found =
        || AppError::NotFound(format!("no photo {} of incident {}", clip(&n), clip(&id)));
    let readable = crate::service::history::incident(&state, &id)
        .await?
        .is_some_and(|i| scope.allows(i.grid.as_deref(), i.reporter.as_deref()));
    let n: i64 = n.parse().ok().filter(|n| *n >= 1).ok_or_else(not_found)?;
    if !readable {
        return Err(not_found());
    }
    let (content_type, bytes) = state
        .store
        .photo(&id, n, thumb)
        .await?
        .ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            // Never kept by a shared cache: who may see it depends on the session.
            (
                header::CACHE_CONTROL,
                "private, max-age=86400, immutable".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /api/config/deadlines` — handling hours per category (signed in).
pub async fn deadlines(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, AppError> {
    caller.require()?;
    let stored = state.store.deadlines().await?;
    let items: Vec<Value> = CATEGORIES
        .iter()
        .map(|(code, name, default)| {
            let hours = stored
                .iter()
                .find(|(c, _)| c == code)
                .map_or(*default, |(_, h)| *h);
            json!({"category": code, "name": name, "hours": hours})
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

/// Body of `PUT /api/config/deadlines/{category}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineBody {
    /// handling time in hours, 1 to a year
    pub hours: i64,
}

/// `PUT /api/config/deadlines/{category}` `{"hours"}` (admin): applies to
/// cases reported from now on.
pub async fn set_deadline(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(category): Path<String>,
    Json(body): Json<DeadlineBody>,
) -> Result<Json<Value>, AppError> {
    let p = caller.may(Kind::Config, Action::Change)?;
    let code = category_code(category.trim()).ok_or_else(|| {
        AppError::NotFound(format!(
            "no category {}; see GET /api/config/deadlines",
            clip(&category)
        ))
    })?;
    if !(1..=MAX_DEADLINE_HOURS).contains(&body.hours) {
        return Err(AppError::BadRequest(
            "bad_hours",
            format!("`hours` must be 1–{MAX_DEADLINE_HOURS}"),
        ));
    }
    state
        .store
        .set_deadline(code, body.hours, &p.username)
        .await?;
    tracing::info!(user = %p.username, category = code, hours = body.hours, "deadline changed");
    Ok(Json(
        json!({"category": code, "name": category_name(code), "hours": body.hours}),
    ))
}
