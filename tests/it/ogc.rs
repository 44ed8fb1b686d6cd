//! OGC API Parts 2 and 3 and OGC API – Tiles, checked with third-party
//! clients (OWSLib, GDAL) and for rights: a filter, a sort or a tile never
//! reaches a record the caller may not see.

use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{Backend, TestApp, fixture};

/// Runs a tool off the async runtime; a missing tool fails loudly, never skips.
async fn run(
    tool: &'static str,
    args: Vec<String>,
    envs: Vec<(&'static str, &'static str)>,
) -> Output {
    tokio::task::spawn_blocking(move || Command::new(tool).args(&args).envs(envs).output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{tool} must be installed (scripts/test installs it): {e}"))
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn tile_of(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
    let (x, y) = minqing::spatial::lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    (z, (x * n) as u32, (y * n) as u32)
}

#[tokio::test]
async fn owslib_lists_queryables_filters_sorts_and_swaps_axes_for_epsg_4490() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ogc/owslib_check.py");
    let out = run("python3", vec![script.into(), app.base.clone()], vec![]).await;
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "OWSLib check failed (scripts/test pip-installs owslib): {stdout} {stderr}"
    );
    let summary: Value = serde_json::from_str(stdout.trim()).expect("the script prints JSON");
    assert_eq!(
        summary["red"],
        serde_json::json!(["HZ1"]),
        "only the red hazard: {summary}"
    );
    assert_eq!(
        summary["spatial"],
        serde_json::json!(["HZ1", "HZ2"]),
        "the triangle holds HZ1 and HZ2: {summary}"
    );
}

#[tokio::test]
async fn gdal_pushes_where_down_copies_to_geopackage_and_reads_an_ogc_api_tile() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let url = format!("OAPIF:{}/ogc", app.base);
    // -where goes to the server as CQL text (GDAL 3.6 learns it from /ogc/api).
    let out = run(
        "ogrinfo",
        vec![
            "-ro".into(),
            "-so".into(),
            url.clone(),
            "hazards".into(),
            "-where".into(),
            "risk = '红'".into(),
        ],
        vec![("CPL_DEBUG", "ON")],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "ogrinfo -where failed: {stdout} {stderr}"
    );
    assert!(
        stdout.contains("Feature Count: 1"),
        "one red hazard: {stdout}"
    );
    assert!(
        stderr.contains("filter=risk") && stderr.contains("filter-lang=cql-text"),
        "the filter was pushed down to the server, not evaluated by GDAL: {stderr}"
    );

    // ogr2ogr copies a collection; count and one geometry match the API.
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("hazards.gpkg").display().to_string();
    let out = run(
        "ogr2ogr",
        vec![
            "-f".into(),
            "GPKG".into(),
            gpkg.clone(),
            url.clone(),
            "hazards".into(),
        ],
        vec![],
    )
    .await;
    assert!(out.status.success(), "ogr2ogr failed: {:?}", text(&out));
    let (_, api) = app.get_json("/ogc/collections/hazards/items").await;
    let out = run(
        "ogrinfo",
        vec!["-ro".into(), "-so".into(), gpkg.clone(), "hazards".into()],
        vec![],
    )
    .await;
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(&format!("Feature Count: {}", api["numberMatched"])),
        "the GeoPackage holds every hazard of the API ({}): {stdout}",
        api["numberMatched"]
    );
    let out = run(
        "ogrinfo",
        vec![
            "-ro".into(),
            gpkg,
            "hazards".into(),
            "-where".into(),
            "id = 'HZ1'".into(),
        ],
        vec![],
    )
    .await;
    let (stdout, _) = text(&out);
    let (_, hz1) = app.get_json("/ogc/collections/hazards/items/HZ1").await;
    let c = &hz1["geometry"]["coordinates"];
    assert!(
        stdout.contains(&format!("POINT ({} {})", c[0], c[1])),
        "HZ1's geometry in the GeoPackage is the API's {c}: {stdout}"
    );

    // A vector tile found through OGC API – Tiles links, read by GDAL's MVT driver.
    let (_, sets) = app.get_json("/ogc/collections/hazards/tiles").await;
    let tileset_url = sets["tilesets"][0]["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .expect("a tileset link")["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let tileset: Value = app
        .client
        .get(&tileset_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let template = tileset["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "item" && l["type"] == "application/vnd.mapbox-vector-tile")
        .expect("an MVT tile template")["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let (z, x, y) = tile_of(113.01, 23.01, 14);
    // GDAL's MVT driver recognises a tile by its extension; the server accepts `.mvt`.
    let tile_url = template
        .replace("{tileMatrix}", &z.to_string())
        .replace("{tileRow}", &y.to_string())
        .replace("{tileCol}", &format!("{x}.mvt"));
    let out = run(
        "ogrinfo",
        vec![
            "-ro".into(),
            "-al".into(),
            "-oo".into(),
            format!("Z={z}"),
            "-oo".into(),
            format!("X={x}"),
            "-oo".into(),
            format!("Y={y}"),
            format!("/vsicurl/{tile_url}"),
        ],
        vec![],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "GDAL reads the OGC API tile {tile_url}: {stdout} {stderr}"
    );
    assert!(
        stdout.contains("Layer name: hazards") && stdout.contains("HZ1"),
        "the tile's hazards layer carries HZ1: {stdout}"
    );
    // One tile is cut once whichever URL asked: the same bytes, the same ETag.
    let ogc = app
        .get(&format!(
            "/ogc/collections/hazards/tiles/WebMercatorQuad/{z}/{y}/{x}"
        ))
        .await;
    let xyz = app.get(&format!("/tiles/hazards/{z}/{x}/{y}.mvt")).await;
    assert_eq!(
        ogc.headers()["etag"],
        xyz.headers()["etag"],
        "OGC and XYZ paths share the cached tile"
    );
}

#[tokio::test]
async fn bad_filters_crs_and_sortby_get_a_400_naming_the_problem() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let cases: &[(&str, &str, &str)] = &[
        ("filter=nope%3D1", "not a queryable", "unknown property"),
        ("filter=risk%20%3D", "not valid CQL2 text", "malformed text"),
        (
            "filter=%7B&filter-lang=cql2-json",
            "not valid CQL2 JSON",
            "malformed JSON",
        ),
        (
            "filter=risk%3D%27x%27&filter-lang=ecql",
            "unknown filter-lang",
            "unknown language",
        ),
        (
            "filter-lang=cql2-text",
            "need a `filter`",
            "language without filter",
        ),
        ("crs=EPSG:32650", "not offered", "a CRS we do not offer"),
        (
            "bbox-crs=urn:nope&bbox=1,2,3,4",
            "not offered",
            "a bbox CRS we do not offer",
        ),
        (
            "bbox=23,113&bbox-crs=EPSG:4490",
            "four numbers",
            "short bbox",
        ),
        (
            "filter-crs=EPSG:1&filter=risk%3D%27%E7%BA%A2%27",
            "not offered",
            "a filter CRS we do not offer",
        ),
        (
            "sortby=nope",
            "not a queryable",
            "sort by an unknown property",
        ),
        ("sortby=geometry", "no order", "sort by geometry"),
        ("sortby=risk,,", "empty key", "empty sort key"),
        (
            "filter=S_INTERSECTS(geometry%2C%20POINT(1))",
            "WKT",
            "broken WKT",
        ),
    ];
    for (query, words, why) in cases {
        let (s, v) = app
            .get_json(&format!("/ogc/collections/hazards/items?{query}"))
            .await;
        assert_eq!(s, 400, "{why}: {query} → {v}");
        let detail = v["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(words),
            "{why}: {query} → {detail:?} should say {words:?}"
        );
    }
    let (s, _) = app
        .get_json("/ogc/collections/hazards/items/HZ1?crs=EPSG:1")
        .await;
    assert_eq!(s, 400, "a single item refuses an unknown CRS too");
    let (s, _) = app.get_json("/ogc/tileMatrixSets/WorldCRS84Quad").await;
    assert_eq!(s, 404, "only WebMercatorQuad is offered");
}

#[tokio::test]
async fn crs_and_bbox_crs_follow_each_crs_axis_order() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    // EPSG:4326 is lat/lon like 4490; a bbox in it is given lat first.
    let (_, v) = app
        .get_json("/ogc/collections/hazards/items?bbox=23.0,113.0,23.015,113.015&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&crs=http://www.opengis.net/def/crs/EPSG/0/4326")
        .await;
    assert_eq!(
        v["numberMatched"], 1,
        "only HZ1 lies in the lat/lon box: {v}"
    );
    assert_eq!(
        v["features"][0]["geometry"]["coordinates"],
        serde_json::json!([23.01, 113.01])
    );
    let r = app
        .get("/ogc/collections/hazards/items/HZ1?crs=EPSG:3857")
        .await;
    assert_eq!(
        r.headers()["content-crs"],
        "<http://www.opengis.net/def/crs/EPSG/0/3857>"
    );
    let v: Value = r.json().await.unwrap();
    let x = v["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!(
        (x - 12_580_215.65).abs() < 0.01,
        "113.01° E is 6378137 m × 113.01° in radians = 12,580,215.65 m in Web Mercator, got {x}"
    );
    let (_, cols) = app.get_json("/ogc/collections").await;
    let hazards = &cols["collections"][1];
    assert_eq!(
        hazards["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    assert!(
        hazards["crs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "http://www.opengis.net/def/crs/EPSG/0/4490"),
        "collections list EPSG:4490: {hazards}"
    );
    let (_, conf) = app.get_json("/ogc/conformance").await;
    for class in [
        "ogcapi-features-2/1.0/conf/crs",
        "ogcapi-features-3/1.0/conf/filter",
        "cql2/1.0/conf/cql2-text",
        "ogcapi-tiles-1/1.0/conf/core",
    ] {
        assert!(
            conf.to_string().contains(class),
            "conformance lists {class}"
        );
    }
}

#[tokio::test]
async fn filters_sorts_and_tiles_never_reach_records_outside_rights() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    // Anonymous callers: no incident or people collection on any OGC path.
    let (z, x, y) = tile_of(113.011, 23.01, 15);
    for path in [
        "/ogc/collections/incidents/queryables".to_owned(),
        "/ogc/collections/people/queryables".into(),
        "/ogc/collections/incidents/tiles".into(),
        "/ogc/collections/incidents/tiles/WebMercatorQuad".into(),
        format!("/ogc/collections/incidents/tiles/WebMercatorQuad/{z}/{y}/{x}"),
        "/ogc/collections/incidents/items?filter=id%3D%27SJ-1%27".into(),
    ] {
        let (s, _) = app.get_json(&path).await;
        assert_eq!(
            s, 404,
            "anonymous {path}: the collection does not exist for it"
        );
    }
    let dataset = app
        .get(&format!("/ogc/tiles/WebMercatorQuad/{z}/{y}/{x}?f=geojson"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !dataset.contains("SJ-1"),
        "the anonymous dataset tile has no incidents: {dataset}"
    );
    let (_, ts) = app.get_json("/ogc/tiles/WebMercatorQuad").await;
    assert!(
        !ts.to_string().contains("incidents"),
        "the anonymous dataset tileset lists no incidents layer"
    );
    let (_, api) = app.get_json("/ogc/api").await;
    assert!(
        api["paths"].get("/collections/incidents/items").is_none(),
        "nor does its API definition"
    );

    // A grid head filters and sorts only his own grid's incidents.
    let west = app.login_as("west_grid").await;
    for (filter, why) in [
        ("grid%20%3C%3E%20%27441899001001001%27", "another grid"),
        ("id%3D%27SJ-4%27", "an id outside his grid"),
        (
            "S_INTERSECTS(geometry%2CBBOX(113.05%2C23%2C113.1%2C23.1))",
            "the east half",
        ),
    ] {
        let (s, v) = app
            .get_json_as(
                &west,
                &format!("/ogc/collections/incidents/items?filter={filter}"),
            )
            .await;
        assert_eq!(
            (s, &v["numberMatched"]),
            (200, &serde_json::json!(0)),
            "west head, {why}: {v}"
        );
    }
    let (_, mine) = app
        .get_json_as(
            &west,
            "/ogc/collections/incidents/items?sortby=-reported_at",
        )
        .await;
    let grids: Vec<&str> = mine["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["grid"].as_str().unwrap())
        .collect();
    assert!(
        !grids.is_empty() && grids.iter().all(|g| *g == fixture::WEST_SOUTH_GRID),
        "sorted, still only his grid: {grids:?}"
    );
    let (_, t) = app
        .get_json_as(&west, "/ogc/collections/incidents/items?filter=T_AFTER(reported_at%2CTIMESTAMP(%272000-01-01T00:00:00Z%27))")
        .await;
    assert_eq!(
        t["numberMatched"], mine["numberMatched"],
        "a temporal filter narrows, never widens: {t}"
    );
    let east = app.login_as("east_grid").await;
    let (_, v) = app
        .get_json_as(
            &east,
            "/ogc/collections/incidents/items?filter=id%20IN%20(%27SJ-1%27%2C%27SJ-2%27)",
        )
        .await;
    assert_eq!(
        v["numberMatched"], 0,
        "east head cannot pick west incidents by id: {v}"
    );
    let tile = app
        .get_as(
            &east,
            &format!("/ogc/collections/incidents/tiles/WebMercatorQuad/{z}/{y}/{x}?f=geojson"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!tile.contains("SJ-1"), "nor through an OGC tile: {tile}");
}
