//! Writing incidents: report, take a workflow step, escalate. Each goes
//! store → index → tile cache → one live event through [`AppState::commit`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, LiveEvent};
use crate::auth::Principal;
use crate::auth::policy::{self, Action, Kind, Scope};
use crate::domain::incident::{SOURCES, category_code, channel_for, default_hours, to_shanghai};
use crate::domain::workflow::{ACTIONS, Refusal, action, next_status};
use crate::domain::{Incident, IncidentStatus};
use crate::error::AppError;
use crate::spatial::{BBox, SpatialIndex};
use crate::views::{IncidentView, to_value};

/// Longest description or note accepted.
pub const MAX_DESCRIPTION: usize = 2000;

/// Distance and time within which a report of the same category is a likely duplicate.
const DUPLICATE_M: f64 = 50.0;
const DUPLICATE_HOURS: i64 = 24;

/// Earlier reports of the same category within 50 m and 24 h that the
/// caller may read: flagged so a handler can link them, never merged silently.
/// `history` adds the history cases near it (see
/// [`super::history::near_in_history`]); the index answers for the live ones.
pub fn possible_duplicates<'a>(
    index: &'a SpatialIndex,
    i: &Incident,
    scope: &Scope,
    history: &'a [Incident],
) -> Vec<&'a Incident> {
    let d = DUPLICATE_M / 111_320.0;
    let k = i.lat.to_radians().cos().max(0.01);
    let bbox = BBox {
        min_lon: i.lon - d / k,
        min_lat: i.lat - d,
        max_lon: i.lon + d / k,
        max_lat: i.lat + d,
    };
    let mut out: Vec<&Incident> = index
        .incidents
        .in_bbox(&bbox)
        .map(|p| &index.incidents.items[p])
        .filter(|o| !index.is_history(o))
        .chain(history)
        .filter(|o| o.id != i.id && o.category == i.category)
        .filter(|o| scope.allows(o.grid.as_deref(), o.reporter.as_deref()))
        .filter(|o| (o.reported_at - i.reported_at).num_hours().abs() < DUPLICATE_HOURS)
        .filter(|o| crate::spatial::haversine_m(i.lon, i.lat, o.lon, o.lat) <= DUPLICATE_M)
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The history cases that may be duplicates of `i` (none when `i` is too
/// recent for any to be history).
pub async fn duplicates_in_history(
    state: &AppState,
    i: &Incident,
    scope: &Scope,
) -> Result<Vec<Incident>, AppError> {
    let before = state.index().history_before;
    if before.is_none_or(|b| i.reported_at - chrono::Duration::hours(DUPLICATE_HOURS) >= b) {
        return Ok(Vec::new());
    }
    super::history::near_in_history(state, scope, i, DUPLICATE_M, DUPLICATE_HOURS).await
}

/// Body of a new report.
#[derive(Debug, Deserialize)]
pub struct NewIncident {
    /// code or Chinese name
    pub category: String,
    /// free text
    #[serde(default)]
    pub description: String,
    /// WGS84
    pub lon: f64,
    /// WGS84
    pub lat: f64,
    /// intake channel (来源) named by the caller (staff entering a call)
    #[serde(default)]
    pub source: Option<String>,
    /// the channel the request came through, set by the server (Open311: 12345)
    #[serde(skip)]
    pub channel: Option<&'static str>,
}

fn new_id(now: DateTime<Utc>) -> String {
    let mut b = [0u8; 4];
    rand::rng().fill_bytes(&mut b);
    format!(
        "SJ{}-{}",
        to_shanghai(now)[..10].replace('-', ""),
        hex::encode_upper(b)
    )
}

/// Validates a report, creates it and returns the answer. (Retries with an
/// `Idempotency-Key` are answered before this, by [`crate::http::idempotency`].)
pub async fn report(
    state: &Arc<AppState>,
    who: &Principal,
    body: NewIncident,
) -> Result<Value, AppError> {
    if policy::decide(Some(who), Kind::Incidents, Action::Create).is_nothing() {
        return Err(AppError::Forbidden("this account may not report".into()));
    }
    let category = category_code(body.category.trim()).ok_or_else(|| {
        AppError::BadRequest(
            "bad_category",
            format!(
                "unknown category {:?}; see GET /api/incidents/categories",
                crate::error::clip(&body.category)
            ),
        )
    })?;
    crate::spatial::geom::check_lon_lat(body.lon, body.lat)
        .map_err(|d| AppError::BadRequest("bad_location", d))?;
    if body.description.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::BadRequest(
            "too_long",
            format!("description is limited to {MAX_DESCRIPTION} characters"),
        ));
    }
    let source = match (body.channel, body.source) {
        (Some(c), _) => c.to_owned(),
        (None, source) => named_source(who, source)?,
    };
    let hours = deadline_hours(state, category).await?;
    state.ready()?;
    let now = Utc::now();
    let grid = state.index().grid_code_at(body.lon, body.lat);
    let incident = Incident {
        id: new_id(now),
        category: category.to_owned(),
        source,
        description: body.description,
        lon: body.lon,
        lat: body.lat,
        grid,
        status: IncidentStatus::Reported,
        reported_at: now,
        deadline: now + chrono::Duration::hours(hours),
        version: 1,
        reporter: Some(who.username.clone()),
    };
    finish_report(state, who, incident).await
}

/// The handling hours configured for `category` now (the built-in default
/// when the table has no row for it).
pub async fn deadline_hours(state: &AppState, category: &str) -> Result<i64, AppError> {
    Ok(state
        .store
        .deadlines()
        .await?
        .into_iter()
        .find(|(c, _)| c == category)
        .map_or_else(|| default_hours(category), |(_, h)| h))
}

/// The channel of a report: the caller's own (by role), or one it names.
fn named_source(who: &Principal, source: Option<String>) -> Result<String, AppError> {
    match source {
        // Naming another channel (a 12345 call entered by staff) is for those who work cases.
        Some(s) if policy::decide(Some(who), Kind::Incidents, Action::Change).is_nothing() => {
            Err(AppError::BadRequest(
                "bad_source",
                format!(
                    "this account reports as {}; it may not name the channel {:?}",
                    channel_for(who.role),
                    crate::error::clip(&s)
                ),
            ))
        }
        Some(s) if SOURCES.contains(&s.as_str()) => Ok(s),
        Some(s) => Err(AppError::BadRequest(
            "bad_source",
            format!(
                "unknown source {:?}; one of {}",
                crate::error::clip(&s),
                SOURCES.join(", ")
            ),
        )),
        None => Ok(channel_for(who.role).to_owned()),
    }
}

/// Writes a checked report and announces it.
async fn finish_report(
    state: &Arc<AppState>,
    who: &Principal,
    incident: Incident,
) -> Result<Value, AppError> {
    let now = incident.reported_at;
    let answer = {
        let index = state.index();
        let mut v = to_value(&IncidentView::of(&incident, now));
        // Outside every grid: the district's fallback queue (兜底).
        v["queue"] = json!(if incident.grid.is_some() {
            "grid"
        } else {
            "district_fallback"
        });
        let scope = policy::read(Some(who), Kind::Incidents);
        // a new report is never history, nor are the cases within a day of it
        let dups = possible_duplicates(&index, &incident, &scope, &[]);
        v["possible_duplicates"] = json!(dups.iter().map(|d| &d.id).collect::<Vec<_>>());
        v
    };
    let change = state
        .store
        .create_incident(&incident, &who.username)
        .await?;
    let event = LiveEvent::incident(change, &incident, Some("report"), &state.index());
    state.commit(event, |ix| {
        ix.upsert_incident(incident);
    });
    Ok(answer)
}

/// Body of a workflow action.
#[derive(Debug, Deserialize)]
pub struct ActionBody {
    /// the step (`accept`, `dispatch`, …)
    pub action: String,
    /// note (required by some steps)
    #[serde(default)]
    pub note: String,
    /// 1–5, for `revisit`
    #[serde(default)]
    pub satisfaction: Option<u8>,
    /// the version the client saw; a stale one gets 409
    #[serde(default)]
    pub version: Option<i64>,
    /// for `link_duplicate`: the case this one repeats
    #[serde(default)]
    pub of: Option<String>,
}

/// Takes a workflow step on incident `id`. An incident the caller may not
/// act on answers 404 when it may not read it either, 403 otherwise.
pub async fn act(
    state: &Arc<AppState>,
    who: &Principal,
    id: &str,
    body: ActionBody,
) -> Result<Value, AppError> {
    let a = action(&body.action).ok_or_else(|| {
        AppError::BadRequest(
            "bad_action",
            format!(
                "unknown action {:?}; one of {}",
                crate::error::clip(&body.action),
                ACTIONS
                    .iter()
                    .map(|a| a.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    if body.note.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::BadRequest(
            "too_long",
            format!("note is limited to {MAX_DESCRIPTION} characters"),
        ));
    }
    state.ready()?;
    let not_found = || AppError::NotFound(format!("no incident {}", crate::error::clip(id)));
    // Held in the index, or a history case (a revisit long after closing).
    let current = super::history::incident(state, id)
        .await?
        .ok_or_else(not_found)?;
    let (grid, owner) = (current.grid.as_deref(), current.reporter.as_deref());
    if !policy::read(Some(who), Kind::Incidents).allows(grid, owner) {
        return Err(not_found());
    }
    if !policy::decide(Some(who), Kind::Incidents, Action::Change).allows(grid, owner) {
        return Err(AppError::Forbidden(format!(
            "incident {id} is not yours to act on"
        )));
    }
    let next = next_status(a, current.status, who.role, &body.note, body.satisfaction).map_err(
        |r| match r {
            Refusal::Role => AppError::Forbidden(format!(
                "role {} may not {} ({})",
                who.role.as_str(),
                a.name,
                a.zh
            )),
            Refusal::Status(s) => AppError::Conflict(format!(
                "cannot {} an incident that is {}",
                a.name,
                s.as_str()
            )),
            Refusal::Note => AppError::BadRequest(
                "note_required",
                format!("{} ({}) needs a note", a.name, a.zh),
            ),
            Refusal::Satisfaction => {
                AppError::BadRequest("bad_satisfaction", "revisit needs satisfaction 1–5".into())
            }
        },
    )?;
    let expected = body.version.unwrap_or(current.version);
    let mut note = body.note.clone();
    if a.name == "link_duplicate" {
        // The note names the case it repeats; the detail reads it back as `duplicate_of`.
        note = duplicate_target(state, who, id, body.of.as_deref())?;
    }
    if let Some(s) = body.satisfaction.filter(|_| a.name == "revisit") {
        note = format!(
            "满意度 {s}/5{}{}",
            if note.is_empty() { "" } else { "；" },
            note
        );
    }
    let change = state
        .store
        .apply_incident_action(
            id,
            expected,
            next.as_str(),
            &who.username,
            a.name,
            &note,
            (current.lon, current.lat),
        )
        .await?;
    let mut updated = current;
    updated.status = next;
    updated.version = expected + 1;
    let out = to_value(&IncidentView::of(&updated, Utc::now()));
    let event = LiveEvent::incident(change, &updated, Some(a.name), &state.index());
    state.commit(event, |ix| {
        ix.upsert_incident(updated);
    });
    Ok(out)
}

/// Checks the `of` of a `link_duplicate`: another case the caller reads.
fn duplicate_target(
    state: &AppState,
    who: &Principal,
    id: &str,
    of: Option<&str>,
) -> Result<String, AppError> {
    let of = of.map(str::trim).filter(|o| !o.is_empty()).ok_or_else(|| {
        AppError::BadRequest(
            "of_required",
            "link_duplicate needs `of`: the id of the case this one repeats".into(),
        )
    })?;
    if of == id {
        return Err(AppError::BadRequest(
            "bad_duplicate",
            "a case cannot be a duplicate of itself".into(),
        ));
    }
    let scope = policy::read(Some(who), Kind::Incidents);
    let index = state.index();
    index
        .incidents
        .get(of)
        .filter(|o| scope.allows(o.grid.as_deref(), o.reporter.as_deref()))
        .map(|o| o.id.clone())
        .ok_or_else(|| AppError::NotFound(format!("no incident {}", crate::error::clip(of))))
}

/// Most history entries read to fill one `recent` answer: an account with a
/// narrow area may find few of its own among many (the feed is then shorter).
const RECENT_SCAN: i64 = 20_000;
const RECENT_PAGE: i64 = 500;

/// The last `limit` changes (reported, or a step taken) to cases `scope`
/// may read, newest first, each naming grid and street: the wall's feed.
pub async fn recent_changes(
    state: &AppState,
    scope: &Scope,
    limit: usize,
) -> Result<Vec<crate::views::IncidentChangeView>, AppError> {
    let now = Utc::now();
    let mut items = Vec::with_capacity(limit);
    let mut offset = 0;
    while items.len() < limit && offset < RECENT_SCAN {
        let page = state.store.recent_history(RECENT_PAGE, offset).await?;
        let full = page.len() as i64 == RECENT_PAGE;
        let index = state.index();
        for (id, h) in page {
            // The index holds every case; one the caller may not read is not shown.
            let Some(i) = index.incidents.get(&id) else {
                continue;
            };
            if !scope.allows(i.grid.as_deref(), i.reporter.as_deref()) {
                continue;
            }
            items.push(crate::views::IncidentChangeView {
                kind: if h.action == "report" {
                    "incident.created"
                } else {
                    "incident.updated"
                },
                at: to_shanghai(h.at),
                to: Some(h.status),
                action: Some(h.action),
                by: Some(h.actor),
                incident: IncidentView::of(i, now).named(&index),
            });
            if items.len() == limit {
                break;
            }
        }
        if !full {
            break;
        }
        offset += RECENT_PAGE;
    }
    Ok(items)
}

/// Escalates (上报上级) an open incident past its deadline, once.
pub async fn escalate(state: &AppState, mut inc: Incident) -> Result<(), crate::store::StoreError> {
    if state
        .store
        .incident_history(&inc.id)
        .await?
        .iter()
        .any(|h| h.action == "escalate")
    {
        return Ok(());
    }
    let note = "超期未办结，系统自动上报上级";
    let change = state
        .store
        .apply_incident_action(
            &inc.id,
            inc.version,
            inc.status.as_str(),
            "system",
            "escalate",
            note,
            (inc.lon, inc.lat),
        )
        .await?;
    inc.version += 1;
    let event = LiveEvent::incident(change, &inc, Some("escalate"), &state.index());
    state.commit(event, |ix| {
        ix.upsert_incident(inc);
    });
    Ok(())
}
