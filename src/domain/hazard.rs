//! 隐患点 hazard points, 安置点 shelters and 重点场所 key places.

use serde::{Deserialize, Serialize};

/// Hazard kinds in the registers (地质灾害隐患点 and urban risks).
pub const HAZARD_KINDS: [&str; 9] = [
    "滑坡",
    "崩塌",
    "泥石流",
    "地面塌陷",
    "不稳定斜坡",
    "内涝积水点",
    "危房/自建房",
    "危化品",
    "堤防险段",
];

/// Risk level (风险等级) with the national colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Risk {
    /// 红 (highest)
    #[serde(rename = "红")]
    Red,
    /// 橙
    #[serde(rename = "橙")]
    Orange,
    /// 黄
    #[serde(rename = "黄")]
    Yellow,
    /// 蓝 (lowest)
    #[serde(rename = "蓝")]
    Blue,
}

impl Risk {
    /// All levels, highest first.
    pub const ALL: [Risk; 4] = [Risk::Red, Risk::Orange, Risk::Yellow, Risk::Blue];

    /// The Chinese colour name used on the wire.
    ///
    /// ```
    /// use minqing::domain::Risk;
    /// assert_eq!(Risk::parse("橙"), Some(Risk::Orange));
    /// assert_eq!(Risk::Orange.as_str(), "橙");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Red => "红",
            Risk::Orange => "橙",
            Risk::Yellow => "黄",
            Risk::Blue => "蓝",
        }
    }

    /// Accepts the Chinese colour or its English name.
    pub fn parse(s: &str) -> Option<Risk> {
        match s.trim() {
            "红" | "red" => Some(Risk::Red),
            "橙" | "orange" => Some(Risk::Orange),
            "黄" | "yellow" => Some(Risk::Yellow),
            "蓝" | "blue" => Some(Risk::Blue),
            _ => None,
        }
    }
}

/// A named person with a phone number (监测责任人, 行政责任人).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Contact {
    /// 姓名
    pub name: String,
    /// 电话
    pub phone: String,
}

/// Threatened households and persons of a set of hazards, summed.
///
/// ```
/// use minqing::domain::hazard::threatened;
/// assert_eq!(threatened(std::iter::empty()), (0, 0));
/// ```
pub fn threatened<'a>(hazards: impl Iterator<Item = &'a Hazard>) -> (u64, u64) {
    hazards.fold((0, 0), |(h, p), z| {
        (
            h + u64::from(z.threatened_households),
            p + u64::from(z.threatened_persons),
        )
    })
}

/// A hazard point (隐患点).
#[derive(Debug, Clone, PartialEq)]
pub struct Hazard {
    /// Stable id, e.g. `HZ0001`.
    pub id: String,
    /// 名称
    pub name: String,
    /// 类型, one of [`HAZARD_KINDS`]
    pub kind: String,
    /// 风险等级
    pub risk: Risk,
    /// 威胁户数
    pub threatened_households: u32,
    /// 威胁人数
    pub threatened_persons: u32,
    /// 监测责任人
    pub monitor: Contact,
    /// 行政责任人 / 挂点领导
    pub leader: Contact,
    /// 最近安置点 (shelter id)
    pub shelter: Option<String>,
    /// 状态 (在册 / 已治理 / 核销)
    pub status: String,
    /// WGS84 lon/lat
    pub lon: f64,
    /// WGS84 lat
    pub lat: f64,
}

/// A shelter (安置点 / 避难场所).
#[derive(Debug, Clone, PartialEq)]
pub struct Shelter {
    /// Stable id, e.g. `SH001`.
    pub id: String,
    /// 名称
    pub name: String,
    /// 容纳人数
    pub capacity: u32,
    /// 地址
    pub address: String,
    /// WGS84 lon
    pub lon: f64,
    /// WGS84 lat
    pub lat: f64,
}

/// A key place (重点场所) that patrols must visit every `visit_every_hours`.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Stable id, e.g. `PL0001`.
    pub id: String,
    /// 名称
    pub name: String,
    /// 类型 (学校, 市场, 隐患点, 安置点, …)
    pub kind: String,
    /// 巡查频次 (hours)
    pub visit_every_hours: u32,
    /// A track point within this radius counts as a visit.
    pub radius_m: f64,
    /// WGS84 lon
    pub lon: f64,
    /// WGS84 lat
    pub lat: f64,
}
