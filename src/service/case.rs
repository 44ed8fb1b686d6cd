//! The case detail every view opens: the incident with where it is (grid
//! name, head and phone, community, street), its photos, its whole history
//! (who, when, from which status to which), likely duplicates, and the steps
//! this caller may take now — computed here from the policy and the workflow
//! table, so no client decides rights.

use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};

use super::AppState;
use super::incidents::possible_duplicates;
use super::photos::{MAX_PHOTOS, PhotoView};
use crate::auth::Principal;
use crate::auth::policy::{self, Action, Kind};
use crate::domain::Incident;
use crate::domain::incident::{category_name, to_shanghai};
use crate::domain::workflow::available;
use crate::error::{AppError, clip};
use crate::spatial::haversine_m;
use crate::store::{HistoryEntry, Timing};
use crate::views::{IncidentView, to_value};

/// A step the caller may take now.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// wire name for `POST …/actions`
    pub action: &'static str,
    /// Chinese name
    pub zh: &'static str,
    /// a note is required
    pub needs_note: bool,
    /// a 1–5 rating is required (`revisit`)
    pub needs_rating: bool,
    /// the id of another case is required (`link_duplicate`)
    pub needs_of: bool,
}

/// The steps `who` may take on `i` now: none outside the policy's change
/// scope, else the workflow table's for the caller's role and the status.
pub fn steps(who: &Principal, i: &Incident) -> Vec<StepView> {
    if !policy::decide(Some(who), Kind::Incidents, Action::Change)
        .allows(i.grid.as_deref(), i.reporter.as_deref())
    {
        return Vec::new();
    }
    available(i.status, who.role)
        .map(|a| StepView {
            action: a.name,
            zh: a.zh,
            needs_note: a.needs_note,
            needs_rating: a.name == "revisit",
            needs_of: a.name == "link_duplicate",
        })
        .collect()
}

/// History entries as the contract names them: `at`, `by`, `action`,
/// `from` (the status before; none for the report), `to`, `note`.
pub fn history_view(history: &[HistoryEntry]) -> Vec<Value> {
    let mut before: Option<&str> = None;
    history
        .iter()
        .map(|h| {
            let v = json!({"at": to_shanghai(h.at), "by": h.actor, "action": h.action,
                           "from": before, "to": h.status, "note": h.note,
                           // the names of the first version of this answer
                           "actor": h.actor, "status": h.status});
            before = Some(h.status.as_str());
            v
        })
        .collect()
}

/// The detail of incident `id` for `who` (404 outside its rights, as missing).
pub async fn detail(state: &Arc<AppState>, who: &Principal, id: &str) -> Result<Value, AppError> {
    let scope = policy::read(Some(who), Kind::Incidents);
    state.ready()?;
    let not_found = || AppError::NotFound(format!("no incident {}", clip(id)));
    let now = Utc::now();
    // Held in the index, or a history case the store answers for.
    let i = super::history::incident(state, id)
        .await?
        .filter(|i| scope.allows(i.grid.as_deref(), i.reporter.as_deref()))
        .ok_or_else(not_found)?;
    let earlier = super::incidents::duplicates_in_history(state, &i, &scope).await?;
    let (mut v, incident) = {
        let index = state.index();
        let i = &i;
        let mut v = to_value(&IncidentView::of(i, now));
        let dups = possible_duplicates(&index, i, &scope, &earlier);
        v["possible_duplicates"] = json!(dups.iter().map(|d| &d.id).collect::<Vec<_>>());
        v["duplicates"] = json!(
            dups.iter()
                .map(|d| json!({"id": d.id, "category": category_name(&d.category), "status": d.status.as_str(),
                    "description": d.description, "reported_at": to_shanghai(d.reported_at),
                    "distance_m": haversine_m(i.lon, i.lat, d.lon, d.lat).round()}))
                .collect::<Vec<_>>()
        );
        let phones = policy::contact_phones(Some(who));
        if let Some(g) = i.grid.as_deref().and_then(|g| index.areas.get(g)) {
            v["grid_name"] = json!(g.area.name);
            v["head"] = match &g.area.head {
                Some(h) if phones => json!({"name": h.name, "phone": h.phone}),
                Some(h) => json!({"name": h.name}),
                None => Value::Null,
            };
        }
        for (key, len) in [("community", 12), ("street", 9)] {
            if let Some(a) = i
                .grid
                .as_deref()
                .filter(|g| g.len() > len)
                .and_then(|g| index.areas.get(&g[..len]))
            {
                v[key] = json!({"code": a.area.code.as_str(), "name": a.area.name});
            }
        }
        (v, i.clone())
    };
    let history = state.store.incident_history(id).await?;
    let photos = state.store.photos(id).await?;
    v["history"] = json!(history_view(&history));
    v["duplicate_of"] = json!(
        history
            .iter()
            .rev()
            .find(|h| h.action == "link_duplicate")
            .map(|h| h.note.clone())
    );
    v["photos"] = json!(
        photos
            .iter()
            .map(|p| PhotoView::of(id, p.n))
            .collect::<Vec<_>>()
    );
    v["actions"] = json!(steps(who, &incident));
    let attach = policy::decide(Some(who), Kind::Incidents, Action::Attach)
        .allows(incident.grid.as_deref(), incident.reporter.as_deref());
    v["can_add_photos"] = json!(attach && (photos.len() as i64) < MAX_PHOTOS);
    Ok(v)
}

/// The handling timings of every live case (from the histories), read again only
/// when the change log moved on since the last read.
#[derive(Default)]
pub struct TimingCache(tokio::sync::Mutex<Option<(i64, Timings)>>);

/// Handling timings by incident id.
pub type Timings = Arc<std::collections::HashMap<String, Timing>>;

impl TimingCache {
    /// The timings as of the newest change.
    /// Only the live cases' timings are kept (`before`: the live window's start).
    pub async fn get(
        &self,
        store: &dyn crate::store::Store,
        before: Option<chrono::DateTime<Utc>>,
    ) -> Result<Timings, AppError> {
        let last = store.last_change().await?;
        let mut slot = self.0.lock().await;
        if let Some((seq, t)) = slot.as_ref()
            && *seq == last
        {
            return Ok(t.clone());
        }
        let t = Arc::new(store.timings(before).await?.into_iter().collect());
        *slot = Some((last, Arc::clone(&t)));
        Ok(t)
    }
}
