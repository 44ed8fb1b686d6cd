//! `GET /api/openapi.json`: the OpenAPI 3.0 description of every endpoint.

use serde_json::{Value, json};

use super::BaseUrl;

fn param(name: &str, place: &str, required: bool, ty: &str, description: &str) -> Value {
    json!({"name": name, "in": place, "required": required, "schema": {"type": ty}, "description": description})
}

fn op(summary: &str, params: Vec<Value>, ok: &str, body: Option<&str>) -> Value {
    let mut o = json!({
        "summary": summary,
        "parameters": params,
        "responses": {
            ok: {"description": "success"},
            "400": {"description": "bad input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "401": {"description": "sign in first"},
            "403": {"description": "outside your rights"},
            "404": {"description": "not found"},
        },
    });
    if let Some(b) = body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}, "example": serde_json::from_str::<Value>(b).unwrap_or(Value::Null)}}});
    }
    o
}

/// The document.
pub fn document(base: &str) -> Value {
    let lon = || param("lon", "query", true, "number", "WGS84 longitude");
    let lat = || param("lat", "query", true, "number", "WGS84 latitude");
    let limit = || {
        param(
            "limit",
            "query",
            false,
            "integer",
            "page size, default 100, capped at 10000",
        )
    };
    let offset = || param("offset", "query", false, "integer", "items to skip");
    let path_id = |n: &str| param(n, "path", true, "string", "identifier");
    json!({
        "openapi": "3.0.3",
        "info": {"title": "民情地图 Minqing Map API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Grid-based social governance: areas, hazards, shelters, places, incidents, special populations (by rights) and patrols. Coordinates are WGS84; times RFC 3339 (+08:00)."},
        "servers": [{"url": base}],
        "components": {
            "schemas": {"Error": {"type": "object", "required": ["error", "detail"], "properties": {"error": {"type": "string"}, "detail": {"type": "string"}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "cookie": {"type": "apiKey", "in": "cookie", "name": "minqing_session"}},
        },
        "paths": {
            "/healthz": {"get": op("liveness", vec![], "200", None)},
            "/readyz": {"get": op("readiness: 200 once the index is loaded, 503 before", vec![], "200", None)},
            "/tiles/{layer}.json": {"get": op("TileJSON 3.0.0 of a layer", vec![path_id("layer")], "200", None)},
            "/tiles/{layers}/{z}/{x}/{y}.mvt": {"get": op("Mapbox Vector Tile of one or more comma-separated layers; 204 when empty; ETag/304; gzip", vec![path_id("layers"), path_id("z"), path_id("x"), path_id("y")], "200", None)},
            "/tiles/{layers}/{z}/{x}/{y}.geojson": {"get": op("the same tile as a GeoJSON FeatureCollection", vec![path_id("layers"), path_id("z"), path_id("x"), path_id("y")], "200", None)},
            "/api/grids/at": {
                "get": op("the grid containing a point, with ancestors; 404 outside every grid", vec![lon(), lat()], "200", None),
                "post": op("batch: the grid code (or null) of each point, in order", vec![], "200", Some(r#"{"points":[[113.056,23.698]]}"#)),
            },
            "/api/areas/{code}": {"get": op("one area at any level with geometry, children and counts (people by rights)", vec![path_id("code")], "200", None)},
            "/api/hazards/nearest": {"get": op("hazards nearest to a point, with distance_m", vec![lon(), lat(), param("k", "query", false, "integer", "default 10, max 100"), param("max_km", "query", false, "number", "search radius")], "200", None)},
            "/api/query/within": {"post": op("hazards, shelters, open incidents and (by rights) people inside a GeoJSON polygon", vec![], "200", Some(r#"{"type":"Polygon","coordinates":[[[113.0,23.6],[113.1,23.6],[113.1,23.7],[113.0,23.6]]]}"#))},
            "/api/search": search_path(),
            "/api/auth/login": {"post": op("sign in: token and session cookie", vec![], "200", Some(r#"{"username":"wangge","password":"minqing-demo"}"#))},
            "/api/auth/logout": {"post": op("sign out", vec![], "200", None)},
            "/api/me": {"get": op("who am I", vec![], "200", None)},
            "/api/incidents": {
                "get": op("incidents by rights", vec![param("status", "query", false, "string", ""), param("area", "query", false, "string", "area code"), param("category", "query", false, "string", ""), param("bbox", "query", false, "string", "minlon,minlat,maxlon,maxlat"), param("since", "query", false, "string", "RFC 3339"), param("overdue", "query", false, "boolean", ""), limit(), offset()], "200", None),
                "post": op("report an incident (Idempotency-Key header makes retries safe)", vec![param("Idempotency-Key", "header", false, "string", "")], "201", Some(r#"{"category":"邻里纠纷","description":"…","lon":113.056,"lat":23.698}"#)),
            },
            "/api/incidents/categories": {"get": op("incident categories", vec![], "200", None)},
            "/api/incidents/{id}": {"get": op("one incident with its history", vec![path_id("id")], "200", None)},
            "/api/events": {"get": op("Server-Sent Events of changes the caller may see; Last-Event-ID resumes", vec![param("Last-Event-ID", "header", false, "integer", "")], "200", None)},
            "/api/people": {"get": op("masked special-population records in the caller's areas (audited)", vec![param("area", "query", false, "string", ""), param("category", "query", false, "string", ""), param("bbox", "query", false, "string", ""), limit(), offset()], "200", None)},
            "/api/export/{layer}.{format}": {"get": op("a layer as a file (csv: UTF-8 with BOM; xlsx; geojson), by rights: grids/hazards/shelters/places for anyone (phones only signed in), incidents by area rights, people masked and audited; filters area, bbox, level, kind, risk, status, category", vec![path_id("layer"), path_id("format"), param("area", "query", false, "string", ""), param("bbox", "query", false, "string", ""), param("level", "query", false, "string", ""), param("kind", "query", false, "string", ""), param("risk", "query", false, "string", ""), param("status", "query", false, "string", ""), param("category", "query", false, "string", "")], "200", None)},
            "/api/people/{id}": {"get": op("one record, masked; unmasked with ?purpose= for roles allowed it (audited)", vec![path_id("id"), param("purpose", "query", false, "string", "")], "200", None)},
            "/api/audit": {"get": op("the audit log, newest first (admin)", vec![limit(), offset()], "200", None)},
            "/api/patrol/tracks": {"post": op("a batch of GPS fixes (command, grid, admin): JSON as in the example, GeoJSON (application/geo+json: LineString/MultiPoint with properties.times or coordTimes, member in properties.member), GPX (application/gpx+xml) or CSV (text/csv: member,time,lon,lat); unknown members are created; noise is dropped and counted: {accepted, dropped: {too_fast, outside, duplicate, future}, member, members}", vec![param("crs", "query", false, "string", "wgs84 (default), cgcs2000, gcj02 or bd09"), param("member", "query", false, "string", "member of fixes the body does not name (GPX, CSV without a member column)")], "200", Some(r#"{"member":"M001","points":[{"lon":113.056,"lat":23.698,"time":"2026-06-01T08:00:00+08:00"}]}"#))},
            "/api/patrol/coverage": {"get": op("per grid under an area: coverage (share of area within reach_m of a track in the window), places_visited, places_missed (due and not visited, with last_visit), last_visits", vec![param("area", "query", false, "string", "area code; default the caller's first area"), param("from", "query", false, "string", "RFC 3339; default to − 1 day"), param("to", "query", false, "string", "RFC 3339; default now"), param("reach_m", "query", false, "number", "default 50, capped at 500")], "200", None)},
            "/api/patrol/gaps": {"get": op("grids where incidents outrun patrols, highest score first: score = (1 − coverage) × r / (r + 1), r = incidents per day of the window", vec![param("area", "query", false, "string", "area code"), param("from", "query", false, "string", "RFC 3339"), param("to", "query", false, "string", "RFC 3339"), param("reach_m", "query", false, "number", "default 50"), param("limit", "query", false, "integer", "default 20, capped at 1000")], "200", None)},
            "/ogc": {"get": op("OGC API – Features landing page", vec![], "200", None)},
            "/ogc/conformance": {"get": op("conformance classes", vec![], "200", None)},
            "/ogc/collections": {"get": op("collections", vec![], "200", None)},
            "/ogc/collections/{collectionId}": {"get": op("one collection", vec![path_id("collectionId")], "200", None)},
            "/ogc/collections/{collectionId}/items": {"get": op("features (bbox, datetime, limit, offset, property filters)", vec![path_id("collectionId"), param("bbox", "query", false, "string", ""), param("datetime", "query", false, "string", ""), limit(), offset()], "200", None)},
            "/ogc/collections/{collectionId}/items/{featureId}": {"get": op("one feature", vec![path_id("collectionId"), path_id("featureId")], "200", None)},
        }
    })
}

/// `/api/search`, with the constraints the handler enforces.
fn search_path() -> Value {
    let max_q = super::search::MAX_QUESTION;
    let max_limit = super::search::MAX_LIMIT;
    json!({"get": {
        "summary": "one search over area names and codes at every level (and their pinyin initials), hazards, shelters, key places, grid heads and, by rights, incident ids; best match first (exact code, code prefix, name); the same answer wherever the map is",
        "parameters": [
            {"name": "q", "in": "query", "required": true, "description": "a name, code, id or pinyin initials (fcjd → 凤城街道)",
             "schema": {"type": "string", "minLength": 1, "maxLength": max_q, "pattern": "\\S"}},
            {"name": "limit", "in": "query", "required": false, "description": format!("most results, default {}, capped at {max_limit}", super::search::DEFAULT_LIMIT),
             "schema": {"type": "integer", "minimum": 1, "default": super::search::DEFAULT_LIMIT}},
        ],
        "responses": {
            "200": {"description": "{items:[{kind (area, hazard, shelter, place, head, incident), code or id, name, level (areas), lon, lat, bbox (areas)}]}"},
            "400": {"description": "q missing, blank or too long; limit not a whole number ≥ 1", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "503": {"description": "not ready yet"},
        },
    }})
}

/// `GET /api/openapi.json`
pub async fn openapi(BaseUrl(b): BaseUrl) -> axum::Json<Value> {
    axum::Json(document(&b))
}
