//! Small geometric helpers with units in their names.

use geo_types::{Coord, MultiPolygon, Rect};

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two WGS84 points.
///
/// ```
/// use minqing::spatial::haversine_m;
/// let d = haversine_m(113.0, 23.7, 113.01, 23.7);
/// assert!((d - 1019.0).abs() < 2.0, "0.01° of longitude at 23.7°N is about 1019 m, got {d}");
/// ```
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// Web Mercator in "world units": x and y in 0..1, y growing southwards, so
/// a tile's pixel position is `(world * 2^z - tile) * extent` with no further math.
///
/// ```
/// use minqing::spatial::{lonlat_to_world, world_to_lonlat};
/// let (x, y) = lonlat_to_world(0.0, 0.0);
/// assert!((x - 0.5).abs() < 1e-12 && (y - 0.5).abs() < 1e-12);
/// let (lon, lat) = world_to_lonlat(lonlat_to_world(113.05, 23.7).0, lonlat_to_world(113.05, 23.7).1);
/// assert!((lon - 113.05).abs() < 1e-9 && (lat - 23.7).abs() < 1e-9);
/// ```
pub fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    // Clamp to the Web Mercator limit so poles do not become infinities.
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78);
    let x = (lon + 180.0) / 360.0;
    let s = lat.to_radians().sin();
    let y = 0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * std::f64::consts::PI);
    (x, y)
}

/// Inverse of [`lonlat_to_world`].
pub fn world_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * y);
    let lat = n.sinh().atan().to_degrees();
    (lon, lat)
}

/// A WGS84 bounding box `[min_lon, min_lat, max_lon, max_lat]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// west
    pub min_lon: f64,
    /// south
    pub min_lat: f64,
    /// east
    pub max_lon: f64,
    /// north
    pub max_lat: f64,
}

impl BBox {
    /// Parses `minlon,minlat,maxlon,maxlat`, rejecting reversed or out-of-range boxes.
    ///
    /// ```
    /// use minqing::spatial::BBox;
    /// assert!(BBox::parse("113,23.5,113.2,23.8").is_ok());
    /// assert!(BBox::parse("113.2,23.5,113,23.8").is_err(), "reversed");
    /// assert!(BBox::parse("a,b,c,d").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<BBox, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(format!(
                "bbox must be four numbers minlon,minlat,maxlon,maxlat, got {s:?}"
            ));
        }
        let mut v = [0.0; 4];
        for (slot, p) in v.iter_mut().zip(&parts) {
            *slot = p
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| format!("bbox value {p:?} is not a number"))?;
        }
        let b = BBox {
            min_lon: v[0],
            min_lat: v[1],
            max_lon: v[2],
            max_lat: v[3],
        };
        if !(-180.0..=180.0).contains(&b.min_lon)
            || !(-180.0..=180.0).contains(&b.max_lon)
            || !(-90.0..=90.0).contains(&b.min_lat)
            || !(-90.0..=90.0).contains(&b.max_lat)
        {
            return Err("bbox is outside -180..180 / -90..90".into());
        }
        if b.min_lon > b.max_lon || b.min_lat > b.max_lat {
            return Err("bbox is reversed: expected minlon,minlat,maxlon,maxlat".into());
        }
        Ok(b)
    }

    /// As an rstar envelope.
    pub fn envelope(&self) -> rstar::AABB<[f64; 2]> {
        rstar::AABB::from_corners([self.min_lon, self.min_lat], [self.max_lon, self.max_lat])
    }

    /// True when the point lies in the box (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.min_lon && lon <= self.max_lon && lat >= self.min_lat && lat <= self.max_lat
    }

    /// The bounding box of a multipolygon, if it has any coordinates.
    pub fn of(mp: &MultiPolygon<f64>) -> Option<BBox> {
        use geo::BoundingRect;
        mp.bounding_rect().map(BBox::from)
    }

    /// The box grown by `m` metres on every side (longitude scaled at the box's middle latitude).
    ///
    /// ```
    /// use minqing::spatial::BBox;
    /// let b = BBox { min_lon: 113.0, min_lat: 23.0, max_lon: 113.1, max_lat: 23.1 }.grown_m(1113.2);
    /// assert!((b.min_lat - 22.99).abs() < 1e-9);
    /// ```
    pub fn grown_m(&self, m: f64) -> BBox {
        const M_PER_DEG: f64 = 111_320.0;
        let k = ((self.min_lat + self.max_lat) / 2.0)
            .to_radians()
            .cos()
            .max(0.01);
        let (dlat, dlon) = (m / M_PER_DEG, m / (M_PER_DEG * k));
        BBox {
            min_lon: self.min_lon - dlon,
            min_lat: self.min_lat - dlat,
            max_lon: self.max_lon + dlon,
            max_lat: self.max_lat + dlat,
        }
    }

    /// True when the two boxes share at least a point.
    pub fn intersects(&self, o: &BBox) -> bool {
        self.min_lon <= o.max_lon
            && self.max_lon >= o.min_lon
            && self.min_lat <= o.max_lat
            && self.max_lat >= o.min_lat
    }

    /// The smallest box holding both.
    pub fn union(&self, o: &BBox) -> BBox {
        BBox {
            min_lon: self.min_lon.min(o.min_lon),
            min_lat: self.min_lat.min(o.min_lat),
            max_lon: self.max_lon.max(o.max_lon),
            max_lat: self.max_lat.max(o.max_lat),
        }
    }

    /// As `[minlon, minlat, maxlon, maxlat]`.
    pub fn to_array(&self) -> [f64; 4] {
        [self.min_lon, self.min_lat, self.max_lon, self.max_lat]
    }
}

impl From<Rect<f64>> for BBox {
    fn from(r: Rect<f64>) -> BBox {
        let (Coord { x: a, y: b }, Coord { x: c, y: d }) = (r.min(), r.max());
        BBox {
            min_lon: a,
            min_lat: b,
            max_lon: c,
            max_lat: d,
        }
    }
}

/// Checks a lon/lat pair for the contract's 400s.
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<(), String> {
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("lon {lon} is outside -180..180"));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("lat {lat} is outside -90..90"));
    }
    Ok(())
}

/// Point-in-polygon by crossing number over every ring (holes included).
///
/// Half-open on edges, so a point on an edge shared by two grids belongs to
/// exactly one of them — what an owner lookup wants, and several times faster
/// than a general `Contains`.
///
/// ```
/// use geo_types::{LineString, MultiPolygon, Polygon};
/// let sq = MultiPolygon::new(vec![Polygon::new(LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]), vec![])]);
/// assert!(minqing::spatial::geom::point_in(&sq, 0.5, 0.5));
/// assert!(!minqing::spatial::geom::point_in(&sq, 1.5, 0.5));
/// ```
pub fn point_in(mp: &MultiPolygon<f64>, x: f64, y: f64) -> bool {
    let mut inside = false;
    for poly in &mp.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let c = &ring.0;
            if c.len() < 3 {
                continue;
            }
            let mut j = c.len() - 1;
            for i in 0..c.len() {
                let (a, b) = (c[i], c[j]);
                if (a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x {
                    inside = !inside;
                }
                j = i;
            }
        }
    }
    inside
}
