//! `POST /api/import/{layer}` (admin): the import of `minqing import` from
//! the browser. Multipart parts: `file` (one or more), `crs`, `mapping` and
//! `defaults` (JSON objects as text), `dry_run` (`true`/`false`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::Caller;
use crate::auth::policy::{self, Action};
use crate::error::AppError;
use crate::import::check::Options;
use crate::import::upload::UploadFile;
use crate::import::{Crs, Layer};
use crate::service::AppState;
use crate::service::imports::{self, Upload};

/// The largest upload an import takes (contract: 1 GiB).
pub const MAX_IMPORT_BYTES: usize = 1 << 30;

fn json_object(part: &str, text: &str) -> Result<HashMap<String, String>, AppError> {
    if text.trim().is_empty() {
        return Ok(HashMap::new());
    }
    serde_json::from_str(text).map_err(|e| {
        AppError::bad(format!(
            "{part} must be a JSON object of strings, e.g. {{\"名称\": \"name\"}}: {e}"
        ))
    })
}

/// Reads the multipart form into an [`Upload`].
async fn read_form(layer: Layer, mut form: Multipart) -> Result<Upload, AppError> {
    let mut files = Vec::new();
    let (mut crs, mut mapping, mut defaults, mut dry_run) =
        (Crs::Wgs84, HashMap::new(), HashMap::new(), false);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::bad(format!("cannot read the form: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| AppError::bad(format!("cannot read part {name:?}: {e}")))?;
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        match name.as_str() {
            "file" => files.push(UploadFile {
                name: file_name.unwrap_or_else(|| "upload".into()),
                bytes: bytes.to_vec(),
            }),
            "crs" => {
                let t = text();
                crs = Crs::parse(&t).ok_or_else(|| {
                    AppError::bad(format!("crs {t:?}: use wgs84, cgcs2000, gcj02 or bd09"))
                })?;
            }
            "mapping" => mapping = json_object("mapping", &text())?,
            "defaults" => defaults = json_object("defaults", &text())?,
            "dry_run" => {
                dry_run = match text().as_str() {
                    "true" | "1" | "on" => true,
                    "false" | "0" | "" => false,
                    other => {
                        return Err(AppError::bad(format!(
                            "dry_run {other:?}: use true or false"
                        )));
                    }
                }
            }
            other => {
                return Err(AppError::bad(format!(
                    "unknown part {other:?}: send file, crs, mapping, defaults, dry_run"
                )));
            }
        }
    }
    if files.is_empty() {
        return Err(AppError::bad(
            "no file part: send the data as a part named file",
        ));
    }
    Ok(Upload {
        files,
        opts: Options {
            layer,
            crs,
            mapping,
            defaults,
        },
        dry_run,
    })
}

/// `POST /api/import/{layer}`
pub async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(layer): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    let layer = Layer::parse(&layer).ok_or_else(|| {
        AppError::NotFound(format!(
            "no layer {layer:?} to import: grids, hazards, shelters, places, people, incidents"
        ))
    })?;
    // Rights before the body is read: a refused caller learns nothing from form errors.
    let who = caller.may(policy::kind_of(layer.map_layer()), Action::Import)?;
    crate::http::ready(&state)?;
    let form = Multipart::from_request(req, &state)
        .await
        .map_err(|e| AppError::bad(format!("send a multipart/form-data body: {e}")))?;
    let up = read_form(layer, form).await?;
    let (fine, answer) = imports::upload(&state, who, up).await?;
    let status = if fine {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, axum::Json(answer)).into_response())
}
