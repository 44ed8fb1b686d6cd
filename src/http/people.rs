//! Special-population records: `GET /api/people`, `GET /api/people/{id}`,
//! and the audit log. Masked by default, scoped by area, every read audited.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{Caller, Json, Params, count_param, offset_param, ready};
use crate::auth::policy::{self, Action, Kind};
use crate::domain::PersonCategory;
use crate::error::AppError;
use crate::service::AppState;
use crate::spatial::{BBox, SpatialIndex};
use crate::views::{PersonView, to_value};

fn grid_code(index: &SpatialIndex, i: usize) -> Option<&str> {
    index.people.grid[i].map(|g| index.areas.entries[g as usize].area.code.as_str())
}

/// `GET /api/people?area=&category=&bbox=&limit=&offset=`
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let p = caller.may(Kind::People, Action::Read)?;
    let scope = caller.reads(Kind::People);
    let area = q
        .get("area")
        .map(|a| {
            crate::domain::AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d))
        })
        .transpose()?;
    if let Some(a) = &area
        && !scope.meets_area(a.as_str())
    {
        return Err(AppError::Forbidden(format!(
            "area {a} is outside your areas"
        )));
    }
    let category = q
        .get("category")
        .map(|c| {
            PersonCategory::parse(c).ok_or_else(|| {
                AppError::BadRequest("bad_parameter", format!("unknown category {c:?}"))
            })
        })
        .transpose()?;
    let bbox = q
        .get("bbox")
        .map(|b| BBox::parse(b).map_err(|d| AppError::BadRequest("bad_parameter", d)))
        .transpose()?;
    let limit = count_param(&q, "limit", 100, 10_000)?;
    let offset = offset_param(&q)?;
    ready(&state)?;
    let (items, ids, total) = {
        let index = state.index();
        let matching: Vec<usize> = (0..index.people.len())
            .filter(|&i| scope.allows(grid_code(&index, i), None))
            .filter(|&i| {
                area.as_ref()
                    .is_none_or(|a| grid_code(&index, i).is_some_and(|g| g.starts_with(a.as_str())))
            })
            .filter(|&i| category.is_none_or(|c| index.people.items[i].category == c))
            .filter(|&i| {
                bbox.as_ref().is_none_or(|b| {
                    b.contains(index.people.items[i].lon, index.people.items[i].lat)
                })
            })
            .collect();
        let page: Vec<usize> = matching.iter().copied().skip(offset).take(limit).collect();
        let ids: Vec<String> = page
            .iter()
            .map(|&i| index.people.items[i].id.clone())
            .collect();
        (
            page.iter()
                .map(|&i| PersonView::of(&index, i, false))
                .collect::<Vec<_>>(),
            ids,
            matching.len(),
        )
    };
    state
        .store
        .audit(
            &p.username,
            "people.list",
            &ids,
            q.get("purpose").map(String::as_str),
        )
        .await?;
    Ok(Json(json!({"items": items, "total": total})))
}

/// `GET /api/people/{id}[?purpose=…]` — masked, or full detail with a purpose for roles allowed it.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    let scope = caller.reads(Kind::People);
    // One answer for "elsewhere" and "nowhere": existence outside one's rights is not revealed.
    let refuse = || AppError::NotFound(format!("no record {}", crate::error::clip(&id)));
    ready(&state)?;
    let purpose = q
        .get("purpose")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let unmask = policy::decide(Some(p), Kind::People, Action::Unmask);
    if purpose.is_some() && unmask.is_nothing() {
        return Err(AppError::Forbidden(format!(
            "role {} may not read unmasked records",
            p.role.as_str()
        )));
    }
    let v = {
        let index = state.index();
        let i = index.people.position(&id).ok_or_else(refuse)?;
        let grid = grid_code(&index, i);
        if !scope.allows(grid, None) {
            return Err(refuse());
        }
        if purpose.is_some() && !unmask.allows(grid, None) {
            return Err(AppError::Forbidden(
                "unmasked detail of this record is not yours to read".into(),
            ));
        }
        to_value(&PersonView::of(&index, i, purpose.is_some()))
    };
    let action = if purpose.is_some() {
        "people.detail.unmasked"
    } else {
        "people.detail"
    };
    state
        .store
        .audit(
            &p.username,
            action,
            std::slice::from_ref(&id),
            purpose.as_deref(),
        )
        .await?;
    Ok(Json(v))
}

/// `GET /api/audit?limit=&offset=&user=&action=&record=` (admin): newest
/// first; `action` matches a prefix (`people.` is every people read).
pub async fn audit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    caller.may(Kind::Audit, Action::Read)?;
    let limit = count_param(&q, "limit", 100, 10_000)?;
    let offset = i64::try_from(offset_param(&q)?).unwrap_or(i64::MAX);
    let text = |k: &str| -> Result<Option<String>, AppError> {
        match q.get(k).map(|v| v.trim()) {
            Some(v) if v.chars().count() > 64 => {
                Err(AppError::bad(format!("{k} is at most 64 characters")))
            }
            Some(v) if !v.is_empty() => Ok(Some(v.to_owned())),
            _ => Ok(None),
        }
    };
    let filter = crate::store::AuditFilter {
        username: text("user")?,
        action: text("action")?,
        record: text("record")?,
    };
    let items = state
        .store
        .audit_find(&filter, limit as i64, offset)
        .await?;
    Ok(Json(json!({"items": items})))
}
