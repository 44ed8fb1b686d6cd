//! OGC API – Features Part 1 (core, GeoJSON, OAS 3.0) over every layer, so
//! QGIS and GDAL (`ogrinfo OAPIF:http://…/ogc`) open them directly.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{BaseUrl, Caller, Params, count_param, offset_param, ready};
use crate::auth::policy::{self, Kind};
use crate::domain::Layer;
use crate::error::{AppError, clip};
use crate::service::AppState;
use crate::spatial::{BBox, SpatialIndex};
use crate::views::{IncidentView, to_value};

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

fn geojson_response(v: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        axum::Json(v),
    )
        .into_response()
}

fn json_response(v: Value) -> Response {
    axum::Json(v).into_response()
}

/// `GET /ogc`
pub async fn landing(BaseUrl(b): BaseUrl) -> Response {
    json_response(json!({
        "title": "民情地图 Minqing Map",
        "description": "Grid-based social governance layers as OGC API – Features",
        "links": [
            {"href": format!("{b}/ogc"), "rel": "self", "type": "application/json", "title": "this document"},
            {"href": format!("{b}/api/openapi.json"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "the API definition"},
            {"href": format!("{b}/ogc/conformance"), "rel": "conformance", "type": "application/json", "title": "conformance classes"},
            {"href": format!("{b}/ogc/collections"), "rel": "data", "type": "application/json", "title": "collections"},
        ]
    }))
}

/// `GET /ogc/conformance`
pub async fn conformance() -> Response {
    json_response(json!({"conformsTo": [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    ]}))
}

fn collection_json(b: &str, id: &str, title: &str, bbox: [f64; 4]) -> Value {
    let mut c = json!({
        "id": id, "title": title, "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": {"spatial": {"bbox": [bbox], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "links": [
            {"href": format!("{b}/ogc/collections/{id}"), "rel": "self", "type": "application/json"},
            {"href": format!("{b}/ogc/collections/{id}/items"), "rel": "items", "type": "application/geo+json"},
        ],
    });
    if id == "incidents" {
        c["extent"]["temporal"] = json!({"interval": [[null, null]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"});
    }
    c
}

fn district_bbox(state: &AppState) -> [f64; 4] {
    state
        .index()
        .areas
        .roots()
        .next()
        .map(|e| e.bbox.to_array())
        .unwrap_or([-180.0, -90.0, 180.0, 90.0])
}

/// `GET /ogc/collections`
pub async fn collections(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
) -> Result<Response, AppError> {
    ready(&state)?;
    let bbox = district_bbox(&state);
    Ok(json_response(json!({
        "links": [{"href": format!("{b}/ogc/collections"), "rel": "self", "type": "application/json"}],
        "collections": COLLECTIONS
            .iter()
            .filter(|(l, _)| policy::sees_layer(caller.who(), *l))
            .map(|(l, t)| collection_json(&b, l.as_str(), t, bbox))
            .collect::<Vec<_>>(),
    })))
}

/// A collection the caller may see, or 404 (one answer for "hidden" and "absent").
fn find_collection(id: &str, caller: &Caller) -> Result<(Layer, &'static str), AppError> {
    COLLECTIONS
        .iter()
        .find(|(l, _)| l.as_str() == id && policy::sees_layer(caller.who(), *l))
        .copied()
        .ok_or_else(|| AppError::NotFound(format!("no collection {:?}", clip(id))))
}

/// `GET /ogc/collections/{id}`
pub async fn collection(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (_, title) = find_collection(&id, &caller)?;
    ready(&state)?;
    Ok(json_response(collection_json(
        &b,
        &id,
        title,
        district_bbox(&state),
    )))
}

/// One feature before filtering: its id, GeoJSON geometry, properties and time.
struct Item {
    id: String,
    bbox: BBox,
    geometry: Value,
    properties: Map<String, Value>,
    time: Option<DateTime<Utc>>,
}

fn point(lon: f64, lat: f64) -> (BBox, Value) {
    (
        BBox {
            min_lon: lon,
            min_lat: lat,
            max_lon: lon,
            max_lat: lat,
        },
        json!({"type": "Point", "coordinates": [lon, lat]}),
    )
}

fn props(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn grid_code(index: &SpatialIndex, g: Option<u32>) -> Value {
    g.map(|i| json!(index.areas.entries[i as usize].area.code.as_str()))
        .unwrap_or(Value::Null)
}

/// All items of a collection visible to the caller, in a stable order.
fn items(
    state: &AppState,
    index: &SpatialIndex,
    layer: Layer,
    caller: &Caller,
) -> Result<Vec<Item>, AppError> {
    let signed_in = policy::contact_phones(caller.who());
    Ok(match layer {
        Layer::Grids => index
            .areas
            .entries
            .iter()
            .map(|e| {
                let a = &e.area;
                let mut p = json!({"code": a.code.as_str(), "name": a.name, "level": a.level().as_str(), "parent": a.parent.as_ref().map(|p| p.as_str()), "households": a.households, "residents": a.residents});
                if let Some(h) = &a.head {
                    p["head"] = json!(h.name);
                    if signed_in {
                        p["head_phone"] = json!(h.phone);
                    }
                }
                Item { id: a.code.as_str().to_owned(), bbox: e.bbox, geometry: json!(geojson::Geometry::from(&a.geometry)), properties: props(p), time: None }
            })
            .collect(),
        Layer::Hazards => index
            .hazards
            .items
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let (bbox, geometry) = point(h.lon, h.lat);
                let mut p = json!({"id": h.id, "name": h.name, "kind": h.kind, "risk": h.risk.as_str(), "threatened_households": h.threatened_households,
                                   "threatened_persons": h.threatened_persons, "monitor": h.monitor.name, "leader": h.leader.name, "shelter": h.shelter, "status": h.status, "grid": grid_code(index, index.hazards.grid[i])});
                if signed_in {
                    p["monitor_phone"] = json!(h.monitor.phone);
                    p["leader_phone"] = json!(h.leader.phone);
                }
                Item { id: h.id.clone(), bbox, geometry, properties: props(p), time: None }
            })
            .collect(),
        Layer::Shelters => index
            .shelters
            .items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (bbox, geometry) = point(s.lon, s.lat);
                Item { id: s.id.clone(), bbox, geometry, properties: props(json!({"id": s.id, "name": s.name, "capacity": s.capacity, "address": s.address, "grid": grid_code(index, index.shelters.grid[i])})), time: None }
            })
            .collect(),
        Layer::Places => index
            .places
            .items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (bbox, geometry) = point(s.lon, s.lat);
                Item { id: s.id.clone(), bbox, geometry, properties: props(json!({"id": s.id, "name": s.name, "kind": s.kind, "visit_every_hours": s.visit_every_hours, "grid": grid_code(index, index.places.grid[i])})), time: None }
            })
            .collect(),
        Layer::Incidents => {
            let scope = caller.reads(Kind::Incidents);
            let now = Utc::now();
            index
                .incidents
                .items
                .iter()
                .filter(|i| scope.allows(i.grid.as_deref(), i.reporter.as_deref()))
                .map(|i| {
                    let (bbox, geometry) = point(i.lon, i.lat);
                    let mut v = to_value(&IncidentView::of(i, now));
                    if let Some(o) = v.as_object_mut() {
                        o.remove("lon");
                        o.remove("lat");
                    }
                    Item { id: i.id.clone(), bbox, geometry, properties: props(v), time: Some(i.reported_at) }
                })
                .collect()
        }
        Layer::People => {
            // Counts per grid: exact where the caller may list the records, protected elsewhere.
            let Some(counts) = policy::people_counts(caller.who()) else {
                return Ok(vec![]);
            };
            let shown = state.people_counts(index, &counts);
            index
                .areas
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.area.level() == crate::domain::Level::Grid)
                .filter(|(_, e)| counts.protected_elsewhere || counts.exact.covers_area(e.area.code.as_str()))
                .filter_map(|(i, e)| {
                    let (total, by_cat) = shown.area(i);
                    if total == crate::auth::suppress::Shown::Exact(0) {
                        return None;
                    }
                    let code = e.area.code.as_str();
                    let mut p = json!({"code": code, "name": e.area.name, "count": total});
                    for (cat, n) in by_cat {
                        p[cat.zh()] = to_value(&n);
                    }
                    Some(Item { id: code.to_owned(), bbox: e.bbox, geometry: json!(geojson::Geometry::from(&e.area.geometry)), properties: props(p), time: None })
                })
                .collect()
        }
        Layer::Patrol => vec![],
    })
}

/// An open or closed time interval.
type Interval = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn parse_datetime(raw: &str) -> Result<Interval, AppError> {
    let one = |s: &str| -> Result<Option<DateTime<Utc>>, AppError> {
        match s {
            "" | ".." => Ok(None),
            s => DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| {
                    AppError::BadRequest(
                        "bad_parameter",
                        format!("`datetime` must be RFC 3339 or an interval a/b, got {raw:?}"),
                    )
                }),
        }
    };
    match raw.split_once('/') {
        Some((a, b)) => Ok((one(a)?, one(b)?)),
        None => {
            let t = one(raw)?;
            Ok((t, t))
        }
    }
}

/// A property filter: text compares as text, numbers and booleans by value.
fn prop_matches(p: &Value, v: &str) -> bool {
    match p {
        Value::String(s) => s == v,
        Value::Number(n) => v
            .parse::<f64>()
            .ok()
            .zip(n.as_f64())
            .is_some_and(|(a, b)| a == b),
        Value::Bool(b) => v.parse::<bool>().ok() == Some(*b),
        _ => false,
    }
}

/// Parameters that are not property filters.
const RESERVED: [&str; 5] = ["bbox", "limit", "offset", "datetime", "f"];

/// `GET /ogc/collections/{id}/items`
pub async fn items_page(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, AppError> {
    let (layer, _) = find_collection(&id, &caller)?;
    let limit = count_param(&q, "limit", 100, 10_000)?;
    let offset = offset_param(&q)?;
    let bbox = q
        .get("bbox")
        .map(|b| BBox::parse(b).map_err(|d| AppError::BadRequest("bad_parameter", d)))
        .transpose()?;
    let (from, to) = q
        .get("datetime")
        .map(|d| parse_datetime(d))
        .transpose()?
        .unwrap_or((None, None));
    ready(&state)?;
    let mut filters: Vec<(&str, &str)> = q
        .iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    filters.sort_unstable();
    let (matched, page) = {
        let index = state.index();
        let all = items(&state, &index, layer, &caller)?;
        let matched: Vec<Item> = all
            .into_iter()
            .filter(|it| {
                bbox.as_ref().is_none_or(|b| {
                    it.bbox.min_lon <= b.max_lon
                        && it.bbox.max_lon >= b.min_lon
                        && it.bbox.min_lat <= b.max_lat
                        && it.bbox.max_lat >= b.min_lat
                })
            })
            .filter(|it| {
                from.is_none_or(|f| it.time.is_some_and(|t| t >= f))
                    && to.is_none_or(|t2| it.time.is_some_and(|t| t <= t2))
            })
            .filter(|it| {
                filters
                    .iter()
                    .all(|(k, v)| it.properties.get(*k).is_some_and(|p| prop_matches(p, v)))
            })
            .collect();
        let n = matched.len();
        let page: Vec<Value> = matched
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|it| json!({"type": "Feature", "id": it.id, "geometry": it.geometry, "properties": it.properties}))
            .collect();
        (n, page)
    };
    let mut qs: Vec<String> = q
        .iter()
        .filter(|(k, _)| *k != "offset" && *k != "limit")
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect();
    qs.sort();
    let link = |off: usize| {
        let mut parts = qs.clone();
        parts.push(format!("limit={limit}"));
        parts.push(format!("offset={off}"));
        format!("{b}/ogc/collections/{id}/items?{}", parts.join("&"))
    };
    let mut links = vec![
        json!({"href": link(offset), "rel": "self", "type": "application/geo+json"}),
        json!({"href": format!("{b}/ogc/collections/{id}"), "rel": "collection", "type": "application/json"}),
    ];
    if offset + page.len() < matched {
        links.push(
            json!({"href": link(offset + limit), "rel": "next", "type": "application/geo+json"}),
        );
    }
    if offset > 0 {
        links.push(json!({"href": link(offset.saturating_sub(limit)), "rel": "prev", "type": "application/geo+json"}));
    }
    let returned = page.len();
    Ok(geojson_response(json!({
        "type": "FeatureCollection", "features": page, "numberMatched": matched, "numberReturned": returned,
        "timeStamp": Utc::now().to_rfc3339(), "links": links,
    })))
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `GET /ogc/collections/{id}/items/{item}`
pub async fn item(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    BaseUrl(b): BaseUrl,
    Path((id, item_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (layer, _) = find_collection(&id, &caller)?;
    ready(&state)?;
    let found = {
        let index = state.index();
        items(&state, &index, layer, &caller)?
            .into_iter()
            .find(|it| it.id == item_id)
    };
    let it =
        found.ok_or_else(|| AppError::NotFound(format!("no item {:?} in {id}", clip(&item_id))))?;
    Ok(geojson_response(json!({
        "type": "Feature", "id": it.id, "geometry": it.geometry, "properties": it.properties,
        "links": [
            {"href": format!("{b}/ogc/collections/{id}/items/{}", url_encode(&item_id)), "rel": "self", "type": "application/geo+json"},
            {"href": format!("{b}/ogc/collections/{id}"), "rel": "collection", "type": "application/json"},
        ],
    })))
}
