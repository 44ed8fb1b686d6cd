//! Open311 GeoReport v2, so the 12345 hotline and other systems exchange cases.
//! `api_key` is a session token of the calling system's account (or send it
//! as `Authorization: Bearer`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use serde_json::{Value, json};

use super::{Caller, Params, ready};
use crate::auth::policy::{self, Kind};
use crate::auth::{Principal, password};
use crate::domain::Incident;
use crate::domain::incident::{CATEGORIES, category_name, to_shanghai};
use crate::error::AppError;
use crate::error::clip;
use crate::service::AppState;
use crate::service::incidents::{NewIncident, report};
use crate::store::HistoryFilter;

/// `GET /open311/v2/services.json`
pub async fn services() -> axum::Json<Value> {
    axum::Json(Value::Array(
        CATEGORIES
            .iter()
            .map(|(code, name, hours)| {
                json!({"service_code": code, "service_name": name, "description": format!("{name}（办理时限 {hours} 小时）"),
                       "metadata": false, "type": "realtime", "keywords": name, "group": "矛盾纠纷与民生诉求"})
            })
            .collect(),
    ))
}

fn status(i: &Incident) -> &'static str {
    if i.status.is_open() { "open" } else { "closed" }
}

fn request_json(i: &Incident) -> Value {
    json!({
        "service_request_id": i.id, "status": status(i), "status_notes": i.status.as_str(),
        "service_name": category_name(&i.category), "service_code": i.category, "description": i.description,
        "agency_responsible": i.grid.as_deref().unwrap_or("441802"), "service_notice": "",
        "requested_datetime": to_shanghai(i.reported_at), "updated_datetime": to_shanghai(i.reported_at),
        "expected_datetime": to_shanghai(i.deadline), "address": "", "address_id": "", "zipcode": "",
        "lat": i.lat, "long": i.lon, "media_url": "",
    })
}

/// Resolves `api_key` (form/query) or the bearer token to an account.
async fn principal_from_key(
    state: &AppState,
    caller: &Caller,
    key: Option<&str>,
) -> Result<Principal, AppError> {
    if let Some(p) = caller.who() {
        return Ok(p.clone());
    }
    let key =
        key.ok_or_else(|| AppError::Unauthorized("send api_key or Authorization: Bearer".into()))?;
    let session = state
        .store
        .session(&password::token_hash(key))
        .await?
        .ok_or_else(|| AppError::Unauthorized("unknown or expired api_key".into()))?;
    let user = state
        .store
        .user(&session.username)
        .await?
        .ok_or_else(|| AppError::Unauthorized("the account no longer exists".into()))?;
    super::principal_of(&user)
}

/// `POST /open311/v2/requests.json` (form-encoded as in GeoReport v2, or JSON)
pub async fn post_request(
    State(state): State<Arc<AppState>>,
    client: super::ClientAddr,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let f: HashMap<String, String> = if is_json {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| AppError::BadRequest("bad_json", e.to_string()))?;
        v.as_object()
            .ok_or_else(|| AppError::bad("expected a JSON object"))?
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect()
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    // Per source address before the key is known (guessing keys), per account after:
    // never per caller-chosen text.
    if !state
        .limiter
        .allow(&format!("open311:addr:{}", client.ip()))
    {
        return Err(AppError::TooManyRequests(
            "too many requests from this address; slow down".into(),
            60,
        ));
    }
    let p = principal_from_key(&state, &caller, f.get("api_key").map(String::as_str)).await?;
    if !state.limiter.allow(&format!("open311:user:{}", p.username)) {
        return Err(AppError::TooManyRequests(
            "too many requests for this account; slow down".into(),
            60,
        ));
    }
    let num = |k: &str| -> Result<f64, AppError> {
        f.get(k)
            .ok_or_else(|| {
                AppError::BadRequest(
                    "missing_parameter",
                    format!("`{k}` is required (GeoReport v2 uses lat and long)"),
                )
            })?
            .trim()
            .parse::<f64>()
            .map_err(|_| AppError::BadRequest("bad_parameter", format!("`{k}` must be a number")))
    };
    let code = f.get("service_code").ok_or_else(|| {
        AppError::BadRequest(
            "missing_parameter",
            "`service_code` is required; see services.json".into(),
        )
    })?;
    let body = NewIncident {
        category: code.clone(),
        description: f.get("description").cloned().unwrap_or_default(),
        lon: num("long")?,
        lat: num("lat")?,
        source: None,
        channel: Some("12345"),
    };
    let answer = report(&state, &p, body).await?;
    let id = answer["id"].as_str().unwrap_or_default().to_owned();
    Ok((StatusCode::CREATED, axum::Json(json!([{"service_request_id": id, "service_notice": format!("已受理登记，归属网格 {}", answer["grid"].as_str().unwrap_or("区兜底队列")), "account_id": p.username}]))).into_response())
}

/// `GET /open311/v2/requests.json`
pub async fn list_requests(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<axum::Json<Value>, AppError> {
    let p = principal_from_key(&state, &caller, q.get("api_key").map(String::as_str)).await?;
    ready(&state)?;
    let ids: Option<Vec<&str>> = q
        .get("service_request_id")
        .map(|s| s.split(',').map(str::trim).collect());
    let (start, end) = (
        super::time_param(&q, "start_date")?,
        super::time_param(&q, "end_date")?,
    );
    let code = q.get("service_code");
    let want_status = q
        .get("status")
        .map(|s| match s.as_str() {
            "open" | "closed" => Ok(s.as_str()),
            other => Err(AppError::BadRequest(
                "bad_parameter",
                format!("`status` must be open or closed, got {:?}", clip(other)),
            )),
        })
        .transpose()?;
    let scope = policy::read(Some(&p), Kind::Incidents);
    // History cases (closed, older than the live window) are read from the store.
    let mut history = Vec::new();
    if want_status != Some("open") {
        match &ids {
            Some(ids) => {
                for id in ids {
                    if let Some(i) = crate::service::history::incident(&state, id).await?
                        && state.index().is_history(&i)
                    {
                        history.push(i);
                    }
                }
            }
            None => {
                history = crate::service::history::cases(&state, &scope, 1000, |f| HistoryFilter {
                    category: code.cloned(),
                    since: start,
                    until: end,
                    ..f
                })
                .await?;
            }
        }
    }
    let index = state.index();
    let mut out: Vec<&Incident> = index
        .live_incidents()
        .chain(&history)
        .filter(|i| scope.allows(i.grid.as_deref(), i.reporter.as_deref()))
        .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.id.as_str())))
        .filter(|i| code.is_none_or(|c| &i.category == c))
        .filter(|i| want_status.is_none_or(|s| s == status(i)))
        .filter(|i| {
            start.is_none_or(|t| i.reported_at >= t) && end.is_none_or(|t| i.reported_at <= t)
        })
        .collect();
    out.sort_by_key(|i| std::cmp::Reverse(i.reported_at));
    // GeoReport v2 default window: the 1000 newest.
    Ok(axum::Json(Value::Array(
        out.into_iter().take(1000).map(request_json).collect(),
    )))
}

/// `GET /open311/v2/requests/{id}.json`
pub async fn get_request(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(file): Path<String>,
    q: Params,
) -> Result<axum::Json<Value>, AppError> {
    let id = file
        .strip_suffix(".json")
        .ok_or_else(|| AppError::NotFound("GeoReport paths end in .json".into()))?;
    let p = principal_from_key(&state, &caller, q.get("api_key").map(String::as_str)).await?;
    ready(&state)?;
    let scope = policy::read(Some(&p), Kind::Incidents);
    let found = crate::service::history::incident(&state, id)
        .await?
        .filter(|i| scope.allows(i.grid.as_deref(), i.reporter.as_deref()))
        .ok_or_else(|| AppError::NotFound(format!("no service request {}", clip(id))))?;
    Ok(axum::Json(json!([request_json(&found)])))
}
