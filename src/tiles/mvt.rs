//! MVT 2.1 encoding (geozero's protobuf types; geometry commands written here)
//! and the same content as an RFC 7946 FeatureCollection.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use geozero::mvt::tile::{Feature, GeomType, Layer};
use geozero::mvt::{Message, Tile, TileValue};
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
        Prop::Str(s) => TileValue::Str(s.to_string()),
        Prop::Int(i) => TileValue::Sint(*i),
        Prop::Float(f) => TileValue::Double(*f),
        Prop::Bool(b) => TileValue::Bool(*b),
    }
}

/// A property value as a layer's value table keys it: borrowed, so a
/// string repeated over the layer's features is copied once, when first
/// seen (geozero's `TagsBuilder` takes an owned value per feature).
#[derive(PartialEq, Eq, Hash)]
enum ValueKey<'a> {
    Str(&'a str),
    Int(i64),
    Float(u64),
    Bool(bool),
}

impl<'a> ValueKey<'a> {
    fn of(p: &'a Prop<'_>) -> ValueKey<'a> {
        match p {
            Prop::Str(s) => ValueKey::Str(s),
            Prop::Int(i) => ValueKey::Int(*i),
            Prop::Float(f) => ValueKey::Float(f.to_bits()),
            Prop::Bool(b) => ValueKey::Bool(*b),
        }
    }
}

/// The position of `key` in a table, added at the end when new.
fn position<K: Eq + std::hash::Hash>(
    index: &mut HashMap<K, u32, FixedState>,
    key: K,
    add: impl FnOnce() -> usize,
) -> u32 {
    *index.entry(key).or_insert_with(|| add() as u32)
}

fn encode_layer(l: &TileLayer) -> Layer {
    let (mut keys, mut values): (Vec<String>, Vec<TileValue>) = (Vec::new(), Vec::new());
    let mut key_at: HashMap<&str, u32, FixedState> = HashMap::default();
    // Names and codes differ per feature: about two new values each.
    let mut value_at: HashMap<ValueKey<'_>, u32, FixedState> =
        HashMap::with_capacity_and_hasher(2 * l.features.len(), FixedState::default());
    let features = l
        .features
        .iter()
        .map(|f: &TileFeature| {
            let (ty, geometry) = encode_geom(&f.geom);
            let mut t = Vec::with_capacity(f.props.len() * 2);
            for (k, v) in &f.props {
                t.push(position(&mut key_at, k, || {
                    keys.push((*k).to_owned());
                    keys.len() - 1
                }));
                t.push(position(&mut value_at, ValueKey::of(v), || {
                    values.push(tile_value(v));
                    values.len() - 1
                }));
            }
            Feature {
                id: f.id,
                tags: t,
                r#type: Some(ty as i32),
                geometry,
            }
        })
        .collect();
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn feature<'a>(name: &'a str, n: i64) -> TileFeature<'a> {
        TileFeature {
            id: None,
            geom: TileGeom::Points(vec![[1, 2]]),
            props: vec![
                ("name", Prop::Str(Cow::Borrowed(name))),
                ("n", Prop::Int(n)),
            ],
        }
    }

    #[test]
    fn a_layer_stores_each_key_and_value_once_and_features_point_at_them() {
        let layer = TileLayer {
            name: "t".into(),
            features: vec![feature("甲", 1), feature("乙", 1), feature("甲", 2)],
        };
        let tile = decode(&encode(&[layer])).expect("decodes");
        let l = &tile.layers[0];
        assert_eq!(
            l.keys,
            vec!["name", "n"],
            "each key once, in first-seen order"
        );
        assert_eq!(
            l.values.len(),
            4,
            "values 甲, 1, 乙, 2: repeats share one entry"
        );
        let read = |f: usize| -> (String, i64) {
            let t = &l.features[f].tags;
            let v = |i: u32| &l.values[i as usize];
            (
                v(t[1]).string_value.clone().expect("a name"),
                v(t[3]).sint_value.expect("a number"),
            )
        };
        assert_eq!(read(0), ("甲".to_owned(), 1));
        assert_eq!(read(1), ("乙".to_owned(), 1));
        assert_eq!(read(2), ("甲".to_owned(), 2));
        assert_eq!(
            l.features[0].tags[1], l.features[2].tags[1],
            "the same name is one value"
        );
    }
}
