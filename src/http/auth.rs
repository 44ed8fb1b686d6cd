//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/me`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{CSRF_COOKIE, Caller, ClientAddr, Json, SESSION_COOKIE};
use crate::auth::{password, policy};
use crate::domain::Layer;
use crate::error::AppError;
use crate::service::AppState;
use crate::store::SessionRecord;

/// Sessions last a working day.
const SESSION_HOURS: i64 = 12;

/// Login body.
#[derive(Debug, Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// `POST /api/auth/login`. Wrong name and wrong password answer alike;
/// repeated failures slow down only the (name, address) pair that made them.
pub async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    client: ClientAddr,
    headers: HeaderMap,
    Json(body): Json<Login>,
) -> Result<Response, AppError> {
    let ip = client.ip();
    if !state.limiter.allow(&format!("login:{ip}")) {
        return Err(AppError::TooManyRequests(
            "too many login attempts from this address; wait a minute".into(),
            60,
        ));
    }
    if let Some(wait) = state.logins.wait(&body.username, ip) {
        return Err(AppError::TooManyRequests(
            "too many failed sign-ins for this name from this address; wait a moment".into(),
            wait.as_secs() + 1,
        ));
    }
    let wrong = || AppError::Unauthorized("wrong username or password".into());
    let user = state.store.user(&body.username).await?;
    let (pw, hash) = (
        body.password.clone(),
        user.as_ref().map(|u| u.password_hash.clone()),
    );
    // Unknown names spend the same time on a check, so they cannot be probed by timing.
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => password::verify(&pw, &h),
        None => {
            let _ = password::verify(&pw, password::dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        state.logins.failed(&body.username, ip);
        tracing::info!(user = %crate::error::clip(&body.username), %ip, "login failed");
        return Err(wrong());
    };
    state.logins.succeeded(&user.username, ip);
    // An account with a doubtful role or areas cannot sign in (logged once, clearly).
    let principal = super::principal_of(&user)?;
    let now = Utc::now();
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
    let out = session_cookies(&state, peer, &headers, &token, &csrf)?;
    let body = json!({"token": token, "csrf": csrf, "user": me_json(&principal)});
    Ok((StatusCode::OK, out, axum::Json(body)).into_response())
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

/// The account as the web app needs it: name, role, areas, and the map
/// layers the policy lets it see (so the app never asks for one it may not).
fn me_json(p: &crate::auth::Principal) -> serde_json::Value {
    let layers: Vec<&str> = Layer::ALL
        .into_iter()
        .filter(|l| policy::sees_layer(Some(p), *l))
        .map(Layer::as_str)
        .collect();
    json!({"username": p.username, "role": p.role.as_str(), "areas": p.areas.iter().map(|a| a.as_str()).collect::<Vec<_>>(), "layers": layers})
}

/// `GET /api/me`
/// — also renews the session and, for a browser, its cookies: a wall screen
/// asks this every few minutes and so stays signed in for days.
pub async fn me(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let body = me_json(caller.require()?);
    let mut out = HeaderMap::new();
    // The session the extractor accepted; renewed in full here (not only past half its life).
    if let Some(token) = super::cookie(&headers, SESSION_COOKIE)
        && let Some(session) = state.store.session(&password::token_hash(token)).await?
    {
        let now = Utc::now();
        state
            .store
            .renew_session(&session.token_hash, now + Duration::hours(SESSION_HOURS))
            .await?;
        out = session_cookies(&state, peer.0, &headers, token, &session.csrf)?;
    } else if let Some(token) = bearer(&headers)
        && let Some(session) = state.store.session(&password::token_hash(token)).await?
    {
        state
            .store
            .renew_session(
                &session.token_hash,
                Utc::now() + Duration::hours(SESSION_HOURS),
            )
            .await?;
    }
    Ok((StatusCode::OK, out, axum::Json(body)).into_response())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Renews a session used in its second half of life, so an account in use
/// stays signed in (one write per session per half-life, not per request).
pub(super) async fn renew_if_due(
    state: &AppState,
    session: &SessionRecord,
) -> Result<(), AppError> {
    let now = Utc::now();
    if session.expires_at - now < Duration::hours(SESSION_HOURS / 2) {
        state
            .store
            .renew_session(&session.token_hash, now + Duration::hours(SESSION_HOURS))
            .await?;
    }
    Ok(())
}

/// The session and CSRF cookies, both living as long as a fresh session.
fn session_cookies(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    token: &str,
    csrf: &str,
) -> Result<HeaderMap, AppError> {
    let max_age = SESSION_HOURS * 3600;
    let secure = if super::over_tls(state, peer.ip(), headers) {
        "; Secure"
    } else {
        ""
    };
    let mut out = HeaderMap::new();
    let c1 = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    let c2 = format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict; Max-Age={max_age}{secure}");
    for c in [c1, c2] {
        out.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&c).map_err(|e| AppError::Internal(e.to_string()))?,
        );
    }
    Ok(out)
}

/// Own password change body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    old: String,
    new: String,
}

/// `POST /api/me/password` `{"old","new"}`: any signed-in account; every
/// session of the account ends (sign in again with the new password).
pub async fn change_password(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<PasswordChange>,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    let who = caller.require()?;
    Ok(axum::Json(
        crate::service::accounts::change_own_password(&state, who, body.old, body.new).await?,
    ))
}
