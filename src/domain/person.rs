//! 特殊人群 special-population records: sensitive personal data (PIPL art. 28).
//! Masking lives in [`crate::auth::mask`]; this module only holds the record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Categories of special populations and of people needing care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonCategory {
    /// 刑满释放人员
    Released,
    /// 社区矫正对象
    Corrections,
    /// 吸毒人员
    Drug,
    /// 严重精神障碍患者 (risk 0–5)
    Mental,
    /// 重点青少年
    Youth,
    /// 艾滋病危险人员
    Aids,
    /// 独居老人
    ElderlyAlone,
    /// 留守儿童
    LeftBehindChild,
    /// 残疾人
    Disabled,
}

impl PersonCategory {
    /// Every category.
    pub const ALL: [PersonCategory; 9] = [
        PersonCategory::Released,
        PersonCategory::Corrections,
        PersonCategory::Drug,
        PersonCategory::Mental,
        PersonCategory::Youth,
        PersonCategory::Aids,
        PersonCategory::ElderlyAlone,
        PersonCategory::LeftBehindChild,
        PersonCategory::Disabled,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonCategory::Released => "released",
            PersonCategory::Corrections => "corrections",
            PersonCategory::Drug => "drug",
            PersonCategory::Mental => "mental",
            PersonCategory::Youth => "youth",
            PersonCategory::Aids => "aids",
            PersonCategory::ElderlyAlone => "elderly_alone",
            PersonCategory::LeftBehindChild => "left_behind_child",
            PersonCategory::Disabled => "disabled",
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            PersonCategory::Released => "刑满释放人员",
            PersonCategory::Corrections => "社区矫正对象",
            PersonCategory::Drug => "吸毒人员",
            PersonCategory::Mental => "严重精神障碍患者",
            PersonCategory::Youth => "重点青少年",
            PersonCategory::Aids => "艾滋病危险人员",
            PersonCategory::ElderlyAlone => "独居老人",
            PersonCategory::LeftBehindChild => "留守儿童",
            PersonCategory::Disabled => "残疾人",
        }
    }

    /// Parses the wire or Chinese name.
    pub fn parse(s: &str) -> Option<PersonCategory> {
        PersonCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s || c.zh() == s)
    }

    /// Care categories are the vulnerable people a flood leader evacuates.
    pub fn is_vulnerable(self) -> bool {
        matches!(
            self,
            PersonCategory::ElderlyAlone
                | PersonCategory::LeftBehindChild
                | PersonCategory::Disabled
        )
    }
}

/// One person record. All demo records are synthetic.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Stable id, e.g. `RY00001`.
    pub id: String,
    /// 类别
    pub category: PersonCategory,
    /// 姓名
    pub name: String,
    /// 公民身份号码 (18 characters)
    pub id_number: String,
    /// 手机
    pub phone: String,
    /// 住址
    pub address: String,
    /// 风险等级 0–5 (严重精神障碍 only)
    pub risk_level: Option<u8>,
    /// 下次走访日期
    pub next_visit: Option<NaiveDate>,
    /// Address location, WGS84 lon
    pub lon: f64,
    /// WGS84 lat
    pub lat: f64,
}
