//! `GET /tiles/{layer}.json` and `GET /tiles/{layers}/{z}/{x}/{y}.{mvt|geojson}`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::{BaseUrl, Caller, ready};
use crate::auth::policy::{self, Kind};
use crate::domain::Layer;
use crate::error::AppError;
use crate::service::AppState;
use crate::tiles::cache::{CachedTile, TileKey};
use crate::tiles::layers::{self, Rights};
use crate::tiles::{TileCoord, mvt, tilejson};

/// Layers whose content changes with the clock get a short cache life.
const CLOCK_TTL: Duration = Duration::from_secs(60);

/// Tiles below this zoom are built in the bounded pool for heavy work.
const HEAVY_BELOW_Z: u8 = 12;

/// Most layers one composite tile may name.
pub const MAX_TILE_LAYERS: usize = 8;

/// Parses `a,b,c`: known layers, each once, at most [`MAX_TILE_LAYERS`], and
/// each one the caller may see (401 anonymous, 403 signed in).
fn parse_layers(raw: &str, caller: &Caller) -> Result<Vec<Layer>, AppError> {
    let names: Vec<&str> = raw.split(',').collect();
    if names.len() > MAX_TILE_LAYERS {
        return Err(AppError::BadRequest(
            "too_many_layers",
            format!(
                "a composite tile names at most {MAX_TILE_LAYERS} layers, got {}",
                names.len()
            ),
        ));
    }
    let mut layers: Vec<Layer> = Vec::with_capacity(names.len());
    for n in names {
        let l = Layer::parse(n).ok_or_else(|| {
            AppError::NotFound(format!(
                "unknown layer {:?}; layers are {}",
                crate::error::clip(n),
                Layer::names()
            ))
        })?;
        if layers.contains(&l) {
            return Err(AppError::BadRequest(
                "repeated_layer",
                format!("layer {l} is named more than once"),
            ));
        }
        layers.push(l);
    }
    for &l in &layers {
        if !policy::sees_layer(caller.who(), l) {
            caller.require()?;
            return Err(AppError::Forbidden(format!(
                "the {l} layer is not for this account"
            )));
        }
    }
    Ok(layers)
}

/// The caller's rights over the scoped layers.
fn rights(caller: &Caller) -> Rights {
    Rights {
        incidents: caller.reads(Kind::Incidents),
        patrol: caller.reads(Kind::Patrol),
        people: policy::people_counts(caller.who()),
        people_shown: None,
    }
}

/// `GET /tiles/{layer}.json`
pub async fn tilejson(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let layers = name.strip_suffix(".json").ok_or_else(|| {
        AppError::NotFound(format!(
            "no such resource /tiles/{name}; TileJSON is at /tiles/{{layer}}.json"
        ))
    })?;
    parse_layers(layers, &caller)?;
    let bounds = if state.is_ready() {
        state.index().areas.roots().next().map(|e| e.bbox)
    } else {
        None
    };
    Ok(axum::Json(tilejson::tilejson(layers, &b, bounds)).into_response())
}

/// `GET /tiles/{layers}/{z}/{x}/{y}.mvt` (or `.geojson`)
pub async fn tile(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    Path((layers_raw, z, x, y)): Path<(String, String, String, String)>,
) -> Result<Response, AppError> {
    let (y, format) = if let Some(y) = y.strip_suffix(".mvt") {
        (y, "mvt")
    } else if let Some(y) = y.strip_suffix(".pbf") {
        (y, "mvt")
    } else if let Some(y) = y.strip_suffix(".geojson") {
        (y, "geojson")
    } else {
        return Err(AppError::BadRequest(
            "bad_format",
            format!("tile {y:?} must end in .mvt or .geojson"),
        ));
    };
    let tile = TileCoord::parse(&z, &x, y).map_err(|d| AppError::BadRequest("bad_tile", d))?;
    if layers_raw == "topology" {
        return topology(&state, &caller, &headers, tile, format).await;
    }
    let names = parse_layers(&layers_raw, &caller)?;
    serve(&state, &caller, &headers, names, tile, format).await
}

/// `GET /tiles/topology/{z}/{x}/{y}.mvt` (admin): the topology check's
/// problems. Not cached with the other layers: the problems themselves are
/// kept until the areas change, and cutting their few shapes is cheap.
async fn topology(
    state: &Arc<AppState>,
    caller: &Caller,
    headers: &HeaderMap,
    tile: TileCoord,
    format: &'static str,
) -> Result<Response, AppError> {
    caller.may(Kind::Topology, crate::auth::policy::Action::Read)?;
    ready(state)?;
    let st = state.clone();
    let body = state
        .heavy(move || {
            let layer = crate::tiles::topology::layer(&st.topology(), &tile);
            if layer.features.is_empty() {
                return Ok(Vec::new());
            }
            match format {
                "mvt" => Ok(mvt::encode(&[layer])),
                _ => serde_json::to_vec(&mvt::to_geojson(&[layer], &tile))
                    .map_err(|e| AppError::Internal(e.to_string())),
            }
        })
        .await??;
    respond(headers, &CachedTile::new(body, None), format)
}

/// Answers one tile of layers the caller may see (checked by the caller of
/// this function), from the cache or built and cached. `/tiles/…` and the
/// OGC API – Tiles paths both come here, so a tile is cut once whichever asked.
pub async fn serve(
    state: &Arc<AppState>,
    caller: &Caller,
    headers: &HeaderMap,
    names: Vec<Layer>,
    tile: TileCoord,
    format: &'static str,
) -> Result<Response, AppError> {
    ready(state)?;
    let layers_raw = names
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let rights = rights(caller);
    let key = TileKey {
        layers: layers_raw.clone(),
        tile,
        scope: rights.cache_key(&names),
        format,
    };
    let cached = match state.tiles.get(&key) {
        Some(t) => {
            state.metrics.tile_hits.fetch_add(1, Ordering::Relaxed);
            t
        }
        None => {
            state.metrics.tile_misses.fetch_add(1, Ordering::Relaxed);
            let now = Utc::now();
            let st = state.clone();
            let layers_wanted = names.clone();
            let build = move || -> Result<Vec<u8>, AppError> {
                let mut rights = rights;
                let index = st.index();
                if layers_wanted.contains(&Layer::People) {
                    rights.people_shown =
                        rights.people.as_ref().map(|c| st.people_counts(&index, c));
                }
                let mut out = Vec::new();
                for &n in &layers_wanted {
                    out.extend(layers::build(&index, n, &tile, now, &rights));
                }
                match format {
                    "mvt" => Ok(mvt::encode(&out)),
                    _ => serde_json::to_vec(&mvt::to_geojson(&out, &tile))
                        .map_err(|e| AppError::Internal(e.to_string())),
                }
            };
            // Low zooms cover many areas: CPU work for the bounded pool. High zooms
            // are a few milliseconds and stay inline, so tile throughput does not queue.
            let body = if tile.z < HEAVY_BELOW_Z {
                state.heavy(build).await??
            } else {
                build()?
            };
            let ttl = names
                .iter()
                .any(|n| matches!(n, Layer::Incidents | Layer::Patrol))
                .then_some(CLOCK_TTL);
            let t = Arc::new(CachedTile::new(body, ttl));
            state.tiles.put(key, t.clone());
            t
        }
    };
    respond(headers, &cached, format)
}

/// A tile's answer: ETag and 304, 204 when empty, gzip when accepted.
fn respond(
    headers: &HeaderMap,
    cached: &CachedTile,
    format: &'static str,
) -> Result<Response, AppError> {
    let content_type = if format == "mvt" {
        "application/vnd.mapbox-vector-tile"
    } else {
        "application/geo+json"
    };
    let etag =
        HeaderValue::from_str(&cached.etag).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut common = HeaderMap::new();
    common.insert(header::ETAG, etag);
    common.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Encoding, Authorization, Cookie"),
    );
    common.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == cached.etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    if cached.body.is_empty() {
        return Ok((StatusCode::NO_CONTENT, common).into_response());
    }
    common.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    if gzip_ok {
        common.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        Ok((common, cached.gzip()).into_response())
    } else {
        Ok((common, cached.body.clone()).into_response())
    }
}
