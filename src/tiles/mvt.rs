//! MVT 2.1 encoding (geozero's protobuf types; geometry commands written here)
//! and the same content as an RFC 7946 FeatureCollection.

use geozero::mvt::tile::{Feature, GeomType, Layer};
use geozero::mvt::{Message, TagsBuilder, Tile, TileValue};
use serde_json::{Map, Value, json};

use super::{EXTENT, Prop, TileCoord, TileFeature, TileGeom, TileLayer};

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

/// Appends MoveTo/LineTo commands for a path, moving the cursor.
fn path(out: &mut Vec<u32>, cursor: &mut [i32; 2], pts: &[[i32; 2]], close: bool) {
    out.push(command(1, 1));
    out.push(zigzag(pts[0][0] - cursor[0]));
    out.push(zigzag(pts[0][1] - cursor[1]));
    *cursor = pts[0];
    out.push(command(2, (pts.len() - 1) as u32));
    for p in &pts[1..] {
        out.push(zigzag(p[0] - cursor[0]));
        out.push(zigzag(p[1] - cursor[1]));
        *cursor = *p;
    }
    if close {
        out.push(command(7, 1));
    }
}

fn encode_geom(g: &TileGeom) -> (GeomType, Vec<u32>) {
    let mut out = Vec::new();
    let mut cursor = [0, 0];
    match g {
        TileGeom::Points(pts) => {
            out.push(command(1, pts.len() as u32));
            for p in pts {
                out.push(zigzag(p[0] - cursor[0]));
                out.push(zigzag(p[1] - cursor[1]));
                cursor = *p;
            }
            (GeomType::Point, out)
        }
        TileGeom::Lines(lines) => {
            for l in lines {
                path(&mut out, &mut cursor, l, false);
            }
            (GeomType::Linestring, out)
        }
        TileGeom::Polygons(polys) => {
            for rings in polys {
                for r in rings {
                    path(&mut out, &mut cursor, r, true);
                }
            }
            (GeomType::Polygon, out)
        }
    }
}

fn tile_value(p: &Prop) -> TileValue {
    match p {
        Prop::Str(s) => TileValue::Str(s.clone()),
        Prop::Int(i) => TileValue::Sint(*i),
        Prop::Float(f) => TileValue::Double(*f),
        Prop::Bool(b) => TileValue::Bool(*b),
    }
}

fn encode_layer(l: &TileLayer) -> Layer {
    let mut tags = TagsBuilder::new();
    let features = l
        .features
        .iter()
        .map(|f: &TileFeature| {
            let (ty, geometry) = encode_geom(&f.geom);
            let mut t = Vec::with_capacity(f.props.len() * 2);
            for (k, v) in &f.props {
                let (ki, vi) = tags.insert_ref(k, tile_value(v));
                t.push(ki);
                t.push(vi);
            }
            Feature {
                id: f.id,
                tags: t,
                r#type: Some(ty as i32),
                geometry,
            }
        })
        .collect();
    let (keys, values) = tags.into_tags();
    Layer {
        version: 2,
        name: l.name.clone(),
        features,
        keys,
        values: values.into_iter().map(Into::into).collect(),
        extent: Some(EXTENT),
    }
}

/// Encodes layers as one MVT tile. Empty layers are left out.
pub fn encode(layers: &[TileLayer]) -> Vec<u8> {
    Tile {
        layers: layers
            .iter()
            .filter(|l| !l.features.is_empty())
            .map(encode_layer)
            .collect(),
    }
    .encode_to_vec()
}

fn prop_json(p: &Prop) -> Value {
    match p {
        Prop::Str(s) => json!(s),
        Prop::Int(i) => json!(i),
        Prop::Float(f) => json!(f),
        Prop::Bool(b) => json!(b),
    }
}

fn pos(tile: &TileCoord, p: &[i32; 2]) -> Value {
    let (lon, lat) = tile.to_lonlat(f64::from(p[0]), f64::from(p[1]));
    json!([(lon * 1e7).round() / 1e7, (lat * 1e7).round() / 1e7])
}

fn ring_json(tile: &TileCoord, r: &[[i32; 2]]) -> Value {
    // RFC 7946: closed rings, exterior counter-clockwise. Tile y points down,
    // so an MVT-clockwise ring is counter-clockwise in lon/lat already.
    let mut v: Vec<Value> = r.iter().map(|p| pos(tile, p)).collect();
    v.push(pos(tile, &r[0]));
    Value::Array(v)
}

/// The same content as a GeoJSON FeatureCollection (WGS84), each feature
/// carrying its MVT layer name in `properties.layer`.
pub fn to_geojson(layers: &[TileLayer], tile: &TileCoord) -> Value {
    let mut features = Vec::new();
    for l in layers {
        for f in &l.features {
            let geometry = match &f.geom {
                TileGeom::Points(p) if p.len() == 1 => {
                    json!({"type": "Point", "coordinates": pos(tile, &p[0])})
                }
                TileGeom::Points(p) => {
                    json!({"type": "MultiPoint", "coordinates": p.iter().map(|q| pos(tile, q)).collect::<Vec<_>>()})
                }
                TileGeom::Lines(ls) if ls.len() == 1 => {
                    json!({"type": "LineString", "coordinates": ls[0].iter().map(|q| pos(tile, q)).collect::<Vec<_>>()})
                }
                TileGeom::Lines(ls) => {
                    json!({"type": "MultiLineString", "coordinates": ls.iter().map(|l| l.iter().map(|q| pos(tile, q)).collect::<Vec<_>>()).collect::<Vec<_>>()})
                }
                TileGeom::Polygons(ps) => {
                    json!({"type": "MultiPolygon", "coordinates": ps.iter().map(|rs| rs.iter().map(|r| ring_json(tile, r)).collect::<Vec<_>>()).collect::<Vec<_>>()})
                }
            };
            let mut props = Map::new();
            props.insert("layer".into(), json!(l.name));
            for (k, v) in &f.props {
                props.insert((*k).into(), prop_json(v));
            }
            let mut feat = json!({"type": "Feature", "geometry": geometry, "properties": props});
            if let Some(id) = f.id {
                feat["id"] = json!(id);
            }
            features.push(feat);
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// Decodes an MVT tile (for tests and tools).
pub fn decode(bytes: &[u8]) -> Result<Tile, String> {
    Tile::decode(bytes).map_err(|e| e.to_string())
}
