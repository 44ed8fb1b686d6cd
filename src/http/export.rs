//! `GET /api/export/{layer}.{csv|xlsx|geojson}`: a filtered layer as a file,
//! by the same rights as the layer's other endpoints. Anonymous callers get
//! grids, hazards, shelters and places without phone numbers; incidents and
//! people follow the policy's read scope (people masked), and a people export
//! is one audit entry naming them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use geo_types::{Geometry, Point};
use serde_json::{Map, Value, json};

use super::{Caller, Params, ready};
use crate::auth::policy::{self, Action, Kind};
use crate::domain::incident::{category_code, to_shanghai};
use crate::domain::{AreaCode, IncidentStatus, Level, PersonCategory, Risk};
use crate::error::AppError;
use crate::export::Table;
use crate::service::AppState;
use crate::spatial::{BBox, SpatialIndex};
use crate::views::{IncidentView, PersonView, to_value};

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Xlsx,
    GeoJson,
    /// a zipped Shapefile (.shp, .shx, .dbf, .cpg, .prj)
    Shapefile,
}

/// Parsed filters; each layer accepts only those that mean something for it.
#[derive(Debug, Default)]
struct Filters {
    area: Option<AreaCode>,
    bbox: Option<BBox>,
    level: Option<Level>,
    kind: Option<String>,
    risk: Option<Risk>,
    status: Option<String>,
    category: Option<String>,
    purpose: Option<String>,
}

fn allowed(layer: &str) -> &'static [&'static str] {
    match layer {
        "grids" => &["area", "bbox", "level"],
        "hazards" => &["area", "bbox", "kind", "risk", "status"],
        "shelters" => &["area", "bbox"],
        "places" => &["area", "bbox", "kind"],
        "incidents" => &["area", "bbox", "category", "status"],
        _ => &["area", "bbox", "category", "purpose"],
    }
}

fn parse_filters(layer: &str, q: &HashMap<String, String>) -> Result<Filters, AppError> {
    let bad = |d: String| AppError::BadRequest("bad_parameter", d);
    let ok = allowed(layer);
    let mut keys: Vec<&String> = q.keys().collect();
    keys.sort();
    if let Some(k) = keys.into_iter().find(|k| !ok.contains(&k.as_str())) {
        return Err(bad(format!(
            "unknown filter `{k}` for {layer}; use {}",
            ok.join(", ")
        )));
    }
    let mut f = Filters {
        area: q
            .get("area")
            .map(|a| AreaCode::parse(a).map_err(bad))
            .transpose()?,
        bbox: q
            .get("bbox")
            .map(|b| BBox::parse(b).map_err(bad))
            .transpose()?,
        level: q
            .get("level")
            .map(|l| Level::parse(l).ok_or_else(|| bad(format!("unknown level {l:?}"))))
            .transpose()?,
        kind: q.get("kind").cloned(),
        risk: q
            .get("risk")
            .map(|r| {
                Risk::parse(r).ok_or_else(|| bad(format!("unknown risk {r:?}; 红, 橙, 黄 or 蓝")))
            })
            .transpose()?,
        status: q.get("status").cloned(),
        category: None,
        purpose: q.get("purpose").cloned(),
    };
    if let Some(c) = q.get("category") {
        f.category = Some(match layer {
            "incidents" => category_code(c)
                .ok_or_else(|| bad(format!("unknown category {c:?}")))?
                .to_owned(),
            _ => PersonCategory::parse(c)
                .ok_or_else(|| bad(format!("unknown category {c:?}")))?
                .as_str()
                .to_owned(),
        });
    }
    if layer == "incidents"
        && let Some(s) = &f.status
        && IncidentStatus::parse(s).is_none()
    {
        return Err(bad(format!("unknown status {s:?}")));
    }
    Ok(f)
}

fn grid_of(index: &SpatialIndex, g: Option<u32>) -> Option<&str> {
    g.map(|i| index.areas.entries[i as usize].area.code.as_str())
}

fn in_area(f: &Filters, grid: Option<&str>) -> bool {
    f.area
        .as_ref()
        .is_none_or(|a| grid.is_some_and(|g| g.starts_with(a.as_str())))
}

fn in_bbox(f: &Filters, lon: f64, lat: f64) -> bool {
    f.bbox.as_ref().is_none_or(|b| b.contains(lon, lat))
}

fn props(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn pt(lon: f64, lat: f64) -> Geometry<f64> {
    Geometry::Point(Point::new(lon, lat))
}

type Items = Vec<(String, Map<String, Value>, Geometry<f64>)>;

/// Columns and items of a layer for this caller (`None` = no such layer). People ids are returned for the audit.
fn build(
    index: &SpatialIndex,
    layer: &str,
    f: &Filters,
    caller: &Caller,
    history: &[crate::domain::Incident],
) -> Result<(Vec<&'static str>, Items, Vec<String>), AppError> {
    let signed_in = policy::contact_phones(caller.who());
    let phones = |cols: &mut Vec<&'static str>, which: &[&'static str]| {
        if !signed_in {
            cols.retain(|c| !which.contains(c));
        }
    };
    let mut ids = Vec::new();
    let (mut cols, items): (Vec<&'static str>, Items) = match layer {
        "grids" => (
            vec!["code", "name", "level", "parent", "head", "head_phone", "households", "residents"],
            index.areas.entries.iter()
                .filter(|e| f.area.as_ref().is_none_or(|a| e.area.code.is_within(a)))
                .filter(|e| f.level.is_none_or(|l| e.area.level() == l))
                .filter(|e| f.bbox.is_none_or(|b| e.bbox.min_lon <= b.max_lon && e.bbox.max_lon >= b.min_lon && e.bbox.min_lat <= b.max_lat && e.bbox.max_lat >= b.min_lat))
                .map(|e| {
                    let a = &e.area;
                    let p = json!({"code": a.code.as_str(), "name": a.name, "level": a.level().as_str(), "parent": a.parent.as_ref().map(|p| p.as_str()),
                        "head": a.head.as_ref().map(|h| &h.name), "head_phone": a.head.as_ref().map(|h| &h.phone), "households": a.households, "residents": a.residents});
                    (a.code.as_str().to_owned(), props(p), Geometry::MultiPolygon(a.geometry.clone()))
                })
                .collect(),
        ),
        "hazards" => (
            vec!["id", "name", "kind", "risk", "threatened_households", "threatened_persons", "monitor", "monitor_phone", "leader", "leader_phone", "shelter", "status", "grid"],
            index.hazards.items.iter().enumerate()
                .filter(|(i, h)| in_area(f, grid_of(index, index.hazards.grid[*i])) && in_bbox(f, h.lon, h.lat))
                .filter(|(_, h)| f.kind.as_ref().is_none_or(|k| &h.kind == k) && f.risk.is_none_or(|r| h.risk == r) && f.status.as_ref().is_none_or(|s| &h.status == s))
                .map(|(i, h)| {
                    let p = json!({"id": h.id, "name": h.name, "kind": h.kind, "risk": h.risk.as_str(), "threatened_households": h.threatened_households,
                        "threatened_persons": h.threatened_persons, "monitor": h.monitor.name, "monitor_phone": h.monitor.phone, "leader": h.leader.name,
                        "leader_phone": h.leader.phone, "shelter": h.shelter, "status": h.status, "grid": grid_of(index, index.hazards.grid[i])});
                    (h.id.clone(), props(p), pt(h.lon, h.lat))
                })
                .collect(),
        ),
        "shelters" => (
            vec!["id", "name", "capacity", "address", "grid"],
            index.shelters.items.iter().enumerate()
                .filter(|(i, s)| in_area(f, grid_of(index, index.shelters.grid[*i])) && in_bbox(f, s.lon, s.lat))
                .map(|(i, s)| (s.id.clone(), props(json!({"id": s.id, "name": s.name, "capacity": s.capacity, "address": s.address, "grid": grid_of(index, index.shelters.grid[i])})), pt(s.lon, s.lat)))
                .collect(),
        ),
        "places" => (
            vec!["id", "name", "kind", "visit_every_hours", "radius_m", "grid"],
            index.places.items.iter().enumerate()
                .filter(|(i, s)| in_area(f, grid_of(index, index.places.grid[*i])) && in_bbox(f, s.lon, s.lat) && f.kind.as_ref().is_none_or(|k| &s.kind == k))
                .map(|(i, s)| (s.id.clone(), props(json!({"id": s.id, "name": s.name, "kind": s.kind, "visit_every_hours": s.visit_every_hours, "radius_m": s.radius_m, "grid": grid_of(index, index.places.grid[i])})), pt(s.lon, s.lat)))
                .collect(),
        ),
        "incidents" => {
            let scope = caller.reads(Kind::Incidents);
            let now = Utc::now();
            (
                vec!["id", "category", "category_code", "source", "description", "grid", "status", "reported_at", "deadline", "overdue", "version"],
                history.iter().chain(index.live_incidents())
                    .filter(|i| scope.allows(i.grid.as_deref(), i.reporter.as_deref()))
                    .filter(|i| in_area(f, i.grid.as_deref()) && in_bbox(f, i.lon, i.lat))
                    .filter(|i| f.category.as_ref().is_none_or(|c| &i.category == c) && f.status.as_ref().is_none_or(|s| i.status.as_str() == s))
                    .map(|i| (i.id.clone(), props(to_value(&IncidentView::of(i, now))), pt(i.lon, i.lat)))
                    .collect(),
            )
        }
        "people" => {
            let scope = caller.reads(Kind::People);
            let items: Items = (0..index.people.len())
                .filter(|&i| scope.allows(grid_of(index, index.people.grid[i]), None))
                .filter(|&i| in_area(f, grid_of(index, index.people.grid[i])))
                .filter(|&i| f.category.as_ref().is_none_or(|c| index.people.items[i].category.as_str() == c))
                .filter(|&i| in_bbox(f, index.people.items[i].lon, index.people.items[i].lat))
                .map(|i| {
                    let v = to_value(&PersonView::of(index, i, false));
                    // The masked record's location is already coarsened to its grid's label point.
                    let g = pt(v["lon"].as_f64().unwrap_or(0.0), v["lat"].as_f64().unwrap_or(0.0));
                    (index.people.items[i].id.clone(), props(v), g)
                })
                .collect();
            ids = items.iter().map(|(id, _, _)| id.clone()).collect();
            (vec!["id", "grid", "category", "category_code", "name", "id_number", "phone", "address", "risk_level", "next_visit", "masked"], items)
        }
        other => return Err(AppError::NotFound(format!("no layer {other:?} to export; grids, hazards, shelters, places, incidents or people"))),
    };
    phones(&mut cols, &["head_phone", "monitor_phone", "leader_phone"]);
    Ok((cols, items, ids))
}

/// `GET /api/export/{layer}.{csv|xlsx|geojson}?area=&bbox=&…`
pub async fn export(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(file): Path<String>,
    q: Params,
) -> Result<Response, AppError> {
    let (layer, ext) = file.rsplit_once('.').ok_or_else(|| {
        AppError::NotFound(format!(
            "no export {file:?}; use {{layer}}.csv, .xlsx, .geojson or .zip (Shapefile)"
        ))
    })?;
    // The visit log comes from the store, not the map index: its own exporter.
    if layer == "visits" {
        return super::visits::export(state, caller, ext, &q).await;
    }
    let format = match ext {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        "geojson" => Format::GeoJson,
        "zip" => Format::Shapefile,
        _ => {
            return Err(AppError::NotFound(format!(
                "no export format {ext:?}; csv, xlsx, geojson or zip (Shapefile)"
            )));
        }
    };
    if ![
        "grids",
        "hazards",
        "shelters",
        "places",
        "incidents",
        "people",
    ]
    .contains(&layer)
    {
        return Err(AppError::NotFound(format!(
            "no layer {layer:?} to export; grids, hazards, shelters, places, incidents or people"
        )));
    }
    // Rights first, so a refused caller learns nothing from filter errors.
    let kind = match layer {
        "incidents" => Some(Kind::Incidents),
        "people" => Some(Kind::People),
        _ => None,
    };
    if let Some(k) = kind {
        caller.may(k, Action::Read)?;
    }
    let f = parse_filters(layer, &q)?;
    if let (Some(k), Some(a)) = (kind, &f.area)
        && !caller.reads(k).meets_area(a.as_str())
    {
        return Err(AppError::Forbidden(format!(
            "area {a} is outside your areas"
        )));
    }
    ready(&state)?;
    // History cases (closed, older than the live window) come from the store, oldest first.
    let history = match layer {
        "incidents" => {
            let mut h = crate::service::history::cases(
                &state,
                &caller.reads(Kind::Incidents),
                i64::MAX,
                |h| crate::store::HistoryFilter {
                    area: f.area.as_ref().map(|a| a.as_str().to_owned()),
                    bbox: f.bbox.map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]),
                    category: f.category.clone(),
                    status: f.status.clone(),
                    ..h
                },
            )
            .await?;
            h.reverse();
            h
        }
        _ => Vec::new(),
    };
    // Building and encoding a whole layer is CPU work: the bounded pool.
    let (st, who, name) = (state.clone(), caller.clone(), layer.to_owned());
    let (table, ids, f) = state
        .heavy(move || {
            let index = st.index();
            let (cols, items, ids) = build(&index, &name, &f, &who, &history)?;
            Ok::<_, AppError>((Table::from_json(&name, &cols, items), ids, f))
        })
        .await??;
    if layer == "people"
        && let Some(p) = &caller.0
    {
        state
            .store
            .audit(&p.username, "people.export", &ids, f.purpose.as_deref())
            .await?;
    }
    let date = to_shanghai(Utc::now())[..10].replace('-', "");
    let name = match &f.area {
        Some(a) => format!("{layer}-{a}-{date}.{ext}"),
        None => format!("{layer}-{date}.{ext}"),
    };
    let (ctype, body): (&str, Vec<u8>) = match format {
        Format::Csv => ("text/csv; charset=utf-8", table.to_csv()),
        Format::GeoJson => (
            "application/geo+json",
            table.to_geojson().to_string().into_bytes(),
        ),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            table
                .to_xlsx()
                .map_err(|d| AppError::BadRequest("too_large_for_xlsx", d))?,
        ),
        Format::Shapefile => (
            "application/zip",
            table
                .to_shapefile_zip()
                .map_err(|d| AppError::Internal(format!("shapefile export: {d}")))?,
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
