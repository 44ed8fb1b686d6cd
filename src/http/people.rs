//! Special-population records: `GET /api/people`, `GET /api/people/{id}`,
//! and the audit log. Masked by default, scoped by area, every read audited.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{Caller, Json, Params, count_param, offset_param, ready};
use crate::app::AppState;
use crate::auth::{PeopleScope, Role, mask};
use crate::domain::PersonCategory;
use crate::error::AppError;
use crate::spatial::{BBox, SpatialIndex};

fn grid_code(index: &SpatialIndex, i: usize) -> Option<&str> {
    index.people.grid[i].map(|g| index.areas.entries[g as usize].area.code.as_str())
}

/// A masked record. The location is coarsened to the grid's label point.
pub fn masked(index: &SpatialIndex, i: usize) -> Value {
    let p = &index.people.items[i];
    let (lon, lat) = index.people.grid[i]
        .map(|g| index.areas.entries[g as usize].label)
        .unwrap_or((p.lon, p.lat));
    json!({
        "id": p.id, "grid": grid_code(index, i), "category": p.category.zh(), "category_code": p.category.as_str(),
        "name": mask::name(&p.name), "id_number": mask::id_number(&p.id_number), "phone": mask::phone(&p.phone),
        "address": mask::address(&p.address), "risk_level": p.risk_level, "next_visit": p.next_visit,
        "lon": lon, "lat": lat, "masked": true,
    })
}

fn unmasked(index: &SpatialIndex, i: usize) -> Value {
    let p = &index.people.items[i];
    json!({
        "id": p.id, "grid": grid_code(index, i), "category": p.category.zh(), "category_code": p.category.as_str(),
        "name": p.name, "id_number": p.id_number, "phone": p.phone, "address": p.address,
        "risk_level": p.risk_level, "next_visit": p.next_visit, "lon": p.lon, "lat": p.lat, "masked": false,
    })
}

/// `GET /api/people?area=&category=&bbox=&limit=&offset=`
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    let p = caller.require()?;
    let scope = p.people_scope();
    if scope == PeopleScope::CountsOnly {
        return Err(AppError::Forbidden(format!(
            "role {} may see special-population counts only",
            p.role.as_str()
        )));
    }
    let area = q
        .get("area")
        .map(|a| {
            crate::domain::AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d))
        })
        .transpose()?;
    if let Some(a) = &area
        && !p.covers(a.as_str())
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
            .filter(|&i| scope.allows(grid_code(&index, i)))
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
            page.iter().map(|&i| masked(&index, i)).collect::<Vec<_>>(),
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
    let scope = p.people_scope();
    // One answer for "elsewhere" and "nowhere": existence outside one's areas is not revealed.
    let refuse = || AppError::Forbidden("this record is not in your areas".into());
    ready(&state)?;
    let purpose = q
        .get("purpose")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if purpose.is_some() && !p.may_unmask() {
        return Err(AppError::Forbidden(format!(
            "role {} may not read unmasked records",
            p.role.as_str()
        )));
    }
    let v = {
        let index = state.index();
        let i = index.people.position(&id).ok_or_else(refuse)?;
        if !scope.allows(grid_code(&index, i)) {
            return Err(refuse());
        }
        if purpose.is_some() {
            unmasked(&index, i)
        } else {
            masked(&index, i)
        }
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

/// `GET /api/audit?limit=&offset=` (admin)
pub async fn audit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    caller.require_role(&[Role::Admin])?;
    let limit = count_param(&q, "limit", 100, 10_000)?;
    let offset = offset_param(&q)? as i64;
    let items = state.store.audit_log(limit as i64, offset.max(0)).await?;
    Ok(Json(json!({"items": items})))
}
