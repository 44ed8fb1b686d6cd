//! The base map: `GET /basemap/tiles.json` (what the map draws under our
//! layers), `GET /basemap/tiles/{z}/{x}/{y}` (tiles of a local file) and
//! `GET /basemap/source.pmtiles` (the archive itself, with byte ranges, for
//! PMTiles clients such as QGIS).

use std::io::SeekFrom;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::BaseUrl;
use crate::basemap::{Basemap, TileKind};
use crate::error::{AppError, clip};
use crate::service::AppState;
use crate::tiles::TileCoord;

/// Browsers may keep base-map tiles a day: the file does not change while we run.
const TILE_CACHE: &str = "public, max-age=86400";

/// `GET /basemap/tiles.json`: `{"type": "offline"}`, or `{"type": "vector" |
/// "raster", "sources": [TileJSON…]}` (several for stacked XYZ templates).
pub async fn tilejson(State(state): State<Arc<AppState>>, BaseUrl(base): BaseUrl) -> Response {
    let body = describe(&state.basemap, &base);
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(body)).into_response()
}

fn describe(b: &Basemap, base: &str) -> Value {
    if let Some(info) = b.file_info() {
        let kind = info.format.kind();
        let mut tj = json!({
            "tilejson": "3.0.0",
            "tiles": [format!("{base}/basemap/tiles/{{z}}/{{x}}/{{y}}")],
            "minzoom": info.minzoom,
            "maxzoom": info.maxzoom,
        });
        if let Some(bounds) = info.bounds {
            tj["bounds"] = json!(bounds);
        }
        if let Some(a) = &info.attribution {
            tj["attribution"] = json!(a);
        }
        if kind == TileKind::Vector {
            tj["vector_layers"] = json!(info.vector_layers);
        } else {
            tj["tileSize"] = json!(256);
        }
        let mut out = json!({"type": kind, "sources": [tj]});
        if b.pmtiles_path().is_some() {
            out["pmtiles"] = json!(format!("{base}/basemap/source.pmtiles"));
        }
        return out;
    }
    match b {
        Basemap::Xyz(templates) => json!({
            "type": "raster",
            "sources": templates.iter().map(|t| json!({
                "tilejson": "3.0.0", "tiles": [t], "tileSize": 256, "minzoom": 0, "maxzoom": 18,
            })).collect::<Vec<_>>(),
        }),
        _ => json!({"type": "offline"}),
    }
}

/// `GET /basemap/tiles/{z}/{x}/{y}` (an extension on `y` is allowed): one
/// tile of the local file as stored; 204 where the file has none.
pub async fn tile(
    State(state): State<Arc<AppState>>,
    Path((z, x, y)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let y = y.split_once('.').map_or(y.as_str(), |(y, _)| y);
    let t = TileCoord::parse(&z, &x, y).map_err(|d| AppError::BadRequest("bad_tile", d))?;
    let Some(info) = state.basemap.file_info() else {
        // No file base map: nothing to draw here, as for any empty tile.
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let found = state
        .basemap
        .tile(t.z, t.x, t.y)
        .await
        .map_err(|e| AppError::Internal(format!("base map tile {z}/{x}/{y}: {e}")))?;
    let Some(found) = found else {
        return Ok((
            StatusCode::NO_CONTENT,
            [(header::CACHE_CONTROL, TILE_CACHE)],
        )
            .into_response());
    };
    let mut res = (
        [
            (header::CONTENT_TYPE, info.format.content_type()),
            (header::CACHE_CONTROL, TILE_CACHE),
        ],
        found.data,
    )
        .into_response();
    if found.gzip {
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(res)
}

/// A byte range asked for, resolved against the file length (inclusive end).
fn byte_range(raw: &str, len: u64) -> Result<Option<(u64, u64)>, AppError> {
    let bad = || {
        AppError::RangeNotSatisfiable(
            format!("range {} is outside the file of {len} bytes", clip(raw)),
            len,
        )
    };
    let Some(spec) = raw.trim().strip_prefix("bytes=") else {
        return Ok(None); // another unit: answer with the whole file
    };
    if spec.contains(',') {
        return Ok(None); // several ranges: the whole file is a valid answer
    }
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| bad())?;
        if n == 0 || len == 0 {
            return Err(bad());
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let start: u64 = a.parse().map_err(|_| bad())?;
        let end = if b.is_empty() {
            len.saturating_sub(1)
        } else {
            b.parse::<u64>()
                .map_err(|_| bad())?
                .min(len.saturating_sub(1))
        };
        if start >= len || end < start {
            return Err(bad());
        }
        (start, end)
    };
    Ok(Some(range))
}

/// `GET /basemap/source.pmtiles`: the archive, whole or by one byte range.
pub async fn pmtiles_file(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(path) = state.basemap.pmtiles_path() else {
        return Err(AppError::NotFound(
            "no PMTiles base map is configured (--basemap FILE.pmtiles)".into(),
        ));
    };
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let len = meta.len();
    let modified = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let etag = format!("\"{len:x}-{modified:x}\"");
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        // A range applies only while the file is the one the client started on.
        Some(r) if if_range_holds(&headers, &etag) => byte_range(r, len)?,
        _ => None,
    };
    let (status, start, count) = match range {
        Some((a, b)) => (StatusCode::PARTIAL_CONTENT, a, b - a + 1),
        None => (StatusCode::OK, 0, len),
    };
    file.seek(SeekFrom::Start(start))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file.take(count)));
    let mut res = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/vnd.pmtiles")
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, count)
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, TILE_CACHE)
        .body(body)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", start + count - 1))
    {
        res.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    Ok(res)
}

/// `If-Range` absent, or naming our current ETag.
fn if_range_holds(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_resolve_as_rfc_9110_says() {
        type Case = (&'static str, Option<(u64, u64)>, &'static str);
        let cases: &[Case] = &[
            ("bytes=0-126", Some((0, 126)), "the PMTiles header"),
            (
                "bytes=100-",
                Some((100, 999)),
                "open end runs to the last byte",
            ),
            ("bytes=-10", Some((990, 999)), "suffix: the last ten bytes"),
            (
                "bytes=900-5000",
                Some((900, 999)),
                "an end past the file is clipped",
            ),
            ("bytes=0-1,5-6", None, "several ranges: the whole file"),
            ("items=0-1", None, "another unit: the whole file"),
        ];
        for (raw, want, why) in cases {
            assert_eq!(byte_range(raw, 1000).ok().flatten(), *want, "{raw}: {why}");
        }
        for raw in ["bytes=1000-", "bytes=5-2", "bytes=x-1", "bytes=-0"] {
            assert!(byte_range(raw, 1000).is_err(), "{raw} is unsatisfiable");
        }
    }
}
