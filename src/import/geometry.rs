//! Coordinates to WGS84 and polygon repair: rings closed, repeated points
//! dropped, winding set to RFC 7946 (exterior counter-clockwise, holes
//! clockwise) — each repair reported. What cannot be repaired safely (a ring
//! that crosses itself, holes outside their polygon) is rejected with geo's
//! validation message.

use geo::Validation;
use geo::Winding;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use super::Crs;

/// Checks a lon/lat pair before conversion.
fn check(x: f64, y: f64) -> Result<(), String> {
    if !x.is_finite() || !y.is_finite() {
        return Err("a coordinate is not a number".into());
    }
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(format!(
            "coordinate ({x}, {y}) is outside -180..180 / -90..90 (projected coordinates are not supported; export as lon/lat)"
        ));
    }
    Ok(())
}

/// A point in `crs`, converted to WGS84.
///
/// ```
/// use minqing::import::{Crs, geometry::point};
/// assert_eq!(point(113.0, 23.0, Crs::Wgs84), Ok((113.0, 23.0)));
/// assert!(point(500000.0, 2600000.0, Crs::Wgs84).is_err(), "projected metres are refused");
/// ```
pub fn point(x: f64, y: f64, crs: Crs) -> Result<(f64, f64), String> {
    check(x, y)?;
    Ok(crs.to_wgs84(x, y))
}

/// Cleans one ring: converts, drops repeated consecutive points, closes it.
fn ring(raw: &[(f64, f64)], crs: Crs, repairs: &mut Vec<String>) -> Result<Vec<Coord>, String> {
    let mut out: Vec<Coord> = Vec::with_capacity(raw.len() + 1);
    let mut repeated = 0;
    for &(x, y) in raw {
        check(x, y)?;
        let (lon, lat) = crs.to_wgs84(x, y);
        let c = Coord { x: lon, y: lat };
        if out.last() == Some(&c) {
            repeated += 1;
        } else {
            out.push(c);
        }
    }
    if repeated > 0 {
        repairs.push(format!("removed {repeated} repeated consecutive point(s)"));
    }
    if out.len() > 1 && out.first() != out.last() {
        out.push(out[0]);
        repairs.push("closed an unclosed ring".into());
    }
    if out.len() < 4 {
        return Err("a ring has fewer than 3 distinct points".into());
    }
    Ok(out)
}

/// Converts and repairs polygons (rings as given: first exterior, then holes).
/// Returns the multipolygon and the repairs made, or why it cannot be used.
///
/// ```
/// use minqing::import::{Crs, geometry::polygons};
/// // Clockwise and unclosed: both repaired and reported.
/// let (mp, repairs) = polygons(&[vec![vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]]], Crs::Wgs84).unwrap();
/// assert_eq!(mp.0[0].exterior().0.len(), 5);
/// assert_eq!(repairs.len(), 2, "{repairs:?}");
/// // A bow-tie crosses itself: rejected.
/// let err = polygons(&[vec![vec![(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]]], Crs::Wgs84).unwrap_err();
/// assert!(err.contains("self-intersection"), "{err}");
/// ```
pub fn polygons(
    raw: &[Vec<Vec<(f64, f64)>>],
    crs: Crs,
) -> Result<(MultiPolygon<f64>, Vec<String>), String> {
    let mut repairs = Vec::new();
    let mut polys = Vec::with_capacity(raw.len());
    if raw.is_empty() || raw.iter().all(Vec::is_empty) {
        return Err("the polygon is empty".into());
    }
    for rings in raw.iter().filter(|r| !r.is_empty()) {
        let mut exterior = LineString::from(ring(&rings[0], crs, &mut repairs)?);
        if exterior.is_cw() {
            exterior.make_ccw_winding();
            repairs.push("reversed a clockwise exterior ring (RFC 7946: counter-clockwise)".into());
        }
        let mut holes = Vec::with_capacity(rings.len() - 1);
        for h in &rings[1..] {
            let mut hole = LineString::from(ring(h, crs, &mut repairs)?);
            if hole.is_ccw() {
                hole.make_cw_winding();
                repairs.push("reversed a counter-clockwise hole (RFC 7946: clockwise)".into());
            }
            holes.push(hole);
        }
        polys.push(Polygon::new(exterior, holes));
    }
    let mp = MultiPolygon::new(polys);
    mp.check_validation().map_err(|e| e.to_string())?;
    repairs.dedup();
    Ok((mp, repairs))
}
