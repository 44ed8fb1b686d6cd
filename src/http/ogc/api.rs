//! `GET /ogc/api`: the OpenAPI 3.0 definition of the OGC API (the landing
//! page's `service-desc`), paths relative to `/ogc`.
//!
//! Each collection the caller may see gets its own items path listing its
//! queryables as query parameters: GDAL (≤ 3.6) learns from exactly these
//! which `-where` clauses it may send to the server instead of filtering
//! everything itself, and from the `filter-lang` enum that CQL text is spoken.

use serde_json::{Map, Value, json};

use super::visible;
use crate::http::{BaseUrl, Caller};
use crate::ogc::crs::ServedCrs;
use crate::ogc::queryables::{self, Kind};

fn param(name: &str, place: &str, schema: Value, description: &str) -> Value {
    let mut p = json!({"name": name, "in": place, "required": place == "path", "schema": schema, "description": description});
    if place == "query" {
        // bbox=1,2,3,4: one comma-separated value, not repeated parameters
        p["style"] = json!("form");
        p["explode"] = json!(false);
    }
    p
}

fn get(summary: &str, params: Vec<Value>, media: &str) -> Value {
    json!({"get": {
        "summary": summary,
        "parameters": params,
        "responses": {
            "200": {"description": "success", "content": {media: {}}},
            "400": {"description": "bad input: {\"error\",\"detail\"}"},
            "404": {"description": "no such resource, or one outside the caller's rights"},
        },
    }})
}

fn items_params() -> Vec<Value> {
    let crs_enum =
        json!({"type": "string", "format": "uri", "enum": ServedCrs::ALL.map(ServedCrs::uri)});
    let s = || json!({"type": "string"});
    vec![
        param(
            "bbox",
            "query",
            json!({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}),
            "minx,miny,maxx,maxy in bbox-crs axis order",
        ),
        param(
            "bbox-crs",
            "query",
            crs_enum.clone(),
            "CRS of bbox (default CRS84)",
        ),
        param(
            "crs",
            "query",
            crs_enum.clone(),
            "CRS of the answer's coordinates (default CRS84); the Content-Crs header names it",
        ),
        param(
            "datetime",
            "query",
            s(),
            "RFC 3339 instant or interval a/b (.. open)",
        ),
        param(
            "limit",
            "query",
            json!({"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}),
            "page size",
        ),
        param(
            "offset",
            "query",
            json!({"type": "integer", "minimum": 0, "default": 0}),
            "items to skip",
        ),
        param("filter", "query", s(), "CQL2 filter on the queryables"),
        param(
            "filter-lang",
            "query",
            json!({"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"], "default": "cql2-text"}),
            "filter encoding (cql-text: the draft name of cql2-text)",
        ),
        param(
            "filter-crs",
            "query",
            crs_enum,
            "CRS of geometries in filter (default CRS84)",
        ),
        param(
            "sortby",
            "query",
            s(),
            "comma-separated queryables, - for descending",
        ),
    ]
}

fn queryable_schema(kind: Kind) -> Value {
    match kind {
        Kind::Integer => json!({"type": "integer"}),
        Kind::Boolean => json!({"type": "boolean"}),
        Kind::DateTime => json!({"type": "string", "format": "date-time"}),
        _ => json!({"type": "string"}),
    }
}

/// The document for this caller (only the collections it may see).
pub fn document(base: &str, caller: &Caller) -> Value {
    let id = |n: &str| param(n, "path", json!({"type": "string"}), "identifier");
    let mut paths = Map::new();
    let mut put = |p: String, v: Value| {
        paths.insert(p, v);
    };
    put("/".into(), get("landing page", vec![], "application/json"));
    put(
        "/conformance".into(),
        get("conformance classes", vec![], "application/json"),
    );
    put(
        "/collections".into(),
        get("collections the caller may see", vec![], "application/json"),
    );
    put(
        "/collections/{collectionId}".into(),
        get(
            "one collection",
            vec![id("collectionId")],
            "application/json",
        ),
    );
    let mut generic = vec![id("collectionId")];
    generic.extend(items_params());
    put(
        "/collections/{collectionId}/items".into(),
        get(
            "features: Part 1 filters, CQL2 filter, sortby, crs",
            generic,
            "application/geo+json",
        ),
    );
    put(
        "/collections/{collectionId}/items/{featureId}".into(),
        get(
            "one feature",
            vec![
                id("collectionId"),
                id("featureId"),
                items_params().remove(2),
            ],
            "application/geo+json",
        ),
    );
    put(
        "/collections/{collectionId}/queryables".into(),
        get(
            "queryables as JSON Schema",
            vec![id("collectionId")],
            "application/schema+json",
        ),
    );
    for (layer, title) in visible(caller) {
        let mut ps = items_params();
        ps.extend(
            queryables::queryables(layer)
                .into_iter()
                .filter(|q| !matches!(q.kind, Kind::Geometry(_)))
                .map(|q| param(q.name, "query", queryable_schema(q.kind), q.title)),
        );
        put(
            format!("/collections/{layer}/items"),
            get(title, ps, "application/geo+json"),
        );
    }
    put(
        "/tileMatrixSets".into(),
        get("tile matrix sets", vec![], "application/json"),
    );
    put(
        "/tileMatrixSets/{tileMatrixSetId}".into(),
        get(
            "a tile matrix set (TMS 2.0 JSON)",
            vec![id("tileMatrixSetId")],
            "application/json",
        ),
    );
    put(
        "/collections/{collectionId}/tiles".into(),
        get(
            "vector tilesets of a collection",
            vec![id("collectionId")],
            "application/json",
        ),
    );
    put(
        "/collections/{collectionId}/tiles/{tileMatrixSetId}".into(),
        get(
            "tileset metadata",
            vec![id("collectionId"), id("tileMatrixSetId")],
            "application/json",
        ),
    );
    let tile_params = |mut v: Vec<Value>| {
        v.extend([
            id("tileMatrixSetId"),
            id("tileMatrix"),
            id("tileRow"),
            id("tileCol"),
            param(
                "f",
                "query",
                json!({"type": "string", "enum": ["mvt", "geojson"]}),
                "format (default mvt)",
            ),
        ]);
        v
    };
    put(
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"
            .into(),
        get(
            "a vector tile (204 when empty)",
            tile_params(vec![id("collectionId")]),
            "application/vnd.mapbox-vector-tile",
        ),
    );
    put(
        "/tiles".into(),
        get("the dataset's vector tilesets", vec![], "application/json"),
    );
    put(
        "/tiles/{tileMatrixSetId}".into(),
        get(
            "dataset tileset metadata",
            vec![id("tileMatrixSetId")],
            "application/json",
        ),
    );
    put(
        "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}".into(),
        get(
            "a tile of every collection the caller may see",
            tile_params(vec![]),
            "application/vnd.mapbox-vector-tile",
        ),
    );
    json!({
        "openapi": "3.0.3",
        "info": {"title": "民情地图 Minqing Map – OGC API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "OGC API – Features Parts 1–3 and OGC API – Tiles over the layers the caller may see."},
        "servers": [{"url": format!("{base}/ogc")}],
        "paths": paths,
    })
}

/// `GET /ogc/api`
pub async fn openapi(caller: Caller, BaseUrl(b): BaseUrl) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        axum::Json(document(&b, &caller)),
    )
        .into_response()
}
