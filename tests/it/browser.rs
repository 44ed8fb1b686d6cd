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
