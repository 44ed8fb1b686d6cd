//! Handling-time statistics of the closed loop, from each case's history:
//! median and 90th-percentile hours from report to 结案, the share finished
//! (办结) by the deadline, and the share reopened by an unhappy revisit.

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
#[derive(Debug, Clone, Default)]
pub struct Handling {
    hours: Vec<f64>,
    due: usize,
    on_time: usize,
    finished: usize,
    reopened: usize,
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
            self.hours
                .push((c - i.reported_at).num_seconds().max(0) as f64 / 3600.0);
        }
        match t.resolved_at {
            Some(r) => {
                self.due += 1;
                self.on_time += usize::from(r <= i.deadline);
                self.finished += 1;
                self.reopened += usize::from(t.reopens > 0);
            }
            None if i.deadline < now => self.due += 1,
            None => {}
        }
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
        let mut h = self.hours.clone();
        h.sort_by(f64::total_cmp);
        let rate = |n: usize, of: usize| (of > 0).then(|| round(n as f64 / of as f64, 1000.0));
        HandlingSummary {
            median_hours: percentile(&h, 0.5).map(|v| round(v, 10.0)),
            p90_hours: percentile(&h, 0.9).map(|v| round(v, 10.0)),
            on_time_rate: rate(self.on_time, self.due),
            reopen_rate: rate(self.reopened, self.finished),
            closed: h.len(),
        }
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
}
