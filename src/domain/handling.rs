//! Handling-time statistics of the closed loop, from each case's history:
//! median and 90th-percentile hours from report to 结案, the share finished
//! (办结) by the deadline, and the share reopened by an unhappy revisit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Incident, IncidentStatus};

/// What a case's history says about its handling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timing {
    /// first 办结 (resolve)
    pub resolved_at: Option<DateTime<Utc>>,
    /// first 结案 (close)
    pub closed_at: Option<DateTime<Utc>>,
    /// revisits with a rating of 1–2 that sent the case back to 处置
    pub reopens: u32,
    /// linked as a duplicate of another case (not handled on its own)
    pub duplicate: bool,
}

/// Accumulates the cases of one group (overall, a category, a street).
///
/// Times to 结案 are kept as whole minutes ([`close_minutes`]), counted per
/// minute: the per-day aggregates in the store keep them the same way, so
/// a group summed from aggregates gives the figures its cases give one by
/// one. (A minute is far below the 0.1 h the figures are shown at.)
#[derive(Debug, Clone, Default)]
pub struct Handling {
    minutes: BTreeMap<i64, usize>,
    due: usize,
    on_time: usize,
    finished: usize,
    reopened: usize,
}

/// Summed figures of several cases, as the per-day aggregates keep them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// minutes from report to 结案 shared by all of them; `None`: not
    /// closed, or not handled
    pub close_minutes: Option<i64>,
    /// cases
    pub cases: usize,
    /// handled and due (finished, or past the deadline, or closed unfinished)
    pub due: usize,
    /// finished (办结) by the deadline
    pub on_time: usize,
    /// finished
    pub finished: usize,
    /// finished and reopened at least once
    pub reopened: usize,
}

/// Whole minutes from report to 结案: the span rounded to the second, then
/// cut to the minute; never negative. The stores compute the same.
///
/// ```
/// use chrono::{Duration, Utc};
/// use minqing::domain::handling::close_minutes;
/// let t = Utc::now();
/// assert_eq!(close_minutes(t, t + Duration::seconds(119)), 1);
/// assert_eq!(close_minutes(t, t + Duration::milliseconds(119_600)), 2, "rounded to 120 s first");
/// assert_eq!(close_minutes(t, t - Duration::hours(1)), 0);
/// ```
pub fn close_minutes(reported: DateTime<Utc>, closed: DateTime<Utc>) -> i64 {
    let secs = ((closed - reported).num_milliseconds() as f64 / 1000.0).round() as i64;
    secs.max(0) / 60
}

/// The figures of one group; `None` where no case counts yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandlingSummary {
    /// median hours from report to 结案
    pub median_hours: Option<f64>,
    /// 90th percentile of the same
    pub p90_hours: Option<f64>,
    /// finished (办结) by the deadline, of the cases finished or past their deadline
    pub on_time_rate: Option<f64>,
    /// reopened at least once, of the cases finished at least once
    pub reopen_rate: Option<f64>,
    /// cases closed (the median's sample)
    pub closed: usize,
}

impl Handling {
    /// Counts one case. Rejected cases and duplicates are not handled, so
    /// they count nowhere.
    pub fn add(&mut self, i: &Incident, t: &Timing, now: DateTime<Utc>) {
        if t.duplicate || i.status == IncidentStatus::Rejected {
            return;
        }
        if let Some(c) = t.closed_at {
            *self
                .minutes
                .entry(close_minutes(i.reported_at, c))
                .or_default() += 1;
        }
        match t.resolved_at {
            Some(r) => {
                self.due += 1;
                self.on_time += usize::from(r <= i.deadline);
                self.finished += 1;
                self.reopened += usize::from(t.reopens > 0);
            }
            // Closed without being finished: it never will be, so it is due
            // (and late) whatever its deadline.
            None if i.deadline < now || i.status == IncidentStatus::Closed => self.due += 1,
            None => {}
        }
    }

    /// Counts cases summed elsewhere (the store's per-day aggregates of
    /// handled and unhandled cases alike, as [`Self::add`] would have).
    pub fn add_counts(&mut self, c: &Counts) {
        if let Some(m) = c.close_minutes {
            *self.minutes.entry(m).or_default() += c.cases;
        }
        self.due += c.due;
        self.on_time += c.on_time;
        self.finished += c.finished;
        self.reopened += c.reopened;
    }

    /// The figures, rounded (hours to 0.1, rates to 0.001).
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use minqing::domain::handling::{Handling, Timing};
    /// # let now = Utc::now();
    /// # let mut i = minqing::domain::Incident { id: "x".into(), category: "safety".into(), source: "12345".into(), description: String::new(),
    /// #     lon: 0.0, lat: 0.0, grid: None, status: minqing::domain::IncidentStatus::Closed, reported_at: now - Duration::hours(50),
    /// #     deadline: now - Duration::hours(40), version: 1, reporter: None };
    /// let mut h = Handling::default();
    /// let t = Timing { resolved_at: Some(i.reported_at + Duration::hours(5)), closed_at: Some(i.reported_at + Duration::hours(30)), reopens: 0, duplicate: false };
    /// h.add(&i, &t, now);
    /// let s = h.summary();
    /// assert_eq!(s.median_hours, Some(30.0));
    /// assert_eq!(s.on_time_rate, Some(1.0), "resolved 5 h after the report, deadline 10 h");
    /// assert_eq!(s.reopen_rate, Some(0.0));
    /// ```
    pub fn summary(&self) -> HandlingSummary {
        let rate = |n: usize, of: usize| (of > 0).then(|| round(n as f64 / of as f64, 1000.0));
        let hours = |q: f64| percentile_counted(&self.minutes, q).map(|m| round(m / 60.0, 10.0));
        HandlingSummary {
            median_hours: hours(0.5),
            p90_hours: hours(0.9),
            on_time_rate: rate(self.on_time, self.due),
            reopen_rate: rate(self.reopened, self.finished),
            closed: self.minutes.values().sum(),
        }
    }
}

/// One Asia/Shanghai calendar day of a trend: cases reported and closed
/// that day, and those open and overdue at its end (now, for today).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayCount {
    /// `YYYY-MM-DD` (Asia/Shanghai)
    pub date: String,
    /// reported that day
    pub reported: usize,
    /// closed (结案) that day
    pub closed: usize,
    /// still needing work at the day's end
    pub open: usize,
    /// of those, past their deadline
    pub overdue: usize,
}

/// Day-by-day counts over the last `days` calendar days up to `to`, oldest
/// first: the wall's 7-day trend.
#[derive(Debug, Clone)]
pub struct Trend {
    /// each day's start and the instant its open/overdue counts are taken
    bounds: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    days: Vec<DayCount>,
}

impl Trend {
    /// Empty counts for the `days` Shanghai days ending with the day of `to`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use minqing::domain::handling::Trend;
    /// // 2026-12-02 01:00 UTC is 09:00 in Shanghai on the 2nd
    /// let t = Trend::new(Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap(), 3);
    /// let dates: Vec<String> = t.days().into_iter().map(|d| d.date).collect();
    /// assert_eq!(dates, ["2026-11-30", "2026-12-01", "2026-12-02"]);
    /// ```
    pub fn new(to: DateTime<Utc>, days: usize) -> Trend {
        let cst = crate::domain::incident::shanghai();
        let today = to.with_timezone(&cst).date_naive();
        let mut bounds = Vec::with_capacity(days);
        let mut out = Vec::with_capacity(days);
        for back in (0..days as i64).rev() {
            let date = today - chrono::Duration::days(back);
            let start = date
                .and_hms_opt(0, 0, 0)
                .and_then(|d| d.and_local_timezone(cst).single())
                .map_or(to, |d| d.with_timezone(&Utc));
            let end = (start + chrono::Duration::days(1)).min(to);
            bounds.push((start, end));
            out.push(DayCount {
                date: date.format("%Y-%m-%d").to_string(),
                reported: 0,
                closed: 0,
                open: 0,
                overdue: 0,
            });
        }
        Trend { bounds, days: out }
    }

    /// Counts one case. Rejected cases and duplicates need no work, so they
    /// count only as reported.
    pub fn add(&mut self, i: &Incident, t: &Timing) {
        let handled = !t.duplicate && i.status != IncidentStatus::Rejected;
        for (d, &(start, end)) in self.days.iter_mut().zip(&self.bounds) {
            let during = |at: DateTime<Utc>| at >= start && at < end;
            d.reported += usize::from(during(i.reported_at));
            d.closed += usize::from(t.closed_at.is_some_and(during));
            // Open at `end`: reported by then and not finished by then (a case
            // open now was open then too, unless reported after).
            let open = handled
                && i.reported_at < end
                && (i.status.is_open() || t.resolved_at.is_some_and(|r| r >= end));
            d.open += usize::from(open);
            d.overdue += usize::from(open && i.deadline < end);
        }
    }

    /// The start of the first day: a case reported, finished or closed
    /// before it counts on no day unless it was still open then.
    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.bounds.first().map(|b| b.0)
    }

    /// The counts, oldest day first.
    pub fn days(self) -> Vec<DayCount> {
        self.days
    }
}

fn round(v: f64, k: f64) -> f64 {
    (v * k).round() / k
}

/// The `q` quantile of sorted values by linear interpolation between ranks
/// (`None` when empty).
///
/// ```
/// use minqing::domain::handling::percentile;
/// assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
/// assert_eq!(percentile(&[10.0], 0.9), Some(10.0));
/// assert_eq!(percentile(&[], 0.5), None);
/// ```
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// [`percentile`] of values given as value → how many times, without
/// writing each one out.
///
/// ```
/// use std::collections::BTreeMap;
/// use minqing::domain::handling::{percentile, percentile_counted};
/// let counted = BTreeMap::from([(1, 2), (4, 1), (9, 3)]);
/// let flat = [1.0, 1.0, 4.0, 9.0, 9.0, 9.0];
/// for q in [0.0, 0.3, 0.5, 0.9, 1.0] {
///     assert_eq!(percentile_counted(&counted, q), percentile(&flat, q));
/// }
/// ```
pub fn percentile_counted(counted: &BTreeMap<i64, usize>, q: f64) -> Option<f64> {
    let n: usize = counted.values().sum();
    let last = n.checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    // The value at a 0-based rank of the sorted values.
    let at = |rank: usize| {
        let mut seen = 0;
        for (v, k) in counted {
            seen += k;
            if rank < seen {
                return *v as f64;
            }
        }
        0.0
    };
    let (a, b) = (at(lo), at(hi));
    Some(a + (b - a) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn case(status: IncidentStatus, hours_to_deadline: i64, now: DateTime<Utc>) -> Incident {
        Incident {
            id: "x".into(),
            category: "neighbour".into(),
            source: "12345".into(),
            description: String::new(),
            lon: 0.0,
            lat: 0.0,
            grid: None,
            status,
            reported_at: now - Duration::hours(100),
            deadline: now - Duration::hours(100) + Duration::hours(hours_to_deadline),
            version: 1,
            reporter: None,
        }
    }

    #[test]
    fn late_open_reopened_rejected_and_duplicate_cases_count_as_the_rules_say() {
        let now = Utc::now();
        let mut h = Handling::default();
        let on_time = case(IncidentStatus::Closed, 48, now);
        let t = |r: i64, c: Option<i64>, reopens: u32| Timing {
            resolved_at: Some(now - Duration::hours(100) + Duration::hours(r)),
            closed_at: c.map(|c| now - Duration::hours(100) + Duration::hours(c)),
            reopens,
            duplicate: false,
        };
        h.add(&on_time, &t(10, Some(20), 0), now);
        h.add(
            &case(IncidentStatus::Closed, 48, now),
            &t(60, Some(80), 1),
            now,
        );
        // open and past its deadline: due, not on time, not finished
        h.add(
            &case(IncidentStatus::InProgress, 24, now),
            &Timing::default(),
            now,
        );
        // open within its deadline: not counted yet
        h.add(
            &case(IncidentStatus::Accepted, 200, now),
            &Timing::default(),
            now,
        );
        h.add(
            &case(IncidentStatus::Rejected, 1, now),
            &Timing::default(),
            now,
        );
        let dup = Timing {
            duplicate: true,
            ..Timing::default()
        };
        h.add(&case(IncidentStatus::Closed, 1, now), &dup, now);
        let s = h.summary();
        assert_eq!(s.closed, 2, "two closed cases make the sample");
        assert_eq!(s.median_hours, Some(50.0), "median of 20 h and 80 h");
        assert_eq!(s.p90_hours, Some(74.0), "interpolated 90th percentile");
        assert_eq!(
            s.on_time_rate,
            Some(0.333),
            "one of three due cases finished by its deadline"
        );
        assert_eq!(
            s.reopen_rate,
            Some(0.5),
            "one of two finished cases reopened"
        );
    }

    #[test]
    fn an_empty_group_has_no_figures() {
        let s = Handling::default().summary();
        assert_eq!(
            (s.median_hours, s.on_time_rate, s.reopen_rate),
            (None, None, None),
            "no case, no figure (not a misleading zero)"
        );
    }

    #[test]
    fn the_trend_counts_each_case_on_its_shanghai_days() {
        use chrono::TimeZone;
        // 2026-12-02 12:00 in Shanghai
        let to = Utc.with_ymd_and_hms(2026, 12, 2, 4, 0, 0).unwrap();
        let mut c = case(IncidentStatus::InProgress, 24, to);
        // reported 2026-11-30 23:30 Shanghai (15:30 UTC): the 30th, not the 1st
        c.reported_at = Utc.with_ymd_and_hms(2026, 11, 30, 15, 30, 0).unwrap();
        c.deadline = c.reported_at + Duration::hours(24);
        let mut closed = c.clone();
        closed.status = IncidentStatus::Closed;
        let t_closed = Timing {
            resolved_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()),
            closed_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap()),
            reopens: 0,
            duplicate: false,
        };
        let mut trend = Trend::new(to, 3);
        trend.add(&c, &Timing::default());
        trend.add(&closed, &t_closed);
        let d = trend.days();
        assert_eq!(
            d.iter().map(|x| x.reported).collect::<Vec<_>>(),
            [2, 0, 0],
            "both reported on the 30th (Shanghai), {d:?}"
        );
        assert_eq!(
            d.iter().map(|x| x.closed).collect::<Vec<_>>(),
            [0, 1, 0],
            "one closed on the 1st"
        );
        assert_eq!(
            d.iter().map(|x| x.open).collect::<Vec<_>>(),
            [2, 1, 1],
            "both open at the end of the 30th, then only the unfinished one"
        );
        assert_eq!(
            d.iter().map(|x| x.overdue).collect::<Vec<_>>(),
            [0, 1, 1],
            "the open one is past its 24 h deadline from the 1st's end"
        );
    }
}
