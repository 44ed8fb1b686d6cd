//! Warning areas (预警区): issue, extend, lift, confirm a hazard, and the
//! answer for a warning computed from the index (always current). Each write
//! stores the whole document, then updates the in-memory list and tells live
//! listeners (the staff of the grids it touches).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use geo::Intersects;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, LiveEvent};
use crate::auth::Principal;
use crate::auth::policy::{self, Action, Kind};
use crate::domain::hazard::threatened;
use crate::domain::warning::{Warning, WarningEvent, WarningStatus};
use crate::domain::{Level, Risk};
use crate::error::{AppError, clip};
use crate::export::Table;
use crate::spatial::geom::point_in;
use crate::spatial::{BBox, SpatialIndex};
use crate::store::WarningDoc;
use crate::views::{HazardView, PersonView, ShelterView, to_value};

/// Longest a warning may run from now (issue or extend).
pub const MAX_DAYS: i64 = 31;
/// Nearest shelters outside the area listed, and how far to look.
const NEAREST_OUTSIDE: usize = 3;
const NEAREST_WITHIN_M: f64 = 20_000.0;

/// Positions of the grids whose polygon meets the warning's area.
fn touched(index: &SpatialIndex, w: &Warning) -> Vec<usize> {
    let Some(b) = BBox::of(&w.area) else {
        return vec![];
    };
    let mut out: Vec<usize> = index
        .areas
        .in_bbox(Level::Grid, &b)
        .filter(|&i| index.areas.entries[i].area.geometry.intersects(&w.area))
        .collect();
    out.sort_unstable();
    out
}

/// Codes of the grids a warning touches.
pub fn touched_grids(index: &SpatialIndex, w: &Warning) -> Vec<String> {
    touched(index, w)
        .into_iter()
        .map(|i| index.areas.entries[i].area.code.as_str().to_owned())
        .collect()
}

/// May `who` read this warning? Staff whose areas it touches (the policy's scope).
pub fn visible(who: Option<&Principal>, index: &SpatialIndex, w: &Warning) -> bool {
    let scope = policy::read(who, Kind::Warnings);
    scope == policy::Scope::All
        || touched_grids(index, w)
            .iter()
            .any(|g| scope.allows(Some(g), None))
}

/// Body of a new warning.
#[derive(Debug, Deserialize)]
pub struct NewWarning {
    /// name
    pub name: String,
    /// 红/橙/黄/蓝 (or red/orange/yellow/blue)
    pub level: String,
    /// 暴雨/山洪/地质灾害/台风…
    pub kind: String,
    /// GeoJSON Polygon/MultiPolygon
    pub area: Value,
    /// RFC 3339, in the future, at most 31 days ahead
    pub until: String,
}

/// Body of a step on a warning.
#[derive(Debug, Deserialize)]
pub struct WarningAction {
    /// `extend`, `lift` or `confirm`
    pub action: String,
    /// the new end (`extend`)
    #[serde(default)]
    pub until: Option<String>,
    /// the hazard checked (`confirm`)
    #[serde(default)]
    pub hazard: Option<String>,
    /// the version the client saw; a stale one gets 409
    #[serde(default)]
    pub version: Option<i64>,
}

fn bad(code: &'static str, d: impl Into<String>) -> AppError {
    AppError::BadRequest(code, d.into())
}

fn parse_until(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    let t = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| {
            bad(
                "bad_until",
                format!("`until` must be RFC 3339, got {:?}", clip(raw)),
            )
        })?
        .with_timezone(&Utc);
    if t <= now {
        return Err(bad("bad_until", "`until` must be in the future"));
    }
    if t > now + Duration::days(MAX_DAYS) {
        return Err(bad(
            "bad_until",
            format!("`until` may be at most {MAX_DAYS} days ahead"),
        ));
    }
    Ok(t)
}

fn new_id(now: DateTime<Utc>) -> String {
    let mut b = [0u8; 4];
    rand::rng().fill_bytes(&mut b);
    format!(
        "YJ{}-{}",
        crate::domain::incident::to_shanghai(now)[..10].replace('-', ""),
        hex::encode_upper(b)
    )
}

/// The CAP identifier of the next message of a warning.
fn next_cap(w: &Warning) -> String {
    format!("{}-{}", w.id, w.cap_messages().len() + 1)
}

/// Stores a new version of `w` and, once committed, updates the list and
/// tells live listeners. `expected` is the stored version (None: new).
async fn save(state: &Arc<AppState>, w: Warning, expected: Option<i64>) -> Result<(), AppError> {
    let body = serde_json::to_string(&w).map_err(|e| AppError::Internal(e.to_string()))?;
    let area = serde_json::to_string(&geojson::Geometry::from(&w.area))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let bbox = BBox::of(&w.area).map(|b| b.to_array()).unwrap_or([0.0; 4]);
    let kind = if expected.is_none() {
        "warning.issued"
    } else {
        "warning.updated"
    };
    let doc = WarningDoc {
        id: &w.id,
        body: &body,
        version: w.version,
        area_geojson: &area,
        bbox,
    };
    let change = state.store.put_warning(&doc, expected, kind).await?;
    let grids = touched_grids(&state.index(), &w);
    let event = LiveEvent::warning(change, &w, grids, Utc::now());
    state.commit(event, |_| {});
    state.put_warning(w);
    Ok(())
}

/// Issues a warning and returns its answer.
pub async fn issue(
    state: &Arc<AppState>,
    who: &Principal,
    body: NewWarning,
) -> Result<Value, AppError> {
    let may = policy::decide(Some(who), Kind::Warnings, Action::Create);
    if may.is_nothing() {
        return Err(AppError::Forbidden(format!(
            "role {} may not issue warnings",
            who.role.as_str()
        )));
    }
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad("bad_name", "`name` must be 1–100 characters"));
    }
    let level = Risk::parse(&body.level).ok_or_else(|| {
        bad(
            "bad_level",
            format!(
                "`level` must be 红, 橙, 黄 or 蓝, got {:?}",
                clip(&body.level)
            ),
        )
    })?;
    let kind = body.kind.trim().to_owned();
    if kind.is_empty() || kind.chars().count() > 20 {
        return Err(bad("bad_kind", "`kind` must be 1–20 characters, e.g. 暴雨"));
    }
    let area = super::area::parse_area(&body.area)?;
    state.ready()?;
    let now = Utc::now();
    let until = parse_until(&body.until, now)?;
    let id = new_id(now);
    let mut w = Warning {
        id,
        name,
        level,
        kind,
        area,
        until,
        lifted: false,
        issued_by: who.username.clone(),
        issued_at: now,
        version: 1,
        history: vec![],
    };
    let grids = touched_grids(&state.index(), &w);
    if grids.is_empty() {
        return Err(bad(
            "outside_district",
            "the area touches no grid of the district",
        ));
    }
    if let Some(g) = grids.iter().find(|g| !may.allows(Some(g), None)) {
        return Err(AppError::Forbidden(format!(
            "the area reaches grid {g}, outside your areas"
        )));
    }
    let cap = next_cap(&w);
    w.history.push(WarningEvent {
        at: now,
        by: who.username.clone(),
        action: "issue".into(),
        hazard: None,
        until: Some(until),
        cap: Some(cap),
    });
    let answer = {
        let index = state.index();
        summary(&index, &w, now)
    };
    save(state, w, None).await?;
    Ok(answer)
}

/// Extend, lift, or confirm a hazard checked.
pub async fn act(
    state: &Arc<AppState>,
    who: &Principal,
    id: &str,
    body: WarningAction,
) -> Result<Value, AppError> {
    state.ready()?;
    let not_found = || AppError::NotFound(format!("no warning {}", clip(id)));
    let mut w = state.warning(id).ok_or_else(not_found)?;
    if !visible(Some(who), &state.index(), &w) {
        return Err(not_found());
    }
    let now = Utc::now();
    let expected = body.version.unwrap_or(w.version);
    if expected != w.version {
        return Err(AppError::Conflict(format!(
            "warning {id} is at version {}, not {expected}; reload and retry",
            w.version
        )));
    }
    let active = w.status(now) == WarningStatus::Active;
    let mut event = WarningEvent {
        at: now,
        by: who.username.clone(),
        action: body.action.clone(),
        hazard: None,
        until: None,
        cap: None,
    };
    match body.action.as_str() {
        "extend" | "lift" => {
            let may = policy::decide(Some(who), Kind::Warnings, Action::Change);
            let grids = touched_grids(&state.index(), &w);
            if may.is_nothing() || !grids.iter().all(|g| may.allows(Some(g), None)) {
                return Err(AppError::Forbidden(format!(
                    "role {} may not change this warning",
                    who.role.as_str()
                )));
            }
            if !active {
                return Err(AppError::Conflict(format!(
                    "warning {id} is no longer active"
                )));
            }
            if body.action == "extend" {
                let raw = body
                    .until
                    .as_deref()
                    .ok_or_else(|| bad("until_required", "extend needs `until`"))?;
                let until = parse_until(raw, now)?;
                if until <= w.until {
                    return Err(bad(
                        "bad_until",
                        "extend needs an `until` later than the current one",
                    ));
                }
                w.until = until;
                event.until = Some(until);
            } else {
                w.lifted = true;
            }
            event.cap = Some(next_cap(&w));
        }
        "confirm" => {
            let hazard = body
                .hazard
                .as_deref()
                .ok_or_else(|| bad("hazard_required", "confirm needs `hazard`"))?;
            let index = state.index();
            let i = index
                .hazards
                .position(hazard)
                .filter(|&i| {
                    let h = &index.hazards.items[i];
                    point_in(&w.area, h.lon, h.lat)
                })
                .ok_or_else(|| {
                    AppError::NotFound(format!("no hazard {} in this warning", clip(hazard)))
                })?;
            let grid = index.hazards.grid[i].map(|g| {
                index.areas.entries[g as usize]
                    .area
                    .code
                    .as_str()
                    .to_owned()
            });
            drop(index);
            if !policy::decide(Some(who), Kind::Hazards, Action::Change)
                .allows(grid.as_deref(), None)
            {
                return Err(AppError::Forbidden(
                    "only the heads of its area confirm a hazard".into(),
                ));
            }
            if !active {
                return Err(AppError::Conflict(format!(
                    "warning {id} is no longer active"
                )));
            }
            if w.confirmed(hazard).is_some() {
                return Ok(detail(&state.index(), Some(who), &w, now).0);
            }
            event.hazard = Some(hazard.to_owned());
        }
        other => {
            return Err(bad(
                "bad_action",
                format!("unknown action {:?}; extend, lift or confirm", clip(other)),
            ));
        }
    }
    w.history.push(event);
    w.version += 1;
    save(state, w.clone(), Some(expected)).await?;
    let (out, _) = detail(&state.index(), Some(who), &w, now);
    Ok(out)
}

/// Records that a head of a touched grid has seen the warning (once per grid).
pub async fn mark_seen(state: &Arc<AppState>, who: &Principal, id: &str) -> Result<(), AppError> {
    let Some(mut w) = state.warning(id) else {
        return Ok(());
    };
    let now = Utc::now();
    if w.status(now) != WarningStatus::Active {
        return Ok(());
    }
    let heads = policy::decide(Some(who), Kind::Hazards, Action::Change);
    if heads == policy::Scope::All {
        return Ok(()); // administrators are not a grid's head
    }
    let fresh: Vec<String> = touched_grids(&state.index(), &w)
        .into_iter()
        .filter(|g| heads.allows(Some(g), None))
        .filter(|g| {
            !w.history
                .iter()
                .any(|e| e.action == "seen" && e.hazard.as_deref() == Some(g.as_str()))
        })
        .collect();
    if fresh.is_empty() {
        return Ok(());
    }
    let expected = w.version;
    for g in fresh {
        // A seen step names the grid in `hazard` (the place it concerns).
        w.history.push(WarningEvent {
            at: now,
            by: who.username.clone(),
            action: "seen".into(),
            hazard: Some(g),
            until: None,
            cap: None,
        });
    }
    w.version += 1;
    match save(state, w, Some(expected)).await {
        // Someone else changed it meanwhile: the next look records it.
        Err(AppError::Conflict(_)) => Ok(()),
        other => other,
    }
}

/// A warning's list entry.
pub fn summary(index: &SpatialIndex, w: &Warning, now: DateTime<Utc>) -> Value {
    json!({
        "id": w.id, "name": w.name, "level": w.level.as_str(), "kind": w.kind,
        "area": geojson::Geometry::from(&w.area), "until": crate::domain::incident::to_shanghai(w.until),
        "status": w.status(now), "issued_by": w.issued_by,
        "issued_at": crate::domain::incident::to_shanghai(w.issued_at), "version": w.version,
        "grids": touched(index, w).len(),
    })
}

/// Metres from a point to the nearest edge of an area (0 inside).
fn distance_to_area_m(area: &geo_types::MultiPolygon<f64>, lon: f64, lat: f64) -> f64 {
    if point_in(area, lon, lat) {
        return 0.0;
    }
    let k = lat.to_radians().cos() * 111_320.0;
    let m = |x: f64, y: f64| ((x - lon) * k, (y - lat) * 110_574.0);
    let mut best = f64::INFINITY;
    for p in &area.0 {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            for w in ring.0.windows(2) {
                let (ax, ay) = m(w[0].x, w[0].y);
                let (bx, by) = m(w[1].x, w[1].y);
                let (dx, dy) = (bx - ax, by - ay);
                let len2 = dx * dx + dy * dy;
                let t = if len2 == 0.0 {
                    0.0
                } else {
                    (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
                };
                let (px, py) = (ax + t * dx, ay + t * dy);
                best = best.min((px * px + py * py).sqrt());
            }
        }
    }
    best
}

/// Hazards inside, highest risk first, then most persons threatened.
fn hazards_inside(index: &SpatialIndex, w: &Warning) -> Vec<usize> {
    let Some(b) = BBox::of(&w.area) else {
        return vec![];
    };
    let mut hz: Vec<usize> = index
        .hazards
        .in_bbox(&b)
        .filter(|&i| {
            point_in(
                &w.area,
                index.hazards.items[i].lon,
                index.hazards.items[i].lat,
            )
        })
        .collect();
    hz.sort_by(|&a, &b| {
        let (x, y) = (&index.hazards.items[a], &index.hazards.items[b]);
        x.risk
            .cmp(&y.risk)
            .then(y.threatened_persons.cmp(&x.threatened_persons))
            .then(x.id.cmp(&y.id))
    });
    hz
}

/// The answer for a warning as `who` may see it, and the people records read
/// (for the audit entry naming the warning).
pub fn detail(
    index: &SpatialIndex,
    who: Option<&Principal>,
    w: &Warning,
    now: DateTime<Utc>,
) -> (Value, Vec<String>) {
    let phones = policy::contact_phones(who);
    let hz = hazards_inside(index, w);
    let (households, persons) = threatened(hz.iter().map(|&i| &index.hazards.items[i]));
    let hazards: Vec<Value> = hz
        .iter()
        .map(|&i| {
            let mut v = to_value(&HazardView::of(index, i, phones));
            let id = &index.hazards.items[i].id;
            v["confirmed"] = match w.confirmed(id) {
                Some(e) => json!({"by": e.by, "at": crate::domain::incident::to_shanghai(e.at)}),
                None => Value::Null,
            };
            v
        })
        .collect();
    // Shelters: inside, and the nearest outside with their distance from the area.
    let mut inside = Vec::new();
    let mut outside: Vec<(f64, usize)> = Vec::new();
    for (i, s) in index.shelters.items.iter().enumerate() {
        let d = distance_to_area_m(&w.area, s.lon, s.lat);
        if d == 0.0 {
            inside.push(i);
        } else if d <= NEAREST_WITHIN_M {
            outside.push((d, i));
        }
    }
    outside.sort_by(|a, b| a.0.total_cmp(&b.0));
    outside.truncate(NEAREST_OUTSIDE);
    // Places: shelters inside plus the hazards' assigned shelters (wherever they are).
    let mut counted: Vec<&str> = inside
        .iter()
        .map(|&i| index.shelters.items[i].id.as_str())
        .collect();
    for &i in &hz {
        if let Some(s) = index.hazards.items[i].shelter.as_deref()
            && index.shelters.get(s).is_some()
            && !counted.contains(&s)
        {
            counted.push(s);
        }
    }
    let capacity: u64 = counted
        .iter()
        .filter_map(|s| index.shelters.get(s))
        .map(|s| u64::from(s.capacity))
        .sum();
    let capacity_short = persons.saturating_sub(capacity);
    // Grids touched, their heads, who has seen it, what is confirmed.
    let grids_at = touched(index, w);
    let grid_rows: Vec<Value> = grids_at
        .iter()
        .map(|&g| {
            let e = &index.areas.entries[g];
            let code = e.area.code.as_str();
            let seen = w
                .history
                .iter()
                .find(|ev| ev.action == "seen" && ev.hazard.as_deref() == Some(code));
            let in_grid: Vec<&str> = hz
                .iter()
                .filter(|&&i| index.hazards.grid[i] == Some(g as u32))
                .map(|&i| index.hazards.items[i].id.as_str())
                .collect();
            let confirmed = in_grid.iter().filter(|h| w.confirmed(h).is_some()).count();
            let mut v = json!({"code": code, "name": e.area.name,
                "head": e.area.head.as_ref().map(|h| h.name.clone()),
                "seen": seen.map(|s| crate::domain::incident::to_shanghai(s.at)),
                "hazards": in_grid.len(), "confirmed": confirmed});
            if phones {
                v["phone"] = json!(e.area.head.as_ref().map(|h| h.phone.clone()));
            }
            v
        })
        .collect();
    let seen_grids = grid_rows.iter().filter(|g| !g["seen"].is_null()).count();
    let confirmed_hazards = hz
        .iter()
        .filter(|&&i| w.confirmed(&index.hazards.items[i].id).is_some())
        .count();
    let share = |n: usize, of: usize| {
        if of == 0 {
            1.0
        } else {
            (n as f64 / of as f64 * 1000.0).round() / 1000.0
        }
    };
    let mut out = summary(index, w, now);
    out["hazards"] = json!(hazards);
    out["households"] = json!(households);
    out["persons"] = json!(persons);
    out["shelters"] = json!({
        "inside": inside.iter().map(|&i| ShelterView::of(index, i)).collect::<Vec<_>>(),
        "nearest_outside": outside.iter().map(|&(d, i)| {
            let mut v = to_value(&ShelterView::of(index, i));
            v["distance_m"] = json!(d.round());
            v
        }).collect::<Vec<_>>(),
    });
    out["capacity"] = json!(capacity);
    out["capacity_short"] = json!(capacity_short);
    out["grids"] = json!(grid_rows);
    out["seen_share"] = json!(share(seen_grids, grids_at.len()));
    out["confirmed_share"] = json!(share(confirmed_hazards, hz.len()));
    out["history"] = json!(w.history.iter().map(|e| json!({
        "at": crate::domain::incident::to_shanghai(e.at), "by": e.by, "action": e.action,
        "hazard": e.hazard, "until": e.until.map(crate::domain::incident::to_shanghai), "cap": e.cap,
    })).collect::<Vec<_>>());
    // Open incidents inside, counted over those the caller may read.
    let incidents = policy::read(who, Kind::Incidents);
    if !incidents.is_nothing()
        && let Some(b) = BBox::of(&w.area)
    {
        let total = index
            .incidents
            .in_bbox(&b)
            .map(|i| &index.incidents.items[i])
            .filter(|i| {
                i.status.is_open() && incidents.allows(i.grid.as_deref(), i.reporter.as_deref())
            })
            .filter(|i| point_in(&w.area, i.lon, i.lat))
            .count();
        out["incidents"] = json!({"total": total});
    }
    // People to check on first, by the policy's warning rule.
    let mut read = Vec::new();
    if let Some(rule) =
        policy::people_in_warning(who, &w.issued_by, w.status(now) == WarningStatus::Active)
        && let Some(b) = BBox::of(&w.area)
    {
        let mut ppl: Vec<usize> = index
            .people
            .in_bbox(&b)
            .filter(|&i| {
                let p = &index.people.items[i];
                let grid = index.people.grid[i]
                    .map(|g| index.areas.entries[g as usize].area.code.as_str());
                (!rule.evacuation_only || p.category.is_vulnerable())
                    && rule.scope.allows(grid, None)
                    && point_in(&w.area, p.lon, p.lat)
            })
            .collect();
        ppl.sort_unstable();
        let items: Vec<PersonView> = ppl
            .iter()
            .map(|&i| PersonView::of(index, i, false))
            .collect();
        read = items.iter().map(|p| p.id.clone()).collect();
        out["people"] = json!({"total": items.len(), "items": items});
    }
    (out, read)
}

/// One line of the call list.
struct Call<'a> {
    role: &'static str,
    name: &'a str,
    phone: &'a str,
    what: &'a str,
    id: &'a str,
    level: &'a str,
    at: (f64, f64),
    seen: String,
}

/// The call list in call order: heads who have not seen the warning first,
/// then each hazard's monitor and responsible person (highest risk first),
/// then the heads who have seen it.
pub fn calls(index: &SpatialIndex, w: &Warning, phones: bool) -> Table {
    let seen = |code: &str| {
        w.history
            .iter()
            .find(|e| e.action == "seen" && e.hazard.as_deref() == Some(code))
            .map(|e| crate::domain::incident::to_shanghai(e.at))
    };
    let heads: Vec<Call> = touched(index, w)
        .into_iter()
        .filter_map(|g| {
            let e = &index.areas.entries[g];
            let h = e.area.head.as_ref()?;
            Some(Call {
                role: "网格长",
                name: &h.name,
                phone: &h.phone,
                what: &e.area.name,
                id: e.area.code.as_str(),
                level: "",
                at: e.label,
                seen: seen(e.area.code.as_str()).unwrap_or_default(),
            })
        })
        .collect();
    let (unseen, seen_heads): (Vec<Call>, Vec<Call>) =
        heads.into_iter().partition(|c| c.seen.is_empty());
    let mut order = unseen;
    for i in hazards_inside(index, w) {
        let h = &index.hazards.items[i];
        for (role, c) in [("监测人", &h.monitor), ("责任人", &h.leader)] {
            order.push(Call {
                role,
                name: &c.name,
                phone: &c.phone,
                what: &h.name,
                id: &h.id,
                level: h.risk.as_str(),
                at: (h.lon, h.lat),
                seen: String::new(),
            });
        }
    }
    order.extend(seen_heads);
    let items = order
        .into_iter()
        .enumerate()
        .map(|(n, c)| {
            let props = json!({"order": n + 1, "role": c.role, "name": c.name,
                "phone": if phones { c.phone } else { "" }, "for": c.what, "id": c.id,
                "level": c.level, "seen": c.seen});
            (
                (n + 1).to_string(),
                props.as_object().cloned().unwrap_or_default(),
                geo_types::Geometry::Point(geo_types::Point::new(c.at.0, c.at.1)),
            )
        })
        .collect();
    let cols: &[&str] = if phones {
        &[
            "order", "role", "name", "phone", "for", "id", "level", "seen",
        ]
    } else {
        &["order", "role", "name", "for", "id", "level", "seen"]
    };
    Table::from_json("calls", cols, items)
}
