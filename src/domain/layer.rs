//! The map's layers: one type instead of lists of names.

use serde::Serialize;

/// A layer of the map (tiles, OGC collections, exports, live events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// areas of every level
    Grids,
    /// 隐患点
    Hazards,
    /// 安置点
    Shelters,
    /// 重点场所
    Places,
    /// 事件
    Incidents,
    /// 特殊人群 (counts per area)
    People,
    /// 巡查 coverage and tracks
    Patrol,
}

impl Layer {
    /// Every layer, in drawing order of the contract's table.
    pub const ALL: [Layer; 7] = [
        Layer::Grids,
        Layer::Hazards,
        Layer::Shelters,
        Layer::Places,
        Layer::Incidents,
        Layer::People,
        Layer::Patrol,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Grids => "grids",
            Layer::Hazards => "hazards",
            Layer::Shelters => "shelters",
            Layer::Places => "places",
            Layer::Incidents => "incidents",
            Layer::People => "people",
            Layer::Patrol => "patrol",
        }
    }

    /// Parses a wire name.
    ///
    /// ```
    /// use minqing::domain::Layer;
    /// assert_eq!(Layer::parse("hazards"), Some(Layer::Hazards));
    /// assert_eq!(Layer::parse("secrets"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The comma-joined names of every layer, for error messages.
    pub fn names() -> String {
        Layer::ALL.map(Layer::as_str).join(", ")
    }

    /// The layer a change-log kind (`incident.updated`, `patrol.track`, `hazard.imported`) touches.
    pub fn of_change(kind: &str) -> Option<Layer> {
        Some(match kind.split('.').next()? {
            "area" | "grid" | "grids" => Layer::Grids,
            "hazard" => Layer::Hazards,
            "shelter" => Layer::Shelters,
            "place" => Layer::Places,
            "incident" => Layer::Incidents,
            "person" | "people" => Layer::People,
            "patrol" => Layer::Patrol,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
