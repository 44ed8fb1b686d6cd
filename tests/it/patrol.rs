//! Patrol: tracks of known geometry in, coverage, visits and gaps out, on both stores.

use chrono::{DateTime, Duration, Utc};
use minqing::spatial::{haversine_m, lonlat_to_world};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, feature_count, fixture};

const M_LAT: f64 = 111_320.0;

fn m_lon(lat: f64) -> f64 {
    M_LAT * lat.to_radians().cos()
}

/// A fix: lon, lat, time.
type Fix = (f64, f64, DateTime<Utc>);

/// Back-and-forth passes `spacing_m` apart over a box, a fix every 50 m at 5 m/s.
fn lawnmower(x0: f64, y0: f64, x1: f64, y1: f64, spacing_m: f64, start: DateTime<Utc>) -> Vec<Fix> {
    let (step_lon, step_lat) = (50.0 / m_lon(y0), spacing_m / M_LAT);
    let mut out = Vec::new();
    let mut t = start;
    let mut y = y0 + step_lat / 2.0;
    let mut east = true;
    while y < y1 {
        let n = ((x1 - x0) / step_lon).ceil() as usize;
        for k in 0..=n {
            let f = (k as f64 * step_lon).min(x1 - x0);
            out.push((if east { x0 + f } else { x1 - f }, y, t));
            t += Duration::seconds(10);
        }
        y += step_lat;
        east = !east;
    }
    out
}

/// A straight walk from a to b, a fix every 10 m at 1 m/s.
fn walk(a: (f64, f64), b: (f64, f64), start: DateTime<Utc>) -> Vec<Fix> {
    let len = (((b.0 - a.0) * m_lon(a.1)).powi(2) + ((b.1 - a.1) * M_LAT).powi(2)).sqrt();
    let n = (len / 10.0).ceil() as usize;
    (0..=n)
        .map(|k| {
            let f = k as f64 / n as f64;
            (
                a.0 + f * (b.0 - a.0),
                a.1 + f * (b.1 - a.1),
                start + Duration::seconds(10 * k as i64),
            )
        })
        .collect()
}

fn json_body(member: &str, fixes: &[Fix]) -> String {
    let points: Vec<Value> = fixes
        .iter()
        .map(|(lon, lat, t)| json!({"lon": lon, "lat": lat, "time": t.to_rfc3339()}))
        .collect();
    json!({"member": member, "points": points}).to_string()
}

async fn post_track(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    content_type: &str,
    body: String,
) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url(&format!("/api/patrol/tracks{query}")))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn grid<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["grids"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["code"] == code))
        .unwrap_or_else(|| panic!("grid {code} in {v}"))
}

fn tile_path(lon: f64, lat: f64, z: u8) -> String {
    let (x, y) = lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    format!(
        "/tiles/patrol/{z}/{}/{}.mvt",
        (x * n) as u32,
        (y * n) as u32
    )
}

/// Numeric property `key` of the feature whose `code` is `code` in an MVT layer.
fn tile_prop(t: &geozero::mvt::Tile, layer: &str, code: &str, key: &str) -> Option<f64> {
    let l = t.layers.iter().find(|l| l.name == layer)?;
    let val = |f: &geozero::mvt::tile::Feature, k: &str| {
        f.tags
            .chunks(2)
            .find(|kv| l.keys[kv[0] as usize] == k)
            .map(|kv| l.values[kv[1] as usize].clone())
    };
    l.features
        .iter()
        .find(|f| val(f, "code").and_then(|v| v.string_value).as_deref() == Some(code))
        .and_then(|f| val(f, key))
        .and_then(|v| {
            v.double_value
                .or(v.float_value.map(f64::from))
                .or(v.int_value.map(|i| i as f64))
        })
}

/// The whole story on one backend: ingest, storage, coverage, visits, tiles.
async fn story(backend: Backend) {
    let app = TestApp::fixture(backend).await;
    let token = app.login_as("command").await;
    // The mower takes 16 h at a fix every 10 s: it starts 20 h ago, inside the default 24 h window.
    let start = Utc::now() - Duration::hours(20);

    // West-north grid (113.00–113.05 × 23.05–23.10): passes 100 m apart.
    let mower = lawnmower(113.0, 23.05, 113.05, 23.1, 100.0, start);
    let (s, v) = post_track(
        &app,
        Some(&token),
        "",
        "application/json",
        json_body("M-LAWN", &mower),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["accepted"],
        mower.len(),
        "a clean track is taken whole: {v}"
    );
    assert_eq!(
        v["dropped"],
        json!({"too_fast": 0, "outside": 0, "duplicate": 0, "future": 0})
    );
    assert_eq!(v["member"], "M-LAWN");
    assert_eq!(
        v["members"][0]["created"], true,
        "an unknown member is created"
    );

    // West-south grid: a walk straight through 西小学 (PL1), 1.4 km from 西市场 (PL2).
    let through = walk((113.025, 23.03), (113.035, 23.03), start);
    let (s, v) = post_track(
        &app,
        Some(&token),
        "",
        "application/json",
        json_body("M-PL", &through),
    )
    .await;
    assert_eq!(
        (s, v["accepted"].as_u64()),
        (200, Some(through.len() as u64)),
        "{v}"
    );

    let (s, v) = app
        .get_json_as(
            &token,
            &format!("/api/patrol/coverage?area={}", fixture::DISTRICT),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let north = grid(&v, fixture::WEST_NORTH_GRID)["coverage"]
        .as_f64()
        .unwrap();
    assert!(
        north >= 0.9,
        "passes 100 m apart with a 50 m reach cover the grid: {north}"
    );
    assert_eq!(
        grid(&v, fixture::EAST_SOUTH_GRID)["coverage"],
        0.0,
        "no track came near the east-south grid"
    );
    let edge = grid(&v, fixture::EAST_NORTH_GRID)["coverage"]
        .as_f64()
        .unwrap();
    assert!(
        edge > 0.0 && edge < 0.011,
        "the passes end on the shared edge: 50 m of 5.1 km reach across: {edge}"
    );
    let south = grid(&v, fixture::WEST_SOUTH_GRID);
    let share = south["coverage"].as_f64().unwrap();
    // 1 km × 100 m of a 5.5 km × 5.5 km grid, ≈ 0.4 %.
    assert!(
        share > 0.0 && share < 0.01,
        "one short walk covers a sliver: {share}"
    );
    assert_eq!(
        south["places_visited"], 1,
        "PL1 was passed within its 30 m radius: {south}"
    );
    let missed: Vec<&str> = south["places_missed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(missed, ["PL2"], "PL2 is due daily and nobody came: {south}");
    assert_eq!(south["last_visits"][0]["id"], "PL1");
    // The phone lists every key place of the grid with its last visit.
    let places: Vec<(&str, &str, bool, bool)> = south["places"]
        .as_array()
        .expect("`places` lists the grid's key places")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["last_visit"].is_string(),
                p["missed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("PL1", "西小学", true, false),
            ("PL2", "西市场", false, true)
        ],
        "PL1 visited (with its time), PL2 never visited and missed: {south}"
    );
    let narrow = app
        .get_json_as(
            &token,
            &format!(
                "/api/patrol/coverage?area={}&reach_m=20",
                fixture::WEST_NORTH_GRID
            ),
        )
        .await
        .1;
    let n = grid(&narrow, fixture::WEST_NORTH_GRID)["coverage"]
        .as_f64()
        .unwrap();
    assert!(
        (0.35..0.45).contains(&n),
        "a 20 m reach covers 40 m of every 100 m: {n}"
    );

    // The store holds what the index holds, times and positions intact.
    let data = app.store().load().await.expect("load");
    assert_eq!(
        data.patrol_points.len(),
        mower.len() + through.len(),
        "every accepted fix was stored"
    );
    let mut ids: Vec<&str> = data.members.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["M-LAWN", "M-PL"]);
    let first = data
        .patrol_points
        .iter()
        .filter(|p| data.members[p.member as usize].id == "M-PL")
        .min_by_key(|p| p.time)
        .unwrap();
    assert_eq!(
        (first.lon, first.lat),
        (through[0].0, through[0].1),
        "positions round-trip exactly"
    );
    assert_eq!(
        first.time.timestamp_micros(),
        through[0].2.timestamp_micros(),
        "times round-trip"
    );
    let changes = app.store().changes_since(0, 100).await.unwrap();
    let track_changes: Vec<_> = changes
        .iter()
        .filter(|c| c.kind == "patrol.track")
        .collect();
    assert_eq!(track_changes.len(), 2, "one change per batch");
    let b = track_changes[0].bbox;
    assert!(
        b[0] <= 113.0 && b[2] >= 113.05 && b[1] <= 23.05 && b[3] >= 23.1,
        "the change names the grid's tiles: {b:?}"
    );

    // Tiles: the grid is green, the tracks are drawn.
    let t = app
        .tile(Some(&token), &tile_path(113.025, 23.075, 13))
        .await;
    let c = tile_prop(&t, "patrol", fixture::WEST_NORTH_GRID, "coverage")
        .expect("the grid is in its tile");
    assert!(
        c >= 0.9,
        "the patrol layer shades the grid by the same coverage: {c}"
    );
    assert!(
        feature_count(&t, "patrol_tracks") >= 1,
        "tracks are drawn at z13"
    );
    app.stop().await;
}

#[tokio::test]
async fn patrol_story_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test]
async fn patrol_story_on_postgis() {
    story(Backend::Postgis).await;
}

/// The index's fixes of a member, in time order.
fn fixes_of(app: &TestApp, member: &str) -> Vec<(f64, f64)> {
    let ix = app.state.index();
    let m = ix
        .tracks
        .member_index(member)
        .unwrap_or_else(|| panic!("member {member} exists"));
    ix.tracks
        .track(m)
        .iter()
        .map(|&i| {
            (
                ix.tracks.point(i as usize).lon,
                ix.tracks.point(i as usize).lat,
            )
        })
        .collect()
}

#[tokio::test]
async fn gcj02_and_bd09_input_lands_where_the_wgs84_truth_is() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("west_grid").await;
    let truth = walk(
        (113.01, 23.01),
        (113.012, 23.01),
        Utc::now() - Duration::hours(1),
    );
    for (crs, convert) in [
        (
            "gcj02",
            coordtransform::wgs84_to_gcj02 as fn(f64, f64) -> (f64, f64),
        ),
        ("bd09", coordtransform::wgs84_to_bd09),
    ] {
        let shifted: Vec<Fix> = truth
            .iter()
            .map(|&(lon, lat, t)| {
                let (x, y) = convert(lon, lat);
                (x, y, t)
            })
            .collect();
        let raw = haversine_m(shifted[0].0, shifted[0].1, truth[0].0, truth[0].1);
        assert!(
            raw > 100.0,
            "{crs} is offset by hundreds of metres here: {raw}"
        );
        let member = format!("M-{crs}");
        let (s, v) = post_track(
            &app,
            Some(&token),
            &format!("?crs={crs}"),
            "application/json",
            json_body(&member, &shifted),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["accepted"], truth.len(), "{crs}: nothing dropped: {v}");
        for (got, want) in fixes_of(&app, &member).iter().zip(&truth) {
            let d = haversine_m(got.0, got.1, want.0, want.1);
            assert!(d < 2.0, "{crs} input lands {d:.3} m from the WGS84 truth");
        }
    }
    let (s, v) = post_track(
        &app,
        Some(&token),
        "?crs=utm50",
        "application/json",
        json_body("M", &truth),
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("bad_parameter")),
        "unknown crs: {v}"
    );
    app.stop().await;
}

#[tokio::test]
async fn gpx_geojson_and_csv_bodies_are_read() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("command").await;
    let fixes = walk(
        (113.01, 23.02),
        (113.015, 23.02),
        Utc::now() - Duration::hours(2),
    );
    let pts: String = fixes
        .iter()
        .map(|(lon, lat, t)| {
            format!(
                "<trkpt lat=\"{lat}\" lon=\"{lon}\"><ele>30</ele><time>{}</time></trkpt>\n",
                t.to_rfc3339()
            )
        })
        .collect();
    let gpx = format!(
        "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><name>晨巡</name><trkseg>\n{pts}</trkseg></trk></gpx>"
    );
    let (s, v) = post_track(
        &app,
        Some(&token),
        "?member=M-GPX",
        "application/gpx+xml",
        gpx.clone(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["accepted"].as_u64(), v["member"].as_str()),
        (Some(fixes.len() as u64), Some("M-GPX")),
        "?member= names the GPX member: {v}"
    );

    let geo = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"member": "M-GEO", "coordTimes": fixes.iter().map(|f| f.2.to_rfc3339()).collect::<Vec<_>>()},
        "geometry": {"type": "LineString", "coordinates": fixes.iter().map(|f| [f.0, f.1]).collect::<Vec<_>>()}}]});
    let (s, v) = post_track(
        &app,
        Some(&token),
        "",
        "application/geo+json",
        geo.to_string(),
    )
    .await;
    assert_eq!(
        (s, v["accepted"].as_u64()),
        (200, Some(fixes.len() as u64)),
        "GeoJSON LineString with coordTimes: {v}"
    );

    let mut csv = String::from("member,time,lon,lat\n");
    for (k, (lon, lat, t)) in fixes.iter().enumerate() {
        let m = if k % 2 == 0 { "M-CSV-A" } else { "M-CSV-B" };
        csv.push_str(&format!("{m},{},{lon},{lat}\n", t.to_rfc3339()));
    }
    let (s, v) = post_track(&app, Some(&token), "", "text/csv; charset=utf-8", csv).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["accepted"], fixes.len(), "{v}");
    assert_eq!(
        v["member"],
        Value::Null,
        "two members in one CSV: see members"
    );
    assert_eq!(v["members"].as_array().map(Vec::len), Some(2), "{v}");

    let bad = "member,time,lon,lat\nM,2026-01-01T00:00:00Z,113.0,23.0\nM,later,113.0,23.0\n";
    let (s, v) = post_track(&app, Some(&token), "", "text/csv", bad.into()).await;
    assert_eq!(s, 400, "{v}");
    let detail = v["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("line 3: time:"),
        "each rejected row is named by line and field: {detail}"
    );
    assert!(
        fixes_of(&app, "M-GPX").len() == fixes.len(),
        "the bad CSV stored nothing more"
    );
    let (s, v) = post_track(&app, Some(&token), "", "image/png", gpx).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("bad_content_type")),
        "{v}"
    );
    app.stop().await;
}

#[tokio::test]
async fn gps_noise_is_dropped_and_counted_and_a_resent_batch_adds_nothing() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("command").await;
    let mut fixes = walk(
        (113.02, 23.02),
        (113.025, 23.02),
        Utc::now() - Duration::hours(3),
    );
    let mid = fixes.len() / 2;
    let t = fixes[mid].2;
    // A multipath jump 2 km away for one fix, a cold start in Beijing, a repeated fix, a clock far ahead.
    fixes[mid] = (113.04, 23.02, t);
    fixes.push((116.4, 39.9, t + Duration::milliseconds(500)));
    fixes.push(fixes[3]);
    fixes.push((113.02, 23.02, Utc::now() + Duration::days(30)));
    let (s, v) = post_track(
        &app,
        Some(&token),
        "",
        "application/json",
        json_body("M-NOISY", &fixes),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["dropped"],
        json!({"too_fast": 1, "outside": 1, "duplicate": 1, "future": 1}),
        "{v}"
    );
    assert_eq!(v["accepted"], fixes.len() - 4);
    let (s, v) = post_track(
        &app,
        Some(&token),
        "",
        "application/json",
        json_body("M-NOISY", &fixes),
    )
    .await;
    assert_eq!(
        (s, v["accepted"].as_u64()),
        (200, Some(0)),
        "a retried batch is all duplicates: {v}"
    );
    assert_eq!(
        app.store().load().await.unwrap().patrol_points.len(),
        fixes.len() - 4,
        "stored once"
    );
    app.stop().await;
}

#[tokio::test]
async fn only_command_grid_and_admin_may_send_tracks_and_only_staff_read_coverage() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let fixes = walk(
        (113.02, 23.02),
        (113.021, 23.02),
        Utc::now() - Duration::hours(1),
    );
    let body = json_body("M-R", &fixes);
    let (s, v) = post_track(&app, None, "", "application/json", body.clone()).await;
    assert_eq!(s, 401, "anonymous: {v}");
    for (user, want) in [
        ("public", 403),
        ("flood", 403),
        ("west_street", 403),
        ("west_grid", 200),
        ("admin", 200),
        ("command", 200),
    ] {
        let token = app.login_as(user).await;
        let (s, v) = post_track(&app, Some(&token), "", "application/json", body.clone()).await;
        assert_eq!(s, want, "{user} sending tracks: {v}");
    }
    let area = format!("area={}", fixture::DISTRICT);
    let (s, _) = app.get_json(&format!("/api/patrol/coverage?{area}")).await;
    assert_eq!(s, 401, "coverage needs a session");
    let public = app.login_as("public").await;
    for path in ["coverage", "gaps"] {
        let (s, _) = app
            .get_json_as(&public, &format!("/api/patrol/{path}?{area}"))
            .await;
        assert_eq!(s, 403, "the public sees no {path}");
    }
    let west = app.login_as("west_grid").await;
    let (s, _) = app
        .get_json_as(
            &west,
            &format!("/api/patrol/gaps?area={}", fixture::EAST_SOUTH_GRID),
        )
        .await;
    assert_eq!(s, 403, "a grid head sees gaps of their own grid only");
    let (s, v) = app.get_json_as(&west, "/api/patrol/coverage").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["grids"].as_array().map(Vec::len),
        Some(1),
        "without area: the caller's grid: {v}"
    );
    let (s, v) = app
        .get_json_as(&west, "/api/patrol/coverage?reach_m=-5")
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("bad_parameter")),
        "{v}"
    );
    let s = app
        .get(&tile_path(113.02, 23.02, 13))
        .await
        .status()
        .as_u16();
    assert_eq!(s, 401, "patrol tiles need a session");
    let s = app
        .get_as(&public, &tile_path(113.02, 23.02, 13))
        .await
        .status()
        .as_u16();
    assert_eq!(s, 403, "and a staff role");
    app.stop().await;
}

#[tokio::test]
async fn gaps_rank_grids_with_incidents_and_little_coverage() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("command").await;
    // The fixture's incidents: 4 in the west-south grid 10–7 days before its clock, 2 in the east-south grid 6–5 days before.
    let (from, to) = (fixture::now() - Duration::days(11), fixture::now());
    let q = format!(
        "/api/patrol/gaps?area={}&from={}&to={}",
        fixture::DISTRICT,
        from.to_rfc3339(),
        to.to_rfc3339()
    );
    let q = q.replace('+', "%2B");
    let (s, v) = app.get_json_as(&token, &q).await;
    assert_eq!(s, 200, "{v}");
    let codes: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [fixture::WEST_SOUTH_GRID, fixture::EAST_SOUTH_GRID],
        "grids with incidents, most incidents first when nothing is covered: {v}"
    );
    let score = |k: usize| v["items"][k]["score"].as_f64().unwrap();
    let r = 4.0 / 11.0;
    assert!(
        (score(0) - r / (r + 1.0)).abs() < 0.002,
        "uncovered: score = r/(r+1) with r = 4/11 a day: {v}"
    );

    // Cover the west-south grid in that window: its gap closes and the east grid leads.
    let mower = lawnmower(
        113.0,
        23.0,
        113.05,
        23.05,
        100.0,
        fixture::now() - Duration::days(9),
    );
    let (s, p) = post_track(
        &app,
        Some(&token),
        "",
        "application/json",
        json_body("M-GAP", &mower),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    let (_, v) = app.get_json_as(&token, &q).await;
    assert_eq!(
        v["items"][0]["code"],
        fixture::EAST_SOUTH_GRID,
        "the covered grid dropped below: {v}"
    );
    let west = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == fixture::WEST_SOUTH_GRID)
        .unwrap();
    assert!(
        west["coverage"].as_f64().unwrap() >= 0.9 && west["score"].as_f64().unwrap() < 0.03,
        "{west}"
    );
    assert_eq!(v["total"], 2);
    app.stop().await;
}

#[tokio::test]
async fn a_batch_invalidates_the_patrol_tiles_it_touches() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("command").await;
    let (s, v) = app
        .post_json_as(
            Some(&token),
            "/api/incidents",
            &json!({"category": "邻里纠纷", "description": "吵架", "lon": 113.08, "lat": 23.03}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let path = tile_path(113.075, 23.025, 13);
    let before = app.tile(Some(&token), &path).await;
    assert_eq!(
        tile_prop(&before, "patrol", fixture::EAST_SOUTH_GRID, "coverage"),
        Some(0.0),
        "nothing walked yet"
    );
    let gap = tile_prop(&before, "patrol_gaps", fixture::EAST_SOUTH_GRID, "score")
        .expect("an incident and no patrol: a gap");
    assert!(
        (gap - 0.125).abs() < 0.001,
        "one incident in 7 days, nothing covered: (1/7)/(1/7 + 1) = 0.125, got {gap}"
    );
    let fixes = walk(
        (113.06, 23.025),
        (113.09, 23.025),
        Utc::now() - Duration::hours(1),
    );
    let (s, v) = post_track(
        &app,
        Some(&token),
        "",
        "application/json",
        json_body("M-T", &fixes),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let after = app.tile(Some(&token), &path).await;
    let c = tile_prop(&after, "patrol", fixture::EAST_SOUTH_GRID, "coverage").unwrap();
    assert!(
        c > 0.0,
        "the cached tile was dropped and rebuilt with the walk: {c}"
    );
    let gap_after = tile_prop(&after, "patrol_gaps", fixture::EAST_SOUTH_GRID, "score").unwrap();
    assert!(
        gap_after < gap,
        "coverage narrows the gap: {gap_after} < {gap}"
    );
    app.stop().await;
}

/// The server holds patrol fixes of the live window only (#18): a coverage or
/// gaps window that starts before it would count missing fixes as gaps, so it
/// is refused with a 400 that names the limit, and a window inside it answers.
#[tokio::test]
async fn coverage_and_gaps_before_the_live_window_are_refused_not_undercounted() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("command").await;
    let start = app
        .state
        .index()
        .history_before
        .expect("the fixture harness serves a live window");
    let enc = |t: DateTime<Utc>| t.to_rfc3339().replace('+', "%2B");
    for kind in ["coverage", "gaps"] {
        let before = format!(
            "/api/patrol/{kind}?area={}&from={}&to={}",
            fixture::DISTRICT,
            enc(start - Duration::days(3)),
            enc(start + Duration::days(3))
        );
        let (s, v) = app.get_json_as(&token, &before).await;
        assert_eq!(
            s, 400,
            "{kind} from before the live window must be refused: {v}"
        );
        assert_eq!(v["error"], "bad_parameter", "{kind}: {v}");
        assert!(
            v["detail"].as_str().unwrap_or("").contains("--live-days"),
            "{kind}: the message names the setting that moves the window: {v}"
        );
        let inside = format!(
            "/api/patrol/{kind}?area={}&from={}&to={}",
            fixture::DISTRICT,
            enc(start + Duration::hours(1)),
            enc(start + Duration::days(3))
        );
        let (s, v) = app.get_json_as(&token, &inside).await;
        assert_eq!(s, 200, "{kind} inside the live window answers: {v}");
    }
    app.stop().await;
}

/// The fix → member rule in PostGIS is a statement trigger, not a foreign key
/// (#18, for ingest speed): it must still refuse a fix of an unknown member,
/// refuse deleting a member that has fixes, and leave a refused batch unwritten.
#[tokio::test]
async fn postgis_still_refuses_fixes_of_unknown_members_and_keeps_tracked_members() {
    use crate::common::fresh_store_url;
    let (url, _) = fresh_store_url(Backend::Postgis).await;
    let s = minqing::store::open(&url).await.unwrap();
    s.migrate().await.unwrap();
    s.seed(&fixture::dataset()).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    sqlx::query("insert into patrol_members (id, name, team) values ('M-KNOWN', '张三', 'A')")
        .execute(&pool)
        .await
        .unwrap();
    let before = count("select count(*) from patrol_points").await;
    let err = sqlx::query(
        "insert into patrol_points (member_id, t, geom, batch) values \
         ('M-KNOWN', now(), st_setsrid(st_makepoint(113.01, 23.01), 4326), 1), \
         ('M-GHOST', now(), st_setsrid(st_makepoint(113.01, 23.01), 4326), 1)",
    )
    .execute(&pool)
    .await
    .expect_err("a fix of a member not in patrol_members must be refused");
    assert!(
        err.to_string().contains("not in patrol_members"),
        "the refusal says why: {err}"
    );
    assert_eq!(
        count("select count(*) from patrol_points").await,
        before,
        "the refused statement wrote none of its fixes, not even the known member's"
    );
    sqlx::query(
        "insert into patrol_points (member_id, t, geom, batch) values \
         ('M-KNOWN', now(), st_setsrid(st_makepoint(113.01, 23.01), 4326), 1)",
    )
    .execute(&pool)
    .await
    .expect("a fix of a known member is written");
    let err = sqlx::query("delete from patrol_members where id = 'M-KNOWN'")
        .execute(&pool)
        .await
        .expect_err("a member with fixes cannot be deleted");
    assert!(err.to_string().contains("cannot be deleted"), "{err}");
    let err = sqlx::query("update patrol_members set id = 'M-RENAMED' where id = 'M-KNOWN'")
        .execute(&pool)
        .await
        .expect_err("nor renamed away from its fixes");
    assert!(err.to_string().contains("cannot be deleted"), "{err}");
    assert_eq!(
        count("select count(*) from patrol_members where id = 'M-KNOWN'").await,
        1,
        "the member is still there"
    );
    pool.close().await;
}

#[tokio::test]
async fn a_track_sent_to_one_instance_shows_in_the_other_instances_coverage() {
    use crate::common::{add_fixture_users, fresh_store_url};
    use minqing::app::AppConfig;
    let (url, _) = fresh_store_url(Backend::Postgis).await;
    let s = minqing::store::open(&url).await.unwrap();
    s.migrate().await.unwrap();
    s.seed(&fixture::dataset()).await.unwrap();
    add_fixture_users(s.as_ref()).await;
    let a = TestApp::start(AppConfig::new(&url, "127.0.0.1:0".parse().unwrap()), None).await;
    let b = TestApp::start(AppConfig::new(&url, "127.0.0.1:0".parse().unwrap()), None).await;
    let (on_a, on_b) = (a.login_as("command").await, b.login_as("command").await);
    let fixes = walk(
        (113.06, 23.025),
        (113.09, 23.025),
        Utc::now() - Duration::hours(1),
    );
    let (s, v) = post_track(
        &a,
        Some(&on_a),
        "",
        "application/json",
        json_body("M-AB", &fixes),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let path = format!("/api/patrol/coverage?area={}", fixture::EAST_SOUTH_GRID);
    let mut seen = 0.0;
    for _ in 0..50 {
        seen = grid(
            &b.get_json_as(&on_b, &path).await.1,
            fixture::EAST_SOUTH_GRID,
        )["coverage"]
            .as_f64()
            .unwrap();
        if seen > 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        seen > 0.0,
        "B applies A's patrol.track change from the shared store within 5 s"
    );
    assert_eq!(
        fixes_of(&b, "M-AB").len(),
        fixes.len(),
        "B holds the whole batch, once"
    );
    a.stop().await;
    b.stop().await;
}
