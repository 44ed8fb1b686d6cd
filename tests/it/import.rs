//! Getting data in and out: the `import` and `check grids` commands run as the
//! real binary against real stores, and `/api/export` by rights.

use std::path::{Path, PathBuf};

use geo::GeodesicArea;
use geo::orient::{Direction, Orient};
use minqing::domain::{Dataset, Level};
use minqing::spatial::haversine_m;
use minqing::store::{self, Store};
use serde_json::Value;

use crate::common::{Backend, TestApp, fixture, fresh_store_url};

/// What a run of the binary produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `minqing ARGS… --store URL` and waits for it.
async fn minqing(url: &str, args: &[&str]) -> Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_minqing"));
    cmd.args(args)
        .arg("--store")
        .arg(url)
        .env("MINQING_LOG", "warn");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run minqing"))
        .await
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A store holding the fixture district; the guard keeps a SQLite file alive.
async fn fixture_store(backend: Backend, data: &Dataset) -> (String, Option<tempfile::TempDir>) {
    let (url, dir) = fresh_store_url(backend).await;
    let s = store::open(&url).await.expect("open store");
    s.migrate().await.expect("migrate");
    s.seed(data).await.expect("seed");
    (url, dir)
}

async fn load(url: &str) -> Dataset {
    let s: std::sync::Arc<dyn Store> = store::open(url).await.expect("open store");
    s.load().await.expect("load")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture file");
    p
}

#[tokio::test]
async fn a_shapefile_with_gbk_attributes_round_trips_chinese_names() {
    let files = tempfile::tempdir().unwrap();
    let shp = files.path().join("网格.shp");
    let areas = fixture::dataset().areas;
    {
        use shapefile::dbase::{self, FieldValue, Record};
        let table = dbase::TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(
            encoding_rs::GBK,
        ))
        .add_character_field("CODE".try_into().unwrap(), 15)
        .add_character_field("NAME".try_into().unwrap(), 60)
        .add_character_field("HEAD".try_into().unwrap(), 20)
        .add_numeric_field("HOUSEHOLDS".try_into().unwrap(), 10, 0);
        let mut w = shapefile::Writer::from_path(&shp, table).expect("create shapefile");
        for a in &areas {
            let mut r = Record::default();
            r.insert(
                "CODE".into(),
                FieldValue::Character(Some(a.code.to_string())),
            );
            r.insert("NAME".into(), FieldValue::Character(Some(a.name.clone())));
            r.insert(
                "HEAD".into(),
                FieldValue::Character(a.head.as_ref().map(|h| h.name.clone())),
            );
            r.insert(
                "HOUSEHOLDS".into(),
                FieldValue::Numeric(Some(a.households as f64)),
            );
            w.write_shape_and_record(&shapefile::Polygon::from(a.geometry.clone()), &r)
                .expect("write shape");
        }
    }
    // No .cpg and no language driver byte: the reader must detect GBK by itself.
    let dbf_path = shp.with_extension("dbf");
    let mut dbf = std::fs::read(&dbf_path).unwrap();
    assert!(
        std::str::from_utf8(&dbf[dbf[8] as usize..]).is_err(),
        "the fixture's attributes really are GBK, not UTF-8"
    );
    dbf[29] = 0;
    std::fs::write(&dbf_path, &dbf).unwrap();
    let _ = std::fs::remove_file(shp.with_extension("cpg"));

    let (url, _dir) = fresh_store_url(Backend::Sqlite).await;
    let run = minqing(&url, &["import", shp.to_str().unwrap(), "--layer", "grids"]).await;
    assert_eq!(run.code, 0, "import succeeds: {}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("GBK"),
        "the report says which encoding it used: {}",
        run.stdout
    );
    let stored = load(&url).await;
    assert_eq!(stored.areas.len(), areas.len(), "every area stored once");
    for a in &areas {
        let s = stored
            .areas
            .iter()
            .find(|s| s.code == a.code)
            .expect("area stored");
        assert_eq!(s.name, a.name, "{}: the Chinese name survives GBK", a.code);
        assert_eq!(
            s.head.as_ref().map(|h| &h.name),
            a.head.as_ref().map(|h| &h.name),
            "{}: the grid head's name survives GBK",
            a.code
        );
        assert_eq!(s.households, a.households, "{}: households", a.code);
        assert!(
            (s.geometry.geodesic_area_unsigned() - a.geometry.geodesic_area_unsigned()).abs() < 1.0,
            "{}: the polygon is the same (Shapefile winding converted back)",
            a.code
        );
    }
}

#[tokio::test]
async fn gcj02_and_bd09_inputs_land_within_2_m_of_their_wgs84_truth() {
    let truth = [
        ("G1", 113.021, 23.031),
        ("G2", 113.078, 23.066),
        ("G3", 113.049, 23.012),
    ];
    for backend in Backend::BOTH {
        let (url, _dir) = fixture_store(backend, &fixture::dataset()).await;
        let files = tempfile::tempdir().unwrap();
        for (crs, convert) in [
            (
                "gcj02",
                coordtransform::wgs84_to_gcj02 as fn(f64, f64) -> (f64, f64),
            ),
            ("bd09", |x, y| {
                let (a, b) = coordtransform::wgs84_to_gcj02(x, y);
                coordtransform::gcj02_to_bd09(a, b)
            }),
        ] {
            let mut csv = String::from("编号,名称,类型,风险等级,经度,纬度\n");
            for (id, lon, lat) in truth {
                let (x, y) = convert(lon, lat);
                csv.push_str(&format!("{crs}-{id},{crs}测试点{id},滑坡,黄,{x},{y}\n"));
            }
            let f = write(files.path(), &format!("{crs}.csv"), &csv);
            let run = minqing(
                &url,
                &[
                    "import",
                    f.to_str().unwrap(),
                    "--layer",
                    "hazards",
                    "--crs",
                    crs,
                ],
            )
            .await;
            assert_eq!(
                run.code, 0,
                "{backend:?} {crs}: {}{}",
                run.stdout, run.stderr
            );
        }
        let stored = load(&url).await;
        for crs in ["gcj02", "bd09"] {
            for (id, lon, lat) in truth {
                let h = stored
                    .hazards
                    .iter()
                    .find(|h| h.id == format!("{crs}-{id}"))
                    .unwrap_or_else(|| panic!("{backend:?}: {crs}-{id} stored"));
                let d = haversine_m(h.lon, h.lat, lon, lat);
                assert!(
                    d < 2.0,
                    "{backend:?}: {crs} point {id} lands {d:.2} m from its WGS84 truth (limit 2 m)"
                );
                assert_eq!(
                    h.name,
                    format!("{crs}测试点{id}"),
                    "Chinese headers mapped the name"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_file_with_one_bad_row_imports_nothing_and_names_that_row() {
    let (url, _dir) = fixture_store(Backend::Sqlite, &fixture::dataset()).await;
    let files = tempfile::tempdir().unwrap();
    let csv = write(
        files.path(),
        "hazards.csv",
        "id,name,kind,risk,lon,lat\nN1,新滑坡1,滑坡,红,113.01,23.01\nN2,新滑坡2,崩塌,紫,113.02,23.02\nN3,新滑坡3,崩塌,蓝,113.03,23.03\n",
    );
    let run = minqing(
        &url,
        &["import", csv.to_str().unwrap(), "--layer", "hazards"],
    )
    .await;
    assert_eq!(
        run.code, 1,
        "a rejected row fails the import: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("line 3: risk: ") && l.contains("紫")),
        "the bad row is named as line 3 (header = line 1) with its field: {}",
        run.stdout
    );
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("line "))
            .count(),
        1,
        "only that row is rejected: {}",
        run.stdout
    );
    assert!(run.stdout.contains("nothing was written"), "{}", run.stdout);
    assert_eq!(
        load(&url).await.hazards.len(),
        fixture::HAZARDS.len(),
        "no hazard was written, not even N1 and N3"
    );

    // A point outside the district and a self-intersecting polygon are rejected rows too.
    let outside = write(
        files.path(),
        "outside.csv",
        "编号,名称,容纳人数,经度,纬度\nS9,远处学校,100,113.5,23.05\n",
    );
    let run = minqing(
        &url,
        &["import", outside.to_str().unwrap(), "--layer", "shelters"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("line 2: location: ")
            && run.stdout.contains("outside the district 441899"),
        "the far point is reported against the stored district: {}",
        run.stdout
    );
    let bowtie = write(
        files.path(),
        "bowtie.geojson",
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"441899001001003","name":"好网格"},"geometry":{"type":"Polygon","coordinates":[[[113.0,23.0],[113.01,23.0],[113.01,23.01],[113.0,23.01],[113.0,23.0]]]}},
          {"type":"Feature","properties":{"code":"441899001001004","name":"坏网格"},"geometry":{"type":"Polygon","coordinates":[[[113.0,23.0],[113.01,23.01],[113.01,23.0],[113.0,23.01],[113.0,23.0]]]}}]}"#,
    );
    let run = minqing(
        &url,
        &["import", bowtie.to_str().unwrap(), "--layer", "grids"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("line 2: geometry: ") && run.stdout.contains("self-intersection"),
        "feature 2 is named with the reason: {}",
        run.stdout
    );
    assert!(
        !load(&url)
            .await
            .areas
            .iter()
            .any(|a| a.code.as_str() == "441899001001003"),
        "the good feature 1 was not written either"
    );
}

#[tokio::test]
async fn dry_run_writes_nothing_repairs_are_reported_and_reimports_update_in_place() {
    let (url, _dir) = fixture_store(Backend::Sqlite, &fixture::dataset()).await;
    let files = tempfile::tempdir().unwrap();
    let csv = write(
        files.path(),
        "h.csv",
        "id,name,kind,risk,threatened_households,lon,lat\nHZ1,改名滑坡,滑坡,红色,12,113.01,23.01\nHZ9,新滑坡,泥石流,橙,3,113.02,23.06\n",
    );
    let path = csv.to_str().unwrap();
    let run = minqing(&url, &["import", path, "--layer", "hazards", "--dry-run"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("dry run: 2 hazards would be imported (1 new, 1 updated)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        load(&url).await.hazards.len(),
        4,
        "a dry run writes nothing"
    );

    for round in 1..=2 {
        let run = minqing(&url, &["import", path, "--layer", "hazards"]).await;
        assert_eq!(run.code, 0, "round {round}: {}", run.stdout);
        let stored = load(&url).await;
        assert_eq!(
            stored.hazards.len(),
            5,
            "round {round}: HZ1 updated in place, HZ9 added once"
        );
        let hz1 = stored.hazards.iter().find(|h| h.id == "HZ1").unwrap();
        assert_eq!(
            (hz1.name.as_str(), hz1.threatened_households),
            ("改名滑坡", 12),
            "round {round}: HZ1 replaced"
        );
    }
    let changes = store::open(&url)
        .await
        .unwrap()
        .changes_since(0, 100)
        .await
        .unwrap();
    assert_eq!(
        changes.len(),
        2,
        "each import logs one change for its batch (contract: layer + box + ids)"
    );
    assert!(
        changes
            .iter()
            .all(|c| c.kind == "hazard.imported" && c.record_ids() == ["HZ1", "HZ9"]),
        "each batch names exactly the records it wrote: {changes:?}"
    );

    // An unclosed, clockwise ring with a repeated point: repaired and reported, not rejected.
    let gj = write(
        files.path(),
        "g.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"441899001001003","name":"新网格"},
          "geometry":{"type":"Polygon","coordinates":[[[113.0,23.0],[113.0,23.01],[113.0,23.01],[113.01,23.01],[113.01,23.0]]]}}]}"#,
    );
    let run = minqing(
        &url,
        &[
            "import",
            gj.to_str().unwrap(),
            "--layer",
            "grids",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    for repair in [
        "closed an unclosed ring",
        "reversed a clockwise exterior ring",
        "removed 1 repeated",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with("warning: line 1: ") && l.contains(repair)),
            "repair {repair:?} reported for feature 1: {}",
            run.stdout
        );
    }
}

/// The fixture with a gap (the west-north grid stops at 23.09) and an overlap
/// (the east-south grid reaches up to 23.055).
fn fixture_with_gap_and_overlap() -> Dataset {
    let mut d = fixture::dataset();
    for a in &mut d.areas {
        match a.code.as_str() {
            fixture::WEST_NORTH_GRID => a.geometry = fixture::rect(113.0, 23.05, 113.05, 23.09),
            fixture::EAST_SOUTH_GRID => a.geometry = fixture::rect(113.05, 23.0, 113.1, 23.055),
            _ => {}
        }
    }
    d
}

#[tokio::test]
async fn check_grids_finds_a_planted_gap_and_overlap_with_their_areas() {
    let (clean, _d1) = fixture_store(Backend::Sqlite, &fixture::dataset()).await;
    let run = minqing(&clean, &["check", "grids"]).await;
    assert_eq!(run.code, 0, "the fixture tiles exactly: {}", run.stdout);
    assert!(run.stdout.contains("no problems found"), "{}", run.stdout);

    let (url, _d2) = fixture_store(Backend::Sqlite, &fixture_with_gap_and_overlap()).await;
    let files = tempfile::tempdir().unwrap();
    let out = files.path().join("problems.geojson");
    let run = minqing(
        &url,
        &["check", "grids", "--geojson", out.to_str().unwrap()],
    )
    .await;
    assert_eq!(run.code, 1, "problems found → exit 1: {}", run.stdout);
    let gap_truth = fixture::rect(113.0, 23.09, 113.05, 23.1).geodesic_area_unsigned();
    let overlap_truth = fixture::rect(113.05, 23.05, 113.1, 23.055).geodesic_area_unsigned();
    let fc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let features = fc["features"].as_array().unwrap();
    let of = |kind: &str| {
        features
            .iter()
            .filter(|f| f["properties"]["kind"] == kind)
            .collect::<Vec<_>>()
    };
    let gaps = of("gap");
    assert_eq!(gaps.len(), 1, "one gap: {}", run.stdout);
    assert_eq!(
        gaps[0]["properties"]["codes"][0], "441899001001",
        "the gap is in the west community"
    );
    let a = gaps[0]["properties"]["area_m2"].as_f64().unwrap();
    assert!(
        (a - gap_truth).abs() / gap_truth < 0.001,
        "gap area {a} m² vs {gap_truth} m²"
    );
    let (lon, lat) = (
        gaps[0]["properties"]["lon"].as_f64().unwrap(),
        gaps[0]["properties"]["lat"].as_f64().unwrap(),
    );
    assert!(
        (113.0..113.05).contains(&lon) && (23.09..23.1).contains(&lat),
        "the gap's location lies in it: {lon},{lat}"
    );
    let overlaps = of("overlap");
    assert_eq!(overlaps.len(), 1, "one overlap: {}", run.stdout);
    assert_eq!(
        overlaps[0]["properties"]["codes"],
        serde_json::json!([fixture::EAST_SOUTH_GRID, fixture::EAST_NORTH_GRID])
    );
    let a = overlaps[0]["properties"]["area_m2"].as_f64().unwrap();
    assert!(
        (a - overlap_truth).abs() / overlap_truth < 0.001,
        "overlap area {a} m² vs {overlap_truth} m²"
    );
    assert_eq!(
        features.len(),
        2,
        "nothing else is wrong with the fixture: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("gap: gap in 441899001001 西社区"),
        "human report names the community: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ignored as rounding slivers"),
        "the tolerance is stated: {}",
        run.stdout
    );
}

/// `(status, body)` of an export.
async fn export(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("request");
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.bytes().await.unwrap().to_vec())
}

fn csv_ids(body: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("CSV starts with a BOM for Excel");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records().map(|rec| rec.unwrap()[0].to_owned()).collect()
}

#[tokio::test]
async fn exports_follow_the_rights_of_each_layer() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (s, _, _) = export(&app, None, "/api/export/people.csv").await;
    assert_eq!(s, 401, "anonymous callers get no people records");
    for user in ["flood", "public"] {
        let t = app.login_as(user).await;
        let (s, _, _) = export(&app, Some(&t), "/api/export/people.csv").await;
        assert_eq!(s, 403, "{user} sees counts only");
    }
    let west = app.login_as("west_grid").await;
    let (s, h, body) = export(&app, Some(&west), "/api/export/people.csv").await;
    assert_eq!(s, 200);
    assert!(
        h[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"people-"),
        "downloaded as a file: {h:?}"
    );
    assert_eq!(
        csv_ids(&body),
        ["RY0", "RY1", "RY2", "RY3", "RY4"],
        "a grid head exports only their grid's records"
    );
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains("张*明") && !text.contains("张三明"),
        "names are masked"
    );
    assert!(!text.contains("13812345678"), "phones are masked");
    let admin = app.login_as("admin").await;
    let (_, audit) = app.get_json_as(&admin, "/api/audit?limit=1").await;
    assert_eq!(
        audit["items"][0]["action"], "people.export",
        "the export is audited: {audit}"
    );
    assert_eq!(
        audit["items"][0]["records"],
        serde_json::json!(["RY0", "RY1", "RY2", "RY3", "RY4"]),
        "one audit entry naming the exported records"
    );

    let (s, _, body) = export(&app, None, "/api/export/hazards.geojson").await;
    assert_eq!(s, 200, "hazards are public");
    let fc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 4);
    assert!(
        fc["features"][0]["properties"]
            .get("monitor_phone")
            .is_none(),
        "no phone numbers for anonymous callers"
    );
    let (_, _, body) = export(&app, Some(&admin), "/api/export/hazards.geojson?risk=红").await;
    let fc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        fc["features"].as_array().unwrap().len(),
        1,
        "filtered by risk"
    );
    assert_eq!(
        fc["features"][0]["properties"]["monitor_phone"], "13900000001",
        "signed-in callers get phones"
    );

    let (s, _, _) = export(&app, None, "/api/export/incidents.csv").await;
    assert_eq!(s, 401, "incidents need a session");
    let east = app.login_as("east_grid").await;
    let (s, _, body) = export(&app, Some(&east), "/api/export/incidents.csv").await;
    assert_eq!(s, 200);
    assert_eq!(
        csv_ids(&body),
        ["SJ-4", "SJ-5"],
        "the east grid head exports only the east grid's incidents"
    );
    let (s, _, _) = export(
        &app,
        Some(&east),
        &format!(
            "/api/export/incidents.csv?area={}",
            fixture::WEST_SOUTH_GRID
        ),
    )
    .await;
    assert_eq!(s, 403, "an area outside one's own is refused");

    let (s, h, body) = export(&app, None, "/api/export/grids.xlsx?level=grid").await;
    assert_eq!(s, 200);
    assert!(
        h[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"),
        "{h:?}"
    );
    assert_eq!(&body[..2], b"PK", "an XLSX file is a zip");
    for (path, status) in [
        ("/api/export/hazards.csv?colour=red", 400),
        ("/api/export/hazards.csv?risk=purple", 400),
        ("/api/export/patrol.csv", 404),
        ("/api/export/hazards.pdf", 404),
    ] {
        let (s, _, body) = export(&app, None, path).await;
        assert_eq!(s, status, "{path}: {}", String::from_utf8_lossy(&body));
    }
    app.stop().await;
}

/// Exports grids, hazards, shelters and places as an admin, imports them into a
/// fresh store with the CLI, and returns what that store holds.
async fn round_trip(app: &TestApp, admin: &str, backend: Backend) -> Dataset {
    let (url, _dir) = fresh_store_url(backend).await;
    let files = tempfile::tempdir().unwrap();
    for layer in ["grids", "hazards", "shelters", "places"] {
        let (s, _, body) = export(app, Some(admin), &format!("/api/export/{layer}.geojson")).await;
        assert_eq!(s, 200, "export {layer}");
        let f = files.path().join(format!("{layer}.geojson"));
        std::fs::write(&f, body).unwrap();
        let run = minqing(&url, &["import", f.to_str().unwrap(), "--layer", layer]).await;
        assert_eq!(
            run.code, 0,
            "{backend:?}: import {layer}: {}{}",
            run.stdout, run.stderr
        );
        assert!(
            !run.stdout.contains("warning"),
            "{backend:?}: our own export imports without warnings: {}",
            run.stdout
        );
    }
    let d = load(&url).await;
    drop(_dir);
    d
}

fn assert_same(original: &Dataset, back: &Dataset, what: &str) {
    assert_eq!(back.areas.len(), original.areas.len(), "{what}: areas");
    for (a, b) in original.areas.iter().zip(&back.areas) {
        assert_eq!(
            (
                &a.code,
                &a.name,
                &a.parent,
                &a.head,
                a.households,
                a.residents
            ),
            (
                &b.code,
                &b.name,
                &b.parent,
                &b.head,
                b.households,
                b.residents
            ),
            "{what}: area {}",
            a.code
        );
        // Orient first: geodesic area reads a clockwise ring as "everything outside it".
        let ccw = |g: &geo_types::MultiPolygon<f64>| {
            g.orient(Direction::Default).geodesic_area_unsigned()
        };
        let (x, y) = (ccw(&a.geometry), ccw(&b.geometry));
        assert!(
            (x - y).abs() <= 1e-6 * x.max(1.0) + 1.0,
            "{what}: area {} keeps its polygon ({x} vs {y} m²)",
            a.code
        );
    }
    let near = |a: (f64, f64), b: (f64, f64)| haversine_m(a.0, a.1, b.0, b.1) < 0.05;
    assert_eq!(
        back.hazards.len(),
        original.hazards.len(),
        "{what}: hazards"
    );
    for (a, b) in original.hazards.iter().zip(&back.hazards) {
        assert!(
            near((a.lon, a.lat), (b.lon, b.lat)),
            "{what}: hazard {} location",
            a.id
        );
        let mut b2 = b.clone();
        (b2.lon, b2.lat) = (a.lon, a.lat);
        assert_eq!(a, &b2, "{what}: hazard {} unchanged", a.id);
    }
    assert_eq!(
        back.shelters.len(),
        original.shelters.len(),
        "{what}: shelters"
    );
    for (a, b) in original.shelters.iter().zip(&back.shelters) {
        assert!(
            near((a.lon, a.lat), (b.lon, b.lat))
                && a.name == b.name
                && a.capacity == b.capacity
                && a.address == b.address,
            "{what}: shelter {}",
            a.id
        );
    }
    assert_eq!(back.places.len(), original.places.len(), "{what}: places");
    for (a, b) in original.places.iter().zip(&back.places) {
        assert!(
            near((a.lon, a.lat), (b.lon, b.lat))
                && a.name == b.name
                && a.kind == b.kind
                && a.visit_every_hours == b.visit_every_hours,
            "{what}: place {}",
            a.id
        );
    }
}

#[tokio::test]
async fn importing_the_fixture_districts_own_exports_reproduces_it_on_both_stores() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let original = app.store().load().await.unwrap();
    let admin = app.login_as("admin").await;
    for backend in Backend::BOTH {
        let back = round_trip(&app, &admin, backend).await;
        assert_same(&original, &back, &format!("fixture → {backend:?}"));
    }
    app.stop().await;
}

#[tokio::test]
async fn importing_the_demo_districts_own_exports_reproduces_it() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let original = app.store().load().await.unwrap();
    assert!(
        original.areas.iter().any(|a| a.level() == Level::Grid),
        "the demo has grids"
    );
    let admin = app.login_with("admin", minqing::app::DEMO_PASSWORD).await;
    let back = round_trip(&app, &admin, Backend::Sqlite).await;
    assert_same(&original, &back, "demo");
    app.stop().await;
}

#[tokio::test]
async fn people_and_incidents_import_on_both_stores_with_history_and_a_quiet_change_log() {
    for backend in Backend::BOTH {
        let (url, _dir) = fixture_store(backend, &fixture::dataset()).await;
        let files = tempfile::tempdir().unwrap();
        let people = write(
            files.path(),
            "people.csv",
            "编号,类别,姓名,身份证号,手机,住址,经度,纬度\nRY100,独居老人,王小明,11010519491231002X,13900001111,东村1号,113.08,23.02\n",
        );
        let run = minqing(
            &url,
            &["import", people.to_str().unwrap(), "--layer", "people"],
        )
        .await;
        assert_eq!(run.code, 0, "{backend:?}: {}", run.stdout);
        let incidents = write(
            files.path(),
            "incidents.csv",
            "id,category,status,reported_at,description,lon,lat\nSJ-100,邻里纠纷,受理,2026-05-30 09:00,噪音,113.08,23.02\n",
        );
        for round in 1..=2 {
            let run = minqing(
                &url,
                &[
                    "import",
                    incidents.to_str().unwrap(),
                    "--layer",
                    "incidents",
                ],
            )
            .await;
            assert_eq!(run.code, 0, "{backend:?} round {round}: {}", run.stdout);
        }
        let s = store::open(&url).await.unwrap();
        let d = s.load().await.unwrap();
        let p = d
            .people
            .iter()
            .find(|p| p.id == "RY100")
            .expect("person stored");
        assert_eq!(
            (p.name.as_str(), p.category.zh()),
            ("王小明", "独居老人"),
            "{backend:?}"
        );
        let i = d
            .incidents
            .iter()
            .find(|i| i.id == "SJ-100")
            .expect("incident stored");
        assert_eq!(
            i.grid.as_deref(),
            Some(fixture::EAST_SOUTH_GRID),
            "{backend:?}: the grid comes from the location"
        );
        assert_eq!(
            i.status.as_str(),
            "accepted",
            "{backend:?}: 受理 is accepted"
        );
        assert_eq!(
            i.reported_at.to_rfc3339(),
            "2026-05-30T01:00:00+00:00",
            "{backend:?}: local times are Beijing time"
        );
        assert_eq!(
            i.version, 2,
            "{backend:?}: the second import updated it in place"
        );
        let history = s.incident_history("SJ-100").await.unwrap();
        assert_eq!(
            history.len(),
            2,
            "{backend:?}: one `import` history entry per import"
        );
        assert!(
            history
                .iter()
                .all(|h| h.action == "import" && h.actor == "import"),
            "{backend:?}: {history:?}"
        );
        let changes = s.changes_since(0, 100).await.unwrap();
        let kinds: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.kind.as_str(), c.record_id.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("people.imported", "people"),
                ("incident.imported", "SJ-100"),
                ("incident.imported", "SJ-100")
            ],
            "{backend:?}: one change per import batch; a people batch is labelled `people`, not by a person's id"
        );
        assert_eq!(
            changes[0].ids,
            ["RY100"],
            "{backend:?}: the batch's ids let other instances reload exactly those records"
        );
    }
}
