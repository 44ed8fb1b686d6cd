//! Dropping obvious GPS noise from a batch of fixes, and counting what was dropped.
//!
//! Rules, in order, per member with fixes sorted by time:
//! 1. **future**: a fix more than [`MAX_FUTURE_S`] ahead of the server clock (a bad device clock);
//! 2. **outside**: a fix outside the district's bounding box grown by [`DISTRICT_MARGIN_M`]
//!    (a cold-start fix at the last city the phone saw, or 0,0);
//! 3. **duplicate**: a second fix of the member at the same instant, in the batch or already
//!    stored (so re-sending a batch after a timeout adds nothing);
//! 4. **too_fast**: a fix reached from the last accepted fix faster than [`MAX_SPEED_MPS`]
//!    (faster than any patrol vehicle: multipath jumps). The chain starts at the member's
//!    stored fix just before the batch; without one, at the first fix that is consistent
//!    with its successor, so one wild first fix does not condemn the rest.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::parse::ParsedTracks;
use crate::domain::PatrolPoint;
use crate::spatial::{BBox, haversine_m};

/// Fastest plausible movement between two fixes (144 km/h).
pub const MAX_SPEED_MPS: f64 = 40.0;
/// How far outside the district's bounding box a fix may lie.
pub const DISTRICT_MARGIN_M: f64 = 5_000.0;
/// How far ahead of the server clock a fix may be.
pub const MAX_FUTURE_S: i64 = 600;

/// Counts of dropped fixes by rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// jumps faster than [`MAX_SPEED_MPS`]
    pub too_fast: usize,
    /// outside the district grown by [`DISTRICT_MARGIN_M`]
    pub outside: usize,
    /// same member, same instant as a fix already taken
    pub duplicate: usize,
    /// more than [`MAX_FUTURE_S`] ahead of the clock
    pub future: usize,
}

impl Dropped {
    /// All dropped fixes.
    pub fn total(&self) -> usize {
        self.too_fast + self.outside + self.duplicate + self.future
    }
}

/// The limits a batch is checked against.
#[derive(Debug, Clone)]
pub struct NoiseRules {
    /// Fixes outside this box are dropped (`None`: no district known, keep all).
    pub bounds: Option<BBox>,
    /// Fastest plausible movement, m/s.
    pub max_speed_mps: f64,
    /// Fixes after this instant are dropped.
    pub latest: DateTime<Utc>,
}

impl NoiseRules {
    /// The standard rules for a district's bounding box, at `now`.
    ///
    /// ```
    /// use minqing::patrol::NoiseRules;
    /// use minqing::spatial::BBox;
    /// let d = BBox { min_lon: 113.0, min_lat: 23.0, max_lon: 113.1, max_lat: 23.1 };
    /// let r = NoiseRules::for_district(Some(d), chrono::Utc::now());
    /// let b = r.bounds.unwrap();
    /// assert!((23.0 - b.min_lat - 5000.0 / 111_320.0).abs() < 1e-9, "grown by 5 km");
    /// ```
    pub fn for_district(district: Option<BBox>, now: DateTime<Utc>) -> NoiseRules {
        NoiseRules {
            bounds: district.map(|b| b.grown_m(DISTRICT_MARGIN_M)),
            max_speed_mps: MAX_SPEED_MPS,
            latest: now + Duration::seconds(MAX_FUTURE_S),
        }
    }
}

/// What is already stored of a member, so a batch continues its track.
pub trait History {
    /// The member's last stored fix strictly before `t`.
    fn fix_before(&self, member: &str, t: DateTime<Utc>) -> Option<PatrolPoint>;
    /// True when the member has a stored fix at exactly `t`.
    fn has_fix_at(&self, member: &str, t: DateTime<Utc>) -> bool;
}

/// No stored history (an importer checking a file on its own).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHistory;

impl History for NoHistory {
    fn fix_before(&self, _: &str, _: DateTime<Utc>) -> Option<PatrolPoint> {
        None
    }
    fn has_fix_at(&self, _: &str, _: DateTime<Utc>) -> bool {
        false
    }
}

impl History for crate::spatial::tracks::Tracks {
    fn fix_before(&self, member: &str, t: DateTime<Utc>) -> Option<PatrolPoint> {
        let track = self.track(self.member_index(member)?);
        let k = track.partition_point(|&i| self.point(i as usize).time < t);
        k.checked_sub(1).map(|k| *self.point(track[k] as usize))
    }

    fn has_fix_at(&self, member: &str, t: DateTime<Utc>) -> bool {
        self.member_index(member).is_some_and(|m| {
            let track = self.track(m);
            let k = track.partition_point(|&i| self.point(i as usize).time < t);
            track
                .get(k)
                .is_some_and(|&i| self.point(i as usize).time == t)
        })
    }
}

fn speed_mps(a: &PatrolPoint, b: &PatrolPoint) -> f64 {
    let dt = (b.time - a.time).num_milliseconds() as f64 / 1000.0;
    let d = haversine_m(a.lon, a.lat, b.lon, b.lat);
    if dt <= 0.0 {
        if d == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        d / dt
    }
}

/// Drops noise from a batch. The kept fixes come back sorted by member, then time.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use minqing::domain::PatrolPoint;
/// use minqing::patrol::{NoHistory, NoiseRules, ParsedTracks, clean};
/// let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
/// let at = |s: i64, lon: f64| PatrolPoint { member: 0, time: t0 + chrono::Duration::seconds(s), lon, lat: 23.0 };
/// // 10 s apart: 10 m, then a 1 km jump (100 m/s), then back on the walk.
/// let batch = ParsedTracks { members: vec!["M1".into()], points: vec![at(0, 113.0), at(10, 113.0001), at(20, 113.01), at(30, 113.0003)] };
/// let (kept, dropped) = clean(batch, &NoiseRules::for_district(None, t0), &NoHistory);
/// assert_eq!(kept.points.len(), 3);
/// assert_eq!(dropped.too_fast, 1);
/// ```
pub fn clean(
    mut batch: ParsedTracks,
    rules: &NoiseRules,
    history: &impl History,
) -> (ParsedTracks, Dropped) {
    let mut dropped = Dropped::default();
    // Stable: among equal times the first sent wins.
    batch
        .points
        .sort_by(|a, b| a.member.cmp(&b.member).then(a.time.cmp(&b.time)));
    let mut kept = Vec::with_capacity(batch.points.len());
    let mut start = 0;
    while start < batch.points.len() {
        let m = batch.points[start].member;
        let end = start + batch.points[start..].partition_point(|p| p.member == m);
        let id = batch.members[m as usize].as_str();
        // Rules 1–3 first, so the speed chain only sees plausible fixes.
        let mut run: Vec<PatrolPoint> = Vec::with_capacity(end - start);
        for p in &batch.points[start..end] {
            if p.time > rules.latest {
                dropped.future += 1;
            } else if rules.bounds.is_some_and(|b| !b.contains(p.lon, p.lat)) {
                dropped.outside += 1;
            } else if run.last().is_some_and(|q| q.time == p.time) || history.has_fix_at(id, p.time)
            {
                dropped.duplicate += 1;
            } else {
                run.push(*p);
            }
        }
        // Rule 4: the speed chain.
        let mut anchor = run.first().and_then(|p| history.fix_before(id, p.time));
        let mut i = 0;
        if anchor.is_none() {
            // Skip leading fixes that their successor cannot be reached from.
            while i + 1 < run.len() && speed_mps(&run[i], &run[i + 1]) > rules.max_speed_mps {
                dropped.too_fast += 1;
                i += 1;
            }
        }
        for p in &run[i..] {
            if anchor.is_some_and(|a| speed_mps(&a, p) > rules.max_speed_mps) {
                dropped.too_fast += 1;
            } else {
                anchor = Some(*p);
                kept.push(*p);
            }
        }
        start = end;
    }
    batch.points = kept;
    (batch, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
    }

    fn fix(member: u32, s: i64, lon: f64, lat: f64) -> PatrolPoint {
        PatrolPoint {
            member,
            time: t0() + Duration::seconds(s),
            lon,
            lat,
        }
    }

    fn district() -> Option<BBox> {
        Some(BBox {
            min_lon: 113.0,
            min_lat: 23.0,
            max_lon: 113.1,
            max_lat: 23.1,
        })
    }

    #[test]
    fn a_wild_first_fix_is_dropped_and_the_walk_after_it_kept() {
        let batch = ParsedTracks {
            members: vec!["M1".into()],
            points: vec![
                fix(0, 0, 113.08, 23.08),
                fix(0, 10, 113.01, 23.01),
                fix(0, 20, 113.0101, 23.01),
                fix(0, 30, 113.0102, 23.01),
            ],
        };
        let (kept, d) = clean(
            batch,
            &NoiseRules::for_district(district(), t0()),
            &NoHistory,
        );
        assert_eq!(
            d.too_fast, 1,
            "only the first fix, 10 km from the rest in 10 s"
        );
        assert_eq!(kept.points.len(), 3);
        assert_eq!(kept.points[0].lon, 113.01);
    }

    #[test]
    fn fixes_outside_the_grown_district_and_in_the_future_are_counted_apart() {
        let batch = ParsedTracks {
            members: vec!["M1".into()],
            points: vec![
                fix(0, 0, 113.05, 23.05),
                fix(0, 10, 0.0, 0.0),
                fix(0, 20, 113.0502, 23.05),
                // 555 m south of the box, 6 km from the last fix in 16 minutes: kept
                fix(0, 1000, 113.05, 22.995),
                fix(0, 99_999, 113.05, 23.05),
            ],
        };
        let rules = NoiseRules::for_district(district(), t0() + Duration::seconds(1000));
        let (kept, d) = clean(batch, &rules, &NoHistory);
        assert_eq!(d.outside, 1, "0,0 is outside; 555 m beyond the edge is not");
        assert_eq!(d.future, 1, "a day ahead of the clock");
        assert_eq!(d.too_fast, 0);
        assert_eq!(kept.points.len(), 3);
    }

    struct Stored(PatrolPoint);
    impl History for Stored {
        fn fix_before(&self, _: &str, t: DateTime<Utc>) -> Option<PatrolPoint> {
            (self.0.time < t).then_some(self.0)
        }
        fn has_fix_at(&self, _: &str, t: DateTime<Utc>) -> bool {
            self.0.time == t
        }
    }

    #[test]
    fn a_batch_continues_from_the_stored_fix_and_skips_what_is_stored() {
        let stored = Stored(fix(0, 0, 113.01, 23.01));
        let batch = ParsedTracks {
            members: vec!["M1".into()],
            points: vec![
                fix(0, 0, 113.01, 23.01),  // re-sent: duplicate
                fix(0, 10, 113.05, 23.05), // 5.7 km from the stored fix in 10 s
                fix(0, 20, 113.0101, 23.01),
                fix(0, 20, 113.0101, 23.01), // twice in the batch
            ],
        };
        let (kept, d) = clean(batch, &NoiseRules::for_district(district(), t0()), &stored);
        assert_eq!(d.duplicate, 2);
        assert_eq!(
            d.too_fast, 1,
            "judged from the stored fix, not as a fresh start"
        );
        assert_eq!(kept.points.len(), 1);
    }

    #[test]
    fn members_are_judged_each_on_their_own_track() {
        let batch = ParsedTracks {
            members: vec!["A".into(), "B".into()],
            points: vec![
                fix(0, 0, 113.01, 23.01),
                fix(1, 5, 113.09, 23.09),
                fix(0, 10, 113.0101, 23.01),
                fix(1, 15, 113.0901, 23.09),
            ],
        };
        let (kept, d) = clean(
            batch,
            &NoiseRules::for_district(district(), t0()),
            &NoHistory,
        );
        assert_eq!(d.total(), 0, "interleaved members are not jumps");
        assert_eq!(kept.points.len(), 4);
        assert!(
            kept.points
                .windows(2)
                .all(|w| (w[0].member, w[0].time) <= (w[1].member, w[1].time))
        );
    }
}
