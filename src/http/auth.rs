//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/me`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{CSRF_COOKIE, Caller, Json, SESSION_COOKIE};
use crate::app::AppState;
use crate::auth::password;
use crate::error::AppError;
use crate::store::SessionRecord;

/// Sessions last a working day.
const SESSION_HOURS: i64 = 12;
/// Failed logins before the account locks.
const MAX_FAILURES: i64 = 5;
/// How long a lock lasts.
const LOCK_MINUTES: i64 = 15;

/// Login body.
#[derive(Debug, Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// `POST /api/auth/login`
pub async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<Login>,
) -> Result<Response, AppError> {
    if !state.limiter.allow(&format!("login:{}", peer.ip())) {
        return Err(AppError::TooManyRequests(
            "too many login attempts from this address; wait a minute".into(),
        ));
    }
    let wrong = || AppError::Unauthorized("wrong username or password".into());
    let Some(user) = state.store.user(&body.username).await? else {
        // Spend the same time as a real check so names cannot be probed by timing.
        let _ = tokio::task::spawn_blocking(|| password::verify("x", password::dummy_hash())).await;
        return Err(wrong());
    };
    let now = Utc::now();
    if user.locked_until.is_some_and(|t| t > now) {
        return Err(AppError::TooManyRequests(format!(
            "the account is locked after {MAX_FAILURES} failed logins; try again later"
        )));
    }
    let (pw, hash) = (body.password.clone(), user.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        let failed = user.failed_logins + 1;
        let lock = (failed >= MAX_FAILURES).then(|| now + Duration::minutes(LOCK_MINUTES));
        state
            .store
            .set_login_state(
                &user.username,
                if lock.is_some() { 0 } else { failed },
                lock,
            )
            .await?;
        tracing::info!(user = %user.username, failed, "login failed");
        return Err(wrong());
    }
    state.store.set_login_state(&user.username, 0, None).await?;
    let token = password::new_token();
    let csrf = password::new_token();
    state
        .store
        .put_session(&SessionRecord {
            token_hash: password::token_hash(&token),
            username: user.username.clone(),
            csrf: csrf.clone(),
            expires_at: now + Duration::hours(SESSION_HOURS),
        })
        .await?;
    tracing::info!(user = %user.username, role = %user.role, "signed in");
    let max_age = SESSION_HOURS * 3600;
    let mut headers = HeaderMap::new();
    let c1 =
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    let c2 = format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict; Max-Age={max_age}");
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c1).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c2).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    let body = json!({"token": token, "csrf": csrf, "user": {"username": user.username, "role": user.role, "areas": user.areas}});
    Ok((StatusCode::OK, headers, axum::Json(body)).into_response())
}

/// `POST /api/auth/logout`
pub async fn logout(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    caller.require()?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .or_else(|| super::cookie(&headers, SESSION_COOKIE).map(str::to_owned));
    if let Some(t) = token {
        state
            .store
            .delete_session(&password::token_hash(&t))
            .await?;
    }
    let mut h = HeaderMap::new();
    h.append(
        header::SET_COOKIE,
        HeaderValue::from_static("minqing_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    h.append(
        header::SET_COOKIE,
        HeaderValue::from_static("minqing_csrf=; Path=/; SameSite=Strict; Max-Age=0"),
    );
    Ok((
        StatusCode::OK,
        h,
        axum::Json(json!({"status": "signed out"})),
    )
        .into_response())
}

/// `GET /api/me`
pub async fn me(caller: Caller) -> Result<axum::Json<serde_json::Value>, AppError> {
    let p = caller.require()?;
    Ok(axum::Json(
        json!({"username": p.username, "role": p.role.as_str(), "areas": p.areas.iter().map(|a| a.as_str()).collect::<Vec<_>>()}),
    ))
}
