//! Base-map fixtures made here from a few synthetic features: a lattice of
//! roads (OpenMapTiles layer and class names, as planetiler writes them), a
//! lake and a village label, cut into vector tiles and written as `.pmtiles`
//! and `.mbtiles`; and a one-colour raster `.mbtiles`.

use std::io::Write;
use std::path::Path;

use minqing::spatial::lonlat_to_world;
use minqing::tiles::{EXTENT, Prop, TileFeature, TileGeom, TileLayer, mvt};

/// A road: OpenMapTiles `class`, Chinese and English name, end points.
struct Road {
    class: &'static str,
    name: &'static str,
    name_en: &'static str,
    from: (f64, f64),
    to: (f64, f64),
}

/// `[west, south, east, north]` of a fixture.
pub type Bounds = [f64; 4];

/// Roads every 0.02° (primary) and 0.005° (minor, from z13) inside `b`;
/// every road is straight along a meridian or a parallel, so clipping it to a
/// tile is clamping.
fn roads(b: Bounds, z: u8) -> Vec<Road> {
    let mut out = Vec::new();
    let step = if z >= 13 { 0.005 } else { 0.02 };
    let n_lon = ((b[2] - b[0]) / step).round() as i64;
    let n_lat = ((b[3] - b[1]) / step).round() as i64;
    for i in 0..=n_lon {
        let lon = b[0] + i as f64 * step;
        let major = (i as f64 * step / 0.02).fract().abs() < 1e-6;
        out.push(Road {
            class: if major { "primary" } else { "minor" },
            name: if major { "经纬大道" } else { "" },
            name_en: if major { "Jingwei Avenue" } else { "" },
            from: (lon, b[1]),
            to: (lon, b[3]),
        });
    }
    for i in 0..=n_lat {
        let lat = b[1] + i as f64 * step;
        let major = (i as f64 * step / 0.02).fract().abs() < 1e-6;
        out.push(Road {
            class: if major { "secondary" } else { "minor" },
            name: if major { "纬线路" } else { "" },
            name_en: if major { "Weixian Road" } else { "" },
            from: (b[0], lat),
            to: (b[2], lat),
        });
    }
    out
}

/// Tile pixel of a lon/lat in tile (z, x, y), clamped to the tile plus a buffer.
fn px(z: u8, x: u32, y: u32, lon: f64, lat: f64) -> [i32; 2] {
    let (wx, wy) = lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    let e = f64::from(EXTENT);
    let clamp = |v: f64| v.clamp(-64.0, e + 64.0).round() as i32;
    [
        clamp((wx * n - f64::from(x)) * e),
        clamp((wy * n - f64::from(y)) * e),
    ]
}

/// The vector tile (z, x, y) of the fixture inside `b`, or `None` when empty.
pub fn vector_tile(b: Bounds, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
    let e = EXTENT as i32;
    let inside = |p: [i32; 2]| (-64..=e + 64).contains(&p[0]) && (-64..=e + 64).contains(&p[1]);
    let mut transport = TileLayer {
        name: "transportation".into(),
        features: Vec::new(),
    };
    for r in roads(b, z) {
        let a = px(z, x, y, r.from.0, r.from.1);
        let c = px(z, x, y, r.to.0, r.to.1);
        // A clamped line that lies on the buffer edge is outside the tile.
        let on_edge = (a[0] == c[0] && (a[0] == -64 || a[0] == e + 64))
            || (a[1] == c[1] && (a[1] == -64 || a[1] == e + 64));
        if a == c || on_edge || !(inside(a) && inside(c)) {
            continue;
        }
        let mut props = vec![("class", Prop::Str(r.class.into()))];
        if !r.name.is_empty() {
            props.push(("name", Prop::Str(r.name.into())));
            props.push(("name:en", Prop::Str(r.name_en.into())));
        }
        transport.features.push(TileFeature {
            id: None,
            geom: TileGeom::Lines(vec![vec![a, c]]),
            props,
        });
    }
    // A lake in the south-west quarter of the bounds.
    let (lw, ls) = (b[0] + (b[2] - b[0]) * 0.1, b[1] + (b[3] - b[1]) * 0.1);
    let (le, ln) = (b[0] + (b[2] - b[0]) * 0.3, b[1] + (b[3] - b[1]) * 0.3);
    let ring = vec![
        px(z, x, y, lw, ln),
        px(z, x, y, le, ln),
        px(z, x, y, le, ls),
        px(z, x, y, lw, ls),
    ];
    let lake_here = ring[0][0] < ring[1][0] && ring[0][1] < ring[2][1];
    let water = TileLayer {
        name: "water".into(),
        features: lake_here
            .then(|| TileFeature {
                id: None,
                geom: TileGeom::Polygons(vec![vec![ring]]),
                props: vec![("class", Prop::Str("lake".into()))],
            })
            .into_iter()
            .collect(),
    };
    let (vl, vt) = ((b[0] + b[2]) / 2.0 + 0.003, (b[1] + b[3]) / 2.0 + 0.003);
    let v = px(z, x, y, vl, vt);
    let village = (v[0] >= 0 && v[0] < e && v[1] >= 0 && v[1] < e).then(|| TileFeature {
        id: None,
        geom: TileGeom::Points(vec![v]),
        props: vec![
            ("class", Prop::Str("village".into())),
            ("name", Prop::Str("示例村".into())),
            ("name:en", Prop::Str("Shili Village".into())),
        ],
    });
    let place = TileLayer {
        name: "place".into(),
        features: village.into_iter().collect(),
    };
    let layers = [water, transport, place];
    if layers.iter().all(|l| l.features.is_empty()) {
        return None;
    }
    Some(mvt::encode(&layers))
}

/// Every tile address of `b` at zooms `zooms`, in z, x, y order.
pub fn tiles_of(b: Bounds, zooms: std::ops::RangeInclusive<u8>) -> Vec<(u8, u32, u32)> {
    let mut out = Vec::new();
    for z in zooms {
        let n = f64::from(1u32 << z);
        let (x0, y0) = lonlat_to_world(b[0], b[3]);
        let (x1, y1) = lonlat_to_world(b[2], b[1]);
        for x in (x0 * n) as u32..=(x1 * n) as u32 {
            for y in (y0 * n) as u32..=(y1 * n) as u32 {
                out.push((z, x, y));
            }
        }
    }
    out
}

fn metadata_json() -> serde_json::Value {
    serde_json::json!({
        "name": "fixture roads",
        "attribution": "fixture data",
        "vector_layers": [
            {"id": "transportation", "fields": {"class": "String", "name": "String"}},
            {"id": "water", "fields": {"class": "String"}},
            {"id": "place", "fields": {"class": "String", "name": "String"}},
        ],
    })
}

/// Writes the vector fixture as PMTiles v3 (gzip tiles). Returns the tiles written.
pub fn write_pmtiles(path: &Path, b: Bounds, zooms: std::ops::RangeInclusive<u8>) -> usize {
    use pmtiles::{PmTilesWriter, TileCoord, TileType};
    let (lo, hi) = (*zooms.start(), *zooms.end());
    let file = std::fs::File::create(path).expect("create pmtiles");
    let mut w = PmTilesWriter::new(TileType::Mvt)
        .min_zoom(lo)
        .max_zoom(hi)
        .bounds(b[0], b[1], b[2], b[3])
        .center((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
        .center_zoom(lo)
        .metadata(metadata_json().to_string())
        .create(file)
        .expect("pmtiles writer");
    // PMTiles wants tiles in Hilbert (tile id) order for clustered archives.
    let mut all: Vec<(u64, u8, u32, u32)> = tiles_of(b, zooms)
        .into_iter()
        .map(|(z, x, y)| {
            (
                pmtiles::TileId::from(TileCoord::new(z, x, y).unwrap()).value(),
                z,
                x,
                y,
            )
        })
        .collect();
    all.sort_unstable();
    let mut n = 0;
    for (_, z, x, y) in all {
        if let Some(t) = vector_tile(b, z, x, y) {
            w.add_tile(TileCoord::new(z, x, y).unwrap(), &t)
                .expect("add tile");
            n += 1;
        }
    }
    w.finalize().expect("finish pmtiles");
    n
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A 1×1 grey PNG (a valid image MapLibre can draw), written by hand:
/// signature, IHDR, one zlib-compressed scanline, IEND.
pub fn png_1x1() -> Vec<u8> {
    let chunk = |out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&[0, 0xe8, 0xe8, 0xe8]).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Writes an MBTiles file: the vector fixture (gzip, as MBTiles holds them)
/// or, with `raster`, [`png_1x1`] for every tile address. Returns the tiles written.
pub async fn write_mbtiles(
    path: &Path,
    b: Bounds,
    zooms: std::ops::RangeInclusive<u8>,
    raster: bool,
) -> usize {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut c = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("create mbtiles");
    for sql in [
        "create table metadata (name text, value text)",
        "create table tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)",
        "create unique index tile_index on tiles (zoom_level, tile_column, tile_row)",
    ] {
        sqlx::query(sql).execute(&mut c).await.expect(sql);
    }
    let meta = [
        ("name", "fixture".to_owned()),
        ("format", if raster { "png" } else { "pbf" }.to_owned()),
        ("minzoom", zooms.start().to_string()),
        ("maxzoom", zooms.end().to_string()),
        ("bounds", format!("{},{},{},{}", b[0], b[1], b[2], b[3])),
        ("json", metadata_json().to_string()),
    ];
    for (k, v) in meta {
        sqlx::query("insert into metadata values (?, ?)")
            .bind(k)
            .bind(v)
            .execute(&mut c)
            .await
            .unwrap();
    }
    let mut n = 0;
    for (z, x, y) in tiles_of(b, zooms) {
        let data = if raster {
            png_1x1()
        } else {
            match vector_tile(b, z, x, y) {
                Some(t) => gzip(&t),
                None => continue,
            }
        };
        // MBTiles rows count from the south (TMS).
        let tms_y = (1u32 << z) - 1 - y;
        sqlx::query("insert into tiles values (?, ?, ?, ?)")
            .bind(i64::from(z))
            .bind(i64::from(x))
            .bind(i64::from(tms_y))
            .bind(data)
            .execute(&mut c)
            .await
            .unwrap();
        n += 1;
    }
    c.close().await.unwrap();
    n
}
