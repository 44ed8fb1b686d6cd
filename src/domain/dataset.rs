//! Everything the store holds that the index serves, as plain data.

use super::incident::Step;
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
    /// Incident histories to seed (the demo's); a store's `load` leaves this
    /// empty: histories are read per incident.
    pub steps: Vec<Step>,
}

/// The records of one layer, as an import writes them (upserted by code or id).
#[derive(Debug, Clone, PartialEq)]
pub enum LayerRecords {
    /// Areas of any level; parents must come before their children.
    Areas(Vec<Area>),
    /// 隐患点
    Hazards(Vec<Hazard>),
    /// 安置点
    Shelters(Vec<Shelter>),
    /// 重点场所
    Places(Vec<Place>),
    /// 特殊人群
    People(Vec<Person>),
    /// 事件
    Incidents(Vec<Incident>),
}

impl LayerRecords {
    /// Number of records.
    pub fn len(&self) -> usize {
        match self {
            LayerRecords::Areas(v) => v.len(),
            LayerRecords::Hazards(v) => v.len(),
            LayerRecords::Shelters(v) => v.len(),
            LayerRecords::Places(v) => v.len(),
            LayerRecords::People(v) => v.len(),
            LayerRecords::Incidents(v) => v.len(),
        }
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Splits into consecutive batches of at most `n` records, in order.
    ///
    /// ```
    /// use minqing::domain::LayerRecords;
    /// let b = LayerRecords::Hazards(vec![]).into_batches(2);
    /// assert!(b.is_empty());
    /// ```
    pub fn into_batches(self, n: usize) -> Vec<LayerRecords> {
        fn split<T>(v: Vec<T>, n: usize, f: fn(Vec<T>) -> LayerRecords) -> Vec<LayerRecords> {
            let mut out = Vec::with_capacity(v.len().div_ceil(n.max(1)));
            let mut it = v.into_iter().peekable();
            while it.peek().is_some() {
                out.push(f(it.by_ref().take(n.max(1)).collect()));
            }
            out
        }
        match self {
            LayerRecords::Areas(v) => split(v, n, LayerRecords::Areas),
            LayerRecords::Hazards(v) => split(v, n, LayerRecords::Hazards),
            LayerRecords::Shelters(v) => split(v, n, LayerRecords::Shelters),
            LayerRecords::Places(v) => split(v, n, LayerRecords::Places),
            LayerRecords::People(v) => split(v, n, LayerRecords::People),
            LayerRecords::Incidents(v) => split(v, n, LayerRecords::Incidents),
        }
    }
}
