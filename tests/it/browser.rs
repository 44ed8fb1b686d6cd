//! The map app in real headless Chromium (Debian `chromium`, driven by
//! playwright-core from `tests/e2e/run.mjs`) against the real server with the
//! demo district. `scripts/test` installs both; this test fails when they are missing.

use std::process::Command;

use crate::common::{Backend, TestApp};

#[tokio::test]
async fn the_three_views_load_and_the_grid_and_flood_flows_work_in_chromium() {
    // A vector base map fixture (roads, a lake, a village) around wangge's grid,
    // so the suite sees roads under our layers, served by the binary itself.
    let base_dir = tempfile::tempdir().unwrap();
    let base = base_dir.path().join("roads.pmtiles");
    crate::common::basemap::write_pmtiles(&base, [112.98, 23.62, 113.14, 23.78], 10..=14);
    let app = TestApp::demo_with_basemap(Backend::Sqlite, Some(base.display().to_string())).await;
    let root = env!("CARGO_MANIFEST_DIR");
    let shots = format!("{root}/target/screenshots");
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(format!("{root}/tests/e2e/run.mjs"))
            .env("BASE_URL", &base)
            .env("SHOT_DIR", &shots)
            .output()
    })
    .await
    .unwrap()
    .expect("node must be installed to run the browser tests (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the browser checks failed:\n{stdout}\n{stderr}"
    );
    app.stop().await;
}

/// One hazard of the admin flow's Shapefile: id, name, kind, risk, persons at risk, lon, lat.
type HazardRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    f64,
);

/// Writes a GBK Shapefile of hazards (with its `.cpg`) as a district office's
/// tool does: `ID`, `NAME` and `RISK` map themselves, the pinyin-abbreviated
/// `ZHLX` (灾害类型) and `WXRS` (威胁人数) do not.
fn write_gbk_hazards(dir: &std::path::Path, rows: &[HazardRow]) {
    use shapefile::dbase::{self, FieldValue, Record};
    std::fs::create_dir_all(dir).expect("create the shapefile folder");
    let shp = dir.join("hazards.shp");
    let table = dbase::TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(
        encoding_rs::GBK,
    ))
    .add_character_field("ID".try_into().unwrap(), 20)
    .add_character_field("NAME".try_into().unwrap(), 60)
    .add_character_field("ZHLX".try_into().unwrap(), 20)
    .add_character_field("RISK".try_into().unwrap(), 4)
    .add_numeric_field("WXRS".try_into().unwrap(), 6, 0);
    let mut w = shapefile::Writer::from_path(&shp, table).expect("create the shapefile");
    for (id, name, kind, risk, persons, lon, lat) in rows {
        let mut r = Record::default();
        r.insert("ID".into(), FieldValue::Character(Some((*id).into())));
        r.insert("NAME".into(), FieldValue::Character(Some((*name).into())));
        r.insert("ZHLX".into(), FieldValue::Character(Some((*kind).into())));
        r.insert("RISK".into(), FieldValue::Character(Some((*risk).into())));
        r.insert("WXRS".into(), FieldValue::Numeric(Some(*persons)));
        w.write_shape_and_record(&shapefile::Point::new(*lon, *lat), &r)
            .expect("write a hazard");
    }
    drop(w);
    std::fs::write(dir.join("hazards.cpg"), "GBK").expect("write the .cpg");
    let dbf = std::fs::read(dir.join("hazards.dbf")).expect("read the .dbf back");
    assert!(
        std::str::from_utf8(&dbf[usize::from(u16::from_le_bytes([dbf[8], dbf[9]]))..]).is_err(),
        "the fixture's attributes really are GBK, not UTF-8"
    );
}

#[tokio::test]
async fn an_admin_imports_a_gbk_shapefile_and_makes_a_grid_head_account_in_chromium() {
    // Around the demo grid head's grid (113.056, 23.698); the third row's risk 紫 is no risk level.
    let bad: [HazardRow; 4] = [
        (
            "ADM-HZ-1",
            "城北后山滑坡点",
            "滑坡",
            "红",
            30.0,
            113.0545,
            23.6990,
        ),
        (
            "ADM-HZ-2",
            "凤城路口积水点",
            "内涝积水点",
            "橙",
            12.0,
            113.0570,
            23.6975,
        ),
        (
            "ADM-HZ-3",
            "北江堤防险段",
            "堤防险段",
            "紫",
            50.0,
            113.0580,
            23.6995,
        ),
        (
            "ADM-HZ-4",
            "新村危房片区",
            "危房/自建房",
            "黄",
            8.0,
            113.0552,
            23.6968,
        ),
    ];
    let mut fixed = bad;
    fixed[2].3 = "黄";
    let files = tempfile::tempdir().unwrap();
    write_gbk_hazards(&files.path().join("bad"), &bad);
    write_gbk_hazards(&files.path().join("fixed"), &fixed);

    let app = TestApp::demo(Backend::Sqlite).await;
    let root = env!("CARGO_MANIFEST_DIR");
    let shots = format!("{root}/target/screenshots");
    let base = app.base.clone();
    let dir = files.path().display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(format!("{root}/tests/e2e/run.mjs"))
            .env("BASE_URL", &base)
            .env("SHOT_DIR", &shots)
            .env("E2E_ONLY", "admin")
            .env("ADMIN_FILES", &dir)
            .output()
    })
    .await
    .unwrap()
    .expect("node must be installed to run the browser tests (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the admin browser checks failed:\n{stdout}\n{stderr}"
    );
    for last in [
        "ok   admin: the grid head sees only its own grid",
        "ok   admin: the topology tab lists the overlap",
    ] {
        assert!(
            stdout.contains(last),
            "the admin flow ran to {last:?}:\n{stdout}"
        );
    }
    app.stop().await;
}
