//! Imports reach every running instance without a restart: from the browser
//! endpoint on one of two instances sharing a PostGIS store, and from the
//! `minqing import` command beside a server on SQLite. Only the tiles the new
//! records touch go stale.

use std::time::{Duration, Instant};

use minqing::app::AppConfig;
use serde_json::Value;

use crate::common::{Backend, TestApp, add_fixture_users, feature_count, fixture, fresh_store_url};

/// The z14 tile holding a point, as `z/x/y`.
fn tile_at(lon: f64, lat: f64) -> String {
    let n = f64::from(1u32 << 14);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    format!("14/{x}/{y}")
}

/// Starts an instance on a store that already holds the fixture district.
async fn instance(url: &str) -> TestApp {
    TestApp::start(AppConfig::new(url, "127.0.0.1:0".parse().unwrap()), None).await
}

/// A seeded store (the guard keeps a SQLite file alive).
async fn seeded(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    let (url, dir) = fresh_store_url(backend).await;
    let s = minqing::store::open(&url).await.unwrap();
    s.migrate().await.unwrap();
    s.seed(&fixture::dataset()).await.unwrap();
    add_fixture_users(s.as_ref()).await;
    (url, dir)
}

/// `POST /api/import/{layer}` with one file part.
async fn upload(
    app: &TestApp,
    token: &str,
    layer: &str,
    name: &str,
    body: Vec<u8>,
    dry_run: bool,
) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(body).file_name(name.to_owned()),
        )
        .text("dry_run", dry_run.to_string());
    let r = app
        .client
        .post(app.url(&format!("/api/import/{layer}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// The tile's ETag as the server sends it.
async fn etag(app: &TestApp, path: &str) -> String {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    r.headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Polls until `probe` is true or `limit` passes; returns the time it took.
async fn within(limit: Duration, mut probe: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < limit {
        if probe().await {
            return Some(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Tiles, OGC and a query on `app` all show hazard `id` near (lon, lat).
async fn shows_hazard(app: &TestApp, id: &str, lon: f64, lat: f64) -> bool {
    let (s, near) = app
        .get_json(&format!("/api/hazards/nearest?lon={lon}&lat={lat}&k=1"))
        .await;
    let by_query = s == 200 && near["items"][0]["id"] == id;
    let (s, _) = app
        .get_json(&format!("/ogc/collections/hazards/items/{id}"))
        .await;
    let by_ogc = s == 200;
    let t = app
        .tile(None, &format!("/tiles/hazards/{}.mvt", tile_at(lon, lat)))
        .await;
    let by_tile = feature_count(&t, "hazards") == 1;
    by_query && by_ogc && by_tile
}

const NEW_HAZARD: &str = "id,name,kind,risk,lon,lat\nHZ9,新建内涝点,内涝积水点,红,113.03,23.03\n";

#[tokio::test]
async fn an_import_on_one_instance_shows_on_both_instances_sharing_postgis() {
    let (url, _) = seeded(Backend::Postgis).await;
    let a = instance(&url).await;
    let b = instance(&url).await;
    // A tile far from the new hazard, cached on B before the import.
    let unrelated = format!("/tiles/hazards/{}.mvt", tile_at(113.09, 23.02));
    let before = etag(&b, &unrelated).await;
    assert!(!before.is_empty(), "the unrelated tile has an ETag");
    let empty = b
        .tile(
            None,
            &format!("/tiles/hazards/{}.mvt", tile_at(113.03, 23.03)),
        )
        .await;
    assert_eq!(feature_count(&empty, "hazards"), 0, "no hazard there yet");

    let admin = a.login_as("admin").await;
    let (s, dry) = upload(&a, &admin, "hazards", "h.csv", NEW_HAZARD.into(), true).await;
    assert_eq!(s, 200, "a dry run answers 200: {dry}");
    assert_eq!(
        (dry["ok"].as_bool(), dry["new"].as_u64()),
        (Some(true), Some(1)),
        "{dry}"
    );
    assert!(
        !shows_hazard(&a, "HZ9", 113.03, 23.03).await,
        "a dry run writes nothing"
    );
    let (s, done) = upload(&a, &admin, "hazards", "h.csv", NEW_HAZARD.into(), false).await;
    assert_eq!(s, 200, "the import is written: {done}");
    assert!(
        done["report"]
            .as_str()
            .unwrap()
            .contains("imported 1 hazards"),
        "the CLI's report text comes back: {done}"
    );
    for (name, app) in [("A (the importer)", &a), ("B (the other instance)", &b)] {
        let took = within(Duration::from_secs(2), async || {
            shows_hazard(app, "HZ9", 113.03, 23.03).await
        })
        .await;
        assert!(
            took.is_some(),
            "{name} shows the imported hazard in tiles, OGC and queries within 2 s"
        );
    }
    assert_eq!(
        etag(&b, &unrelated).await,
        before,
        "a tile the import did not touch keeps its ETag on B"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn three_instances_on_one_postgis_see_a_write_on_any_of_them_within_a_second() {
    let (url, _) = seeded(Backend::Postgis).await;
    let apps = [
        instance(&url).await,
        instance(&url).await,
        instance(&url).await,
    ];
    let mut tokens = Vec::new();
    for app in &apps {
        tokens.push(app.login_as("command").await);
    }
    for (n, writer) in apps.iter().enumerate() {
        let lon = 113.01 + 0.01 * n as f64;
        let (s, inc) = writer
            .post_json_as(
                Some(&tokens[n]),
                "/api/incidents",
                &serde_json::json!({"category": "安全隐患", "description": format!("第{n}台写入"), "lon": lon, "lat": 23.02}),
            )
            .await;
        assert_eq!(s, 201, "instance {n} takes the report: {inc}");
        let id = inc["id"].as_str().unwrap().to_owned();
        for (m, reader) in apps.iter().enumerate() {
            let path = format!("/api/incidents/{id}");
            let took = within(Duration::from_secs(1), async || {
                reader.get_json_as(&tokens[m], &path).await.0 == 200
            })
            .await;
            assert!(
                took.is_some(),
                "instance {m} shows the incident written on instance {n} within 1 s"
            );
        }
    }
    for app in apps {
        app.stop().await;
    }
}

#[tokio::test]
async fn the_import_command_beside_a_running_sqlite_server_shows_without_a_restart() {
    let (url, dir) = seeded(Backend::Sqlite).await;
    let app = instance(&url).await;
    let unrelated = format!("/tiles/hazards/{}.mvt", tile_at(113.09, 23.02));
    let before = etag(&app, &unrelated).await;
    let file = dir.as_ref().unwrap().path().join("new.csv");
    std::fs::write(&file, NEW_HAZARD).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args([
            "import",
            file.to_str().unwrap(),
            "--layer",
            "hazards",
            "--store",
            &url,
        ])
        .env("MINQING_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the import command succeeds: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let took = within(Duration::from_secs(2), async || {
        shows_hazard(&app, "HZ9", 113.03, 23.03).await
    })
    .await;
    assert!(
        took.is_some(),
        "the running server shows the CLI's import within 2 s"
    );
    assert_eq!(
        etag(&app, &unrelated).await,
        before,
        "an untouched tile keeps its ETag"
    );
    app.stop().await;
}

/// The west grids with the boundary between them moved from 23.05 to `y`.
fn west_grids_split_at(y: f64) -> Vec<u8> {
    let ring = |y0: f64, y1: f64| {
        serde_json::json!([[
            [113.0, y0],
            [113.05, y0],
            [113.05, y1],
            [113.0, y1],
            [113.0, y0]
        ]])
    };
    serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": fixture::WEST_SOUTH_GRID, "name": "西社区第1网格", "head": "张三明"},
         "geometry": {"type": "Polygon", "coordinates": ring(23.0, y)}},
        {"type": "Feature", "properties": {"code": fixture::WEST_NORTH_GRID, "name": "西社区第2网格", "head": "李四"},
         "geometry": {"type": "Polygon", "coordinates": ring(y, 23.1)}},
    ]}))
    .unwrap()
}

async fn reshaping_a_grid_moves_the_point_to_grid_answer(backend: Backend) {
    let app = TestApp::fixture(backend).await;
    let admin = app.login_as("admin").await;
    let at = "/api/grids/at?lon=113.02&lat=23.04";
    let (_, g) = app.get_json(at).await;
    assert_eq!(
        g["code"],
        fixture::WEST_SOUTH_GRID,
        "before: the south grid"
    );
    let (s, r) = upload(
        &app,
        &admin,
        "grids",
        "grids.geojson",
        west_grids_split_at(23.03),
        false,
    )
    .await;
    assert_eq!(s, 200, "{backend:?}: the reshaped grids import: {r}");
    assert_eq!(r["updated"], 2, "both grids are updates: {r}");
    let (_, g) = app.get_json(at).await;
    assert_eq!(
        g["code"],
        fixture::WEST_NORTH_GRID,
        "{backend:?}: after the boundary moved south of the point, it lies in the north grid"
    );
    app.stop().await;
}

#[tokio::test]
async fn reshaping_a_grid_moves_the_point_to_grid_answer_on_sqlite() {
    reshaping_a_grid_moves_the_point_to_grid_answer(Backend::Sqlite).await;
}

#[tokio::test]
async fn reshaping_a_grid_moves_the_point_to_grid_answer_on_postgis() {
    reshaping_a_grid_moves_the_point_to_grid_answer(Backend::Postgis).await;
}

#[tokio::test]
async fn a_rejected_row_writes_nothing_and_answers_422_with_the_line() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let admin = app.login_as("admin").await;
    let csv = "id,name,kind,risk,lon,lat\nHZ9,好的,内涝积水点,红,113.03,23.03\nHZ10,坏的,内涝积水点,紫,113.04,23.04\n";
    let (s, r) = upload(&app, &admin, "hazards", "h.csv", csv.into(), false).await;
    assert_eq!(s, 422, "a rejected row refuses the whole file: {r}");
    assert_eq!(
        r["rejected"][0]["line"], 3,
        "the bad row is named by its file line: {r}"
    );
    assert_eq!(r["rejected"][0]["field"], "risk", "{r}");
    assert!(
        r["report"].as_str().unwrap().contains("line 3: risk:"),
        "the report carries the CLI's line: {r}"
    );
    assert!(
        !shows_hazard(&app, "HZ9", 113.03, 23.03).await,
        "the good row was not written either"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_file_without_ids_gets_stable_ids_and_a_default_fills_a_column() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let admin = app.login_as("admin").await;
    let csv = "name,kind,lon,lat\n无编号隐患,内涝积水点,113.03,23.03\n";
    let send = async |defaults: &str| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("h.csv"),
            )
            .text("defaults", defaults.to_owned());
        let r = app
            .client
            .post(app.url("/api/import/hazards"))
            .bearer_auth(&admin)
            .multipart(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    let (s, r) = send("").await;
    assert_eq!(
        s, 422,
        "without a risk column or default the rows are rejected: {r}"
    );
    assert_eq!(r["rejected"][0]["field"], "risk", "{r}");
    let (s, r) = send(r#"{"risk": "黄"}"#).await;
    assert_eq!(s, 200, "a default risk for the file lets it in: {r}");
    assert_eq!(r["new"], 1, "{r}");
    assert!(
        r["warnings"]
            .to_string()
            .contains("derived from its content"),
        "the derived ids are reported as a warning: {r}"
    );
    let (s, again) = send(r#"{"risk": "黄"}"#).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(
        (again["new"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(1)),
        "the same row again updates the record its content named: {again}"
    );
    app.stop().await;
}
