//! XYZ tile coordinates in Web Mercator.

use crate::spatial::{BBox, world_to_lonlat};

/// The deepest zoom served.
pub const MAX_ZOOM: u8 = 22;

/// A validated tile address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    /// zoom
    pub z: u8,
    /// column
    pub x: u32,
    /// row (0 at the top)
    pub y: u32,
}

impl TileCoord {
    /// Validates z ≤ 22 and x, y < 2^z.
    ///
    /// ```
    /// use minqing::tiles::TileCoord;
    /// assert!(TileCoord::new(14, 13333, 7100).is_ok());
    /// assert!(TileCoord::new(2, 4, 0).is_err());
    /// assert!(TileCoord::new(23, 0, 0).is_err());
    /// ```
    pub fn new(z: u8, x: u32, y: u32) -> Result<TileCoord, String> {
        if z > MAX_ZOOM {
            return Err(format!("zoom {z} is above the maximum {MAX_ZOOM}"));
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(format!(
                "tile {z}/{x}/{y} is outside the zoom level (x and y must be below {n})"
            ));
        }
        Ok(TileCoord { z, x, y })
    }

    /// Parses path segments, `y` possibly carrying a suffix already stripped.
    pub fn parse(z: &str, x: &str, y: &str) -> Result<TileCoord, String> {
        let num = |s: &str, what: &str| {
            s.parse::<u32>()
                .map_err(|_| format!("tile {what} {s:?} is not a non-negative integer"))
        };
        let z = num(z, "z")?;
        if z > u32::from(MAX_ZOOM) {
            return Err(format!("zoom {z} is above the maximum {MAX_ZOOM}"));
        }
        TileCoord::new(z as u8, num(x, "x")?, num(y, "y")?)
    }

    /// Tiles per side at this zoom.
    pub fn scale(&self) -> f64 {
        (1u64 << self.z) as f64
    }

    /// Projects world units (0..1) to tile units.
    #[inline]
    pub fn to_tile(&self, wx: f64, wy: f64) -> (f64, f64) {
        let s = self.scale();
        let e = f64::from(super::EXTENT);
        (
            (wx * s - f64::from(self.x)) * e,
            (wy * s - f64::from(self.y)) * e,
        )
    }

    /// Tile units back to WGS84.
    pub fn to_lonlat(&self, tx: f64, ty: f64) -> (f64, f64) {
        let s = self.scale();
        let e = f64::from(super::EXTENT);
        world_to_lonlat(
            (tx / e + f64::from(self.x)) / s,
            (ty / e + f64::from(self.y)) / s,
        )
    }

    /// The tile's WGS84 bounding box grown by `buffer` tile units on each side.
    pub fn bbox_wgs84(&self, buffer: i32) -> BBox {
        let e = f64::from(super::EXTENT);
        let b = f64::from(buffer);
        let (min_lon, max_lat) = self.to_lonlat(-b, -b);
        let (max_lon, min_lat) = self.to_lonlat(e + b, e + b);
        BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }
    }
}
