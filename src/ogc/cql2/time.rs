//! Temporal literals and the temporal functions of CQL2 as one table.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

/// A time span; an instant has `start == end`; `None` is an open end (`..`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// first instant, or unbounded
    pub start: Option<DateTime<Utc>>,
    /// last instant, or unbounded
    pub end: Option<DateTime<Utc>>,
}

impl Span {
    /// `TIMESTAMP('…')`: RFC 3339 with an offset.
    ///
    /// ```
    /// use minqing::ogc::cql2::Span;
    /// assert!(Span::timestamp("2026-05-01T08:00:00+08:00").is_ok());
    /// assert!(Span::timestamp("yesterday").is_err());
    /// ```
    pub fn timestamp(s: &str) -> Result<Span, String> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| super::instant(t.with_timezone(&Utc)))
            .map_err(|_| {
                format!(
                    "TIMESTAMP {:?} is not RFC 3339 (e.g. 2026-05-01T08:00:00Z)",
                    crate::error::clip(s)
                )
            })
    }

    /// `DATE('YYYY-MM-DD')`: the whole calendar day in Asia/Shanghai, as the
    /// contract counts days.
    pub fn date(s: &str) -> Result<Span, String> {
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| format!("DATE {:?} is not YYYY-MM-DD", crate::error::clip(s)))?;
        let day_start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| Shanghai.from_local_datetime(&t).earliest())
                .map(|t| t.with_timezone(&Utc))
        };
        let start = day_start(d).ok_or("DATE out of range")?;
        let next = d
            .succ_opt()
            .and_then(day_start)
            .ok_or("DATE out of range")?;
        Ok(Span {
            start: Some(start),
            end: Some(next - chrono::Duration::nanoseconds(1)),
        })
    }

    /// One end of an `INTERVAL`: `'..'` (open), a date or a timestamp.
    pub fn bound(s: &str, is_start: bool) -> Result<Option<DateTime<Utc>>, String> {
        if s == ".." || s.is_empty() {
            return Ok(None);
        }
        let span = if s.len() == 10 {
            Span::date(s)?
        } else {
            Span::timestamp(s)?
        };
        Ok(if is_start { span.start } else { span.end })
    }

    /// `INTERVAL(a, b)`; a reversed interval is refused.
    pub fn interval(a: &str, b: &str) -> Result<Span, String> {
        let span = Span {
            start: Span::bound(a, true)?,
            end: Span::bound(b, false)?,
        };
        if let (Some(s), Some(e)) = (span.start, span.end)
            && s > e
        {
            return Err("INTERVAL ends before it starts".into());
        }
        Ok(span)
    }

    /// Microseconds since the epoch, open ends as the extremes.
    fn micros(&self) -> (i64, i64) {
        (
            self.start.map_or(i64::MIN, |t| t.timestamp_micros()),
            self.end.map_or(i64::MAX, |t| t.timestamp_micros()),
        )
    }
}

/// A temporal function of CQL2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemporalOp(&'static str);

type Rel = fn((i64, i64), (i64, i64)) -> bool;

/// Every temporal function: name and the relation of `a = (start, end)` to `b`.
const TEMPORAL: [(&str, Rel); 15] = [
    ("t_after", |a, b| a.0 > b.1),
    ("t_before", |a, b| a.1 < b.0),
    ("t_contains", |a, b| a.0 < b.0 && a.1 > b.1),
    ("t_disjoint", |a, b| a.1 < b.0 || a.0 > b.1),
    ("t_during", |a, b| a.0 > b.0 && a.1 < b.1),
    ("t_equals", |a, b| a == b),
    ("t_finishedby", |a, b| a.0 < b.0 && a.1 == b.1),
    ("t_finishes", |a, b| a.0 > b.0 && a.1 == b.1),
    ("t_intersects", |a, b| a.0 <= b.1 && a.1 >= b.0),
    ("t_meets", |a, b| a.1 == b.0),
    ("t_metby", |a, b| a.0 == b.1),
    ("t_overlappedby", |a, b| a.0 > b.0 && a.0 < b.1 && a.1 > b.1),
    ("t_overlaps", |a, b| a.0 < b.0 && a.1 > b.0 && a.1 < b.1),
    ("t_startedby", |a, b| a.0 == b.0 && a.1 > b.1),
    ("t_starts", |a, b| a.0 == b.0 && a.1 < b.1),
];

impl TemporalOp {
    /// By CQL2 function name, case-insensitive.
    ///
    /// ```
    /// use minqing::ogc::cql2::TemporalOp;
    /// assert!(TemporalOp::parse("T_AFTER").is_some());
    /// assert!(TemporalOp::parse("T_SOON").is_none());
    /// ```
    pub fn parse(name: &str) -> Option<TemporalOp> {
        let lower = name.to_ascii_lowercase();
        TEMPORAL
            .iter()
            .find(|(n, _)| *n == lower)
            .map(|(n, _)| TemporalOp(n))
    }

    /// Whether `a` stands in this relation to `b`.
    pub fn holds(self, a: &Span, b: &Span) -> bool {
        TEMPORAL
            .iter()
            .find(|(n, _)| *n == self.0)
            .is_some_and(|(_, rel)| rel(a.micros(), b.micros()))
    }
}
