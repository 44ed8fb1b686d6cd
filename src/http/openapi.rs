//! `GET /api/openapi.json`: the OpenAPI 3.0 description of every endpoint,
//! with the constraints the server enforces (ranges, enums, patterns,
//! required fields) and every status each operation can answer, so that a
//! schema-driven client (and the Schemathesis run in the test command)
//! knows exactly what is valid. Enums come from the same tables the
//! handlers use (categories, statuses, workflow actions).

use serde_json::{Map, Value, json};

use super::BaseUrl;
use crate::domain::incident::{CATEGORIES, SOURCES};
use crate::domain::workflow::ACTIONS;
use crate::domain::{IncidentStatus, Level, PersonCategory, Risk};

/// What each status means, for the `responses` of an operation.
fn status_text(code: u16) -> &'static str {
    match code {
        200 => "success",
        201 => "created",
        204 => "nothing here",
        304 => "not modified",
        400 => "bad input: the detail names the parameter and the problem",
        401 => "sign in first (or the session expired)",
        403 => "outside your rights",
        404 => "no such record, or one outside your rights (the same answer)",
        405 => "wrong method",
        408 => "the request took too long",
        409 => {
            "the record changed meanwhile, the step does not fit its status, or a request with this Idempotency-Key still runs"
        }
        422 => "this Idempotency-Key was used for a different request",
        413 => "too large (body over 8 MiB, more than 100,000 vertices)",
        429 => "too many requests; see Retry-After",
        503 => "not ready yet, or busy with heavy requests; see Retry-After",
        _ => "see detail",
    }
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// An operation: summary, parameters, the success status with its content,
/// an optional JSON body, and the error statuses it can answer.
struct Op {
    summary: String,
    params: Vec<Value>,
    ok: u16,
    ok_content: Option<Value>,
    body: Option<Value>,
    errors: Vec<u16>,
    links: Option<Value>,
}

impl Op {
    fn new(summary: impl Into<String>) -> Op {
        Op {
            summary: summary.into(),
            params: vec![],
            ok: 200,
            ok_content: Some(json_content(json!({"type": "object"}))),
            body: None,
            errors: vec![],
            links: None,
        }
    }
    fn params(mut self, p: Vec<Value>) -> Op {
        self.params = p;
        self
    }
    fn ok(mut self, status: u16, content: Option<Value>) -> Op {
        self.ok = status;
        self.ok_content = content;
        self
    }
    fn body(mut self, schema: Value) -> Op {
        self.body = Some(schema);
        self
    }
    fn errors(mut self, e: &[u16]) -> Op {
        self.errors = e.to_vec();
        self
    }
    fn links(mut self, l: Value) -> Op {
        self.links = Some(l);
        self
    }
    fn build(self) -> Value {
        let mut responses = Map::new();
        let mut ok = json!({"description": status_text(self.ok)});
        if let Some(c) = self.ok_content {
            ok["content"] = c;
        }
        if let Some(l) = self.links {
            ok["links"] = l;
        }
        responses.insert(self.ok.to_string(), ok);
        // Every operation may meet a wrong method, a timeout and a server not yet ready.
        let mut errors = self.errors;
        errors.extend([405, 408, 503]);
        errors.sort_unstable();
        errors.dedup();
        for e in errors {
            responses.insert(
                e.to_string(),
                json!({"description": status_text(e), "content": json_content(json!({"$ref": "#/components/schemas/Error"}))}),
            );
        }
        let mut o =
            json!({"summary": self.summary, "parameters": self.params, "responses": responses});
        if let Some(b) = self.body {
            o["requestBody"] = json!({"required": true, "content": json_content(b)});
        }
        o
    }
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn query_required(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": true, "schema": schema, "description": description})
}

fn path(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": schema, "description": description})
}

fn header(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "header", "required": false, "schema": schema, "description": description})
}

fn area_code() -> Value {
    json!({"type": "string", "pattern": "^([0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})$"})
}
fn lon() -> Value {
    json!({"type": "number", "minimum": -180, "maximum": 180})
}
fn lat() -> Value {
    json!({"type": "number", "minimum": -90, "maximum": 90})
}
fn limit(max: u32) -> Value {
    query(
        "limit",
        json!({"type": "integer", "minimum": 1}),
        &format!("page size; larger values are capped at {max}"),
    )
}
fn offset() -> Value {
    query(
        "offset",
        json!({"type": "integer", "minimum": 0}),
        "items to skip",
    )
}
fn bbox() -> Value {
    query(
        "bbox",
        json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?(,-?[0-9]+(\\.[0-9]+)?){3}$"}),
        "minlon,minlat,maxlon,maxlat (WGS84); min ≤ max",
    )
}
fn time(name: &str, description: &str) -> Value {
    query(
        name,
        json!({"type": "string", "format": "date-time"}),
        description,
    )
}
/// A patrol member id. The server takes any text of 1–64 characters without
/// control characters (trimmed); the schema states a plain subset of that.
fn member_id() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[0-9A-Za-z_.-]+$",
        "description": "1–64 characters, no control characters (e.g. M001, 张三)"})
}
fn enum_of(values: Vec<String>) -> Value {
    json!({"type": "string", "enum": values})
}
fn incident_categories() -> Value {
    enum_of(
        CATEGORIES
            .iter()
            .flat_map(|(code, name, _)| [(*code).to_owned(), (*name).to_owned()])
            .collect(),
    )
}
fn incident_statuses() -> Value {
    enum_of(
        IncidentStatus::ALL
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
    )
}
fn person_categories() -> Value {
    enum_of(
        PersonCategory::ALL
            .iter()
            .flat_map(|c| [c.as_str().to_owned(), c.zh().to_owned()])
            .collect(),
    )
}
fn levels() -> Value {
    enum_of(Level::ALL.iter().map(|l| l.as_str().to_owned()).collect())
}
fn risks() -> Value {
    enum_of(Risk::ALL.iter().map(|r| r.as_str().to_owned()).collect())
}
fn list_of(item: Value) -> Value {
    json_content(
        json!({"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": item}, "total": {"type": "integer", "minimum": 0}}}),
    )
}

/// The body of a workflow step: one alternative per action, so a note is
/// required exactly where the workflow table requires it, and `revisit`
/// carries a satisfaction of 1–5.
fn action_body() -> Value {
    let alternatives: Vec<Value> = ACTIONS
        .iter()
        .filter(|a| a.name != "escalate")
        .map(|a| {
            let mut required = vec!["action"];
            let mut props = json!({
                "action": {"type": "string", "enum": [a.name]},
                "note": {"type": "string", "maxLength": 2000},
                "version": {"type": "integer", "nullable": true, "description": "the version you saw; a stale one gets 409"},
            });
            if a.needs_note {
                required.push("note");
                props["note"] =
                    json!({"type": "string", "maxLength": 2000, "pattern": "\\S"});
            }
            if a.name == "link_duplicate" {
                required.push("of");
                props["of"] = json!({"type": "string", "minLength": 1, "description": "the case this one repeats (one you may read)"});
            }
            if a.name == "revisit" {
                required.push("satisfaction");
                props["satisfaction"] = json!({"type": "integer", "minimum": 1, "maximum": 5});
            }
            json!({"type": "object", "required": required, "properties": props})
        })
        .collect();
    json!({"oneOf": alternatives})
}

fn incident_schema() -> Value {
    json!({"type": "object", "required": ["id", "category", "status", "reported_at", "deadline", "overdue"], "properties": {
        "id": {"type": "string"}, "category": {"type": "string"}, "category_code": {"type": "string"},
        "source": {"type": "string"}, "description": {"type": "string"},
        "lon": {"type": "number"}, "lat": {"type": "number"},
        "grid": {"type": "string", "nullable": true},
        "status": incident_statuses(), "reported_at": {"type": "string", "format": "date-time"},
        "deadline": {"type": "string", "format": "date-time"}, "overdue": {"type": "boolean"},
        "version": {"type": "integer"}}})
}

/// The export of one layer, with the filters that layer takes.
fn export(layer: &str, filters: Vec<Value>) -> Value {
    let mut params = vec![path(
        "format",
        enum_of(vec![
            "csv".into(),
            "xlsx".into(),
            "geojson".into(),
            "zip".into(),
        ]),
        "csv (UTF-8 with BOM), xlsx, geojson or zip (a Shapefile: .shp, .shx, .dbf, .cpg UTF-8, .prj)",
    )];
    params.extend(filters);
    let content = json!({
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}},
        "application/geo+json": {"schema": {"type": "object"}},
        "application/zip": {"schema": {"type": "string", "format": "binary"}},
    });
    let rights = match layer {
        "incidents" => "; incidents by the caller's rights",
        "people" => "; masked records in the caller's areas, one audit entry naming them",
        _ => "; phone numbers only for signed-in callers",
    };
    Op::new(format!("the {layer} layer as a file{rights}"))
        .params(params)
        .ok(200, Some(content))
        .errors(&[400, 401, 403, 404])
        .build()
}

/// The document.
pub fn document(base: &str) -> Value {
    let mut paths = Map::new();
    let mut add = |p: &str, v: Value| {
        paths.insert(p.to_owned(), v);
    };
    let text = |t: &str| json!({t: {"schema": {"type": "string"}}});
    add(
        "/healthz",
        json!({"get": Op::new("liveness: 200 while the process serves").build()}),
    );
    add(
        "/readyz",
        json!({"get": Op::new("readiness: 200 once the store answers and the index is loaded, 503 before").build()}),
    );
    add(
        "/metrics",
        json!({"get": Op::new("Prometheus text metrics").ok(200, Some(text("text/plain"))).build()}),
    );
    add(
        "/api/openapi.json",
        json!({"get": Op::new("this document").build()}),
    );
    add(
        "/api/grids/at",
        json!({
            "get": Op::new("the grid containing a point, with ancestors; 404 outside every grid")
                .params(vec![query_required("lon", lon(), "WGS84 longitude"), query_required("lat", lat(), "WGS84 latitude")])
                .errors(&[400, 404]).build(),
            "post": Op::new("batch: the grid code (or null) of each point, in order")
                .body(json!({"type": "object", "required": ["points"], "properties": {"points": {"type": "array", "maxItems": 100_000,
                    "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number", "minimum": -90, "maximum": 90}}}}}))
                .errors(&[400, 413]).build(),
        }),
    );
    add(
        "/api/areas/{code}",
        json!({"get": Op::new("one area at any level with geometry, children and counts (incidents and people only by rights)")
        .params(vec![path("code", area_code(), "6/9/12/15-digit area code")]).errors(&[400, 404]).build()}),
    );
    add(
        "/api/hazards/nearest",
        json!({"get": Op::new("hazards nearest to a point, with distance_m; phones only for signed-in callers")
        .params(vec![query_required("lon", lon(), "WGS84 longitude"), query_required("lat", lat(), "WGS84 latitude"),
            query("k", json!({"type": "integer", "minimum": 1}), "how many, default 10, capped at 100"),
            query("max_km", json!({"type": "number", "minimum": 0, "exclusiveMinimum": true}), "search radius in km; unbounded when absent")])
        .ok(200, Some(list_of(json!({"type": "object", "required": ["id", "distance_m"]}))))
        .errors(&[400]).build()}),
    );
    add(
        "/api/nearby",
        json!({"get": Op::new("the named hazards, shelters and key places nearest to a point (kind, id, name, type, grid, lon, lat, distance_m), closest first, each layer as far as the caller may read it")
        .params(vec![query_required("lon", lon(), "WGS84 longitude"), query_required("lat", lat(), "WGS84 latitude"),
            query("k", json!({"type": "integer", "minimum": 1}), "how many, default 3, capped at 20"),
            query("max_km", json!({"type": "number", "minimum": 0, "exclusiveMinimum": true}), "search radius in km; unbounded when absent")])
        .ok(200, Some(list_of(json!({"type": "object", "required": ["kind", "id", "name", "distance_m"],
            "properties": {"kind": {"type": "string", "enum": ["hazard", "shelter", "place"]}}}))))
        .errors(&[400]).build()}),
    );
    let ring = json!({"type": "array", "minItems": 4, "items": {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}},
        "description": "closed (first = last), no self-intersection"});
    let polygon = json!({"type": "object", "required": ["type", "coordinates"], "properties": {"type": {"type": "string", "enum": ["Polygon"]},
        "coordinates": {"type": "array", "minItems": 1, "items": ring}}});
    let multi = json!({"type": "object", "required": ["type", "coordinates"], "properties": {"type": {"type": "string", "enum": ["MultiPolygon"]},
        "coordinates": {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1, "items": ring}}}});
    let feature = json!({"type": "object", "required": ["type", "geometry"], "properties": {"type": {"type": "string", "enum": ["Feature"]},
        "geometry": {"oneOf": [polygon, multi]}}});
    add(
        "/api/query/within",
        json!({"post": Op::new("hazards and shelters inside a GeoJSON Polygon/MultiPolygon (or a Feature of one, at most 100,000 vertices); incidents and people only as the records the caller may list")
        .body(json!({"oneOf": [polygon, multi, feature]}))
        .errors(&[400, 413]).build()}),
    );
    add("/api/search", search_path());
    add(
        "/api/auth/login",
        json!({"post": Op::new("sign in: a token and a session cookie; failures from one address slow down that address")
        .body(json!({"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}))
        .errors(&[400, 401, 429]).build()}),
    );
    add(
        "/api/auth/logout",
        json!({"post": Op::new("sign out (ends this session)").errors(&[401, 403]).build()}),
    );
    add(
        "/api/me",
        json!({"get": Op::new("who am I: username, role, areas and the map layers this account may see").errors(&[401]).build()}),
    );
    // null means the default channel
    let sources: Vec<Value> = SOURCES
        .iter()
        .map(|s| json!(s))
        .chain([Value::Null])
        .collect();
    add(
        "/api/incidents",
        json!({
            "get": Op::new("incidents the caller may read, newest first (a public account: its own reports)")
                .params(vec![query("status", incident_statuses(), ""), query("area", area_code(), "area code (its subtree)"),
                    query("category", incident_categories(), "code or Chinese name"), bbox(), time("since", "reported at or after"),
                    query("overdue", json!({"type": "boolean"}), ""), limit(10_000), offset()])
                .ok(200, Some(list_of(incident_schema())))
                .errors(&[400, 401, 403]).build(),
            "post": Op::new("report an incident (any signed-in account, anywhere); a retry with the same Idempotency-Key returns the first answer")
                .params(vec![idempotency_header()])
                .body(json!({"type": "object", "required": ["category", "lon", "lat"], "properties": {
                    "category": incident_categories(), "description": {"type": "string", "maxLength": 2000},
                    "lon": lon(), "lat": lat(), "source": {"type": "string", "nullable": true, "enum": sources, "description": "intake channel (staff only); default by role: 网格员上报 for grid heads, else 群众上报"}}}))
                .ok(201, Some(json_content(incident_schema())))
                .links(json!({
                    "detail": {"operationId": "incidentDetail", "parameters": {"id": "$response.body#/id"}},
                    "act": {"operationId": "incidentAct", "parameters": {"id": "$response.body#/id"}},
                }))
                .errors(&[400, 401, 403, 409, 413, 422]).build(),
        }),
    );
    add(
        "/api/incidents/categories",
        json!({"get": Op::new("incident categories with their configured deadlines (deadline_hours), and intake channels").build()}),
    );
    add(
        "/api/incidents/recent",
        json!({"get": Op::new("the last changes (reported, or a workflow step) to the incidents the caller may read, newest first: {items:[{kind (incident.created/incident.updated), at, action, by, to, …incident with grid_name, street, street_name}]}")
            .params(vec![limit(100)])
            .errors(&[400, 401]).build()}),
    );
    let mut detail = Op::new("the case detail: the incident with grid_name, head, community, street, photos, history [{at,by,action,from,to,note}], likely duplicates, duplicate_of, and `actions`: the steps the caller may take now")
        .params(vec![path("id", json!({"type": "string"}), "incident id")])
        .ok(200, Some(json_content(incident_schema())))
        .errors(&[401, 404])
        .build();
    detail["operationId"] = json!("incidentDetail");
    add("/api/incidents/{id}", json!({"get": detail}));
    let mut act = Op::new("a step of the closed loop (受理→派遣→处置→办结→核查→回访→结案); which steps a role may take is the workflow table's")
        .params(vec![path("id", json!({"type": "string"}), "incident id")]).body(action_body())
        .ok(200, Some(json_content(incident_schema()))).errors(&[400, 401, 403, 404, 409]).build();
    act["operationId"] = json!("incidentAct");
    add("/api/incidents/{id}/actions", json!({"post": act}));
    add(
        "/api/events",
        json!({"get": Op::new("Server-Sent Events of the changes the caller may see; each event's id is the change number; Last-Event-ID resumes")
        .params(vec![header("Last-Event-ID", json!({"type": "integer", "minimum": 0}), "resume after this change")])
        .ok(200, Some(text("text/event-stream"))).errors(&[401]).build()}),
    );
    add(
        "/api/stats/incidents",
        json!({"get": Op::new("incident counts by area (any level), category and status for a window, overdue rates and hot spots, over the incidents the caller may read; and for the cases reported in the window, overall, by_category and by_street: median_hours and p90_hours (report → 结案), on_time_rate (办结 by the deadline, of those finished or past it), reopen_rate (reopened by a revisit, of those finished); `daily`: the last 7 Asia/Shanghai days up to `to`, oldest first, [{date, reported, closed, open, overdue}] (open and overdue at each day's end)")
        .params(vec![query("level", levels(), "grouping level, default street"), query("area", area_code(), ""),
            time("from", "default: to − 30 days; before `to`"), time("to", "default: now")])
        .errors(&[400, 401, 403]).build()}),
    );
    add(
        "/api/people",
        json!({"get": Op::new("masked special-population records in the caller's areas (audited)")
        .params(vec![query("area", area_code(), ""), query("category", person_categories(), "code or Chinese name"), bbox(),
            query("purpose", json!({"type": "string"}), "why (recorded in the audit log)"), limit(10_000), offset()])
        .ok(200, Some(list_of(json!({"type": "object", "required": ["id", "grid", "category", "masked"]}))))
        .errors(&[400, 401, 403]).build()}),
    );
    add(
        "/api/people/{id}",
        json!({"get": Op::new("one record, masked; unmasked with ?purpose= for roles allowed it (audited)")
        .params(vec![path("id", json!({"type": "string"}), "record id"), query("purpose", json!({"type": "string"}), "why (audited)")])
        .errors(&[401, 403, 404]).build()}),
    );
    add(
        "/api/audit",
        json!({"get": Op::new("the audit log, newest first (admin); filters: one account, an action prefix (people., import., account.), a record id")
            .params(vec![limit(10_000), offset(),
                query("user", json!({"type": "string", "maxLength": 64}), "one account"),
                query("action", json!({"type": "string", "maxLength": 64}), "actions starting with this"),
                query("record", json!({"type": "string", "maxLength": 64}), "entries naming this record")])
            .errors(&[400, 401, 403]).build()}),
    );
    let mut import = Op::new("import a layer from a file (admin): the check and report of `minqing import`; 422 with the same body when rows were rejected and nothing was written")
        .params(vec![path("layer", enum_of(["grids", "hazards", "shelters", "places", "people", "incidents"].map(String::from).to_vec()), "target layer")])
        .ok(200, Some(json_content(json!({"type": "object", "required": ["ok", "new", "updated", "rejected", "warnings", "report"], "properties": {
            "ok": {"type": "boolean"}, "new": {"type": "integer"}, "updated": {"type": "integer"},
            "rejected": {"type": "array", "items": {"type": "object", "required": ["line", "field", "reason"]}},
            "warnings": {"type": "array"}, "report": {"type": "string"},
            "mapping": {"type": "array", "description": "[source column, our field] pairs used"},
            "columns": {"type": "array", "items": {"type": "string"}, "description": "every column of the file, in file order, mapped or not"}}}))))
        .errors(&[400, 401, 403, 404, 413, 422])
        .build();
    import["requestBody"] = json!({"required": true, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary", "description": "a .zip, a Shapefile's parts (repeat the part), a .csv or a .geojson"},
            "crs": {"type": "string", "enum": ["wgs84", "cgcs2000", "gcj02", "bd09"]},
            "mapping": {"type": "string", "description": "JSON object: source column → our field"},
            "defaults": {"type": "string", "description": "JSON object: field → value for rows that leave it empty"},
            "dry_run": {"type": "string", "enum": ["true", "false"]}}}}}});
    add("/api/import/{layer}", json!({"post": import}));
    add(
        "/api/me/password",
        json!({"post": Op::new("change one's own password; every session of the account ends (sign in again)")
            .body(json!({"type": "object", "required": ["old", "new"], "additionalProperties": false, "properties": {
                "old": {"type": "string", "maxLength": 200}, "new": {"type": "string", "minLength": 8, "maxLength": 200}}}))
            .errors(&[400, 401, 403]).build()}),
    );
    let area = || query("area", area_code(), "");
    add(
        "/api/export/grids.{format}",
        export("grids", vec![area(), bbox(), query("level", levels(), "")]),
    );
    add(
        "/api/export/hazards.{format}",
        export(
            "hazards",
            vec![
                area(),
                bbox(),
                query("kind", json!({"type": "string"}), ""),
                query("risk", risks(), ""),
                query("status", json!({"type": "string"}), ""),
            ],
        ),
    );
    add(
        "/api/export/shelters.{format}",
        export("shelters", vec![area(), bbox()]),
    );
    add(
        "/api/export/places.{format}",
        export(
            "places",
            vec![area(), bbox(), query("kind", json!({"type": "string"}), "")],
        ),
    );
    add(
        "/api/export/incidents.{format}",
        export(
            "incidents",
            vec![
                area(),
                bbox(),
                query("category", incident_categories(), ""),
                query("status", incident_statuses(), ""),
            ],
        ),
    );
    add(
        "/api/export/people.{format}",
        export(
            "people",
            vec![
                area(),
                bbox(),
                query("category", person_categories(), ""),
                query("purpose", json!({"type": "string"}), "why (audited)"),
            ],
        ),
    );
    let window = || {
        vec![
            query("area", area_code(), "default: the caller's first area"),
            time("from", "default: to − 1 day; before `to`, at most 31 days"),
            time("to", "default: now"),
            query(
                "reach_m",
                json!({"type": "number", "minimum": 0, "exclusiveMinimum": true}),
                "reach of a track in metres, default 50, capped at 500",
            ),
        ]
    };
    add(
        "/api/patrol/coverage",
        json!({"get": Op::new("per grid under an area: coverage (share of area within reach of a track in the window), places visited and missed")
        .params(window()).errors(&[400, 401, 403, 404]).build()}),
    );
    let mut gaps = window();
    gaps.push(query(
        "limit",
        json!({"type": "integer", "minimum": 1}),
        "default 20, capped at 1000",
    ));
    add(
        "/api/patrol/gaps",
        json!({"get": Op::new("grids where incidents outrun patrols, highest score first").params(gaps).errors(&[400, 401, 403, 404]).build()}),
    );
    add(
        "/api/patrol/tracks",
        json!({"post": Op::new("a batch of GPS fixes for one's team (also GeoJSON, GPX, CSV by Content-Type); unknown members join the caller's team; noise is dropped and counted")
        .params(vec![query("crs", enum_of(vec!["wgs84".into(), "cgcs2000".into(), "gcj02".into(), "bd09".into()]), "default wgs84"),
            query("member", member_id(), "member of fixes the body does not name"), idempotency_header()])
        .body(json!({"type": "object", "required": ["member", "points"], "properties": {"member": member_id(),
            "points": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["lon", "lat", "time"],
                "properties": {"lon": lon(), "lat": lat(), "time": {"type": "string", "format": "date-time"}}}}}}))
        .errors(&[400, 401, 403, 409, 413, 422]).build()}),
    );
    add(
        "/open311/v2/services.json",
        json!({"get": Op::new("Open311 GeoReport v2 services (the incident categories)")
        .ok(200, Some(json_content(json!({"type": "array"})))).build()}),
    );
    let key = || {
        query(
            "api_key",
            json!({"type": "string"}),
            "an account's session token (or send Authorization: Bearer)",
        )
    };
    add(
        "/open311/v2/requests.json",
        json!({
            "get": Op::new("service requests the caller may read, newest 1000").params(vec![key(),
                query("service_request_id", json!({"type": "string"}), "comma-separated ids"), query("service_code", json!({"type": "string"}), ""),
                time("start_date", ""), time("end_date", ""), query("status", enum_of(vec!["open".into(), "closed".into()]), "")])
                .ok(200, Some(json_content(json!({"type": "array"})))).errors(&[400, 401]).build(),
            "post": {"summary": "report through Open311 (form-encoded as in GeoReport v2, or JSON)",
                "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object",
                    "required": ["service_code", "lat", "long"], "properties": {"api_key": {"type": "string"},
                    "service_code": enum_of(CATEGORIES.iter().map(|(c, _, _)| (*c).to_owned()).collect()),
                    "lat": lat(), "long": lon(), "description": {"type": "string", "maxLength": 2000}}}}}},
                "responses": Op::new("").ok(201, Some(json_content(json!({"type": "array"})))).errors(&[400, 401, 403, 409, 422, 429]).build()["responses"].clone(),
                "parameters": [idempotency_header()]},
        }),
    );
    add(
        "/open311/v2/requests/{id}.json",
        json!({"get": Op::new("one service request the caller may read")
        .params(vec![path("id", json!({"type": "string", "pattern": "^[^./]+$"}), "service request id"), key()])
        .ok(200, Some(json_content(json!({"type": "array"})))).errors(&[401, 404]).build()}),
    );
    let roles = |of: &[&str]| enum_of(of.iter().map(|r| (*r).to_owned()).collect());
    let areas_list =
        |min: u64| json!({"type": "array", "minItems": min, "maxItems": 20, "items": area_code()});
    let username = json!({"type": "string", "pattern": "^[A-Za-z0-9_.@-]{1,64}$"});
    let password_schema = json!({"type": "string", "minLength": 8, "maxLength": 200});
    let account = |role: Value, min_areas: u64| {
        json!({"type": "object", "required": ["username", "role", "areas", "password"], "properties": {
        "username": username.clone(), "role": role, "areas": areas_list(min_areas), "password": password_schema.clone()}})
    };
    add(
        "/api/admin/users",
        json!({
            "get": Op::new("accounts (admin)").ok(200, Some(list_of(json!({"type": "object", "required": ["username", "role", "areas", "disabled"]})))).errors(&[401, 403]).build(),
            "post": Op::new("create an account (admin); street, community and grid accounts need an area (else 400 area_required)")
                .body(json!({"oneOf": [
                    account(roles(&["street", "community", "grid"]), 1),
                    account(roles(&["admin", "command", "flood", "public"]), 0),
                ]}))
                .ok(201, Some(json_content(json!({"type": "object", "required": ["username", "role", "areas", "disabled"]}))))
                .links(json!({"change": {"operationId": "accountChange", "parameters": {"name": "$response.body#/username"}}}))
                .errors(&[400, 401, 403, 409]).build(),
        }),
    );
    let mut change = Op::new("change an account (admin): role, areas, disabled, a new password; disabling or a new password ends its sessions; not one's own account")
        .params(vec![path("name", json!({"type": "string"}), "login name")])
        .body(json!({"type": "object", "properties": {"role": roles(&["admin", "command", "street", "community", "grid", "flood", "public"]),
            "areas": areas_list(0), "disabled": {"type": "boolean"}, "password": password_schema.clone()}}))
        .errors(&[400, 401, 403, 404]).build();
    change["operationId"] = json!("accountChange");
    add("/api/admin/users/{name}", json!({"post": change}));
    let levels_of_risk = enum_of(Risk::ALL.iter().map(|r| r.as_str().to_owned()).collect());
    add(
        "/api/warnings",
        json!({
            "get": Op::new("warning areas touching the caller's areas, active first").ok(200, Some(list_of(json!({"type": "object", "required": ["id", "name", "level", "status"]}))))
                .errors(&[401]).build(),
            "post": Op::new("issue a warning area (flood, command, admin): name, level 红/橙/黄/蓝, kind, area (GeoJSON, inside your areas), until (at most 31 days ahead)")
                .params(vec![idempotency_header()])
                .body(json!({"type": "object", "required": ["name", "level", "kind", "area", "until"], "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"}, "level": levels_of_risk,
                    "kind": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "\\S", "example": "暴雨"},
                    "area": {"oneOf": [polygon, multi]}, "until": {"type": "string", "format": "date-time"}}}))
                .ok(201, Some(json_content(json!({"type": "object", "required": ["id"]}))))
                .errors(&[400, 401, 403, 409, 413, 422]).build(),
        }),
    );
    let warning_id = || path("id", json!({"type": "string"}), "warning id");
    add(
        "/api/warnings/{id}",
        json!({"get": Op::new("the answer for a warning, always current: hazards with the persons to call, households and persons, shelters inside and nearest outside, capacity shortfall, grids with heads, seen and confirmed shares, open incidents and (by rights) people to check on")
        .params(vec![warning_id()]).errors(&[401, 404]).build()}),
    );
    add(
        "/api/warnings/{id}/actions",
        json!({"post": Op::new("extend (until), lift, or confirm a hazard checked (heads of its area)")
        .params(vec![warning_id()])
        .body(json!({"oneOf": [
            {"type": "object", "required": ["action", "until"], "properties": {"action": {"type": "string", "enum": ["extend"]}, "until": {"type": "string", "format": "date-time"}}},
            {"type": "object", "required": ["action"], "properties": {"action": {"type": "string", "enum": ["lift"]}}},
            {"type": "object", "required": ["action", "hazard"], "properties": {"action": {"type": "string", "enum": ["confirm"]}, "hazard": {"type": "string"}}},
        ]}))
        .errors(&[400, 401, 403, 404, 409]).build()}),
    );
    add(
        "/api/warnings/{id}/cap.xml",
        json!({"get": Op::new("the warning as a CAP 1.2 alert (Alert, Update on extend, Cancel on lift)")
        .params(vec![warning_id()]).ok(200, Some(text("application/xml"))).errors(&[401, 404]).build()}),
    );
    add(
        "/api/warnings/{id}/calls.csv",
        json!({"get": Op::new("the call list in call order (CSV, UTF-8 with BOM)")
        .params(vec![warning_id()]).ok(200, Some(text("text/csv"))).errors(&[401, 404]).build()}),
    );
    add(
        "/api/warnings/{id}/calls.xlsx",
        json!({"get": Op::new("the call list in call order (XLSX)")
        .params(vec![warning_id()]).ok(200, Some(json!({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}})))
        .errors(&[401, 404]).build()}),
    );
    let collection = || {
        path(
            "collectionId",
            enum_of(
                [
                    "grids",
                    "hazards",
                    "shelters",
                    "places",
                    "incidents",
                    "people",
                ]
                .map(String::from)
                .to_vec(),
            ),
            "collections visible to the caller; others answer 404",
        )
    };
    let geo = |t: &str| json!({t: {"schema": {"type": "object"}}});
    add(
        "/ogc",
        json!({"get": Op::new("OGC API – Features landing page").build()}),
    );
    add(
        "/ogc/conformance",
        json!({"get": Op::new("conformance classes").build()}),
    );
    add(
        "/ogc/collections",
        json!({"get": Op::new("the collections the caller may see").build()}),
    );
    add(
        "/ogc/collections/{collectionId}",
        json!({"get": Op::new("one collection").params(vec![collection()]).errors(&[404]).build()}),
    );
    add(
        "/ogc/collections/{collectionId}/items",
        json!({"get": Op::new("features the caller may see (bbox, datetime, limit, offset; other parameters filter by property; CQL2 `filter`, `sortby`, `crs` and `bbox-crs` are described in the OGC API definition at /ogc/api)")
        .params(vec![collection(), bbox(), query("datetime", json!({"type": "string", "format": "date-time"}), "an instant (intervals a/b with .. for open ends are accepted too)"),
            limit(10_000), offset()])
        .ok(200, Some(geo("application/geo+json"))).errors(&[400, 404]).build()}),
    );
    add(
        "/ogc/collections/{collectionId}/queryables",
        json!({"get": Op::new("OGC API – Features Part 3: the collection's queryables as JSON Schema").params(vec![collection()])
            .ok(200, Some(json!({"application/schema+json": {"schema": {"type": "object"}}}))).errors(&[404]).build()}),
    );
    add(
        "/ogc/tileMatrixSets",
        json!({"get": Op::new("OGC API – Tiles: the tile matrix sets (WebMercatorQuad)").build()}),
    );
    add(
        "/ogc/collections/{collectionId}/items/{featureId}",
        json!({"get": Op::new("one feature").params(vec![collection(), path("featureId", json!({"type": "string"}), "")])
        .ok(200, Some(geo("application/geo+json"))).errors(&[404]).build()}),
    );
    case_paths(&mut add);
    for (p, v) in visit_paths() {
        add(p, v);
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "民情地图 Minqing Map API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Grid-based social governance: areas, hazards, shelters, places, incidents, special populations (by rights) and patrols. Coordinates are WGS84; times RFC 3339 (+08:00). Every error is {\"error\",\"detail\"}. Tiles are described by TileJSON at /tiles/{layer}.json."},
        "servers": [{"url": base}],
        "security": [{}, {"bearer": []}, {"cookie": []}],
        "components": {
            "schemas": {"Error": {"type": "object", "required": ["error", "detail"], "properties": {"error": {"type": "string"}, "detail": {"type": "string", "maxLength": 1000}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "cookie": {"type": "apiKey", "in": "cookie", "name": "minqing_session"}},
        },
        "paths": paths,
    })
}

/// Case photos and the deadlines configuration.
fn case_paths(add: &mut impl FnMut(&str, Value)) {
    let id = || path("id", json!({"type": "string"}), "incident id");
    let photo_list = json_content(
        json!({"type": "object", "required": ["photos"], "properties": {
        "photos": {"type": "array", "items": {"type": "object", "required": ["n", "url", "thumb"], "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": 9}, "url": {"type": "string"}, "thumb": {"type": "string"}}}}}}),
    );
    let mut upload = Op::new("add evidence photos to a case (multipart parts named `photo`: JPEG, PNG or WebP, at most 10 MB each, at most 9 per case); re-encoded on the way in, so EXIF/GPS and other metadata are dropped; the case's reporter (public: its own) and the staff who work it")
        .params(vec![id()])
        .ok(201, Some(photo_list))
        .errors(&[400, 401, 403, 404, 409, 413, 415])
        .build();
    upload["requestBody"] = json!({"required": true, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["photo"], "properties": {"photo": {"type": "array", "minItems": 1, "maxItems": 9, "items": {"type": "string", "format": "binary"}}}}}}});
    add("/api/incidents/{id}/photos", json!({"post": upload}));
    let image = json!({"image/jpeg": {"schema": {"type": "string", "format": "binary"}}, "image/png": {"schema": {"type": "string", "format": "binary"}}});
    add(
        "/api/incidents/{id}/photos/{n}",
        json!({"get": Op::new("one photo of a case (or `size=thumb`: a small JPEG), by the case's rights; outside them 404 as for a missing photo")
            .params(vec![id(), path("n", json!({"type": "integer", "minimum": 1}), "photo number"),
                query("size", enum_of(vec!["full".into(), "thumb".into()]), "default full")])
            .ok(200, Some(image)).errors(&[400, 401, 404]).build()}),
    );
    add(
        "/api/config/deadlines",
        json!({"get": Op::new("handling time (办理时限) per incident category, in hours (signed in)")
            .ok(200, Some(list_of(json!({"type": "object", "required": ["category", "hours"], "properties": {
                "category": {"type": "string"}, "name": {"type": "string"}, "hours": {"type": "integer", "minimum": 1}}}))))
            .errors(&[401]).build()}),
    );
    add(
        "/api/config/deadlines/{category}",
        json!({"put": Op::new("change a category's handling time (admin); cases reported after the change take it, earlier ones keep theirs")
            .params(vec![path("category", incident_categories(), "code or Chinese name")])
            .body(json!({"type": "object", "required": ["hours"], "additionalProperties": false, "properties": {
                "hours": {"type": "integer", "minimum": 1, "maximum": crate::domain::incident::MAX_DEADLINE_HOURS}}}))
            .errors(&[400, 401, 403, 404]).build()}),
    );
}

/// `/api/search`, with the constraints the handler enforces.
fn search_path() -> Value {
    let max_q = super::search::MAX_QUESTION;
    json!({"get": Op::new("one search over area names and codes at every level (and their pinyin initials), hazards, shelters, key places, grid heads and, by rights, incident ids; best match first (exact code, code prefix, name); the same answer wherever the map is")
        .params(vec![
            query_required("q", json!({"type": "string", "minLength": 1, "maxLength": max_q, "pattern": "\\S"}), "a name, code, id or pinyin initials (fcjd → 凤城街道)"),
            query("limit", json!({"type": "integer", "minimum": 1}), &format!("most results, default {}, capped at {}", super::search::DEFAULT_LIMIT, super::search::MAX_LIMIT)),
        ])
        .ok(200, Some(list_of(json!({"type": "object", "required": ["kind", "name"]}))))
        .errors(&[400]).build()})
}

/// The `Idempotency-Key` header of a creating request.
fn idempotency_header() -> Value {
    header(
        "Idempotency-Key",
        json!({"type": "string", "minLength": 1, "maxLength": super::idempotency::MAX_KEY_CHARS, "pattern": "^[!-~]+$"}),
        "makes retries safe: a retry with the same key and body gets the first answer (header Idempotent-Replayed: true) and creates nothing; the same key with another body answers 422, while the first still runs 409",
    )
}

/// Follow-up visits (走访) and their schedule.
fn visit_paths() -> Vec<(&'static str, Value)> {
    let risk = json!({"type": "integer", "minimum": 0, "maximum": crate::domain::visit::MAX_RISK});
    let schedule_row = json!({"type": "object", "required": ["category", "risk_level", "every_days"], "additionalProperties": false, "properties": {
        "category": person_categories(), "category_code": {"type": "string", "nullable": true, "description": "ignored on PUT"}, "risk_level": risk,
        "every_days": {"type": "integer", "minimum": 1, "maximum": crate::domain::visit::MAX_EVERY_DAYS}}});
    let schedule = json!({"type": "object", "required": ["items"], "additionalProperties": false, "properties": {"items": {"type": "array", "items": schedule_row}}});
    let visit = json!({"type": "object", "required": ["id", "person", "at", "how", "note", "by"], "properties": {
        "id": {"type": "string"}, "person": {"type": "string"}, "grid": {"type": "string", "nullable": true},
        "at": {"type": "string", "format": "date-time"}, "how": {"type": "string", "enum": ["入户", "电话", "视频"]},
        "note": {"type": "string"}, "by": {"type": "string"}, "lon": {"type": "number", "nullable": true}, "lat": {"type": "number", "nullable": true},
        "risk_before": {"type": "integer", "nullable": true}, "risk_after": {"type": "integer", "nullable": true},
        "next_due": {"type": "string", "format": "date", "nullable": true}}});
    let person = || path("id", json!({"type": "string"}), "person record id");
    let area = || {
        query(
            "area",
            area_code(),
            "area code (its subtree), inside your areas",
        )
    };
    vec![
        (
            "/api/config/visits",
            json!({
                "get": Op::new("the visit schedule: records of a category with at least `risk_level` are visited every `every_days` days (the highest matching row applies)")
                    .ok(200, Some(json_content(schedule.clone()))).errors(&[401, 403]).build(),
                "put": Op::new("replace the whole schedule (admin); a category without rows (or a record below its lowest row) is off the schedule; a (category, risk_level) given twice takes the later row; due dates of visited records move at once")
                    .body(schedule.clone()).ok(200, Some(json_content(schedule))).errors(&[400, 401, 403]).build(),
            }),
        ),
        (
            "/api/people/{id}/visits",
            json!({
                "get": Op::new("the visits to one record, newest first (by the record's rights; audited)")
                    .params(vec![person()]).ok(200, Some(list_of(visit.clone()))).errors(&[401, 403, 404]).build(),
                "post": Op::new("record a visit (street, community and grid heads in their areas; admin): how, note, when (default now), where, and a new risk level; answers the next due date")
                    .params(vec![person(), idempotency_header()])
                    .body(json!({"type": "object", "required": ["how"], "additionalProperties": false, "properties": {
                        "how": {"type": "string", "enum": ["入户", "电话", "视频", "home", "phone", "video"]},
                        "note": {"type": "string", "maxLength": crate::service::visits::MAX_NOTE},
                        "at": {"type": "string", "format": "date-time", "description": "when; not in the future, at most a year ago"},
                        "lon": lon(), "lat": lat(), "risk_level": risk}}))
                    .ok(201, Some(json_content(visit.clone())))
                    .errors(&[400, 401, 403, 404, 409, 422]).build(),
            }),
        ),
        (
            "/api/visits",
            json!({"get": Op::new("visits done (default: the last 7 days) to records the caller may read, newest first (audited)")
            .params(vec![area(), time("since", "at or after (default 7 days ago)"), time("until", "before"), limit(10_000), offset()])
            .ok(200, Some(list_of(visit))).errors(&[400, 401, 403]).build()}),
        ),
        (
            "/api/visits/due",
            json!({"get": Op::new("records due for a visit on or before today + within_days (default: due today or overdue), most overdue first, with counts per street (audited)")
            .params(vec![area(), query("within_days", json!({"type": "integer", "minimum": 0, "maximum": super::visits::MAX_WITHIN_DAYS}), "look ahead, days (default 0)"), limit(10_000), offset()])
            .ok(200, Some(list_of(json!({"type": "object", "required": ["person", "grid", "category", "risk_level", "due", "overdue"]}))))
            .errors(&[400, 401, 403]).build()}),
        ),
        (
            "/api/export/visits.{format}",
            json!({"get": Op::new("the visit log as a file, by rights (audited)")
            .params(vec![path("format", enum_of(vec!["csv".into(), "xlsx".into()]), "csv or xlsx"), area(), time("since", ""), time("until", "")])
            .ok(200, Some(json!({"text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}})))
            .errors(&[400, 401, 403, 404]).build()}),
        ),
    ]
}

/// `GET /api/openapi.json`
pub async fn openapi(BaseUrl(b): BaseUrl) -> axum::Json<Value> {
    axum::Json(document(&b))
}
