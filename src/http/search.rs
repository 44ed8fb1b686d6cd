//! `GET /api/search?q=&limit=`: one search over areas, hazards, shelters,
//! places, grid heads and (by rights) incident ids.

use std::sync::Arc;

use axum::extract::State;
use serde_json::{Value, json};

use super::{Caller, Json, Params, count_param, ready};
use crate::auth::policy::{self, Kind};
use crate::error::{AppError, clip};
use crate::service::AppState;
use crate::spatial::search::{Rights, search_with as find};

/// Results per answer unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 10;
/// Most results per answer (more is capped, not refused).
pub const MAX_LIMIT: usize = 100;
/// Longest question, in characters.
pub const MAX_QUESTION: usize = 100;

/// `GET /api/search?q=&limit=`
pub async fn search(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let question = q.get("q").map(|s| s.trim()).unwrap_or_default();
    if question.is_empty() {
        return Err(AppError::BadRequest(
            "missing_parameter",
            "query parameter `q` is required and must not be blank".into(),
        ));
    }
    if question.chars().count() > MAX_QUESTION {
        return Err(AppError::BadRequest(
            "bad_parameter",
            format!(
                "`q` is longer than {MAX_QUESTION} characters: {}",
                clip(question)
            ),
        ));
    }
    let limit = count_param(&q, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    ready(&state)?;
    let scope = caller.reads(Kind::Incidents);
    // A history case (closed, older than the live window) is found by its whole id.
    let mut history = Vec::new();
    if !scope.is_nothing() {
        for id in [question.to_owned(), question.to_uppercase()] {
            if let Some(i) = crate::service::history::incident(&state, &id).await?
                && state.index().is_history(&i)
                && !history.contains(&i)
            {
                history.push(i);
            }
        }
    }
    let may = |grid: Option<&str>, reporter: Option<&str>| scope.allows(grid, reporter);
    let rights = Rights {
        phones: policy::contact_phones(caller.who()),
        incident: (!scope.is_nothing())
            .then_some(&may as &dyn Fn(Option<&str>, Option<&str>) -> bool),
    };
    let index = state.index();
    let items = find(&index, question, limit, &rights, &history);
    Ok(Json(json!({ "items": items })))
}
