//! Query areas from requests: a GeoJSON Polygon/MultiPolygon (or a Feature
//! of one), checked in O(n log n) with a vertex cap before any work is done.

use geo_types::MultiPolygon;
use serde_json::Value;

use crate::error::AppError;

/// Reads a GeoJSON Polygon/MultiPolygon (or a Feature of one) and checks it.
pub fn parse_area(body: &Value) -> Result<MultiPolygon<f64>, AppError> {
    let gj: geojson::GeoJson = serde_json::from_value(body.clone())
        .map_err(|e| AppError::BadRequest("bad_geojson", format!("not GeoJSON: {e}")))?;
    let geom = match gj {
        geojson::GeoJson::Geometry(g) => g,
        geojson::GeoJson::Feature(f) => f.geometry.ok_or_else(|| {
            AppError::BadRequest("bad_geojson", "the Feature has no geometry".into())
        })?,
        geojson::GeoJson::FeatureCollection(_) => {
            return Err(AppError::BadRequest(
                "bad_geojson",
                "send one Polygon, MultiPolygon or Feature, not a FeatureCollection".into(),
            ));
        }
    };
    // geojson's conversion indexes positions blindly: a position with fewer
    // than two numbers would panic there, so check every one first.
    let short = match &geom.value {
        geojson::GeometryValue::Polygon { coordinates } => {
            coordinates.iter().flatten().any(|p| p.len() < 2)
        }
        geojson::GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().flatten().flatten().any(|p| p.len() < 2)
        }
        _ => {
            return Err(AppError::BadRequest(
                "bad_geojson",
                "the geometry must be a Polygon or MultiPolygon".into(),
            ));
        }
    };
    if short {
        return Err(AppError::BadRequest(
            "bad_geojson",
            "every position needs a longitude and a latitude".into(),
        ));
    }
    let g: geo_types::Geometry<f64> = geom
        .try_into()
        .map_err(|e| AppError::BadRequest("bad_geojson", format!("{e}")))?;
    let mp = match g {
        geo_types::Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
        geo_types::Geometry::MultiPolygon(mp) => mp,
        _ => {
            return Err(AppError::BadRequest(
                "bad_geojson",
                "the geometry must be a Polygon or MultiPolygon".into(),
            ));
        }
    };
    let n = crate::spatial::valid::vertex_count(&mp);
    if n > crate::spatial::valid::MAX_VERTICES {
        return Err(AppError::TooLarge(format!(
            "the geometry has {n} vertices; at most {} are accepted",
            crate::spatial::valid::MAX_VERTICES
        )));
    }
    for c in mp.0.iter().flat_map(|p| {
        p.exterior()
            .0
            .iter()
            .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
    }) {
        crate::spatial::geom::check_lon_lat(c.x, c.y)
            .map_err(|d| AppError::BadRequest("bad_geojson", d))?;
    }
    if mp.0.iter().any(|p| p.exterior().0.len() < 4) {
        return Err(AppError::BadRequest(
            "bad_geojson",
            "a polygon ring needs at least 4 positions".into(),
        ));
    }
    if let Err(e) = crate::spatial::valid::check_polygons(&mp) {
        return Err(AppError::BadRequest(
            "invalid_geometry",
            format!("the polygon is not valid (for example self-intersecting): {e}"),
        ));
    }
    Ok(mp)
}
