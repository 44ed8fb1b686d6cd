//! OGC API over every layer the caller may see: Features Part 1 (core,
//! GeoJSON), Part 2 (CRS by reference), Part 3 (queryables, CQL2 filters),
//! sorting, and Tiles over the same tile cache as `/tiles`. QGIS, GDAL
//! (`OAPIF:`/`OGCAPI:`) and OWSLib open it directly.
//!
//! Which collections exist is the policy's call (`policy::sees_layer`); an
//! invisible collection answers 404 on every path below it.

mod api;
mod items;
mod tiles;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub use api::openapi;
pub use items::{item, items_page};
pub use tiles::{
    collection_tile, collection_tileset, collection_tilesets, dataset_tile, dataset_tileset,
    dataset_tilesets, tile_matrix_set, tile_matrix_sets,
};

use super::{BaseUrl, Caller, ready};
use crate::auth::policy;
use crate::domain::Layer;
use crate::error::{AppError, clip};
use crate::ogc::crs::ServedCrs;
use crate::ogc::{queryables, tms};
use crate::service::AppState;
use crate::spatial::BBox;

/// Collections and their titles. Which of them exist for a caller is the policy's call.
const COLLECTIONS: [(Layer, &str); 6] = [
    (
        Layer::Grids,
        "网格 Areas (district, streets, communities, grids)",
    ),
    (Layer::Hazards, "隐患点 Hazard points"),
    (Layer::Shelters, "安置点 Shelters"),
    (Layer::Places, "重点场所 Key places"),
    (Layer::Incidents, "事件 Incidents (by rights)"),
    (
        Layer::People,
        "特殊人群 Special populations: counts per grid (by rights)",
    ),
];

/// Link relation to a collection's queryables.
const REL_QUERYABLES: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";

/// The conformance classes; each is exercised by tests (unit tables, OWSLib, GDAL).
const CONFORMANCE: [&str; 25] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
];

fn json_response(v: Value) -> Response {
    axum::Json(v).into_response()
}

fn typed_json(content_type: &'static str, v: Value) -> Response {
    ([(header::CONTENT_TYPE, content_type)], axum::Json(v)).into_response()
}

/// `GET /ogc`
pub async fn landing(BaseUrl(b): BaseUrl) -> Response {
    json_response(json!({
        "title": "民情地图 Minqing Map",
        "description": "Grid-based social governance layers as OGC API – Features (Parts 1–3) and OGC API – Tiles",
        "links": [
            {"href": format!("{b}/ogc"), "rel": "self", "type": "application/json", "title": "this document"},
            {"href": format!("{b}/ogc/api"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "the OGC API definition"},
            {"href": format!("{b}/api/openapi.json"), "rel": "related", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "the /api definition"},
            {"href": format!("{b}/ogc/conformance"), "rel": "conformance", "type": "application/json", "title": "conformance classes"},
            {"href": format!("{b}/ogc/collections"), "rel": "data", "type": "application/json", "title": "collections"},
            {"href": format!("{b}/ogc/tileMatrixSets"), "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "type": "application/json", "title": "tile matrix sets"},
            {"href": format!("{b}/ogc/tiles"), "rel": tms::REL_TILESETS_VECTOR, "type": "application/json", "title": "vector tiles of every collection in one tileset"},
        ]
    }))
}

/// `GET /ogc/conformance`
pub async fn conformance() -> Response {
    json_response(json!({ "conformsTo": CONFORMANCE }))
}

fn collection_json(b: &str, layer: Layer, title: &str, bbox: [f64; 4]) -> Value {
    let id = layer.as_str();
    let mut c = json!({
        "id": id, "title": title, "itemType": "feature",
        "crs": ServedCrs::ALL.map(ServedCrs::uri),
        "storageCrs": ServedCrs::Crs84.uri(),
        "extent": {"spatial": {"bbox": [bbox], "crs": ServedCrs::Crs84.uri()}},
        "links": [
            {"href": format!("{b}/ogc/collections/{id}"), "rel": "self", "type": "application/json"},
            {"href": format!("{b}/ogc/collections/{id}/items"), "rel": "items", "type": "application/geo+json"},
            {"href": format!("{b}/ogc/collections/{id}/queryables"), "rel": REL_QUERYABLES, "type": "application/schema+json"},
            {"href": format!("{b}/ogc/collections/{id}/tiles"), "rel": tms::REL_TILESETS_VECTOR, "type": "application/json"},
        ],
    });
    if layer == Layer::Incidents {
        c["extent"]["temporal"] = json!({"interval": [[null, null]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"});
    }
    c
}

/// The district's extent (the whole world before the index is loaded).
fn district_bbox(state: &AppState) -> BBox {
    let world = BBox {
        min_lon: -180.0,
        min_lat: -85.0,
        max_lon: 180.0,
        max_lat: 85.0,
    };
    if !state.is_ready() {
        return world;
    }
    state
        .index()
        .areas
        .roots()
        .next()
        .map(|e| e.bbox)
        .unwrap_or(world)
}

/// The collections the caller may see, in table order.
fn visible(caller: &Caller) -> impl Iterator<Item = (Layer, &'static str)> + '_ {
    COLLECTIONS
        .iter()
        .copied()
        .filter(|(l, _)| policy::sees_layer(caller.who(), *l))
}

/// `GET /ogc/collections`
pub async fn collections(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
) -> Result<Response, AppError> {
    ready(&state)?;
    let bbox = district_bbox(&state).to_array();
    Ok(json_response(json!({
        "links": [{"href": format!("{b}/ogc/collections"), "rel": "self", "type": "application/json"}],
        "crs": ServedCrs::ALL.map(ServedCrs::uri),
        "collections": visible(&caller)
            .map(|(l, t)| collection_json(&b, l, t, bbox))
            .collect::<Vec<_>>(),
    })))
}

/// A collection the caller may see, or 404 (one answer for "hidden" and "absent").
fn find_collection(id: &str, caller: &Caller) -> Result<(Layer, &'static str), AppError> {
    visible(caller)
        .find(|(l, _)| l.as_str() == id)
        .ok_or_else(|| AppError::NotFound(format!("no collection {:?}", clip(id))))
}

/// `GET /ogc/collections/{id}`
pub async fn collection(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (layer, title) = find_collection(&id, &caller)?;
    ready(&state)?;
    Ok(json_response(collection_json(
        &b,
        layer,
        title,
        district_bbox(&state).to_array(),
    )))
}

/// `GET /ogc/collections/{id}/queryables`
pub async fn queryables(
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (layer, _) = find_collection(&id, &caller)?;
    Ok(typed_json(
        "application/schema+json",
        queryables::schema(layer, &format!("{b}/ogc/collections/{id}/queryables")),
    ))
}
