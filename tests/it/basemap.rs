//! `--basemap`: PMTiles and MBTiles fixtures (made here from a few features)
//! served by the binary with correct tile and byte-range answers; XYZ
//! templates handed to the map with the content security policy opened for
//! exactly their hosts; unreadable sources refused at start.

use std::io::Read;

use minqing::app::{App, AppConfig};
use serde_json::Value;

use crate::common::basemap::{
    Bounds, png_1x1, tiles_of, vector_tile, write_mbtiles, write_pmtiles,
};
use crate::common::{Backend, TestApp};

/// The fixture district (113.0–113.1 E, 23.0–23.1 N).
const B: Bounds = [113.0, 23.0, 113.1, 23.1];

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("gzip tile");
    out
}

/// Features per MVT layer, by name.
fn counts(mvt: &[u8]) -> Vec<(String, usize)> {
    let t = minqing::tiles::mvt::decode(mvt).expect("valid MVT");
    t.layers
        .iter()
        .map(|l| (l.name.clone(), l.features.len()))
        .collect()
}

/// A tile inside the fixture with roads, water or a label at z14.
fn a_full_tile() -> (u8, u32, u32) {
    tiles_of(B, 14..=14)
        .into_iter()
        .find(|&(z, x, y)| vector_tile(B, z, x, y).is_some_and(|t| counts(&t).len() >= 2))
        .expect("a z14 tile with several layers")
}

async fn vector_answers(app: &TestApp, what: &str) {
    let (s, tj) = app.get_json("/basemap/tiles.json").await;
    assert_eq!(s, 200, "{what}: {tj}");
    assert_eq!(tj["type"], "vector", "{what}: {tj}");
    let src = &tj["sources"][0];
    assert!(
        src["tiles"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/basemap/tiles/", app.base)),
        "{what}: tiles come from this server: {src}"
    );
    assert_eq!(
        (src["minzoom"].as_u64(), src["maxzoom"].as_u64()),
        (Some(10), Some(14)),
        "{what}"
    );
    let ids: Vec<&str> = src["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"transportation"),
        "{what}: vector_layers {ids:?}"
    );

    let (z, x, y) = a_full_tile();
    let r = app.get(&format!("/basemap/tiles/{z}/{x}/{y}.pbf")).await;
    assert_eq!(r.status(), 200, "{what}: tile {z}/{x}/{y}");
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(
        r.headers()["content-encoding"],
        "gzip",
        "{what}: the stored gzip tile is sent as is, marked for the browser to undo"
    );
    let body = gunzip(&r.bytes().await.unwrap());
    let want = vector_tile(B, z, x, y).unwrap();
    assert_eq!(
        counts(&body),
        counts(&want),
        "{what}: tile {z}/{x}/{y} holds the features written there (rows flipped right for MBTiles)"
    );
    let t = app.get("/basemap/tiles/14/0/0").await;
    assert_eq!(
        t.status(),
        204,
        "{what}: no tile far away is an empty answer"
    );
    let t = app.get("/basemap/tiles/3/9/0").await;
    assert_eq!(
        t.status(),
        400,
        "{what}: x beyond the zoom's range is bad input"
    );
    let t = app.get("/basemap/tiles/a/b/c").await;
    assert_eq!(t.status(), 400, "{what}: not numbers");
}

#[tokio::test]
async fn a_pmtiles_base_map_is_served_by_tile_and_by_byte_range() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roads.pmtiles");
    let n = write_pmtiles(&file, B, 10..=14);
    assert!(n > 10, "the fixture has tiles ({n})");
    let bytes = std::fs::read(&file).unwrap();
    let len = bytes.len();
    let app =
        TestApp::fixture_with_basemap(Backend::Sqlite, Some(file.display().to_string())).await;
    vector_answers(&app, "pmtiles").await;
    let (_, tj) = app.get_json("/basemap/tiles.json").await;
    assert_eq!(
        tj["pmtiles"],
        format!("{}/basemap/source.pmtiles", app.base),
        "{tj}"
    );

    let range = |r: &str| {
        app.client
            .get(app.url("/basemap/source.pmtiles"))
            .header("range", r)
            .send()
    };
    let r = range("bytes=0-126").await.unwrap();
    assert_eq!(r.status(), 206, "the header by range");
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 0-126/{len}").as_str()
    );
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    let head = r.bytes().await.unwrap();
    assert_eq!(head.len(), 127, "127 bytes asked, 127 sent");
    assert_eq!(&head[..7], b"PMTiles", "the archive's magic");
    assert_eq!(head[7], 3, "spec version 3");

    let r = range("bytes=-10").await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        &r.bytes().await.unwrap()[..],
        &bytes[len - 10..],
        "the last ten bytes"
    );

    let r = range("bytes=100-").await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        &r.bytes().await.unwrap()[..],
        &bytes[100..],
        "from byte 100 to the end"
    );

    let r = range(&format!("bytes={len}-")).await.unwrap();
    assert_eq!(r.status(), 416, "a range past the end");
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes */{len}").as_str()
    );
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"].is_string() && v["detail"].is_string(),
        "a JSON error: {v}"
    );

    let r = app.get("/basemap/source.pmtiles").await;
    assert_eq!(r.status(), 200, "no range: the whole archive");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(r.bytes().await.unwrap().len(), len);

    let r = app
        .client
        .get(app.url("/basemap/source.pmtiles"))
        .header("range", "bytes=0-9")
        .header("if-range", "\"another-version\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "If-Range naming another version: the whole file"
    );
    let r = app
        .client
        .get(app.url("/basemap/source.pmtiles"))
        .header("range", "bytes=0-9")
        .header("if-range", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206, "If-Range naming this version: the range");
    app.stop().await;
}

#[tokio::test]
async fn an_mbtiles_base_map_is_served_vector_or_raster() {
    let dir = tempfile::tempdir().unwrap();
    let vector = dir.path().join("roads.mbtiles");
    assert!(write_mbtiles(&vector, B, 10..=14, false).await > 10);
    let app =
        TestApp::fixture_with_basemap(Backend::Sqlite, Some(vector.display().to_string())).await;
    vector_answers(&app, "mbtiles").await;
    let r = app.get("/basemap/source.pmtiles").await;
    assert_eq!(r.status(), 404, "no archive to hand out for MBTiles");
    app.stop().await;

    let raster = dir.path().join("shade.mbtiles");
    assert!(write_mbtiles(&raster, B, 10..=12, true).await > 1);
    let app =
        TestApp::fixture_with_basemap(Backend::Sqlite, Some(raster.display().to_string())).await;
    let (_, tj) = app.get_json("/basemap/tiles.json").await;
    assert_eq!(tj["type"], "raster", "{tj}");
    let (z, x, y) = tiles_of(B, 12..=12)[0];
    let r = app.get(&format!("/basemap/tiles/{z}/{x}/{y}.png")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(
        r.headers().get("content-encoding").is_none(),
        "images are not gzip"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), png_1x1());
    app.stop().await;
}

#[tokio::test]
async fn xyz_templates_reach_the_map_and_open_the_csp_for_their_hosts_only() {
    let tpl = "http://tiles.intranet.local:8081/vec/{z}/{x}/{y}.png | http://labels.intranet.local/{z}/{x}/{y}.png";
    let app = TestApp::fixture_with_basemap(Backend::Sqlite, Some(tpl.into())).await;
    let (_, tj) = app.get_json("/basemap/tiles.json").await;
    assert_eq!(tj["type"], "raster", "{tj}");
    assert_eq!(
        tj["sources"][0]["tiles"][0], "http://tiles.intranet.local:8081/vec/{z}/{x}/{y}.png",
        "{tj}"
    );
    assert_eq!(
        tj["sources"][1]["tiles"][0], "http://labels.intranet.local/{z}/{x}/{y}.png",
        "labels drawn over the base, in the order given"
    );
    let r = app.get("/").await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: blob: http://tiles.intranet.local:8081 http://labels.intranet.local;"),
        "{csp}"
    );
    app.stop().await;

    let app = TestApp::fixture(Backend::Sqlite).await;
    let (_, tj) = app.get_json("/basemap/tiles.json").await;
    assert_eq!(
        tj["type"], "offline",
        "no --basemap: the built-in outline: {tj}"
    );
    let r = app.get("/").await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("connect-src 'self';"),
        "our own origin only: {csp}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unreadable_base_map_stops_the_start_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let not_tiles = dir.path().join("notes.pmtiles");
    std::fs::write(&not_tiles, b"hello").unwrap();
    let cases = [
        (
            dir.path().join("missing.pmtiles").display().to_string(),
            "no such file",
        ),
        (not_tiles.display().to_string(), "not a PMTiles"),
        ("http://tiles.local/{z}/{x}.png".to_owned(), "has no {y}"),
        (dir.path().display().to_string(), "no such file"),
    ];
    for (source, want) in cases {
        let mut cfg = AppConfig::new("sqlite::memory:", "127.0.0.1:0".parse().unwrap());
        cfg.basemap = Some(source.clone());
        let err = match App::build(cfg).await {
            Ok(_) => panic!("--basemap {source} must be refused"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(want) && !err.contains('\n'),
            "--basemap {source}: {err}"
        );
    }
}
