//! `Idempotency-Key` for every request that creates something: one layer,
//! put on a route in the routes table with [`idempotent`].
//!
//! A request with the header claims `(account, key)` in the store, with its
//! route and a fingerprint of its method, path, query, content type and body.
//! The first request runs; a success is stored and every retry gets the same
//! status and body back (`Idempotent-Replayed: true`) without running again.
//! A failure (4xx/5xx) releases the claim: it created nothing, so a retry
//! runs afresh. The same key with a different request answers 422 and a
//! retry while the first still runs 409, as the IETF draft
//! `draft-ietf-httpapi-idempotency-key-header` asks.
//!
//! What this cannot promise: a server killed between the handler's commit
//! and storing its answer leaves the claim pending; retries then get 409
//! `idempotency_unresolved` (never a second record), and the client looks
//! the record up instead.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::Caller;
use crate::auth::password;
use crate::error::AppError;
use crate::service::AppState;
use crate::store::KeyClaim;

/// Longest key accepted.
pub const MAX_KEY_CHARS: usize = 200;
/// After this long a pending claim is taken for a request that died
/// (longer than any request may run: [`super::REQUEST_TIMEOUT`]).
const PENDING_STALE_S: i64 = 60;
/// Largest answer stored for replay (creating answers are small JSON).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Puts the idempotency layer on the methods of `m` registered so far:
/// `idempotent(post(handler)).get(list)` guards the POST only.
pub fn idempotent(m: MethodRouter<Arc<AppState>>) -> MethodRouter<Arc<AppState>> {
    m.route_layer(axum::middleware::from_fn(guard))
}

/// The `Idempotency-Key` header, checked: 1–200 visible ASCII characters.
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let k = v
        .to_str()
        .ok()
        .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| AppError::bad("Idempotency-Key must be visible ASCII"))?;
    if k.is_empty() || k.len() > MAX_KEY_CHARS {
        return Err(AppError::bad(format!(
            "Idempotency-Key must be 1–{MAX_KEY_CHARS} characters"
        )));
    }
    Ok(Some(k.to_owned()))
}

async fn guard(req: Request, next: Next) -> Response {
    match run(req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// The account a request acts as: its session, or (Open311) the session
/// named by an `api_key` field of the body. `None`: anonymous, and the
/// handler answers 401 itself.
async fn account(
    state: &Arc<AppState>,
    parts: &mut axum::http::request::Parts,
    body: &Bytes,
) -> Option<String> {
    if let Ok(Caller(Some(p))) = Caller::from_request_parts(parts, state).await {
        return Some(p.username);
    }
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    let api_key = if is_json {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()?
            .get("api_key")?
            .as_str()?
            .to_owned()
    } else {
        url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "api_key")?
            .1
            .into_owned()
    };
    let session = state
        .store
        .session(&password::token_hash(&api_key))
        .await
        .ok()??;
    Some(session.username)
}

/// What makes two requests the same one.
fn fingerprint(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap, body: &[u8]) -> String {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let mut h = Sha256::new();
    for part in [
        method.as_str().as_bytes(),
        uri.path().as_bytes(),
        uri.query().unwrap_or("").as_bytes(),
        ctype,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(body);
    hex::encode(h.finalize())
}

async fn run(req: Request, next: Next) -> Result<Response, AppError> {
    let Some(key) = key_of(req.headers())? else {
        return Ok(next.run(req).await);
    };
    let state = req
        .extensions()
        .get::<Arc<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("the idempotency layer has no state".into()))?;
    let (mut parts, body) = req.into_parts();
    // The router's body limit already bounds what can arrive here.
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|_| AppError::bad("the request body could not be read"))?;
    let who = account(&state, &mut parts, &body).await;
    let route = parts.uri.path().to_owned();
    let print = fingerprint(&parts.method, &parts.uri, &parts.headers, &body);
    let req = Request::from_parts(parts, Body::from(body));
    let Some(user) = who else {
        return Ok(next.run(req).await);
    };
    match state.store.claim_key(&user, &key, &route, &print).await? {
        KeyClaim::Fresh => {}
        KeyClaim::Replay { status, body } => {
            let status =
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
            return Ok((
                status,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (
                        header::HeaderName::from_static("idempotent-replayed"),
                        "true",
                    ),
                ],
                body,
            )
                .into_response());
        }
        KeyClaim::Mismatch { route: first } => {
            return Err(AppError::Unprocessable(
                "idempotency_key_reused",
                format!(
                    "this Idempotency-Key was first used for a different request{}; a new request needs a new key",
                    first
                        .map(|r| format!(" (to {})", crate::error::clip(&r)))
                        .unwrap_or_default()
                ),
            ));
        }
        KeyClaim::Pending { since } => {
            return Err(if (Utc::now() - since).num_seconds() > PENDING_STALE_S {
                AppError::Conflict(format!(
                    "the request first sent with this Idempotency-Key at {} did not finish; whether it created anything is unknown, so look it up before sending it again with a new key",
                    crate::domain::incident::to_shanghai(since)
                ))
            } else {
                AppError::Conflict(
                    "a request with this Idempotency-Key is still running; retry in a moment"
                        .into(),
                )
            });
        }
    }
    let res = next.run(req).await;
    if !res.status().is_success() {
        state.store.release_key(&user, &key).await?;
        return Ok(res);
    }
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_ANSWER_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            // The record exists but its answer is lost: the claim stays pending.
            return Err(AppError::Internal(format!(
                "reading the answer to store: {e}"
            )));
        }
    };
    if let Err(e) = state
        .store
        .finish_key(
            &user,
            &key,
            parts.status.as_u16(),
            &String::from_utf8_lossy(&bytes),
        )
        .await
    {
        tracing::error!(error = %e, %user, "storing an idempotent answer failed; retries of this key will answer 409");
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
