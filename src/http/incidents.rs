//! Incidents: `POST/GET /api/incidents`, `GET /api/incidents/{id}`, categories.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Caller, Json, Params, count_param, offset_param, ready};
use crate::app::{AppState, LiveEvent};
use crate::auth::Role;
use crate::domain::incident::{
    CATEGORIES, SOURCES, category_code, category_name, deadline_for, to_shanghai,
};
use crate::domain::{Incident, IncidentStatus};
use crate::error::AppError;
use crate::spatial::{BBox, SpatialIndex};
use crate::store::Created;

/// Longest description accepted.
const MAX_DESCRIPTION: usize = 2000;

/// An incident's JSON (descriptions are returned as text, never as markup).
pub fn incident_json(index: &SpatialIndex, i: &Incident, now: DateTime<Utc>) -> Value {
    let _ = index;
    json!({
        "id": i.id, "category": category_name(&i.category), "category_code": i.category, "source": i.source,
        "description": i.description, "lon": i.lon, "lat": i.lat, "grid": i.grid, "status": i.status.as_str(),
        "reported_at": to_shanghai(i.reported_at), "deadline": to_shanghai(i.deadline), "overdue": i.is_overdue(now),
        "version": i.version,
    })
}

/// Distance and time within which a report of the same category is a likely duplicate.
const DUPLICATE_M: f64 = 50.0;
const DUPLICATE_HOURS: i64 = 24;

/// Earlier reports of the same category within 50 m and 24 h: flagged so a
/// handler can link them, never merged silently.
pub fn possible_duplicates(index: &SpatialIndex, i: &Incident) -> Vec<String> {
    let d = DUPLICATE_M / 111_320.0;
    let k = i.lat.to_radians().cos().max(0.01);
    let bbox = BBox {
        min_lon: i.lon - d / k,
        min_lat: i.lat - d,
        max_lon: i.lon + d / k,
        max_lat: i.lat + d,
    };
    let mut out: Vec<String> = index
        .incidents
        .in_bbox(&bbox)
        .map(|p| &index.incidents.items[p])
        .filter(|o| o.id != i.id && o.category == i.category)
        .filter(|o| (o.reported_at - i.reported_at).num_hours().abs() < DUPLICATE_HOURS)
        .filter(|o| crate::spatial::haversine_m(i.lon, i.lat, o.lon, o.lat) <= DUPLICATE_M)
        .map(|o| o.id.clone())
        .collect();
    out.sort();
    out
}

/// Body of a new report.
#[derive(Debug, Deserialize)]
pub struct NewIncident {
    category: String,
    #[serde(default)]
    description: String,
    lon: f64,
    lat: f64,
    #[serde(default)]
    source: Option<String>,
}

impl NewIncident {
    /// A report built by another intake channel (Open311, imports).
    pub fn new(
        category: String,
        description: String,
        lon: f64,
        lat: f64,
        source: Option<String>,
    ) -> NewIncident {
        NewIncident {
            category,
            description,
            lon,
            lat,
            source,
        }
    }
}

/// `GET /api/incidents/categories`
pub async fn categories(caller: Caller) -> Result<Json<Value>, AppError> {
    caller.require()?;
    let items: Vec<Value> = CATEGORIES
        .iter()
        .map(|(code, name, hours)| json!({"code": code, "name": name, "deadline_hours": hours}))
        .collect();
    Ok(Json(json!({"items": items, "sources": SOURCES})))
}

fn new_id(now: DateTime<Utc>) -> String {
    let mut b = [0u8; 4];
    rand::rng().fill_bytes(&mut b);
    format!(
        "SJ{}-{}",
        to_shanghai(now)[..10].replace('-', ""),
        hex::encode_upper(b)
    )
}

/// Validates a report and creates it: store first, then index, tiles and live listeners.
pub async fn create(
    state: &Arc<AppState>,
    username: &str,
    body: NewIncident,
    idem: Option<&str>,
) -> Result<(Value, bool), AppError> {
    let category = category_code(body.category.trim()).ok_or_else(|| {
        AppError::BadRequest(
            "bad_category",
            format!(
                "unknown category {:?}; see GET /api/incidents/categories",
                body.category
            ),
        )
    })?;
    crate::spatial::geom::check_lon_lat(body.lon, body.lat)
        .map_err(|d| AppError::BadRequest("bad_location", d))?;
    if body.description.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::BadRequest(
            "too_long",
            format!("description is limited to {MAX_DESCRIPTION} characters"),
        ));
    }
    let source = match body.source {
        Some(s) if SOURCES.contains(&s.as_str()) => s,
        Some(s) => {
            return Err(AppError::BadRequest(
                "bad_source",
                format!("unknown source {s:?}; one of {}", SOURCES.join(", ")),
            ));
        }
        None => "群众上报".to_owned(),
    };
    ready(state)?;
    let now = Utc::now();
    let grid = state.index().grid_code_at(body.lon, body.lat);
    let incident = Incident {
        id: new_id(now),
        category: category.to_owned(),
        source,
        description: body.description,
        lon: body.lon,
        lat: body.lat,
        grid,
        status: IncidentStatus::Reported,
        reported_at: now,
        deadline: deadline_for(category, now),
        version: 1,
    };
    let answer = {
        let index = state.index();
        let mut v = incident_json(&index, &incident, now);
        // Outside every grid: the district's fallback queue (兜底).
        v["queue"] = json!(if incident.grid.is_some() {
            "grid"
        } else {
            "district_fallback"
        });
        v["possible_duplicates"] = json!(possible_duplicates(&index, &incident));
        v
    };
    let text = answer.to_string();
    match state
        .store
        .create_incident(&incident, username, idem.map(|k| (username, k)), &text)
        .await?
    {
        Created::Replayed(prior) => Ok((
            serde_json::from_str(&prior).map_err(|e| AppError::Internal(e.to_string()))?,
            true,
        )),
        Created::New(change) => {
            let data = json!({"kind": change.kind, "id": incident.id, "lon": incident.lon, "lat": incident.lat, "grid": incident.grid,
                              "category": category_name(&incident.category), "status": incident.status.as_str(), "reported_at": to_shanghai(now)});
            let grid = incident.grid.clone();
            state.update_index(|ix| {
                ix.upsert_incident(incident);
            });
            state.publish("incidents", LiveEvent { change, data, grid });
            Ok((answer, false))
        }
    }
}

/// `POST /api/incidents`
pub async fn post(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    Json(body): Json<NewIncident>,
) -> Result<Response, AppError> {
    let p = caller.require()?;
    let idem = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| AppError::bad("Idempotency-Key must be visible ASCII"))?;
    if idem.as_ref().is_some_and(|k| k.is_empty() || k.len() > 200) {
        return Err(AppError::bad("Idempotency-Key must be 1–200 characters"));
    }
    let (answer, _) = create(&state, &p.username, body, idem.as_deref()).await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// May this caller see incidents of `grid`?
pub fn may_see(caller: &crate::auth::Principal, grid: Option<&str>) -> bool {
    match caller.role {
        Role::Admin | Role::Command | Role::Flood => true,
        Role::Street | Role::Community | Role::Grid => grid.is_some_and(|g| caller.covers(g)),
        Role::Public => false,
    }
}

/// `GET /api/incidents?status=&area=&category=&bbox=&since=&overdue=&limit=&offset=`
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    if p.role == Role::Public {
        return Err(AppError::Forbidden(
            "public accounts follow their own reports by id".into(),
        ));
    }
    let status = q
        .get("status")
        .map(|s| {
            IncidentStatus::parse(s).ok_or_else(|| {
                AppError::BadRequest("bad_parameter", format!("unknown status {s:?}"))
            })
        })
        .transpose()?;
    let category = q
        .get("category")
        .map(|c| {
            category_code(c).ok_or_else(|| {
                AppError::BadRequest("bad_parameter", format!("unknown category {c:?}"))
            })
        })
        .transpose()?;
    let area = q
        .get("area")
        .map(|a| {
            crate::domain::AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d))
        })
        .transpose()?;
    let bbox = q
        .get("bbox")
        .map(|b| BBox::parse(b).map_err(|d| AppError::BadRequest("bad_parameter", d)))
        .transpose()?;
    let since = super::time_param(&q, "since")?;
    let overdue = q
        .get("overdue")
        .map(|o| match o.as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(AppError::BadRequest(
                "bad_parameter",
                "`overdue` must be true or false".into(),
            )),
        })
        .transpose()?;
    let limit = count_param(&q, "limit", 100, 10_000)?;
    let offset = offset_param(&q)?;
    if let Some(a) = &area
        && !p.covers(a.as_str())
        && !matches!(p.role, Role::Flood)
    {
        return Err(AppError::Forbidden(format!(
            "area {a} is outside your areas"
        )));
    }
    ready(&state)?;
    let now = Utc::now();
    let index = state.index();
    let mut matches: Vec<&Incident> = index
        .incidents
        .items
        .iter()
        .filter(|i| may_see(p, i.grid.as_deref()))
        .filter(|i| status.is_none_or(|s| i.status == s))
        .filter(|i| category.is_none_or(|c| i.category == c))
        .filter(|i| {
            area.as_ref()
                .is_none_or(|a| i.grid.as_deref().is_some_and(|g| g.starts_with(a.as_str())))
        })
        .filter(|i| bbox.as_ref().is_none_or(|b| b.contains(i.lon, i.lat)))
        .filter(|i| since.is_none_or(|t| i.reported_at >= t))
        .filter(|i| overdue.is_none_or(|o| i.is_overdue(now) == o))
        .collect();
    matches.sort_by(|a, b| b.reported_at.cmp(&a.reported_at).then(b.id.cmp(&a.id)));
    let total = matches.len();
    let items: Vec<Value> = matches
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|i| incident_json(&index, i, now))
        .collect();
    Ok(Json(json!({"items": items, "total": total})))
}

/// `GET /api/incidents/{id}`
pub async fn detail(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    ready(&state)?;
    let mut v = {
        let index = state.index();
        let i = index
            .incidents
            .get(&id)
            .ok_or_else(|| AppError::NotFound(format!("no incident {id}")))?;
        if !may_see(p, i.grid.as_deref()) && p.role != Role::Public {
            return Err(AppError::Forbidden(format!(
                "incident {id} is outside your areas"
            )));
        }
        let mut v = incident_json(&index, i, Utc::now());
        v["possible_duplicates"] = json!(possible_duplicates(&index, i));
        v
    };
    let history = state.store.incident_history(&id).await?;
    if p.role == Role::Public && history.first().is_none_or(|h| h.actor != p.username) {
        return Err(AppError::Forbidden(
            "public accounts may read only their own reports".into(),
        ));
    }
    v["history"] = json!(history.iter().map(|h| json!({"at": to_shanghai(h.at), "actor": h.actor, "action": h.action, "status": h.status, "note": h.note})).collect::<Vec<_>>());
    Ok(Json(v))
}

/// Body of a workflow action.
#[derive(Debug, Deserialize)]
pub struct ActionBody {
    action: String,
    #[serde(default)]
    note: String,
    /// 1–5, for `revisit`
    #[serde(default)]
    satisfaction: Option<u8>,
    /// the version the client saw; a stale one gets 409
    #[serde(default)]
    version: Option<i64>,
}

/// `POST /api/incidents/{id}/actions` `{"action","note","satisfaction","version"}`
pub async fn act(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ActionBody>,
) -> Result<Json<Value>, AppError> {
    use crate::domain::workflow::{ACTIONS, Refusal, action, next_status};
    let p = caller.require()?;
    let a = action(&body.action).ok_or_else(|| {
        AppError::BadRequest(
            "bad_action",
            format!(
                "unknown action {:?}; one of {}",
                body.action,
                ACTIONS
                    .iter()
                    .map(|a| a.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    if body.note.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::BadRequest(
            "too_long",
            format!("note is limited to {MAX_DESCRIPTION} characters"),
        ));
    }
    ready(&state)?;
    let current = state
        .index()
        .incidents
        .get(&id)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("no incident {id}")))?;
    // Grid owners act in their areas; cases in the fallback queue belong to the district.
    let owner = current.grid.clone().unwrap_or_default();
    if !(p.covers(&owner) || matches!(p.role, Role::Admin | Role::Command)) {
        return Err(AppError::Forbidden(format!(
            "incident {id} is outside your areas"
        )));
    }
    let next = next_status(a, current.status, p.role, &body.note, body.satisfaction).map_err(
        |r| match r {
            Refusal::Role => AppError::Forbidden(format!(
                "role {} may not {} ({})",
                p.role.as_str(),
                a.name,
                a.zh
            )),
            Refusal::Status(s) => AppError::Conflict(format!(
                "cannot {} an incident that is {}",
                a.name,
                s.as_str()
            )),
            Refusal::Note => AppError::BadRequest(
                "note_required",
                format!("{} ({}) needs a note", a.name, a.zh),
            ),
            Refusal::Satisfaction => {
                AppError::BadRequest("bad_satisfaction", "revisit needs satisfaction 1–5".into())
            }
        },
    )?;
    let expected = body.version.unwrap_or(current.version);
    let mut note = body.note.clone();
    if let Some(s) = body.satisfaction.filter(|_| a.name == "revisit") {
        note = format!(
            "满意度 {s}/5{}{}",
            if note.is_empty() { "" } else { "；" },
            note
        );
    }
    let change = state
        .store
        .apply_incident_action(
            &id,
            expected,
            next.as_str(),
            &p.username,
            a.name,
            &note,
            (current.lon, current.lat),
        )
        .await?;
    let mut updated = current;
    updated.status = next;
    updated.version = expected + 1;
    let now = Utc::now();
    let out = incident_json(&state.index(), &updated, now);
    let data = json!({"kind": change.kind, "id": updated.id, "lon": updated.lon, "lat": updated.lat, "grid": updated.grid,
                      "category": category_name(&updated.category), "status": next.as_str(), "action": a.name});
    let grid = updated.grid.clone();
    state.update_index(|ix| {
        ix.upsert_incident(updated);
    });
    state.publish("incidents", LiveEvent { change, data, grid });
    Ok(Json(out))
}
