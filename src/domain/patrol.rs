//! 巡查 patrol members and their timestamped GPS points.

use chrono::{DateTime, Utc};

/// A patrol member (网格员 or 巡防队员).
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolMember {
    /// Stable id, e.g. `M001`.
    pub id: String,
    /// 姓名
    pub name: String,
    /// 队伍 / 所属网格
    pub team: String,
}

/// One GPS fix of a member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatrolPoint {
    /// Index into the dataset's member list.
    pub member: u32,
    /// 时间
    pub time: DateTime<Utc>,
    /// WGS84 lon
    pub lon: f64,
    /// WGS84 lat
    pub lat: f64,
}

/// How much a grid needs more patrol: high when incidents are frequent and
/// coverage is low, 0 when nothing happened or the grid was fully covered.
///
/// `score = (1 − coverage) × r / (r + 1)`, where `r` is the incidents reported
/// in the grid per day of the window (a window under a day counts as a day).
/// One incident a day weighs ½, three a day ¾: the score saturates, so a
/// grid with a flood of reports but full coverage still scores 0, and an
/// uncovered grid with one report a week scores ≈ 0.12. The score is absolute
/// (not ranked within an area), so the map and the list agree and tiles
/// drawn at different times shade alike.
///
/// ```
/// use minqing::domain::patrol::gap_score;
/// assert_eq!(gap_score(0, 7.0, 0.0), 0.0, "no incidents, no gap");
/// assert_eq!(gap_score(7, 7.0, 0.0), 0.5, "one a day, nothing covered");
/// assert_eq!(gap_score(7, 7.0, 1.0), 0.0, "fully covered");
/// assert!(gap_score(21, 7.0, 0.2) > gap_score(7, 7.0, 0.2));
/// ```
pub fn gap_score(incidents: usize, window_days: f64, coverage: f64) -> f64 {
    let rate = incidents as f64 / window_days.max(1.0);
    (1.0 - coverage.clamp(0.0, 1.0)) * rate / (rate + 1.0)
}
