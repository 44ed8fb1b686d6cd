//! Incident reads over the live window and the archive together. The index
//! holds the live cases; the store answers for history (closed or rejected,
//! reported before the window; [`crate::domain::incident::is_history`]).
//! Each read asks both and merges, so an answer is the same whatever the
//! window: the tests compare both paths on both stores.

use std::cmp::Ordering;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

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

/// A range of days cut where months begin and end: the days before the
/// first whole month, the whole months (as the first day of the first and
/// of the last), the days after the last whole month. Without a whole
/// month inside, all of it is `head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonthSplit {
    /// days before the whole months (or all days)
    pub head: Option<(NaiveDate, NaiveDate)>,
    /// the whole months
    pub months: Option<(NaiveDate, NaiveDate)>,
    /// days after the whole months
    pub tail: Option<(NaiveDate, NaiveDate)>,
}

/// The first day of `d`'s month.
fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the month after `d`'s.
fn next_month(d: NaiveDate) -> NaiveDate {
    month_start(d)
        .checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

/// Cuts `first..=last` into days and whole months ([`MonthSplit`]).
pub fn split_months(first: NaiveDate, last: NaiveDate) -> MonthSplit {
    if first > last {
        return MonthSplit::default();
    }
    let from = if first.day() == 1 {
        first
    } else {
        next_month(first)
    };
    // The first day after the last whole month.
    let until = if last.succ_opt().is_some_and(|n| n.day() == 1) {
        next_month(last)
    } else {
        month_start(last)
    };
    if from >= until {
        return MonthSplit {
            head: Some((first, last)),
            ..MonthSplit::default()
        };
    }
    let before = |d: NaiveDate| d.pred_opt().unwrap_or(d);
    MonthSplit {
        head: (first < from).then(|| (first, before(from))),
        months: Some((from, month_start(before(until)))),
        tail: (until <= last).then_some((until, last)),
    }
}

/// For statistics: the aggregates of the history cases of `scope` under
/// `area` reported on the Shanghai days `first..=last`, which must lie
/// wholly before the live window, summed apart as `by` says: whole months
/// from the month rollups where they can answer, the other days from the
/// day aggregates. The rows are to be added up (a key may come once per
/// part). Empty when there is no window, the range is empty, or the scope
/// is a reporter's own cases (the caller reads those case by case).
pub async fn days(
    state: &AppState,
    scope: &Scope,
    area: Option<&str>,
    (first, last): (NaiveDate, NaiveDate),
    by: crate::store::DaysBy,
) -> Result<Vec<crate::store::DayRow>, AppError> {
    let window = state.index().history_before;
    let (Some(_), Some(owners)) = (window, owners(scope)) else {
        return Ok(Vec::new());
    };
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let query = |(a, b): (String, String), months: bool| crate::store::DaysQuery {
        owners: owners.clone(),
        area: area.map(str::to_owned),
        first: a,
        last: b,
        by,
        months,
    };
    let whole = query((day(first), day(last)), false);
    let split = split_months(first, last);
    let Some((m0, m1)) = split.months.filter(|_| whole.months_answer()) else {
        if first > last {
            return Ok(Vec::new());
        }
        return Ok(state.store.history_days(&whole).await?);
    };
    let month = |d: NaiveDate| d.format("%Y-%m").to_string();
    let mut rows = state
        .store
        .history_days(&query((month(m0), month(m1)), true))
        .await?;
    for (a, b) in [split.head, split.tail].into_iter().flatten() {
        rows.extend(
            state
                .store
                .history_days(&query((day(a), day(b)), false))
                .await?,
        );
    }
    Ok(rows)
}

/// For hot spots: the history cases of `scope` under `area` per grid,
/// reported on the Shanghai days of `now` and of `before` (both before the
/// live window): whole months from the per-grid month counts where the
/// store keeps them, the other days from the day aggregates. A grid may
/// come more than once (the counts are to be added up).
pub async fn grid_counts(
    state: &AppState,
    scope: &Scope,
    area: Option<&str>,
    now: (NaiveDate, NaiveDate),
    before: (NaiveDate, NaiveDate),
) -> Result<Vec<crate::store::GridCount>, AppError> {
    use crate::store::{DaysBy, GridCount, GridMonthsQuery, history::month_index};
    let window = state.index().history_before;
    let (Some(_), Some(owners)) = (window, owners(scope)) else {
        return Ok(Vec::new());
    };
    let (split_now, split_before) = (split_months(now.0, now.1), split_months(before.0, before.1));
    let index = |m: Option<(NaiveDate, NaiveDate)>| {
        m.map_or((1, 0), |(a, b)| (month_index(a), month_index(b)))
    };
    let q = GridMonthsQuery {
        owners,
        area: area.map(str::to_owned),
        now: index(split_now.months),
        before: index(split_before.months),
    };
    let counted = |(n, b): (i64, i64)| {
        move |r: crate::store::DayRow| GridCount {
            grid: r.grid,
            now: r.reported * n,
            before: r.reported * b,
        }
    };
    let Some(mut out) = state.store.history_grid_months(&q).await? else {
        // No per-grid months in this store: every day from the day aggregates.
        let mut out: Vec<GridCount> = days(state, scope, area, now, DaysBy::GRID)
            .await?
            .into_iter()
            .map(counted((1, 0)))
            .collect();
        let was = days(state, scope, area, before, DaysBy::GRID).await?;
        out.extend(was.into_iter().map(counted((0, 1))));
        return Ok(out);
    };
    let edges = [(split_now, (1, 0)), (split_before, (0, 1))]
        .into_iter()
        .flat_map(|(split, k)| {
            [split.head, split.tail]
                .into_iter()
                .flatten()
                .map(move |r| (r, k))
        })
        .map(|(range, k)| async move {
            let rows = days(state, scope, area, range, DaysBy::GRID).await?;
            Ok::<_, AppError>(rows.into_iter().map(counted(k)).collect::<Vec<_>>())
        });
    for rows in futures::future::try_join_all(edges).await? {
        out.extend(rows);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a valid date")
    }

    #[test]
    fn a_range_is_cut_where_whole_months_begin_and_end() {
        let s = split_months(d(2025, 1, 15), d(2025, 4, 10));
        assert_eq!(
            s.head,
            Some((d(2025, 1, 15), d(2025, 1, 31))),
            "days before February"
        );
        assert_eq!(
            s.months,
            Some((d(2025, 2, 1), d(2025, 3, 1))),
            "February and March whole"
        );
        assert_eq!(
            s.tail,
            Some((d(2025, 4, 1), d(2025, 4, 10))),
            "days of April"
        );
    }

    #[test]
    fn ranges_on_month_bounds_have_no_edge_days() {
        let s = split_months(d(2024, 2, 1), d(2024, 12, 31));
        assert_eq!(s.head, None);
        assert_eq!(s.months, Some((d(2024, 2, 1), d(2024, 12, 1))));
        assert_eq!(s.tail, None);
        let leap = split_months(d(2024, 2, 1), d(2024, 2, 29));
        assert_eq!(
            leap.months,
            Some((d(2024, 2, 1), d(2024, 2, 1))),
            "February 2024 ends on the 29th"
        );
        assert_eq!((leap.head, leap.tail), (None, None));
    }

    #[test]
    fn ranges_without_a_whole_month_are_all_days() {
        for (a, b) in [
            (d(2025, 1, 2), d(2025, 1, 31)),
            (d(2025, 1, 20), d(2025, 2, 27)),
            (d(2025, 3, 1), d(2025, 3, 30)),
        ] {
            let s = split_months(a, b);
            assert_eq!(
                s,
                MonthSplit {
                    head: Some((a, b)),
                    ..MonthSplit::default()
                },
                "{a}..{b}"
            );
        }
        assert_eq!(
            split_months(d(2025, 2, 1), d(2025, 1, 31)),
            MonthSplit::default(),
            "empty range"
        );
    }

    #[test]
    fn the_parts_cover_every_day_once() {
        let (a, b) = (d(2019, 11, 3), d(2026, 2, 27));
        let s = split_months(a, b);
        let mut days = 0;
        for (x, y) in [s.head, s.tail].into_iter().flatten() {
            days += (y - x).num_days() + 1;
        }
        let (m0, m1) = s.months.expect("whole months inside");
        let mut m = m0;
        while m <= m1 {
            days += (next_month(m) - m).num_days();
            m = next_month(m);
        }
        assert_eq!(days, (b - a).num_days() + 1, "every day of {a}..{b} once");
    }
}
