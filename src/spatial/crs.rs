//! Coordinate systems of incoming positions and their conversion to WGS84.
//!
//! GPS receivers give WGS84; phones using Amap or WeChat give GCJ-02 (the
//! "Mars" offset of a few hundred metres), Baidu gives BD-09. CGCS2000 differs
//! from WGS84 by centimetres, far below GPS noise, so it is taken as is.

/// A coordinate system that input may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    /// WGS84 (EPSG:4326), what GPS gives and what the store holds.
    #[default]
    Wgs84,
    /// CGCS2000 (EPSG:4490): within centimetres of WGS84.
    Cgcs2000,
    /// GCJ-02, the offset system of Amap, Tencent and WeChat.
    Gcj02,
    /// BD-09, Baidu's offset of GCJ-02.
    Bd09,
}

impl Crs {
    /// Parses a name as given in `?crs=` or `--crs`.
    ///
    /// ```
    /// use minqing::spatial::crs::Crs;
    /// assert_eq!(Crs::parse("gcj02"), Ok(Crs::Gcj02));
    /// assert_eq!(Crs::parse("EPSG:4326"), Ok(Crs::Wgs84));
    /// assert!(Crs::parse("utm50").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Crs, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "wgs84" | "epsg:4326" | "4326" => Ok(Crs::Wgs84),
            "cgcs2000" | "epsg:4490" | "4490" => Ok(Crs::Cgcs2000),
            "gcj02" | "gcj-02" => Ok(Crs::Gcj02),
            "bd09" | "bd-09" => Ok(Crs::Bd09),
            other => Err(format!(
                "unknown coordinate system {other:?}; one of wgs84, cgcs2000, gcj02, bd09"
            )),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Cgcs2000 => "cgcs2000",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Converts a position in this system to WGS84. Outside mainland China
    /// GCJ-02 and BD-09 are not offset, and the position is returned as is.
    ///
    /// ```
    /// use minqing::spatial::crs::Crs;
    /// use minqing::spatial::haversine_m;
    /// let truth = (113.05, 23.7);
    /// let (glon, glat) = coordtransform::wgs84_to_gcj02(truth.0, truth.1);
    /// let (lon, lat) = Crs::Gcj02.to_wgs84(glon, glat);
    /// assert!(haversine_m(lon, lat, truth.0, truth.1) < 0.01, "the inverse is refined to millimetres");
    /// ```
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => (lon, lat),
            Crs::Gcj02 => coordtransform::gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => coordtransform::bd09_to_wgs84(lon, lat),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::haversine_m;

    #[test]
    fn gcj02_and_bd09_round_trip_to_the_wgs84_truth_within_centimetres() {
        for (lon, lat) in [(113.05, 23.7), (116.404, 39.915), (121.47, 31.23)] {
            let g = coordtransform::wgs84_to_gcj02(lon, lat);
            let b = coordtransform::wgs84_to_bd09(lon, lat);
            assert!(
                haversine_m(lon, lat, g.0, g.1) > 100.0,
                "GCJ-02 is offset by hundreds of metres at {lon},{lat}"
            );
            for (crs, (x, y)) in [(Crs::Gcj02, g), (Crs::Bd09, b)] {
                let (wl, wt) = crs.to_wgs84(x, y);
                let d = haversine_m(lon, lat, wl, wt);
                assert!(d < 0.05, "{crs:?} back to WGS84 is off by {d} m");
            }
        }
    }

    #[test]
    fn wgs84_and_cgcs2000_are_taken_as_they_are() {
        assert_eq!(Crs::Wgs84.to_wgs84(113.0, 23.0), (113.0, 23.0));
        assert_eq!(Crs::Cgcs2000.to_wgs84(113.0, 23.0), (113.0, 23.0));
    }
}
