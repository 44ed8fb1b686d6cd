//! Writing and listing follow-up visits (走访). A visit goes store → index →
//! one live event through [`AppState::commit`], moving the record's risk
//! level and next due date; the schedule is read from the store on every
//! visit, so an admin's change applies at once on every instance.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{AppState, LiveEvent};
use crate::auth::Principal;
use crate::auth::policy::{self, Action, Kind, Scope};
use crate::domain::visit::{self, How, MAX_RISK, ScheduleRow, Visit, next_due, shanghai_date};
use crate::domain::{AreaCode, PersonCategory};
use crate::error::{AppError, clip};
use crate::spatial::SpatialIndex;
use crate::views::{PersonView, VisitView, to_value};

/// Longest note accepted.
pub const MAX_NOTE: usize = 2000;
/// How far ahead of the server's clock a visit's `at` may be (phones drift).
const CLOCK_SKEW_MIN: i64 = 10;

/// Body of `POST /api/people/{id}/visits`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    /// 入户 / 电话 / 视频 (or home / phone / video)
    pub how: String,
    /// what was found
    #[serde(default)]
    pub note: String,
    /// when it took place (RFC 3339); default now
    #[serde(default)]
    pub at: Option<String>,
    /// where it was recorded (WGS84), both or neither
    #[serde(default)]
    pub lon: Option<f64>,
    /// WGS84
    #[serde(default)]
    pub lat: Option<f64>,
    /// a new risk level (0–5) the visitor assessed
    #[serde(default)]
    pub risk_level: Option<i64>,
}

fn bad(code: &'static str, d: impl Into<String>) -> AppError {
    AppError::BadRequest(code, d.into())
}

fn new_id(now: DateTime<Utc>) -> String {
    let mut b = [0u8; 4];
    rand::rng().fill_bytes(&mut b);
    format!(
        "ZF{}-{}",
        shanghai_date(now).format("%Y%m%d"),
        hex::encode_upper(b)
    )
}

/// The grid code of person `i`.
pub fn person_grid(index: &SpatialIndex, i: usize) -> Option<&str> {
    index.people.grid[i].map(|g| index.areas.entries[g as usize].area.code.as_str())
}

/// Records a visit to person `id` and returns `{"id","next_due",…}`.
pub async fn record(
    state: &Arc<AppState>,
    who: &Principal,
    id: &str,
    body: NewVisit,
) -> Result<Value, AppError> {
    let may = policy::decide(Some(who), Kind::Visits, Action::Create);
    let how = How::parse(body.how.trim()).ok_or_else(|| {
        bad(
            "bad_how",
            format!(
                "`how` must be 入户, 电话 or 视频, got {:?}",
                clip(&body.how)
            ),
        )
    })?;
    if body.note.chars().count() > MAX_NOTE {
        return Err(bad(
            "too_long",
            format!("`note` is limited to {MAX_NOTE} characters"),
        ));
    }
    let now = Utc::now();
    let at = match body.at.as_deref() {
        None => now,
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|_| {
                bad(
                    "bad_time",
                    format!("`at` must be RFC 3339, got {:?}", clip(s)),
                )
            })?
            .to_utc(),
    };
    if at > now + Duration::minutes(CLOCK_SKEW_MIN) {
        return Err(bad("bad_time", "`at` lies in the future"));
    }
    if at < now - Duration::days(366) {
        return Err(bad("bad_time", "`at` is more than a year ago"));
    }
    let (lon, lat) = match (body.lon, body.lat) {
        (Some(x), Some(y)) => {
            crate::spatial::geom::check_lon_lat(x, y).map_err(|d| bad("bad_location", d))?;
            (Some(x), Some(y))
        }
        (None, None) => (None, None),
        _ => return Err(bad("bad_location", "send both `lon` and `lat`, or neither")),
    };
    let risk_after = body
        .risk_level
        .map(|r| {
            u8::try_from(r)
                .ok()
                .filter(|r| *r <= MAX_RISK)
                .ok_or_else(|| bad("bad_risk", format!("`risk_level` must be 0–{MAX_RISK}")))
        })
        .transpose()?;
    state.ready()?;
    let not_found = || AppError::NotFound(format!("no record {}", clip(id)));
    let (person, grid) = {
        let index = state.index();
        let i = index.people.position(id).ok_or_else(not_found)?;
        let grid = person_grid(&index, i).map(str::to_owned);
        // Outside one's rights answers as a record that does not exist.
        if !may.allows(grid.as_deref(), None) {
            return Err(not_found());
        }
        (index.people.items[i].clone(), grid)
    };
    let schedule = state.store.visit_schedule().await?;
    // A visit sent late (queued offline) must not pull the due date back
    // behind a later visit already recorded.
    let last = state.store.visits_of(id).await?.first().map(|v| v.at);
    let latest = last.map_or(at, |l| l.max(at));
    let risk = risk_after.or(person.risk_level);
    let due = next_due(&schedule, person.category, risk, shanghai_date(latest));
    let v = Visit {
        id: new_id(now),
        person: id.to_owned(),
        grid: grid.clone(),
        at,
        how,
        note: body.note,
        by: who.username.clone(),
        lon,
        lat,
        risk_before: person.risk_level,
        risk_after,
        next_due: due,
    };
    let change = state
        .store
        .record_visit(&v, (person.lon, person.lat))
        .await?;
    let event = LiveEvent::visit(change, id, grid);
    let pid = id.to_owned();
    state.commit(event, move |ix| {
        if let Some(i) = ix.people.position(&pid) {
            let p = &mut ix.people.items[i];
            if risk_after.is_some() {
                p.risk_level = risk_after;
            }
            if due.is_some() {
                p.next_visit = due;
            }
        }
    });
    state
        .store
        .audit(
            &who.username,
            "visits.create",
            std::slice::from_ref(&v.person),
            None,
        )
        .await?;
    let mut answer = to_value(&VisitView::of(&v));
    answer["next_due"] = json!(due);
    Ok(answer)
}

/// One entry of the due list.
#[derive(Debug, Clone, Serialize)]
pub struct DueItem {
    /// the record's id
    pub person: String,
    /// its grid
    pub grid: Option<String>,
    /// Chinese category name
    pub category: &'static str,
    /// category code
    pub category_code: &'static str,
    /// masked name (张*明)
    pub name: String,
    /// coarsened address
    pub address: String,
    /// 0–5
    pub risk_level: Option<u8>,
    /// next visit due (records never planned are due today)
    pub due: NaiveDate,
    /// due before today
    pub overdue: bool,
}

/// The records in `scope` (under `area`) due on or before `today + within_days`,
/// most overdue first.
pub fn due_list(
    index: &SpatialIndex,
    scope: &Scope,
    area: Option<&AreaCode>,
    within_days: i64,
    today: NaiveDate,
) -> Vec<DueItem> {
    let horizon = today + Duration::days(within_days);
    let mut out: Vec<DueItem> = (0..index.people.len())
        .filter_map(|i| {
            let grid = person_grid(index, i);
            if !scope.allows(grid, None)
                || area.is_some_and(|a| !grid.is_some_and(|g| g.starts_with(a.as_str())))
            {
                return None;
            }
            let p = &index.people.items[i];
            let due = p.next_visit.unwrap_or(today);
            if due > horizon {
                return None;
            }
            let v = PersonView::of(index, i, false);
            Some(DueItem {
                person: p.id.clone(),
                grid: grid.map(str::to_owned),
                category: v.category,
                category_code: v.category_code,
                name: v.name,
                address: v.address,
                risk_level: p.risk_level,
                due,
                overdue: visit::is_overdue(due, today),
            })
        })
        .collect();
    out.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.person.cmp(&b.person)));
    out
}

/// Due and overdue counts per street (9-digit code) of a due list.
pub fn by_street(index: &SpatialIndex, items: &[DueItem]) -> Vec<Value> {
    let mut streets: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for it in items {
        let Some(g) = it.grid.as_deref().filter(|g| g.len() >= 9) else {
            continue;
        };
        let e = streets.entry(g[..9].to_owned()).or_default();
        e.0 += 1;
        e.1 += usize::from(it.overdue);
    }
    streets
        .into_iter()
        .map(|(code, (due, overdue))| {
            let name = index
                .areas
                .position(&code)
                .map(|p| index.areas.entries[p].area.name.clone())
                .unwrap_or_default();
            json!({"code": code, "name": name, "due": due, "overdue": overdue})
        })
        .collect()
}

/// The schedule as the API shows it.
pub fn schedule_json(rows: &[ScheduleRow]) -> Value {
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({"category": r.category.zh(), "category_code": r.category.as_str(),
                   "risk_level": r.risk_level, "every_days": r.every_days})
        })
        .collect();
    json!({ "items": items })
}

/// One row of a schedule as an admin sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleItem {
    /// code or Chinese name
    pub category: String,
    /// 0–5
    pub risk_level: i64,
    /// 1–366
    pub every_days: i64,
    /// ignored (the GET answer carries it, so a GET can be sent back as is)
    #[serde(default)]
    pub category_code: Option<String>,
}

/// Parses and checks a whole schedule.
pub fn parse_schedule(items: &[ScheduleItem]) -> Result<Vec<ScheduleRow>, AppError> {
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let category = PersonCategory::parse(it.category.trim()).ok_or_else(|| {
                bad(
                    "bad_schedule",
                    format!("items[{i}]: unknown category {:?}", clip(&it.category)),
                )
            })?;
            Ok(ScheduleRow {
                category,
                risk_level: u8::try_from(it.risk_level).unwrap_or(u8::MAX),
                every_days: u32::try_from(it.every_days).unwrap_or(0),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    visit::check(&rows).map_err(|d| bad("bad_schedule", d))?;
    Ok(visit::merged(&rows))
}

/// The next visits a schedule sets for records with a last visit, where they
/// differ from the index's, and the box around those records.
fn rescheduled(
    index: &SpatialIndex,
    rows: &[ScheduleRow],
    last: &[(String, DateTime<Utc>)],
) -> (Vec<(String, NaiveDate)>, [f64; 4]) {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut next = Vec::new();
    for (id, at) in last {
        let Some(i) = index.people.position(id) else {
            continue;
        };
        let p = &index.people.items[i];
        if let Some(d) = next_due(rows, p.category, p.risk_level, shanghai_date(*at))
            && p.next_visit != Some(d)
        {
            next.push((id.clone(), d));
            b = [
                b[0].min(p.lon),
                b[1].min(p.lat),
                b[2].max(p.lon),
                b[3].max(p.lat),
            ];
        }
    }
    if !b[0].is_finite() {
        b = [0.0; 4];
    }
    (next, b)
}

/// Replaces the schedule (admin) and moves the due dates it changes.
pub async fn put_schedule(
    state: &Arc<AppState>,
    rows: Vec<ScheduleRow>,
) -> Result<Value, AppError> {
    state.ready()?;
    let last = state.store.last_visits().await?;
    let (next, bbox) = rescheduled(&state.index(), &rows, &last);
    let change = state.store.put_visit_schedule(&rows, &next, bbox).await?;
    state.commit(LiveEvent::rescheduled(change), |ix| apply_next(ix, &next));
    Ok(schedule_json(&rows))
}

fn apply_next(ix: &mut SpatialIndex, next: &[(String, NaiveDate)]) {
    for (id, d) in next {
        if let Some(i) = ix.people.position(id) {
            ix.people.items[i].next_visit = Some(*d);
        }
    }
}

/// Another instance changed the schedule: recompute the same due dates.
pub async fn catch_up_schedule(
    state: &AppState,
    change: crate::store::Change,
) -> anyhow::Result<()> {
    let rows = state.store.visit_schedule().await?;
    let last = state.store.last_visits().await?;
    let (next, _) = rescheduled(&state.index(), &rows, &last);
    state.commit(LiveEvent::rescheduled(change), |ix| apply_next(ix, &next));
    Ok(())
}

/// Another instance recorded a visit: take the record as stored.
pub async fn catch_up_visit(state: &AppState, change: crate::store::Change) -> anyhow::Result<()> {
    let Some(p) = state.store.person(&change.record_id).await? else {
        return Ok(());
    };
    let grid = {
        let index = state.index();
        index
            .people
            .position(&p.id)
            .and_then(|i| person_grid(&index, i).map(str::to_owned))
    };
    let event = LiveEvent::visit(change, &p.id, grid);
    state.commit(event, move |ix| {
        if let Some(i) = ix.people.position(&p.id) {
            ix.people.items[i].risk_level = p.risk_level;
            ix.people.items[i].next_visit = p.next_visit;
        }
    });
    Ok(())
}
