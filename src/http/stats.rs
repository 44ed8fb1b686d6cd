//! `GET /api/stats/incidents`: parses the question and hands it to
//! [`crate::service::stats`] with the caller's read scope.

use std::sync::Arc;

use axum::extract::State;
use chrono::{Duration, Utc};
use serde_json::Value;

use super::{Caller, Json, Params, ready};
use crate::auth::policy::Kind;
use crate::domain::{AreaCode, Level};
use crate::error::AppError;
use crate::service::AppState;
use crate::service::stats::StatsQuery;

/// `GET /api/stats/incidents?level=street&area=&from=&to=`
pub async fn incidents(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    caller.require()?;
    // Statistics over exactly the incidents the caller may read.
    let scope = caller.reads(Kind::Incidents);
    let level = match q.get("level") {
        Some(l) => Level::parse(l).ok_or_else(|| {
            AppError::BadRequest(
                "bad_parameter",
                format!("`level` must be district, street, community or grid, got {l:?}"),
            )
        })?,
        None => Level::Street,
    };
    let area = q
        .get("area")
        .map(|a| AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d)))
        .transpose()?;
    if let Some(a) = &area
        && !scope.meets_area(a.as_str())
    {
        return Err(AppError::Forbidden(format!(
            "area {a} is outside your areas"
        )));
    }
    let to = super::time_param(&q, "to")?.unwrap_or_else(Utc::now);
    let from = super::time_param(&q, "from")?.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(AppError::BadRequest(
            "bad_parameter",
            "`from` must be before `to`".into(),
        ));
    }
    ready(&state)?;
    let question = StatsQuery {
        level,
        area,
        from,
        to,
    };
    Ok(Json(
        crate::service::stats::incidents(&state, &scope, &question).await?,
    ))
}
