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
    /// 415: a body of a type the endpoint does not take.
    UnsupportedMedia(String),
    /// 429: slow down; retry after this many seconds.
    TooManyRequests(String, u64),
    /// 503: not ready yet.
    Unavailable(String),
    /// 503: too busy now; retry after this many seconds.
    Busy(String, u64),
    /// 408: the request took too long.
    Timeout(String),
    /// 416: a byte range outside a file of this length.
    RangeNotSatisfiable(String, u64),
    /// 500: a bug; the detail is logged, never sent.
    Internal(String),
    /// 422: well-formed but refused as it stands (an idempotency key reused
    /// for a different request), with a machine code.
    Unprocessable(&'static str, String),
}

impl AppError {
    /// Shorthand for a 400 with code `bad_request`.
    pub fn bad(detail: impl Into<String>) -> AppError {
        AppError::BadRequest("bad_request", detail.into())
    }
}

/// Most characters of a caller's input a `detail` echoes.
pub const ECHO_CHARS: usize = 200;

/// A caller's input as echoed in a detail: at most [`ECHO_CHARS`] characters.
///
/// ```
/// use minqing::error::clip;
/// assert_eq!(clip("abc"), "abc");
/// assert_eq!(clip(&"x".repeat(5000)).chars().count(), 201, "200 characters and an ellipsis");
/// ```
pub fn clip(input: &str) -> String {
    match input.char_indices().nth(ECHO_CHARS) {
        None => input.to_owned(),
        Some((at, _)) => format!("{}…", &input[..at]),
    }
}

/// Longest detail sent: our own words plus at most one clipped echo.
const MAX_DETAIL_CHARS: usize = 2 * ECHO_CHARS + 200;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            AppError::TooManyRequests(_, s) | AppError::Busy(_, s) => Some(*s),
            AppError::Unavailable(_) => Some(2),
            _ => None,
        };
        let file_len = match &self {
            AppError::RangeNotSatisfiable(_, len) => Some(*len),
            _ => None,
        };
        let (status, code, detail) = match self {
            AppError::BadRequest(code, d) => (StatusCode::BAD_REQUEST, code, d),
            AppError::Unauthorized(d) => (StatusCode::UNAUTHORIZED, "unauthorized", d),
            AppError::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", d),
            AppError::NotFound(d) => (StatusCode::NOT_FOUND, "not_found", d),
            AppError::Conflict(d) => (StatusCode::CONFLICT, "conflict", d),
            AppError::TooLarge(d) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", d),
            AppError::UnsupportedMedia(d) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                d,
            ),
            AppError::TooManyRequests(d, _) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", d),
            AppError::Unavailable(d) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", d),
            AppError::Busy(d, _) => (StatusCode::SERVICE_UNAVAILABLE, "busy", d),
            AppError::Timeout(d) => (StatusCode::REQUEST_TIMEOUT, "timeout", d),
            AppError::Unprocessable(code, d) => (StatusCode::UNPROCESSABLE_ENTITY, code, d),
            AppError::RangeNotSatisfiable(d, _) => {
                (StatusCode::RANGE_NOT_SATISFIABLE, "bad_range", d)
            }
            AppError::Internal(d) => {
                tracing::error!(error = %d, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".to_owned(),
                )
            }
        };
        // A backstop for details built from library messages that quote input.
        let detail = match detail.char_indices().nth(MAX_DETAIL_CHARS) {
            None => detail,
            Some((at, _)) => format!("{}…", &detail[..at]),
        };
        let mut res = (
            status,
            axum::Json(json!({ "error": code, "detail": detail })),
        )
            .into_response();
        if let Some(s) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(s.max(1)));
        }
        if let Some(len) = file_len
            && let Ok(v) = header::HeaderValue::from_str(&format!("bytes */{len}"))
        {
            res.headers_mut().insert(header::CONTENT_RANGE, v);
        }
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
