//! Accounts (admin): `GET/POST /api/admin/users`, `POST /api/admin/users/{name}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Caller, Json};
use crate::auth::policy::{Action, Kind};
use crate::error::AppError;
use crate::service::AppState;
use crate::service::accounts::{self, AccountChange, NewAccount};

/// `GET /api/admin/users`
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, AppError> {
    caller.may(Kind::Accounts, Action::Read)?;
    let items: Vec<Value> = state
        .store
        .users()
        .await?
        .iter()
        .map(accounts::view)
        .collect();
    Ok(Json(json!({"items": items})))
}

/// `POST /api/admin/users` `{"username","role","areas","password"}`
pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(body): Json<NewAccount>,
) -> Result<Response, AppError> {
    let p = caller.may(Kind::Accounts, Action::Change)?;
    let out = accounts::create(&state, p, body).await?;
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

/// `POST /api/admin/users/{name}` `{"role"?,"areas"?,"disabled"?,"password"?}`
pub async fn change(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<AccountChange>,
) -> Result<Json<Value>, AppError> {
    let p = caller.may(Kind::Accounts, Action::Change)?;
    Ok(Json(accounts::change(&state, p, &name, body).await?))
}
