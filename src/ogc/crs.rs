//! The coordinate reference systems served through OGC API – Features Part 2.
//!
//! We store WGS84 lon/lat. CGCS2000 (EPSG:4490, China's national datum)
//! differs from WGS84 by centimetres, so its coordinates are the same numbers;
//! what differs is the axis order: EPSG:4326 and EPSG:4490 are defined
//! latitude first, OGC:CRS84 longitude first. EPSG:3857 is Web Mercator metres.

use geo::MapCoords;
use geo_types::Geometry;

use crate::spatial::BBox;

/// A CRS we answer in and accept coordinates in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServedCrs {
    /// OGC:CRS84, lon/lat: the GeoJSON default and our storage CRS
    Crs84,
    /// EPSG:4326, lat/lon
    Epsg4326,
    /// EPSG:4490 (CGCS2000), lat/lon
    Epsg4490,
    /// EPSG:3857 (Web Mercator), x/y metres
    Epsg3857,
}

/// Equatorial radius of the Web Mercator sphere, metres.
const R: f64 = 6_378_137.0;

impl ServedCrs {
    /// Every CRS offered, storage CRS first.
    pub const ALL: [ServedCrs; 4] = [
        ServedCrs::Crs84,
        ServedCrs::Epsg4490,
        ServedCrs::Epsg4326,
        ServedCrs::Epsg3857,
    ];

    /// The OGC URI (what `Content-Crs` and the collections list carry).
    pub fn uri(self) -> &'static str {
        match self {
            ServedCrs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            ServedCrs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            ServedCrs::Epsg4490 => "http://www.opengis.net/def/crs/EPSG/0/4490",
            ServedCrs::Epsg3857 => "http://www.opengis.net/def/crs/EPSG/0/3857",
        }
    }

    /// Parses the OGC URI (`http://www.opengis.net/def/crs/EPSG/0/4490`), a safe
    /// CURIE (`[EPSG:4490]`) or the short form (`EPSG:4490`, `OGC:CRS84`).
    ///
    /// ```
    /// use minqing::ogc::crs::ServedCrs;
    /// assert_eq!(ServedCrs::parse("http://www.opengis.net/def/crs/EPSG/0/4490"), Ok(ServedCrs::Epsg4490));
    /// assert_eq!(ServedCrs::parse("EPSG:3857"), Ok(ServedCrs::Epsg3857));
    /// assert!(ServedCrs::parse("EPSG:32650").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<ServedCrs, String> {
        let t = s.trim();
        let t = t
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(t);
        let key = t
            .strip_prefix("http://www.opengis.net/def/crs/")
            .or_else(|| t.strip_prefix("https://www.opengis.net/def/crs/"))
            .map(|rest| rest.replace('/', ":"))
            .unwrap_or_else(|| t.to_owned())
            .to_ascii_uppercase();
        match key.as_str() {
            "OGC:1.3:CRS84" | "OGC:CRS84" | "OGC:0:CRS84" | "CRS84" => Ok(ServedCrs::Crs84),
            "EPSG:0:4326" | "EPSG:4326" => Ok(ServedCrs::Epsg4326),
            "EPSG:0:4490" | "EPSG:4490" => Ok(ServedCrs::Epsg4490),
            "EPSG:0:3857" | "EPSG:3857" => Ok(ServedCrs::Epsg3857),
            _ => Err(format!(
                "CRS {:?} is not offered; use one of {}",
                crate::error::clip(s),
                ServedCrs::ALL.map(ServedCrs::uri).join(", ")
            )),
        }
    }

    /// A WGS84 lon/lat position in this CRS's axis order.
    ///
    /// ```
    /// use minqing::ogc::crs::ServedCrs;
    /// assert_eq!(ServedCrs::Epsg4490.from_lon_lat(113.0, 23.5), (23.5, 113.0));
    /// let (x, _) = ServedCrs::Epsg3857.from_lon_lat(180.0, 0.0);
    /// assert!((x - 20_037_508.342789244).abs() < 1e-6);
    /// ```
    pub fn from_lon_lat(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            ServedCrs::Crs84 => (lon, lat),
            ServedCrs::Epsg4326 | ServedCrs::Epsg4490 => (lat, lon),
            ServedCrs::Epsg3857 => {
                let lat = lat.clamp(-85.051_128_78, 85.051_128_78);
                (
                    R * lon.to_radians(),
                    R * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                        .tan()
                        .ln(),
                )
            }
        }
    }

    /// A position in this CRS back to WGS84 lon/lat.
    ///
    /// ```
    /// use minqing::ogc::crs::ServedCrs;
    /// let (x, y) = ServedCrs::Epsg3857.from_lon_lat(113.05, 23.7);
    /// let (lon, lat) = ServedCrs::Epsg3857.to_lon_lat(x, y);
    /// assert!((lon - 113.05).abs() < 1e-9 && (lat - 23.7).abs() < 1e-9);
    /// ```
    pub fn to_lon_lat(self, a: f64, b: f64) -> (f64, f64) {
        match self {
            ServedCrs::Crs84 => (a, b),
            ServedCrs::Epsg4326 | ServedCrs::Epsg4490 => (b, a),
            ServedCrs::Epsg3857 => (
                (a / R).to_degrees(),
                (2.0 * (b / R).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
            ),
        }
    }

    /// A stored geometry as coordinates of this CRS.
    pub fn project(self, g: &Geometry<f64>) -> Geometry<f64> {
        if self == ServedCrs::Crs84 {
            return g.clone();
        }
        g.map_coords(|c| {
            let (x, y) = self.from_lon_lat(c.x, c.y);
            geo_types::coord! {x: x, y: y}
        })
    }

    /// A geometry given in this CRS as lon/lat.
    pub fn unproject(self, g: &Geometry<f64>) -> Geometry<f64> {
        if self == ServedCrs::Crs84 {
            return g.clone();
        }
        g.map_coords(|c| {
            let (x, y) = self.to_lon_lat(c.x, c.y);
            geo_types::coord! {x: x, y: y}
        })
    }

    /// A `bbox` parameter given in this CRS (in its axis order) as a lon/lat box.
    ///
    /// ```
    /// use minqing::ogc::crs::ServedCrs;
    /// let b = ServedCrs::Epsg4490.bbox_to_lon_lat("23.0,113.0,23.05,113.05").unwrap();
    /// assert_eq!(b.to_array(), [113.0, 23.0, 113.05, 23.05]);
    /// ```
    pub fn bbox_to_lon_lat(self, raw: &str) -> Result<BBox, String> {
        let v: Vec<f64> = raw
            .split(',')
            .map(|p| p.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .filter(|v| v.len() == 4)
            .ok_or_else(|| {
                format!(
                    "bbox must be four numbers in the axis order of {}, got {:?}",
                    self.uri(),
                    crate::error::clip(raw)
                )
            })?;
        let (x0, y0) = self.to_lon_lat(v[0], v[1]);
        let (x1, y1) = self.to_lon_lat(v[2], v[3]);
        BBox::parse(&format!("{x0},{y0},{x1},{y1}"))
    }
}
