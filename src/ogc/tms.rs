//! OGC API – Tiles documents over our XYZ vector tiles: the WebMercatorQuad
//! tile matrix set (OGC 17-083r4, TMS 2.0 JSON), tileset metadata and lists.
//! Our `z/x/y` is WebMercatorQuad's `tileMatrix/tileCol/tileRow`.

use serde_json::{Value, json};

use crate::spatial::{BBox, lonlat_to_world};
use crate::tiles::coord::MAX_ZOOM;

/// The one tile matrix set offered.
pub const WEB_MERCATOR_QUAD: &str = "WebMercatorQuad";
/// Its registered URI.
pub const WEB_MERCATOR_QUAD_URI: &str =
    "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
/// Link relation to a tile matrix set definition.
pub const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
/// Link relation to vector tilesets.
pub const REL_TILESETS_VECTOR: &str = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
/// MVT media type.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";

/// Half the equator of the Web Mercator sphere, metres.
const HALF: f64 = 20_037_508.342_789_244;

/// The WebMercatorQuad definition (tile matrices 0–22, 256-pixel tiles).
///
/// ```
/// let t = minqing::ogc::tms::web_mercator_quad();
/// assert_eq!(t["tileMatrices"][14]["matrixWidth"], 16384);
/// ```
pub fn web_mercator_quad() -> Value {
    let matrices: Vec<Value> = (0..=MAX_ZOOM)
        .map(|z| {
            let n = 1u64 << z;
            let cell = 2.0 * HALF / 256.0 / n as f64;
            json!({
                "id": z.to_string(), "scaleDenominator": cell / 0.000_28, "cellSize": cell,
                "cornerOfOrigin": "topLeft", "pointOfOrigin": [-HALF, HALF],
                "tileWidth": 256, "tileHeight": 256, "matrixWidth": n, "matrixHeight": n,
                // TMS 1.0 names of the same values, for readers that predate 2.0
                "identifier": z.to_string(), "topLeftCorner": [-HALF, HALF],
            })
        })
        .collect();
    let crs = "http://www.opengis.net/def/crs/EPSG/0/3857";
    json!({
        "id": WEB_MERCATOR_QUAD,
        "title": "Google Maps Compatible for the World",
        "uri": WEB_MERCATOR_QUAD_URI,
        "crs": crs,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
        // GDAL 3.6 (Debian 12) reads only the TMS 1.0 encoding: its members
        // ride along; a TMS 2.0 reader ignores them.
        "type": "TileMatrixSetType",
        "identifier": WEB_MERCATOR_QUAD,
        "supportedCRS": crs,
        "boundingBox": {"type": "BoundingBoxType", "crs": crs, "lowerCorner": [-HALF, -HALF], "upperCorner": [HALF, HALF]},
        "tileMatrix": matrices,
    })
}

/// The tile columns and rows covering `b` at every zoom from `min_zoom`.
pub fn limits(b: &BBox, min_zoom: u8) -> Vec<Value> {
    let (x0, y0) = lonlat_to_world(b.min_lon, b.max_lat);
    let (x1, y1) = lonlat_to_world(b.max_lon, b.min_lat);
    (min_zoom..=MAX_ZOOM)
        .map(|z| {
            let n = (1u64 << z) as f64;
            let cell = |v: f64| ((v * n).floor().max(0.0) as u64).min((n as u64) - 1);
            json!({"tileMatrix": z.to_string(), "minTileRow": cell(y0), "maxTileRow": cell(y1),
                   "minTileCol": cell(x0), "maxTileCol": cell(x1)})
        })
        .collect()
}

/// What a tileset serves.
pub struct Tileset<'a> {
    /// title
    pub title: &'a str,
    /// URL of the tileset (`…/tiles/WebMercatorQuad`)
    pub url: String,
    /// URL of `/ogc/tileMatrixSets/WebMercatorQuad`
    pub tms_url: String,
    /// MVT layers it carries: (id, geometry dimension)
    pub layers: Vec<(&'a str, u8)>,
    /// the data's extent
    pub bounds: BBox,
}

/// The tileset metadata document, with the tile URL template.
pub fn tileset(t: &Tileset) -> Value {
    let tile = format!("{}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", t.url);
    json!({
        "title": t.title,
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": WEB_MERCATOR_QUAD_URI,
        "links": [
            {"rel": "self", "type": "application/json", "href": t.url},
            {"rel": REL_TILING_SCHEME, "type": "application/json", "href": t.tms_url},
            {"rel": "item", "type": MVT, "templated": true, "href": tile},
            {"rel": "item", "type": "application/geo+json", "templated": true, "href": format!("{tile}?f=geojson")},
        ],
        "tileMatrixSetLimits": limits(&t.bounds, 0),
        "boundingBox": {"lowerLeft": [t.bounds.min_lon, t.bounds.min_lat], "upperRight": [t.bounds.max_lon, t.bounds.max_lat],
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
        "layers": t.layers.iter().map(|(id, dim)| json!({"id": id, "dataType": "vector", "geometryDimension": dim,
                        "minTileMatrix": "0", "maxTileMatrix": MAX_ZOOM.to_string()})).collect::<Vec<_>>(),
    })
}

/// The list of tilesets (one: WebMercatorQuad) under `list_url`.
pub fn tilesets(title: &str, list_url: &str, tms_url: &str) -> Value {
    json!({
        "links": [{"rel": "self", "type": "application/json", "href": list_url}],
        "tilesets": [{
            "title": title, "dataType": "vector",
            "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
            "tileMatrixSetURI": WEB_MERCATOR_QUAD_URI,
            "links": [
                {"rel": "self", "type": "application/json", "href": format!("{list_url}/{WEB_MERCATOR_QUAD}")},
                {"rel": REL_TILING_SCHEME, "type": "application/json", "href": tms_url},
            ],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_cover_the_box_at_each_zoom() {
        let b = BBox {
            min_lon: 113.0,
            min_lat: 23.0,
            max_lon: 113.1,
            max_lat: 23.1,
        };
        let l = limits(&b, 0);
        assert_eq!(l.len(), 23, "one limit per zoom 0–22");
        assert_eq!(l[0]["maxTileCol"], 0, "zoom 0 is one tile");
        let z14 = &l[14];
        let (x, y) = lonlat_to_world(113.05, 23.05);
        let (col, row) = ((x * 16384.0) as u64, (y * 16384.0) as u64);
        assert!(
            z14["minTileCol"].as_u64().unwrap() <= col
                && col <= z14["maxTileCol"].as_u64().unwrap(),
            "the centre's column is inside: {z14}"
        );
        assert!(
            z14["minTileRow"].as_u64().unwrap() <= row
                && row <= z14["maxTileRow"].as_u64().unwrap(),
            "rows grow southwards: {z14}"
        );
    }
}
