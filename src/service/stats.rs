//! Incident statistics (`GET /api/stats/incidents`): counts by area (any
//! level), category and status for a time window, handling times and
//! rates, the 7-day trend, and hot spots (grids with the most incidents,
//! and the fastest rising against the window before).
//!
//! Live cases come from the index. History (closed cases older than the
//! live window) comes from the store: whole report days from the per-day
//! aggregates, the few partial days at the edges case by case, so the cost
//! follows the days asked for, not the cases in them. A citizen's own
//! cases are always read case by case (aggregates do not know reporters).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use super::AppState;
use crate::auth::policy::Scope;
use crate::domain::handling::{Handling, Timing, Trend};
use crate::domain::incident::{category_name, shanghai};
use crate::domain::{AreaCode, Incident, IncidentStatus, Level};
use crate::error::AppError;
use crate::store::{DayRow, DaysBy, GridCount};

/// Days in the `daily` trend.
const TREND_DAYS: usize = 7;

/// Grids in each hot-spot list.
const HOT_SPOTS: usize = 10;

/// A grid's cases in the window and in the window before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spot<'a> {
    code: &'a str,
    count: usize,
    previous: usize,
}

impl Spot<'_> {
    fn change(&self) -> i64 {
        self.count as i64 - self.previous as i64
    }
}

/// The first `k` of `items` in the order `cmp` gives, without sorting the
/// rest.
fn top<T>(mut items: Vec<T>, k: usize, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<T> {
    if items.len() > k && k > 0 {
        items.select_nth_unstable_by(k - 1, &cmp);
    }
    items.truncate(k);
    items.sort_by(cmp);
    items
}

/// What to count.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    /// the level of the groups
    pub level: Level,
    /// only grids under this area
    pub area: Option<AreaCode>,
    /// the window's start (reported at or after)
    pub from: DateTime<Utc>,
    /// the window's end (reported at or before)
    pub to: DateTime<Utc>,
}

#[derive(Default)]
struct Group {
    total: usize,
    open: usize,
    overdue: usize,
    by_category: BTreeMap<String, usize>,
    by_status: BTreeMap<&'static str, usize>,
}

/// The Shanghai calendar day of an instant.
fn day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

/// The instant a Shanghai day starts.
fn start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(shanghai()).single())
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
}

/// The days of `[since, until]` read from aggregates, given the live
/// window's start `window`: those strictly between the first and the last
/// day, and before the window's day (empty when first > last). The edge
/// days are read case by case ([`Plan::exact`]).
fn whole_days(
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    window: DateTime<Utc>,
) -> (NaiveDate, NaiveDate) {
    let last = day(until).min(day(window));
    (day(since) + Duration::days(1), last - Duration::days(1))
}

/// Which days are read from aggregates and which case by case.
#[derive(Debug, Clone, PartialEq)]
struct Plan {
    /// whole days of the window
    now: (NaiveDate, NaiveDate),
    /// whole days of the window before
    before: (NaiveDate, NaiveDate),
    /// days read case by case: the edges of both windows and the window's day
    exact: BTreeSet<NaiveDate>,
}

impl Plan {
    fn new(
        (earlier, from, to): (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
        window: DateTime<Utc>,
    ) -> Plan {
        let last = day(to).min(day(window));
        let exact = [day(earlier), day(from), day(to), day(window)]
            .into_iter()
            .filter(|d| *d >= day(earlier) && *d <= last)
            .collect();
        Plan {
            now: whole_days(from, to, window),
            before: whole_days(earlier, from, window),
            exact,
        }
    }
}

/// History for one question.
#[derive(Default)]
struct History {
    /// cases of the edge days (or all of a citizen's), for the counts
    exact: Vec<(Incident, Timing)>,
    /// whole days of the window and of the window before: cases per grid
    grids: Vec<GridCount>,
    /// whole days of the window: per group (an area of the level asked
    /// for), category and status
    groups_now: Vec<DayRow>,
    /// whole days of the window: handling figures per street and category
    handling_now: Vec<DayRow>,
    /// whole days of the window: cases closed after handling per street,
    /// category and minutes to 结案 (for the median and 90th percentile)
    closes_now: Vec<DayRow>,
    /// cases of the trend's days, for the trend only
    trend: Vec<(Incident, Timing)>,
}

async fn history(
    state: &AppState,
    (scope, area, level): (&Scope, Option<&str>, Level),
    (earlier, from, to): (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
    trend_start: DateTime<Utc>,
) -> Result<History, AppError> {
    use super::history as h;
    let Some(window) = state.index().history_before else {
        return Ok(History::default());
    };
    // The trend counts open-at-day's-end, which aggregates cannot tell: its
    // days are always read case by case (with cases settled since).
    let trend = h::timed(state, scope, area, (trend_start, to), trend_start);
    if matches!(scope, Scope::Own(_)) {
        let (trend, exact) = tokio::try_join!(
            trend,
            h::timed_between(state, scope, area, earlier, to + Duration::seconds(1))
        )?;
        return Ok(History {
            exact,
            trend,
            ..History::default()
        });
    }
    let plan = Plan::new((earlier, from, to), window);
    let exact = async {
        let days = plan.exact.iter().map(|d| {
            let next = start(*d + Duration::days(1));
            h::timed_between(state, scope, area, start(*d), next)
        });
        let days = futures::future::try_join_all(days).await?;
        Ok::<_, AppError>(days.into_iter().flatten().collect::<Vec<_>>())
    };
    // Each read sums only what its part of the answer needs.
    let groups = DaysBy {
        grid_len: Some(level.code_len()),
        category: true,
        status: true,
        close: false,
        closed_only: false,
    };
    let handling = DaysBy {
        grid_len: Some(Level::Street.code_len()),
        category: true,
        status: false,
        close: false,
        closed_only: false,
    };
    // Minutes to 结案 are read apart, from the day aggregates and only for
    // cases closed after handling: the figures above come from the month
    // rollups.
    let closes = DaysBy {
        close: true,
        closed_only: true,
        ..handling
    };
    // The reads are independent: on their own connections the store
    // answers them side by side (a year's statistics are a few million
    // aggregate rows).
    let (trend, exact, grids, groups_now, handling_now, closes_now) = tokio::try_join!(
        trend,
        exact,
        h::grid_counts(state, scope, area, plan.now, plan.before),
        h::days(state, scope, area, plan.now, groups),
        h::days(state, scope, area, plan.now, handling),
        h::days(state, scope, area, plan.now, closes),
    )?;
    Ok(History {
        exact,
        grids,
        groups_now,
        handling_now,
        closes_now,
        trend,
    })
}

/// The statistics of the incidents `scope` may read.
pub async fn incidents(state: &AppState, scope: &Scope, q: &StatsQuery) -> Result<Value, AppError> {
    let (level, from, to) = (q.level, q.from, q.to);
    let area = q.area.as_ref().map(AreaCode::as_str);
    let before_window = state.index().history_before;
    let timings = state.timings.get(&*state.store, before_window).await?;
    let now = Utc::now();
    let before = from - (to - from);
    // The last 7 Shanghai days up to `to`, whatever the window (the wall's trend).
    let mut trend = Trend::new(to, TREND_DAYS);
    let trend_start = trend.start().unwrap_or(before);
    let history = history(state, (scope, area, level), (before, from, to), trend_start).await?;
    let index = state.index();
    let mut overall = Handling::default();
    let mut by_category: BTreeMap<&str, Handling> = BTreeMap::new();
    let mut by_street: BTreeMap<&str, Handling> = BTreeMap::new();
    let none = Timing::default();
    let len = level.code_len();
    let mut groups: HashMap<&str, Group> = HashMap::new();
    let mut grid_now: HashMap<&str, usize> = HashMap::new();
    let mut grid_before: HashMap<&str, usize> = HashMap::new();
    let visible = |i: &Incident| -> bool {
        i.grid.as_deref().is_some_and(|g| {
            scope.allows(Some(g), i.reporter.as_deref()) && area.is_none_or(|a| g.starts_with(a))
        })
    };
    let live: Vec<(&Incident, &Timing)> = index
        .live_incidents()
        .filter(|i| visible(i))
        .map(|i| (i, timings.get(&i.id).unwrap_or(&none)))
        .collect();
    for (i, t) in live
        .iter()
        .copied()
        .chain(history.trend.iter().map(|(i, t)| (i, t)))
    {
        if visible(i) {
            trend.add(i, t);
        }
    }
    for (i, t) in live
        .iter()
        .copied()
        .chain(history.exact.iter().map(|(i, t)| (i, t)))
    {
        let Some(g) = i.grid.as_deref() else { continue };
        if !visible(i) {
            continue;
        }
        if i.reported_at >= before && i.reported_at < from {
            *grid_before.entry(g).or_default() += 1;
        }
        if i.reported_at < from || i.reported_at > to {
            continue;
        }
        *grid_now.entry(g).or_default() += 1;
        overall.add(i, t, now);
        by_category.entry(&i.category).or_default().add(i, t, now);
        by_street
            .entry(&g[..Level::Street.code_len().min(g.len())])
            .or_default()
            .add(i, t, now);
        let e = groups.entry(&g[..len.min(g.len())]).or_default();
        e.total += 1;
        e.open += usize::from(i.status.is_open());
        e.overdue += usize::from(i.is_overdue(now));
        *e.by_category
            .entry(category_name(&i.category).to_owned())
            .or_default() += 1;
        *e.by_status.entry(i.status.as_str()).or_default() += 1;
    }
    // Whole days of history: finished cases, neither open nor overdue.
    for r in &history.grids {
        if r.before > 0 {
            *grid_before.entry(&r.grid).or_default() += r.before as usize;
        }
        if r.now > 0 {
            *grid_now.entry(&r.grid).or_default() += r.now as usize;
        }
    }
    let closes = history.closes_now.iter().map(|r| (r, r.close_counts()));
    for (r, c) in history
        .handling_now
        .iter()
        .map(|r| (r, r.counts()))
        .chain(closes)
    {
        overall.add_counts(&c);
        by_category.entry(&r.category).or_default().add_counts(&c);
        by_street.entry(&r.grid).or_default().add_counts(&c);
    }
    for r in &history.groups_now {
        let n = r.reported as usize;
        let e = groups.entry(&r.grid).or_default();
        e.total += n;
        *e.by_category
            .entry(category_name(&r.category).to_owned())
            .or_default() += n;
        let status = IncidentStatus::parse(&r.status).map_or("closed", IncidentStatus::as_str);
        *e.by_status.entry(status).or_default() += n;
    }
    let name = |code: &str| {
        index
            .areas
            .get(code)
            .map(|e| e.area.name.clone())
            .unwrap_or_default()
    };
    let mut out: Vec<Value> = groups
        .iter()
        .map(|(code, g)| {
            json!({"code": code, "name": name(code), "total": g.total, "open": g.open, "overdue": g.overdue,
                   "overdue_rate": if g.total == 0 { 0.0 } else { (g.overdue as f64 / g.total as f64 * 1000.0).round() / 1000.0 },
                   "by_category": g.by_category, "by_status": g.by_status})
        })
        .collect();
    out.sort_by(|a, b| {
        b["total"]
            .as_u64()
            .cmp(&a["total"].as_u64())
            .then(a["code"].as_str().cmp(&b["code"].as_str()))
    });
    // Each grid's count and the window before's, looked up once: a
    // province has 300,000 grids with cases over a year, and sorting them
    // all with a lookup per comparison took 2.5 s of a year's statistics.
    let spots: Vec<Spot> = grid_now
        .iter()
        .map(|(g, n)| Spot {
            code: g,
            count: *n,
            previous: grid_before.get(g).copied().unwrap_or(0),
        })
        .collect();
    let most = top(spots.clone(), HOT_SPOTS, |a, b| {
        b.count.cmp(&a.count).then(a.code.cmp(b.code))
    });
    let rising = top(spots, HOT_SPOTS, |a, b| {
        b.change().cmp(&a.change()).then(a.code.cmp(b.code))
    });
    let spot = |s: Spot| json!({"code": s.code, "name": name(s.code), "count": s.count, "previous": s.previous, "change": s.change()});
    Ok(json!({
        "level": level.as_str(),
        "from": crate::domain::incident::to_shanghai(from),
        "to": crate::domain::incident::to_shanghai(to),
        "groups": out,
        // Handling of the cases reported in the window (report → 结案, 办结 by the deadline, reopened).
        "overall": overall.summary(),
        "by_category": by_category.iter().map(|(c, h)| {
            let mut v = json!(h.summary());
            v["category"] = json!(c);
            v["name"] = json!(category_name(c));
            v
        }).collect::<Vec<_>>(),
        "by_street": by_street.iter().map(|(c, h)| {
            let mut v = json!(h.summary());
            v["code"] = json!(c);
            v["name"] = json!(name(c));
            v
        }).collect::<Vec<_>>(),
        // Per Shanghai day, the last 7 up to `to`, oldest first: reported, closed, open and overdue at the day's end.
        "daily": trend.days(),
        "hot_spots": {"most": most.into_iter().map(spot).collect::<Vec<_>>(), "rising": rising.into_iter().map(spot).collect::<Vec<_>>()},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn top_k_is_the_head_of_the_full_sort() {
        let items: Vec<(u32, u32)> = (0..500u32).map(|i| ((i * 7919) % 37, i)).collect();
        let cmp = |a: &(u32, u32), b: &(u32, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        let mut sorted = items.clone();
        sorted.sort_by(cmp);
        for k in [0, 1, 10, 499, 500, 600] {
            assert_eq!(
                top(items.clone(), k, cmp),
                sorted[..k.min(500)].to_vec(),
                "top {k}"
            );
        }
    }

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        // hours in Shanghai on day `d` of November 2026
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap() - Duration::hours(8)
    }

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn whole_days_come_from_aggregates_and_edge_days_case_by_case() {
        // window 10th 15:00 → 20th 09:00, the one before from the 1st 21:00;
        // the live window starts on the 25th: everything asked is history.
        let p = Plan::new((at(1, 21), at(10, 15), at(20, 9)), at(25, 3));
        assert_eq!(
            p.now,
            (date(11), date(19)),
            "the 11th to the 19th are whole days of the window"
        );
        assert_eq!(
            p.before,
            (date(2), date(9)),
            "the 2nd to the 9th are whole days of the window before"
        );
        assert_eq!(
            p.exact.iter().copied().collect::<Vec<_>>(),
            [date(1), date(10), date(20)],
            "the edge days are read case by case; the live window's day is after the question"
        );
    }

    #[test]
    fn days_from_the_live_window_on_are_not_read_from_aggregates() {
        // the live window starts on the 15th at 06:00, inside the question
        let p = Plan::new((at(1, 0), at(10, 0), at(20, 0)), at(15, 6));
        assert_eq!(
            p.now,
            (date(11), date(14)),
            "whole days stop before the window's day"
        );
        assert!(
            p.exact.contains(&date(15)),
            "the window's own day is read case by case"
        );
        assert!(
            !p.exact.contains(&date(20)),
            "after the window's day nothing is history"
        );
        // the live window starts before the question: no history at all
        let p = Plan::new(
            (at(1, 0), at(10, 0), at(20, 0)),
            at(1, 0) - Duration::days(3),
        );
        assert!(p.now.0 > p.now.1, "no whole day: {:?}", p.now);
        assert!(
            p.before.0 > p.before.1,
            "no whole day before: {:?}",
            p.before
        );
        assert!(
            p.exact.is_empty(),
            "nothing to read case by case: {:?}",
            p.exact
        );
    }

    #[test]
    fn adjacent_edges_read_each_day_once() {
        // from and to on the same day; the window before starts the day before
        let p = Plan::new((at(9, 20), at(10, 8), at(10, 20)), at(30, 0));
        assert_eq!(
            p.exact.iter().copied().collect::<Vec<_>>(),
            [date(9), date(10)],
            "each edge day once"
        );
        assert!(p.now.0 > p.now.1, "no whole day inside one day");
        assert!(p.before.0 > p.before.1, "none in the window before either");
    }
}
