//! OGC API – Tiles over the vector tiles of `/tiles`: one tile matrix set
//! (WebMercatorQuad), a tileset per collection and one for the whole dataset
//! (every collection the caller may see, one MVT layer each). Tiles come from
//! [`crate::http::tiles::serve`], the same cache and rights as `/tiles`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::{district_bbox, find_collection, json_response, visible};
use crate::domain::Layer;
use crate::error::{AppError, clip};
use crate::http::{BaseUrl, Caller, Params, tiles};
use crate::ogc::tms::{self, Tileset, WEB_MERCATOR_QUAD};
use crate::service::AppState;
use crate::tiles::TileCoord;

fn check_tms(id: &str) -> Result<(), AppError> {
    if id == WEB_MERCATOR_QUAD {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "no tile matrix set {:?}; the one offered is {WEB_MERCATOR_QUAD}",
            clip(id)
        )))
    }
}

fn tms_url(b: &str) -> String {
    format!("{b}/ogc/tileMatrixSets/{WEB_MERCATOR_QUAD}")
}

/// Points are 0-dimensional, areas 2.
fn dimension(l: Layer) -> u8 {
    match l {
        Layer::Grids | Layer::People | Layer::Patrol => 2,
        _ => 0,
    }
}

/// `GET /ogc/tileMatrixSets`
pub async fn tile_matrix_sets(BaseUrl(b): BaseUrl) -> Response {
    json_response(json!({"tileMatrixSets": [{
        "id": WEB_MERCATOR_QUAD, "title": "Google Maps Compatible for the World", "uri": tms::WEB_MERCATOR_QUAD_URI,
        "links": [{"rel": "self", "type": "application/json", "href": tms_url(&b)}],
    }]}))
}

/// `GET /ogc/tileMatrixSets/{tms}`
pub async fn tile_matrix_set(Path(id): Path<String>) -> Result<Response, AppError> {
    check_tms(&id)?;
    Ok(json_response(tms::web_mercator_quad()))
}

/// `GET /ogc/collections/{id}/tiles`
pub async fn collection_tilesets(
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (_, title) = find_collection(&id, &caller)?;
    Ok(json_response(tms::tilesets(
        title,
        &format!("{b}/ogc/collections/{id}/tiles"),
        &tms_url(&b),
    )))
}

/// `GET /ogc/collections/{id}/tiles/{tms}`
pub async fn collection_tileset(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path((id, tms_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (layer, title) = find_collection(&id, &caller)?;
    check_tms(&tms_id)?;
    Ok(json_response(tms::tileset(&Tileset {
        title,
        url: format!("{b}/ogc/collections/{id}/tiles/{WEB_MERCATOR_QUAD}"),
        tms_url: tms_url(&b),
        layers: vec![(layer.as_str(), dimension(layer))],
        bounds: district_bbox(&state),
    })))
}

/// The tile's format from `f` or a `.mvt`/`.pbf`/`.geojson` suffix on the
/// column (GDAL's MVT driver recognises a tile URL by its extension).
fn tile_format<'a>(q: &Params, col: &'a str) -> Result<(&'static str, &'a str), AppError> {
    for (suffix, format) in [(".mvt", "mvt"), (".pbf", "mvt"), (".geojson", "geojson")] {
        if let Some(c) = col.strip_suffix(suffix) {
            return Ok((format, c));
        }
    }
    Ok((format_param(q)?, col))
}

fn format_param(q: &Params) -> Result<&'static str, AppError> {
    match q.get("f").map(String::as_str) {
        None | Some("mvt") => Ok("mvt"),
        Some("geojson") | Some("json") => Ok("geojson"),
        Some(other) => Err(AppError::BadRequest(
            "bad_format",
            format!("f={:?}: tiles come as mvt or geojson", clip(other)),
        )),
    }
}

/// `GET /ogc/collections/{id}/tiles/{tms}/{tileMatrix}/{tileRow}/{tileCol}`
pub async fn collection_tile(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, tms_id, z, row, col)): Path<(String, String, String, String, String)>,
    q: Params,
) -> Result<Response, AppError> {
    let (layer, _) = find_collection(&id, &caller)?;
    check_tms(&tms_id)?;
    let (format, col) = tile_format(&q, &col)?;
    let tile = TileCoord::parse(&z, col, &row).map_err(|d| AppError::BadRequest("bad_tile", d))?;
    tiles::serve(&state, &caller, &headers, vec![layer], tile, format).await
}

const DATASET_TITLE: &str = "民情地图 every collection the caller may see";

/// `GET /ogc/tiles`
pub async fn dataset_tilesets(BaseUrl(b): BaseUrl) -> Response {
    json_response(tms::tilesets(
        DATASET_TITLE,
        &format!("{b}/ogc/tiles"),
        &tms_url(&b),
    ))
}

/// `GET /ogc/tiles/{tms}`
pub async fn dataset_tileset(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path(tms_id): Path<String>,
) -> Result<Response, AppError> {
    check_tms(&tms_id)?;
    Ok(json_response(tms::tileset(&Tileset {
        title: DATASET_TITLE,
        url: format!("{b}/ogc/tiles/{WEB_MERCATOR_QUAD}"),
        tms_url: tms_url(&b),
        layers: visible(&caller)
            .map(|(l, _)| (l.as_str(), dimension(l)))
            .collect(),
        bounds: district_bbox(&state),
    })))
}

/// `GET /ogc/tiles/{tms}/{tileMatrix}/{tileRow}/{tileCol}`: one MVT layer per
/// collection the caller may see (the same composite tile as `/tiles/a,b,…`).
pub async fn dataset_tile(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    Path((tms_id, z, row, col)): Path<(String, String, String, String)>,
    q: Params,
) -> Result<Response, AppError> {
    check_tms(&tms_id)?;
    let (format, col) = tile_format(&q, &col)?;
    let tile = TileCoord::parse(&z, col, &row).map_err(|d| AppError::BadRequest("bad_tile", d))?;
    let layers: Vec<Layer> = visible(&caller).map(|(l, _)| l).collect();
    tiles::serve(&state, &caller, &headers, layers, tile, format).await
}
