//! WKB in and out of the stores (both keep geometry as WKB on the wire).

use geo_types::{Geometry, MultiPolygon};
use geozero::wkb::Wkb;
use geozero::{CoordDimensions, ToGeo, ToWkb};

use super::{StoreError, StoreResult};

/// Encodes a multipolygon as ISO WKB.
pub fn encode(mp: &MultiPolygon<f64>) -> StoreResult<Vec<u8>> {
    Geometry::MultiPolygon(mp.clone())
        .to_wkb(CoordDimensions::xy())
        .map_err(|e| StoreError::Db(format!("encoding WKB: {e}")))
}

/// Decodes WKB holding a Polygon or MultiPolygon.
pub fn decode(bytes: &[u8]) -> StoreResult<MultiPolygon<f64>> {
    match Wkb(bytes.to_vec()).to_geo() {
        Ok(Geometry::MultiPolygon(mp)) => Ok(mp),
        Ok(Geometry::Polygon(p)) => Ok(MultiPolygon::new(vec![p])),
        Ok(other) => Err(StoreError::Db(format!(
            "expected a polygon, found {other:?}"
        ))),
        Err(e) => Err(StoreError::Db(format!("decoding WKB: {e}"))),
    }
}
