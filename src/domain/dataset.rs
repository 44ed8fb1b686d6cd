//! Everything the store holds that the index serves, as plain data.

use super::{Area, Hazard, Incident, PatrolMember, PatrolPoint, Person, Place, Shelter};

/// A whole district's data, as loaded from a store or made by the demo generator.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Areas of every level, parents before children.
    pub areas: Vec<Area>,
    /// 隐患点
    pub hazards: Vec<Hazard>,
    /// 安置点
    pub shelters: Vec<Shelter>,
    /// 重点场所
    pub places: Vec<Place>,
    /// 事件
    pub incidents: Vec<Incident>,
    /// 特殊人群
    pub people: Vec<Person>,
    /// 巡查人员
    pub members: Vec<PatrolMember>,
    /// GPS points, `member` indexes `members`.
    pub patrol_points: Vec<PatrolPoint>,
}
