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
