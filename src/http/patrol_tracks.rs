//! `POST /api/patrol/tracks`: a batch of GPS fixes as JSON, GeoJSON, GPX or
//! CSV (by `Content-Type`), `?crs=` and `?member=` optional. Noise is dropped
//! and counted; the rest goes to the store in one transaction, then to the
//! index, and the patrol tiles it touches are invalidated.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use chrono::Utc;
use serde_json::Value;

use super::{Caller, Json, Params, ready};
use crate::auth::policy::{Action, Kind};
use crate::domain::Level;
use crate::error::AppError;
use crate::patrol::{Dropped, Format, NoiseRules, ParseOptions, ParsedTracks, clean, parse};
use crate::service::AppState;
use crate::spatial::coverage::DEFAULT_REACH_M;
use crate::spatial::crs::Crs;
use crate::spatial::{BBox, SpatialIndex};

/// Problems listed in a 400's detail.
const PROBLEMS_SHOWN: usize = 20;

/// Parses and cleans a body against the index (the noise rules need the
/// district and each member's last stored fix).
fn read_batch(
    index: &SpatialIndex,
    format: Format,
    body: &str,
    opts: &ParseOptions,
) -> Result<(ParsedTracks, Dropped), AppError> {
    let parsed = parse(format, body, opts).map_err(|problems| {
        let mut detail: Vec<String> = problems
            .iter()
            .take(PROBLEMS_SHOWN)
            .map(ToString::to_string)
            .collect();
        if problems.len() > PROBLEMS_SHOWN {
            detail.push(format!("and {} more", problems.len() - PROBLEMS_SHOWN));
        }
        AppError::BadRequest(
            "bad_track",
            format!(
                "{} fixes rejected, nothing stored: {}",
                problems.len(),
                detail.join("; ")
            ),
        )
    })?;
    if parsed.points.is_empty() {
        return Err(AppError::BadRequest(
            "bad_track",
            "the body holds no fixes".into(),
        ));
    }
    let district = index
        .areas
        .roots()
        .map(|e| e.bbox)
        .reduce(|a, b| a.union(&b));
    let rules = NoiseRules::for_district(district, Utc::now());
    Ok(clean(parsed, &rules, &index.tracks))
}

/// The tiles a batch makes stale: every grid within reach of a fix changes
/// coverage, and its whole polygon is drawn, so the box of those grids.
fn stale_bbox(index: &SpatialIndex, batch: &ParsedTracks) -> BBox {
    let fixes = batch
        .points
        .iter()
        .map(|p| BBox {
            min_lon: p.lon,
            min_lat: p.lat,
            max_lon: p.lon,
            max_lat: p.lat,
        })
        .reduce(|a, b| a.union(&b))
        .expect("a batch with fixes")
        .grown_m(DEFAULT_REACH_M);
    index
        .areas
        .in_bbox(Level::Grid, &fixes)
        .map(|i| index.areas.entries[i].bbox)
        .fold(fixes, |a, b| a.union(&b))
}

/// `POST /api/patrol/tracks?crs=&member=`
pub async fn post(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let p = caller.may(Kind::Patrol, Action::Create)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = Format::from_content_type(ct).ok_or_else(|| {
        AppError::BadRequest(
            "bad_content_type",
            format!("Content-Type {ct:?} is not a track format; send application/json, application/geo+json, application/gpx+xml or text/csv"),
        )
    })?;
    let crs = q
        .get("crs")
        .map(|c| Crs::parse(c))
        .transpose()
        .map_err(|d| AppError::BadRequest("bad_parameter", d))?
        .unwrap_or_default();
    let member = q
        .get("member")
        .map(|m| {
            crate::patrol::parse::check_member(m)
                .map_err(|why| AppError::BadRequest("bad_parameter", format!("`member` {why}")))
        })
        .transpose()?;
    let opts = ParseOptions { crs, member };
    let body = String::from_utf8(body.to_vec())
        .map_err(|_| AppError::BadRequest("bad_track", "the body must be UTF-8".into()))?;
    ready(&state)?;
    let st = state.clone();
    let (batch, dropped, stale) = tokio::task::spawn_blocking(move || {
        let index = st.index();
        let (batch, dropped) = read_batch(&index, format, &body, &opts)?;
        let stale = (!batch.points.is_empty()).then(|| stale_bbox(&index, &batch));
        Ok::<_, AppError>((batch, dropped, stale))
    })
    .await
    .map_err(|e| AppError::Internal(format!("track worker: {e}")))??;
    Ok(Json(
        crate::service::patrol::ingest(&state, p, batch, dropped, stale).await?,
    ))
}
