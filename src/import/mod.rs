//! Getting real data in: Shapefile / GeoJSON / CSV readers, field mapping,
//! coordinate conversion (GCJ-02, BD-09 → WGS84), geometry repair, the
//! per-layer validation that turns rows into records, and the grid topology
//! check. Pure: files arrive as bytes, the store is someone else's business.
//!
//! The pipeline: [`read::read_table`] → [`fields::Mapping`] →
//! [`build::plan`] (a [`build::Plan`] of records plus every rejected row and
//! every repair) → the caller writes `plan.records` in one transaction, or
//! nothing when anything was rejected.

pub mod build;
pub mod check;
pub mod fields;
pub mod geometry;
pub mod read;
pub mod shp;
pub mod topology;
pub mod upload;

use std::fmt;

/// A layer that can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Areas of any level (district, street, community, grid), by code length.
    Grids,
    /// 隐患点
    Hazards,
    /// 安置点
    Shelters,
    /// 重点场所
    Places,
    /// 特殊人群
    People,
    /// 事件
    Incidents,
}

impl Layer {
    /// Every importable layer.
    pub const ALL: [Layer; 6] = [
        Layer::Grids,
        Layer::Hazards,
        Layer::Shelters,
        Layer::Places,
        Layer::People,
        Layer::Incidents,
    ];

    /// Parses the layer name used on the command line and in URLs.
    ///
    /// ```
    /// use minqing::import::Layer;
    /// assert_eq!(Layer::parse("hazards"), Some(Layer::Hazards));
    /// assert_eq!(Layer::parse("patrol"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The layer's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Grids => "grids",
            Layer::Hazards => "hazards",
            Layer::Shelters => "shelters",
            Layer::Places => "places",
            Layer::People => "people",
            Layer::Incidents => "incidents",
        }
    }

    /// The map layer this import layer feeds.
    pub fn map_layer(self) -> crate::domain::Layer {
        use crate::domain::Layer as M;
        match self {
            Layer::Grids => M::Grids,
            Layer::Hazards => M::Hazards,
            Layer::Shelters => M::Shelters,
            Layer::Places => M::Places,
            Layer::People => M::People,
            Layer::Incidents => M::Incidents,
        }
    }

    /// True for layers whose records are polygons.
    pub fn is_polygonal(self) -> bool {
        self == Layer::Grids
    }
}

/// The coordinate system of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// WGS84 (EPSG:4326), GPS.
    Wgs84,
    /// CGCS2000, the national frame: within centimetres of WGS84 for web maps, taken as is.
    Cgcs2000,
    /// GCJ-02 (Amap, Tencent): WGS84 plus the national obfuscation offset.
    Gcj02,
    /// BD-09 (Baidu): a further offset on GCJ-02.
    Bd09,
}

impl Crs {
    /// Parses `wgs84`, `cgcs2000`, `gcj02` or `bd09`.
    pub fn parse(s: &str) -> Option<Crs> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" => Some(Crs::Wgs84),
            "cgcs2000" => Some(Crs::Cgcs2000),
            "gcj02" => Some(Crs::Gcj02),
            "bd09" => Some(Crs::Bd09),
            _ => None,
        }
    }

    /// Converts one lon/lat of this system to WGS84.
    ///
    /// ```
    /// use minqing::import::Crs;
    /// let (lon, lat) = (113.05, 23.70);
    /// let gcj = coordtransform::wgs84_to_gcj02(lon, lat);
    /// let back = Crs::Gcj02.to_wgs84(gcj.0, gcj.1);
    /// assert!((back.0 - lon).abs() < 1e-7 && (back.1 - lat).abs() < 1e-7);
    /// ```
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => (lon, lat),
            Crs::Gcj02 => coordtransform::gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => {
                let (x, y) = coordtransform::bd09_to_gcj02(lon, lat);
                coordtransform::gcj02_to_wgs84(x, y)
            }
        }
    }
}

/// A row that cannot be imported, and why: shown as `line N: field: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// CSV: the file line (header = line 1). GeoJSON/Shapefile: the feature number, from 1.
    pub line: usize,
    /// Our field name (or `geometry`).
    pub field: String,
    /// Human text.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// Something repaired or worth knowing, that does not stop the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Line as in [`Rejection::line`]; 0 for the file as a whole.
    pub line: usize,
    /// Human text.
    pub text: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.text)
        } else {
            write!(f, "line {}: {}", self.line, self.text)
        }
    }
}
