//! Incident reads over the live window and the archive together. The index
//! holds the live cases; the store answers for history (closed or rejected,
//! reported before the window; [`crate::domain::incident::is_history`]).
//! Each read asks both and merges, so an answer is the same whatever the
//! window: the tests compare both paths on both stores.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::AppState;
use crate::auth::policy::Scope;
use crate::domain::incident::FINAL_STATUSES;
use crate::domain::{Incident, IncidentStatus};
use crate::error::AppError;
use crate::spatial::BBox;
use crate::store::{HistoryFilter, Owners, Timing};
use crate::views::IncidentView;

/// The store's terms for a read scope; `None` for a scope of nothing.
pub fn owners(scope: &Scope) -> Option<Owners> {
    match scope {
        Scope::Nothing => None,
        Scope::All => Some(Owners::All),
        Scope::Subtrees(areas) => Some(Owners::Grids {
            prefixes: areas.iter().map(|a| a.as_str().to_owned()).collect(),
            // a district owns the cases outside every grid (as Scope::allows)
            fallback: areas.iter().any(|a| a.as_str().len() == 6),
        }),
        Scope::Own(me) => Some(Owners::Reporter(me.clone())),
    }
}

/// The incident list's filters (`GET /api/incidents`).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// one status
    pub status: Option<IncidentStatus>,
    /// one category code
    pub category: Option<String>,
    /// grids under this area code
    pub area: Option<String>,
    /// inside this box
    pub bbox: Option<BBox>,
    /// reported at or after
    pub since: Option<DateTime<Utc>>,
    /// past the deadline and open (true), or not (false)
    pub overdue: Option<bool>,
}

impl ListQuery {
    fn matches(&self, i: &Incident, now: DateTime<Utc>) -> bool {
        self.status.is_none_or(|s| i.status == s)
            && self.category.as_deref().is_none_or(|c| i.category == c)
            && self
                .area
                .as_deref()
                .is_none_or(|a| i.grid.as_deref().is_some_and(|g| g.starts_with(a)))
            && self.bbox.as_ref().is_none_or(|b| b.contains(i.lon, i.lat))
            && self.since.is_none_or(|t| i.reported_at >= t)
            && self.overdue.is_none_or(|o| i.is_overdue(now) == o)
    }

    /// The same filter for the store's history, or `None` when no history
    /// case can match (an open status, overdue, reported after the window).
    fn history(&self, before: DateTime<Utc>, owners: Owners) -> Option<HistoryFilter> {
        // history cases are finished: never open, never overdue
        let finished = self.status.is_none_or(|s| FINAL_STATUSES.contains(&s));
        if !finished || self.overdue == Some(true) || self.since.is_some_and(|t| t >= before) {
            return None;
        }
        Some(HistoryFilter {
            status: self.status.map(|s| s.as_str().to_owned()),
            category: self.category.clone(),
            area: self.area.clone(),
            bbox: self
                .bbox
                .map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]),
            since: self.since,
            ..HistoryFilter::new(before, owners)
        })
    }
}

/// Newest report first, then id (descending): the list's order.
fn newest_first(a: &Incident, b: &Incident) -> Ordering {
    b.reported_at.cmp(&a.reported_at).then(b.id.cmp(&a.id))
}

/// One page of the incidents `scope` may read that match `q`, newest report
/// first, with the number matching.
pub async fn list(
    state: &AppState,
    scope: &Scope,
    q: &ListQuery,
    limit: usize,
    offset: usize,
    now: DateTime<Utc>,
) -> Result<(Vec<IncidentView>, usize), AppError> {
    let Some(owners) = owners(scope) else {
        return Ok((Vec::new(), 0));
    };
    let before = state.index().history_before;
    let (history, history_total) = match before.and_then(|b| q.history(b, owners)) {
        Some(f) => {
            let want = i64::try_from(offset.saturating_add(limit)).unwrap_or(i64::MAX);
            state.store.history_page(&f, want).await?
        }
        None => (Vec::new(), 0),
    };
    let index = state.index();
    let mut live: Vec<&Incident> = index
        .live_incidents()
        .filter(|i| scope.allows(i.grid.as_deref(), i.reporter.as_deref()))
        .filter(|i| q.matches(i, now))
        .collect();
    live.sort_by(|a, b| newest_first(a, b));
    let total = live.len() + usize::try_from(history_total).unwrap_or(usize::MAX);
    // Both lists are in the same order: merge the first offset + limit.
    let (mut a, mut b) = (live.into_iter().peekable(), history.iter().peekable());
    let mut page = Vec::with_capacity(limit.min(1000));
    let mut seen = 0usize;
    while page.len() < limit {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if newest_first(x, y) != Ordering::Greater => a.next(),
            (Some(_), Some(_)) | (None, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => None,
        };
        let Some(i) = next else { break };
        if seen >= offset {
            page.push(IncidentView::of(i, now).named(&index));
        }
        seen += 1;
    }
    Ok((page, total))
}

/// The newest (at most `limit`) history cases `scope` may read that the
/// filter `narrow` makes of "every history case"; none without a window.
pub async fn cases(
    state: &AppState,
    scope: &Scope,
    limit: i64,
    narrow: impl FnOnce(HistoryFilter) -> HistoryFilter,
) -> Result<Vec<Incident>, AppError> {
    let before = state.index().history_before;
    let (Some(before), Some(owners)) = (before, owners(scope)) else {
        return Ok(Vec::new());
    };
    let f = narrow(HistoryFilter::new(before, owners));
    Ok(state.store.history_page(&f, limit).await?.0)
}

/// How many history cases under area `code` there are, by category and
/// status (for a caller whose scope covers the whole area).
pub async fn counts_in_area(
    state: &AppState,
    code: &str,
) -> Result<Vec<(String, String, i64)>, AppError> {
    let Some(before) = state.index().history_before else {
        return Ok(Vec::new());
    };
    let f = HistoryFilter {
        area: Some(code.to_owned()),
        ..HistoryFilter::new(before, Owners::All)
    };
    Ok(state.store.history_counts(&f).await?)
}

/// The incident `id` as stored now: from the index when held, else from
/// the store (a history case).
pub async fn incident(state: &AppState, id: &str) -> Result<Option<Incident>, AppError> {
    if let Some(i) = state.index().incidents.get(id) {
        return Ok(Some(i.clone()));
    }
    Ok(state.store.incident(id).await?)
}

/// History cases of the same category within `metres` and `hours` of `i`
/// (the candidates for a duplicate of a history case); empty when the
/// window holds every case of that time.
pub async fn near_in_history(
    state: &AppState,
    scope: &Scope,
    i: &Incident,
    metres: f64,
    hours: i64,
) -> Result<Vec<Incident>, AppError> {
    let before = state.index().history_before;
    let (Some(before), Some(owners)) = (before, owners(scope)) else {
        return Ok(Vec::new());
    };
    let d = metres / 111_320.0;
    let k = i.lat.to_radians().cos().max(0.01);
    let f = HistoryFilter {
        category: Some(i.category.clone()),
        bbox: Some([i.lon - d / k, i.lat - d, i.lon + d / k, i.lat + d]),
        since: Some(i.reported_at - chrono::Duration::hours(hours)),
        until: Some(i.reported_at + chrono::Duration::hours(hours)),
        ..HistoryFilter::new(before, owners)
    };
    Ok(state.store.history_page(&f, 1000).await?.0)
}

/// For statistics: the history cases of `scope` under `area` reported in
/// `[since, until]`, and the earlier ones finished or closed at or after
/// `settled_since`, each with its timing. Empty without a window.
pub async fn timed(
    state: &AppState,
    scope: &Scope,
    area: Option<&str>,
    (since, until): (DateTime<Utc>, DateTime<Utc>),
    settled_since: DateTime<Utc>,
) -> Result<Vec<(Incident, Timing)>, AppError> {
    let before = state.index().history_before;
    let (Some(before), Some(owners)) = (before, owners(scope)) else {
        return Ok(Vec::new());
    };
    let f = HistoryFilter {
        area: area.map(str::to_owned),
        since: Some(since),
        until: Some(until),
        ..HistoryFilter::new(before, owners)
    };
    Ok(state.store.history_timed(&f, Some(settled_since)).await?)
}

/// For statistics: the history cases of `scope` under `area` reported in
/// `[since, before)` (and before the live window), each with its timing.
pub async fn timed_between(
    state: &AppState,
    scope: &Scope,
    area: Option<&str>,
    since: DateTime<Utc>,
    before: DateTime<Utc>,
) -> Result<Vec<(Incident, Timing)>, AppError> {
    let window = state.index().history_before;
    let (Some(window), Some(owners)) = (window, owners(scope)) else {
        return Ok(Vec::new());
    };
    let f = HistoryFilter {
        area: area.map(str::to_owned),
        since: Some(since),
        ..HistoryFilter::new(before.min(window), owners)
    };
    Ok(state.store.history_timed(&f, None).await?)
}

/// For statistics: the per-day aggregates of the history cases of `scope`
/// under `area` reported on the Shanghai days `first..=last`, which must
/// lie wholly before the live window, summed apart as `by` says. Empty
/// when there is no window, the range is empty, or the scope is a
/// reporter's own cases (the caller reads those case by case).
pub async fn days(
    state: &AppState,
    scope: &Scope,
    area: Option<&str>,
    (first, last): (chrono::NaiveDate, chrono::NaiveDate),
    by: crate::store::DaysBy,
) -> Result<Vec<crate::store::DayRow>, AppError> {
    let window = state.index().history_before;
    let (Some(_), Some(owners)) = (window, owners(scope)) else {
        return Ok(Vec::new());
    };
    if first > last {
        return Ok(Vec::new());
    }
    let q = crate::store::DaysQuery {
        owners,
        area: area.map(str::to_owned),
        first: first.format("%Y-%m-%d").to_string(),
        last: last.format("%Y-%m-%d").to_string(),
        by,
    };
    Ok(state.store.history_days(&q).await?)
}
