//! Liveness and readiness.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::service::AppState;

/// `GET /healthz`: 200 while the process serves.
pub async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 once the store answers and the index is loaded, else 503.
pub async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    if !state.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "loading"})),
        );
    }
    match state.store.meta("demo").await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(json!({"status": "ready", "store": state.store.backend()})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "store did not answer the readiness probe");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"status": "store unavailable"})),
            )
        }
    }
}
