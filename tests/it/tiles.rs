//! Tiles are tested by decoding the MVT and counting features.

use minqing::spatial::lonlat_to_world;
use serde_json::json;

use crate::common::{Backend, TestApp, feature_count, fixture, layer_names};

/// The tile containing a point at a zoom.
fn tile_of(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
    let (x, y) = lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    (z, (x * n) as u32, (y * n) as u32)
}

#[tokio::test]
async fn grid_levels_appear_by_zoom_with_label_points() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (z, x, y) = tile_of(113.05, 23.05, 8);
    let t = app
        .tile(None, &format!("/tiles/grids/{z}/{x}/{y}.mvt"))
        .await;
    assert_eq!(
        feature_count(&t, "grids"),
        1,
        "at z8 only the district is drawn"
    );
    let (z, x, y) = tile_of(113.025, 23.025, 13);
    let t = app
        .tile(None, &format!("/tiles/grids/{z}/{x}/{y}.mvt"))
        .await;
    assert_eq!(
        layer_names(&t),
        ["grids", "grids_labels"],
        "one MVT layer named after the layer, plus labels"
    );
    let layer = t.layers.iter().find(|l| l.name == "grids").unwrap();
    assert_eq!(layer.version, 2);
    assert_eq!(layer.extent, Some(4096));
    let levels: std::collections::BTreeSet<String> = layer
        .features
        .iter()
        .flat_map(|f| {
            f.tags
                .chunks(2)
                .filter(|kv| layer.keys[kv[0] as usize] == "level")
                .map(|kv| layer.values[kv[1] as usize].string_value.clone().unwrap())
        })
        .collect();
    assert_eq!(
        levels.into_iter().collect::<Vec<_>>(),
        ["community", "district", "grid", "street"],
        "all four levels at z13"
    );
}

#[tokio::test]
async fn point_layers_and_several_layers_in_one_tile() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (z, x, y) = tile_of(113.05, 23.05, 10);
    let t = app
        .tile(
            None,
            &format!("/tiles/grids,hazards,shelters/{z}/{x}/{y}.mvt"),
        )
        .await;
    assert_eq!(
        feature_count(&t, "hazards"),
        4,
        "the whole fixture lies in one z10 tile: 4 hazards"
    );
    assert_eq!(feature_count(&t, "shelters"), 1);
    assert!(
        feature_count(&t, "grids") >= 3,
        "district and two streets at z10"
    );
    assert_eq!(
        app.get(&format!("/tiles/incidents/{z}/{x}/{y}.mvt"))
            .await
            .status(),
        401,
        "incident tiles are not for anonymous callers"
    );
    let command = app.login_as("command").await;
    let t = app
        .tile(Some(&command), &format!("/tiles/incidents/{z}/{x}/{y}.mvt"))
        .await;
    assert_eq!(
        feature_count(&t, "incidents"),
        0,
        "no single incidents below z13"
    );
    let clusters = t
        .layers
        .iter()
        .find(|l| l.name == "incidents_clusters")
        .expect("clusters below z13");
    let count_key = clusters.keys.iter().position(|k| k == "count").unwrap() as u32;
    let total: i64 = clusters
        .features
        .iter()
        .map(|f| {
            f.tags
                .chunks(2)
                .find(|kv| kv[0] == count_key)
                .map(|kv| clusters.values[kv[1] as usize].sint_value.unwrap())
                .unwrap()
        })
        .sum();
    assert_eq!(
        total, 5,
        "the five open incidents are all counted in clusters"
    );

    let r = app
        .get(&format!("/tiles/hazards/{z}/{x}/{y}.geojson"))
        .await;
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let gj: serde_json::Value = r.json().await.unwrap();
    assert_eq!(gj["type"], "FeatureCollection");
    assert_eq!(
        gj["features"].as_array().unwrap().len(),
        4,
        "the GeoJSON tile has the same features"
    );
    let c = &gj["features"][0]["geometry"]["coordinates"];
    assert!(
        (c[0].as_f64().unwrap() - 113.01).abs() < 1e-3,
        "coordinates are WGS84 lon/lat: {c}"
    );
}

#[tokio::test]
async fn an_empty_tile_is_204_and_tiles_carry_etags() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let r = app.get("/tiles/hazards/14/0/0.mvt").await;
    assert_eq!(r.status().as_u16(), 204, "nothing at the antimeridian");
    let (z, x, y) = tile_of(113.01, 23.01, 14);
    let path = format!("/tiles/hazards/{z}/{x}/{y}.mvt");
    let r = app
        .client
        .get(app.url(&path))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let r = app
        .client
        .get(app.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 304, "same ETag → 304");
}

#[tokio::test]
async fn a_write_refreshes_exactly_the_tiles_it_touches() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("west_grid").await;
    let command = app.login_as("command").await;
    let here = tile_of(113.02, 23.02, 14);
    let elsewhere = tile_of(113.09, 23.09, 14);
    let p = |t: (u8, u32, u32)| format!("/tiles/incidents/{}/{}/{}.mvt", t.0, t.1, t.2);
    let before_here = app.tile(Some(&command), &p(here)).await;
    let etag_elsewhere = app
        .get_as(&command, &p(elsewhere))
        .await
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let (s, v) = app.post_json_as(Some(&token), "/api/incidents", &json!({"category": "安全隐患", "description": "井盖缺失", "lon": 113.02, "lat": 23.02})).await;
    assert_eq!(s, 201, "{v}");
    let after_here = app.tile(Some(&command), &p(here)).await;
    assert_eq!(
        feature_count(&after_here, "incidents"),
        feature_count(&before_here, "incidents") + 1,
        "the new incident shows at once"
    );
    let etag_after = app
        .get_as(&command, &p(elsewhere))
        .await
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        etag_elsewhere, etag_after,
        "an unrelated tile keeps its ETag"
    );
}

#[tokio::test]
async fn tilejson_uses_the_callers_host() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let r = app
        .client
        .get(app.url("/tiles/grids.json"))
        .header("host", "map.example:9000")
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["tilejson"], "3.0.0");
    assert_eq!(
        v["tiles"][0],
        "http://map.example:9000/tiles/grids/{z}/{x}/{y}.mvt"
    );
    assert_eq!(v["vector_layers"][0]["id"], "grids");
    let b = v["bounds"].as_array().unwrap();
    assert_eq!(
        b[0].as_f64(),
        Some(113.0),
        "bounds are the district's: {b:?}"
    );
    let _ = fixture::DISTRICT;
}
