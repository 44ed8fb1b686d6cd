//! The `topology` tile layer: the grid topology check's problems on the map
//! for the administrator who fixes them — gaps, overlaps and parts outside the
//! parent as polygons, code problems as points at the area they concern.

use geo_types::MultiPolygon;

use super::{Prop, TileCoord, TileFeature, TileGeom, TileLayer, clip};
use crate::import::topology::{Problem, ProblemKind};
use crate::spatial::index::project_world;
use crate::spatial::lonlat_to_world;

/// Simplification tolerance in tile units (as the other polygon layers).
const EPS: f64 = 1.0;

/// The kind as the layer names it (`outside` for outside-the-parent, as the contract's list).
fn kind_name(k: ProblemKind) -> &'static str {
    match k {
        ProblemKind::OutsideParent => "outside",
        other => other.as_str(),
    }
}

/// The problems that show in `tile`, as one MVT layer named `topology`.
///
/// ```
/// use minqing::import::topology::{Problem, ProblemKind};
/// use minqing::tiles::{TileCoord, topology};
/// let p = Problem { kind: ProblemKind::BadCode, codes: vec!["44060".into()], area_m2: None,
///     location: Some((113.05, 23.7)), geometry: None, detail: "bad".into() };
/// let t = TileCoord::new(0, 0, 0).unwrap();
/// let layer = topology::layer(&[p], &t);
/// assert_eq!(layer.name, "topology");
/// assert_eq!(layer.features.len(), 1, "a code problem is a point at its area");
/// ```
pub fn layer(problems: &[Problem], tile: &TileCoord) -> TileLayer<'static> {
    let mut features = Vec::new();
    for (i, p) in problems.iter().enumerate() {
        let shape = p.geometry.as_ref().and_then(|poly| {
            let world = project_world(&MultiPolygon(vec![poly.clone()]));
            clip::polygons(&world, tile, EPS).map(TileGeom::Polygons)
        });
        // A problem too small to draw at this zoom still shows, as a point:
        // the administrator has to find it before zooming in.
        let geom = shape.or_else(|| {
            let (lon, lat) = p.location?;
            let (wx, wy) = lonlat_to_world(lon, lat);
            clip::point(wx, wy, tile).map(|pt| TileGeom::Points(vec![pt]))
        });
        let Some(geom) = geom else { continue };
        features.push(TileFeature {
            id: Some(i as u64),
            geom,
            props: vec![
                ("kind", Prop::Str(kind_name(p.kind).into())),
                ("area_m2", Prop::Float(p.area_m2.unwrap_or(0.0).round())),
                ("codes", Prop::Str(p.codes.join(",").into())),
                ("detail", Prop::Str(p.detail.clone().into())),
            ],
        });
    }
    TileLayer {
        name: "topology".into(),
        features,
    }
}
