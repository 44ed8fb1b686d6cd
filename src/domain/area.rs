//! Areas in four levels: 区县 district (6 digits), 街道/镇 street (9), 社区/村
//! community (12) and 网格 grid (15). A child's code starts with its parent's.

use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The level of an area in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 区县
    District,
    /// 街道/镇
    Street,
    /// 社区/村
    Community,
    /// 网格
    Grid,
}

impl Level {
    /// All levels, top down.
    pub const ALL: [Level; 4] = [
        Level::District,
        Level::Street,
        Level::Community,
        Level::Grid,
    ];

    /// Number of digits of a code at this level.
    ///
    /// ```
    /// use minqing::domain::Level;
    /// assert_eq!(Level::Grid.code_len(), 15);
    /// ```
    pub fn code_len(self) -> usize {
        match self {
            Level::District => 6,
            Level::Street => 9,
            Level::Community => 12,
            Level::Grid => 15,
        }
    }

    /// The name used on the wire (`district`, `street`, `community`, `grid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The Chinese name shown in the UI.
    pub fn zh(self) -> &'static str {
        match self {
            Level::District => "区县",
            Level::Street => "街道/镇",
            Level::Community => "社区/村",
            Level::Grid => "网格",
        }
    }

    /// The lowest zoom at which areas of this level are drawn on the map.
    pub fn min_zoom(self) -> u8 {
        match self {
            Level::District => 6,
            Level::Street => 10,
            Level::Community => 12,
            Level::Grid => 13,
        }
    }
}

/// A validated area code: 6, 9, 12 or 15 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    /// Parses a code, rejecting anything that is not 6/9/12/15 digits.
    ///
    /// ```
    /// use minqing::domain::{AreaCode, Level};
    /// let c = AreaCode::parse("441802001001002").unwrap();
    /// assert_eq!(c.level(), Level::Grid);
    /// assert_eq!(c.parent().unwrap().as_str(), "441802001001");
    /// assert!(AreaCode::parse("44180").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<AreaCode, String> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("area code {s:?} must contain only digits"));
        }
        if !matches!(s.len(), 6 | 9 | 12 | 15) {
            return Err(format!(
                "area code {s:?} must have 6, 9, 12 or 15 digits (district, street, community, grid)"
            ));
        }
        Ok(AreaCode(s.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level implied by the code's length.
    pub fn level(&self) -> Level {
        match self.0.len() {
            6 => Level::District,
            9 => Level::Street,
            12 => Level::Community,
            _ => Level::Grid,
        }
    }

    /// The parent's code (its prefix), or `None` for a district.
    pub fn parent(&self) -> Option<AreaCode> {
        match self.level() {
            Level::District => None,
            _ => Some(AreaCode(self.0[..self.0.len() - 3].to_owned())),
        }
    }

    /// True when `self` is `other` or lies under it.
    pub fn is_within(&self, other: &AreaCode) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AreaCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        AreaCode::parse(&s)
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> String {
        c.0
    }
}

/// The head of a grid (网格长/网格员).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridHead {
    /// 姓名
    pub name: String,
    /// 电话
    pub phone: String,
}

/// One area of any level with its (Multi)Polygon in WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// 编码
    pub code: AreaCode,
    /// 名称
    pub name: String,
    /// 上级 (absent for the district)
    pub parent: Option<AreaCode>,
    /// 边界, WGS84 lon/lat
    pub geometry: MultiPolygon<f64>,
    /// 网格长 (grids only)
    pub head: Option<GridHead>,
    /// 户数
    pub households: u32,
    /// 人口
    pub residents: u32,
}

impl Area {
    /// The level implied by the code.
    pub fn level(&self) -> Level {
        self.code.level()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_every_level_parse_and_know_their_parent() {
        for (code, level, parent) in [
            ("441802", Level::District, None),
            ("441802001", Level::Street, Some("441802")),
            ("441802001001", Level::Community, Some("441802001")),
            ("441802001001001", Level::Grid, Some("441802001001")),
        ] {
            let c = AreaCode::parse(code).expect("valid code");
            assert_eq!(c.level(), level, "level of {code}");
            assert_eq!(
                c.parent().map(String::from).as_deref(),
                parent,
                "parent of {code}"
            );
        }
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for bad in ["", "4418", "44180200", "44180200100a", "4418020010010011"] {
            assert!(AreaCode::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
