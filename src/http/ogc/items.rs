//! `…/items` and `…/items/{id}`: the records the policy lets the caller see,
//! then bbox, datetime, property filters, CQL2 `filter`, `sortby`, paging,
//! and coordinates in the asked `crs`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use geo_types::{Geometry, Point};
use serde_json::{Map, Value, json};

use super::find_collection;
use crate::auth::policy::{self, Kind};
use crate::domain::Layer;
use crate::error::{AppError, clip};
use crate::http::{BaseUrl, Caller, Params, count_param, offset_param, ready};
use crate::ogc::cql2::{self, Expr, Lang, Record, Val};
use crate::ogc::crs::ServedCrs;
use crate::ogc::queryables;
use crate::ogc::sort::{self, SortKey};
use crate::service::AppState;
use crate::spatial::{BBox, SpatialIndex};
use crate::views::{IncidentView, to_value};

/// Most vertices the geometry literals of one filter may have (as for any geometry in a request).
const MAX_FILTER_VERTICES: usize = 100_000;

/// One feature before filtering: its id, geometry (lon/lat), properties and time.
struct Item {
    id: String,
    bbox: BBox,
    geom: Geometry<f64>,
    properties: Map<String, Value>,
    time: Option<DateTime<Utc>>,
}

impl Record for Item {
    fn value(&self, property: &str) -> Val<'_> {
        if property == "geometry" {
            return Val::Geom(Cow::Borrowed(&self.geom));
        }
        match self.properties.get(property) {
            Some(Value::String(s)) => Val::Str(Cow::Borrowed(s)),
            Some(Value::Number(n)) => n.as_f64().map_or(Val::Null, Val::Num),
            Some(Value::Bool(b)) => Val::Bool(*b),
            None if property == "id" => Val::Str(Cow::Borrowed(&self.id)),
            _ => Val::Null,
        }
    }
}

impl Item {
    fn feature(&self, crs: ServedCrs) -> Value {
        json!({"type": "Feature", "id": self.id, "geometry": geojson::Geometry::from(&crs.project(&self.geom)), "properties": self.properties})
    }
}

fn point(lon: f64, lat: f64) -> (BBox, Geometry<f64>) {
    (
        BBox {
            min_lon: lon,
            min_lat: lat,
            max_lon: lon,
            max_lat: lat,
        },
        Geometry::Point(Point::new(lon, lat)),
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
    history: &[crate::domain::Incident],
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
                Item { id: a.code.as_str().to_owned(), bbox: e.bbox, geom: Geometry::MultiPolygon(a.geometry.clone()), properties: props(p), time: None }
            })
            .collect(),
        Layer::Hazards => index
            .hazards
            .items
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let (bbox, geom) = point(h.lon, h.lat);
                let mut p = json!({"id": h.id, "name": h.name, "kind": h.kind, "risk": h.risk.as_str(), "threatened_households": h.threatened_households,
                                   "threatened_persons": h.threatened_persons, "monitor": h.monitor.name, "leader": h.leader.name, "shelter": h.shelter, "status": h.status, "grid": grid_code(index, index.hazards.grid[i])});
                if signed_in {
                    p["monitor_phone"] = json!(h.monitor.phone);
                    p["leader_phone"] = json!(h.leader.phone);
                }
                Item { id: h.id.clone(), bbox, geom, properties: props(p), time: None }
            })
            .collect(),
        Layer::Shelters => index
            .shelters
            .items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (bbox, geom) = point(s.lon, s.lat);
                Item { id: s.id.clone(), bbox, geom, properties: props(json!({"id": s.id, "name": s.name, "capacity": s.capacity, "address": s.address, "grid": grid_code(index, index.shelters.grid[i])})), time: None }
            })
            .collect(),
        Layer::Places => index
            .places
            .items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (bbox, geom) = point(s.lon, s.lat);
                Item { id: s.id.clone(), bbox, geom, properties: props(json!({"id": s.id, "name": s.name, "kind": s.kind, "visit_every_hours": s.visit_every_hours, "grid": grid_code(index, index.places.grid[i])})), time: None }
            })
            .collect(),
        Layer::Incidents => {
            let scope = caller.reads(Kind::Incidents);
            let now = Utc::now();
            // Oldest first, whichever path a case comes from (the store for
            // history, memory for the live set), so pages do not depend on
            // the live window.
            let mut cases: Vec<&crate::domain::Incident> = history
                .iter()
                .chain(index.live_incidents())
                .filter(|i| scope.allows(i.grid.as_deref(), i.reporter.as_deref()))
                .collect();
            cases.sort_by(|a, b| (a.reported_at, &a.id).cmp(&(b.reported_at, &b.id)));
            cases
                .into_iter()
                .map(|i| {
                    let (bbox, geom) = point(i.lon, i.lat);
                    let mut v = to_value(&IncidentView::of(i, now));
                    if let Some(o) = v.as_object_mut() {
                        o.remove("lon");
                        o.remove("lat");
                    }
                    Item { id: i.id.clone(), bbox, geom, properties: props(v), time: Some(i.reported_at) }
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
                    Some(Item { id: code.to_owned(), bbox: e.bbox, geom: Geometry::MultiPolygon(e.area.geometry.clone()), properties: props(p), time: None })
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
                        format!(
                            "`datetime` must be RFC 3339 or an interval a/b, got {:?}",
                            clip(raw)
                        ),
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
const RESERVED: [&str; 11] = [
    "bbox",
    "bbox-crs",
    "limit",
    "offset",
    "datetime",
    "f",
    "crs",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
];

fn crs_param(q: &HashMap<String, String>, name: &str) -> Result<ServedCrs, AppError> {
    q.get(name)
        .map(|c| {
            ServedCrs::parse(c)
                .map_err(|d| AppError::BadRequest("bad_crs", format!("`{name}`: {d}")))
        })
        .transpose()
        .map(|c| c.unwrap_or(ServedCrs::Crs84))
}

/// The `filter` of a request, checked against the collection's queryables
/// and with its geometries brought to lon/lat.
fn filter_param(q: &HashMap<String, String>, layer: Layer) -> Result<Option<Expr>, AppError> {
    let bad = |d: String| AppError::BadRequest("bad_filter", d);
    let Some(text) = q.get("filter") else {
        if q.contains_key("filter-lang") || q.contains_key("filter-crs") {
            return Err(bad("`filter-lang` and `filter-crs` need a `filter`".into()));
        }
        return Ok(None);
    };
    let lang = q
        .get("filter-lang")
        .map(|l| Lang::parse(l))
        .transpose()
        .map_err(bad)?
        .unwrap_or(Lang::Text);
    let mut e = cql2::parse(text, lang).map_err(|d| {
        bad(format!(
            "`filter` is not valid {}: {d}",
            if lang == Lang::Json {
                "CQL2 JSON"
            } else {
                "CQL2 text"
            }
        ))
    })?;
    for p in e.properties() {
        queryables::check(layer, p).map_err(bad)?;
    }
    let n = e.vertex_count();
    if n > MAX_FILTER_VERTICES {
        return Err(AppError::TooLarge(format!(
            "the filter's geometries have {n} vertices; at most {MAX_FILTER_VERTICES}"
        )));
    }
    let fcrs = crs_param(q, "filter-crs")?;
    e.map_geometries(&|g| fcrs.unproject(g));
    Ok(Some(e))
}

fn sortby_param(q: &HashMap<String, String>, layer: Layer) -> Result<Vec<SortKey>, AppError> {
    let Some(raw) = q.get("sortby") else {
        return Ok(vec![]);
    };
    let keys = sort::parse(raw).map_err(|d| AppError::BadRequest("bad_sortby", d))?;
    for k in &keys {
        let found = queryables::check(layer, &k.property)
            .map_err(|d| AppError::BadRequest("bad_sortby", format!("sortby: {d}")))?;
        if matches!(found.kind, queryables::Kind::Geometry(_)) {
            return Err(AppError::BadRequest(
                "bad_sortby",
                "sortby: a geometry has no order".into(),
            ));
        }
    }
    Ok(keys)
}

fn geojson_with_crs(v: Value, crs: ServedCrs) -> Response {
    let mut res = (
        [(header::CONTENT_TYPE, "application/geo+json")],
        axum::Json(v),
    )
        .into_response();
    res.headers_mut().insert(
        "content-crs",
        HeaderValue::from_str(&format!("<{}>", crs.uri())).expect("a URI is a header value"),
    );
    res
}

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
    let bbox_crs = crs_param(&q, "bbox-crs")?;
    let bbox = q
        .get("bbox")
        .map(|b| {
            bbox_crs
                .bbox_to_lon_lat(b)
                .map_err(|d| AppError::BadRequest("bad_parameter", d))
        })
        .transpose()?;
    let (from, to) = q
        .get("datetime")
        .map(|d| parse_datetime(d))
        .transpose()?
        .unwrap_or((None, None));
    let crs = crs_param(&q, "crs")?;
    let filter = filter_param(&q, layer)?;
    let sortby = sortby_param(&q, layer)?;
    ready(&state)?;
    let mut filters: Vec<(&str, &str)> = q
        .iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    filters.sort_unstable();
    // History cases (closed, older than the live window) come from the store, oldest first.
    let mut history = Vec::new();
    if layer == Layer::Incidents {
        history =
            crate::service::history::cases(&state, &caller.reads(Kind::Incidents), i64::MAX, |h| {
                crate::store::HistoryFilter {
                    bbox: bbox.map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]),
                    since: from,
                    until: to,
                    ..h
                }
            })
            .await?;
        history.reverse();
    }
    let (matched, page) = {
        let all = {
            let index = state.index();
            items(&state, &index, layer, &caller, &history)?
        };
        // Everything below narrows what the policy chose; nothing widens it.
        let mut matched: Vec<Item> = all
            .into_iter()
            .filter(|it| bbox.as_ref().is_none_or(|b| it.bbox.intersects(b)))
            .filter(|it| {
                from.is_none_or(|f| it.time.is_some_and(|t| t >= f))
                    && to.is_none_or(|t2| it.time.is_some_and(|t| t <= t2))
            })
            .filter(|it| {
                filters
                    .iter()
                    .all(|(k, v)| it.properties.get(*k).is_some_and(|p| prop_matches(p, v)))
            })
            .filter(|it| filter.as_ref().is_none_or(|e| cql2::matches(e, it)))
            .collect();
        if !sortby.is_empty() {
            matched.sort_by(|a, b| {
                sortby
                    .iter()
                    .map(|k| {
                        sort::order(&a.value(&k.property), &b.value(&k.property), k.descending)
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        let n = matched.len();
        let page: Vec<Value> = matched
            .iter()
            .skip(offset)
            .take(limit)
            .map(|it| it.feature(crs))
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
    Ok(geojson_with_crs(
        json!({
            "type": "FeatureCollection", "features": page, "numberMatched": matched, "numberReturned": returned,
            "timeStamp": Utc::now().to_rfc3339(), "links": links,
        }),
        crs,
    ))
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
    q: Params,
) -> Result<Response, AppError> {
    let (layer, _) = find_collection(&id, &caller)?;
    let crs = crs_param(&q, "crs")?;
    ready(&state)?;
    let mut history = Vec::new();
    if layer == Layer::Incidents
        && let Some(i) = crate::service::history::incident(&state, &item_id).await?
        && state.index().is_history(&i)
    {
        history.push(i);
    }
    let found = {
        let index = state.index();
        items(&state, &index, layer, &caller, &history)?
            .into_iter()
            .find(|it| it.id == item_id)
    };
    let it =
        found.ok_or_else(|| AppError::NotFound(format!("no item {:?} in {id}", clip(&item_id))))?;
    let mut f = it.feature(crs);
    f["links"] = json!([
        {"href": format!("{b}/ogc/collections/{id}/items/{}", url_encode(&item_id)), "rel": "self", "type": "application/geo+json"},
        {"href": format!("{b}/ogc/collections/{id}"), "rel": "collection", "type": "application/json"},
    ]);
    Ok(geojson_with_crs(f, crs))
}
