//! `AppError`: every HTTP status the server answers with is chosen here.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// An error answer: `{"error": code, "detail": text}`.
#[derive(Debug)]
pub enum AppError {
    /// 400 with a machine code and a human detail.
    BadRequest(&'static str, String),
    /// 401: no or bad session.
    Unauthorized(String),
    /// 403: signed in but not allowed.
    Forbidden(String),
    /// 404
    NotFound(String),
    /// 409: a concurrent change won.
    Conflict(String),
    /// 413: body too large.
    TooLarge(String),
    /// 429: slow down.
    TooManyRequests(String),
    /// 503: not ready yet.
    Unavailable(String),
    /// 500: a bug; the detail is logged, never sent.
    Internal(String),
}

impl AppError {
    /// Shorthand for a 400 with code `bad_request`.
    pub fn bad(detail: impl Into<String>) -> AppError {
        AppError::BadRequest("bad_request", detail.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, detail) = match self {
            AppError::BadRequest(code, d) => (StatusCode::BAD_REQUEST, code, d),
            AppError::Unauthorized(d) => (StatusCode::UNAUTHORIZED, "unauthorized", d),
            AppError::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", d),
            AppError::NotFound(d) => (StatusCode::NOT_FOUND, "not_found", d),
            AppError::Conflict(d) => (StatusCode::CONFLICT, "conflict", d),
            AppError::TooLarge(d) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", d),
            AppError::TooManyRequests(d) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", d),
            AppError::Unavailable(d) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", d),
            AppError::Internal(d) => {
                tracing::error!(error = %d, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".to_owned(),
                )
            }
        };
        let mut res = (
            status,
            axum::Json(json!({ "error": code, "detail": detail })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(d) => AppError::Conflict(d),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match r {
            J::MissingJsonContentType(_) => AppError::BadRequest(
                "bad_content_type",
                "expected Content-Type: application/json".into(),
            ),
            J::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::TooLarge(b.body_text())
            }
            other => AppError::BadRequest("bad_json", other.body_text()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest("bad_query", r.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        AppError::BadRequest("bad_path", r.body_text())
    }
}
