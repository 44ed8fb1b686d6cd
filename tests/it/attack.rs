//! The attacker's suite: each leak found from outside (issue 11), tried again
//! against the running server on both stores. Every test here must stay.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Backend, TestApp, fixture};

fn square(lon: f64, lat: f64, half_deg: f64) -> Value {
    let (a, b, c, d) = (
        lon - half_deg,
        lat - half_deg,
        lon + half_deg,
        lat + half_deg,
    );
    json!({"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]})
}

/// Tile address of a point.
fn tile_of(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
    let (x, y) = minqing::spatial::lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    (z, (x * n) as u32, (y * n) as u32)
}

async fn text_as(app: &TestApp, token: Option<&str>, path: &str) -> (u16, String) {
    let mut r = app.client.get(app.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.expect("request");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn shrinking_polygons_locate_nobody() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let public = app.login_as("public").await;
        let flood = app.login_as("flood").await;
        let east = app.login_as("east_grid").await;
        let people = fixture::dataset().people;
        for p in people.iter().filter(|p| p.lon < 113.05) {
            // From 1 km down to 0.2 m around the exact position.
            for half in [0.01, 0.001, 0.0001, 0.00001, 0.000001] {
                let poly = square(p.lon, p.lat, half);
                for (who, token) in [
                    ("anonymous", None),
                    ("public", Some(&public)),
                    ("flood", Some(&flood)),
                    ("east_grid", Some(&east)),
                ] {
                    let (s, v) = app
                        .post_json_as(token.map(String::as_str), "/api/query/within", &poly)
                        .await;
                    assert_eq!(s, 200, "{backend:?} {who}: {v}");
                    let text = v.to_string();
                    assert!(
                        !text.contains(&format!("\"{}\"", p.id)),
                        "{backend:?} {who} finds {} in a {half}° box: {text}",
                        p.id
                    );
                    let people = &v["people"];
                    assert!(
                        people.is_null() || people["total"] == 0,
                        "{backend:?} {who} learns a count of people it may not list ({half}° around {}): {people}",
                        p.id
                    );
                }
            }
        }
        app.stop().await;
    }
}

/// What an onlooker knows of a shown count.
fn range(v: &Value) -> (u64, u64) {
    match v {
        Value::Number(n) => {
            let n = n.as_u64().expect("counts are whole numbers");
            (n, n)
        }
        Value::String(s) if s == "<3" => (1, 2),
        Value::String(s) if s == "hidden" => (0, u64::MAX / 4),
        Value::Null => (0, 0),
        other => panic!("a count must be a number, \"<3\" or \"hidden\", got {other}"),
    }
}

/// `"<3"` cells whose value follows from one relation `margin = Σ members`.
fn pinned(margin: &Value, members: &[&Value]) -> usize {
    let m = range(margin);
    let cells: Vec<&Value> = std::iter::once(margin)
        .chain(members.iter().copied())
        .collect();
    let mut found = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.as_str() != Some("<3") {
            continue;
        }
        let others = members
            .iter()
            .enumerate()
            .filter(|(j, _)| i == 0 || *j != i - 1)
            .map(|(_, v)| range(v))
            .fold((0u64, 0u64), |s, r| (s.0 + r.0, s.1.saturating_add(r.1)));
        let fits = |x: u64| {
            if i == 0 {
                others.0 <= x && x <= others.1
            } else {
                x + others.0 <= m.1 && m.0 <= x.saturating_add(others.1)
            }
        };
        if !(fits(1) && fits(2)) {
            found += 1;
        }
    }
    found
}

#[tokio::test]
async fn subtracting_counts_recovers_no_small_count_in_the_demo() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let flood = app.login_with("fangxun", minqing::app::DEMO_PASSWORD).await;
    let codes: Vec<String> = app
        .state
        .index()
        .areas
        .entries
        .iter()
        .map(|e| e.area.code.as_str().to_owned())
        .collect();
    let mut answers: HashMap<String, Value> = HashMap::new();
    for code in &codes {
        let (s, v) = app.get_json_as(&flood, &format!("/api/areas/{code}")).await;
        assert_eq!(s, 200, "{code}: {v}");
        answers.insert(code.clone(), v);
    }
    let categories: Vec<&str> = minqing::domain::PersonCategory::ALL
        .iter()
        .map(|c| c.zh())
        .collect();
    let people = |code: &str| answers[code]["counts"]["people"].clone();
    let cell = |p: &Value, cat: &str| p["by_category"].get(cat).cloned().unwrap_or(json!(0));
    let (mut small, mut recovered) = (0, Vec::new());
    for code in &codes {
        let p = people(code);
        assert!(!p.is_null(), "the flood role gets people counts of {code}");
        assert_eq!(
            p["exact"], false,
            "the flood role may not list people records"
        );
        let cats: Vec<Value> = categories.iter().map(|c| cell(&p, c)).collect();
        small += cats.iter().filter(|v| v.as_str() == Some("<3")).count();
        // total minus categories
        if pinned(&p["total"], &cats.iter().collect::<Vec<_>>()) > 0 {
            recovered.push(format!("{code}: total − categories"));
        }
        // parent minus children, per category and for the total
        let children: Vec<String> = answers[code]["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        if children.is_empty() {
            continue;
        }
        let kids: Vec<Value> = children.iter().map(|c| people(c)).collect();
        let totals: Vec<Value> = kids.iter().map(|k| k["total"].clone()).collect();
        if pinned(&p["total"], &totals.iter().collect::<Vec<_>>()) > 0 {
            recovered.push(format!("{code}: total − children"));
        }
        for cat in &categories {
            let members: Vec<Value> = kids.iter().map(|k| cell(k, cat)).collect();
            if pinned(&cell(&p, cat), &members.iter().collect::<Vec<_>>()) > 0 {
                recovered.push(format!("{code} {cat}: parent − children"));
            }
        }
    }
    assert!(
        small > 50,
        "the demo has many small cells to protect ({small})"
    );
    assert!(
        recovered.is_empty(),
        "subtraction recovers {} small counts, e.g. {:?}",
        recovered.len(),
        &recovered[..recovered.len().min(5)]
    );
}

#[tokio::test]
async fn outsiders_get_no_incident_or_person_data_by_any_path() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let public = app.login_as("public").await;
        let east = app.login_as("east_grid").await;
        let west = app.login_as("west_grid").await;
        // West-grid secrets: incidents SJ-1..SJ-3 and people RY0..RY4.
        let secrets = ["SJ-1", "SJ-2", "SJ-3", "RY0", "RY1", "RY2", "RY3", "RY4"];
        let (z, x, y) = tile_of(113.012, 23.012, 15);
        let (zl, xl, yl) = tile_of(113.05, 23.05, 10);
        let paths = [
            format!("/tiles/incidents/{z}/{x}/{y}.mvt"),
            format!("/tiles/incidents/{z}/{x}/{y}.geojson"),
            format!("/tiles/grids,incidents,people/{z}/{x}/{y}.geojson"),
            format!("/tiles/people/{zl}/{xl}/{yl}.geojson"),
            format!("/tiles/incidents/{zl}/{xl}/{yl}.geojson"),
            "/ogc/collections/incidents/items".into(),
            "/ogc/collections/incidents/items/SJ-1".into(),
            "/ogc/collections/people/items".into(),
            // Part 3 filters and sorts, OGC API – Tiles: narrower views of the same records.
            "/ogc/collections/incidents/items?filter=id%20IN%20(%27SJ-1%27%2C%27SJ-2%27%2C%27SJ-3%27)".into(),
            "/ogc/collections/incidents/items?sortby=-reported_at&filter-lang=cql2-json&filter=true".into(),
            "/ogc/collections/incidents/queryables".into(),
            "/ogc/collections/people/items?filter=count%20IS%20NOT%20NULL".into(),
            format!("/ogc/tiles/WebMercatorQuad/{z}/{y}/{x}?f=geojson"),
            format!("/ogc/collections/incidents/tiles/WebMercatorQuad/{z}/{y}/{x}?f=geojson"),
            format!("/ogc/collections/people/tiles/WebMercatorQuad/{zl}/{yl}/{xl}?f=geojson"),
            format!("/api/areas/{}", fixture::WEST_SOUTH_GRID),
            format!("/api/areas/{}", fixture::WEST_STREET),
            "/api/export/incidents.csv".into(),
            "/api/export/incidents.geojson".into(),
            "/api/export/people.geojson".into(),
            "/api/incidents".into(),
            "/api/incidents/SJ-1".into(),
            "/api/people".into(),
            "/api/people/RY0".into(),
            "/open311/v2/requests.json".into(),
            "/open311/v2/requests/SJ-1.json".into(),
            "/api/stats/incidents?level=grid&from=2020-01-01T00:00:00Z".into(),
            "/api/search?q=SJ-1".into(),
            "/api/search?q=sj&limit=100".into(),
            "/api/nearby?lon=113.012&lat=23.012&k=20".into(),
        ];
        for (who, token) in [
            ("anonymous", None),
            ("public", Some(public.as_str())),
            ("east_grid", Some(east.as_str())),
        ] {
            for path in &paths {
                let (s, body) = text_as(&app, token, path).await;
                assert!(s < 500, "{backend:?} {who} {path}: {s}");
                if s >= 300 {
                    continue;
                }
                for secret in secrets {
                    assert!(
                        !body.contains(&format!("\"{secret}\""))
                            && !body.contains(&format!(",{secret},")),
                        "{backend:?} {who} reads {secret} through {path}: {}",
                        &body[..body.len().min(400)]
                    );
                }
                if path.starts_with("/api/areas/") {
                    let v: Value = serde_json::from_str(&body).unwrap();
                    assert!(
                        v["counts"].get("incidents").is_none(),
                        "{backend:?} {who} {path}: no incident counts of areas it may not read: {v}"
                    );
                    if who != "east_grid" {
                        assert!(
                            v["counts"].get("people").is_none(),
                            "{backend:?} {who} {path}: no people counts"
                        );
                    }
                }
                if path.contains("/tiles/")
                    && path.contains("incidents")
                    && who != "east_grid"
                    && who != "public"
                {
                    panic!("{backend:?} {who} got incident tiles: {path} answered {s}");
                }
            }
            // Within: the west grid's open incidents and people are not listed, nor counted.
            let (_, v) = app
                .post_json_as(token, "/api/query/within", &square(113.025, 23.025, 0.024))
                .await;
            for secret in secrets {
                assert!(
                    !v.to_string().contains(&format!("\"{secret}\"")),
                    "{backend:?} {who} within: {secret}"
                );
            }
        }
        // The positive control: the west grid's head does see them.
        let (_, v) = app.get_json_as(&west, "/api/incidents").await;
        assert_eq!(
            v["total"], 4,
            "{backend:?}: the west head lists his four incidents"
        );

        // SSE, live: outsiders are not told of a west-grid change; the west head is.
        let listen = |token: Option<String>, last: Option<&'static str>| {
            let client = app.client.clone();
            let url = app.url("/api/events");
            tokio::spawn(async move {
                let mut r = client.get(url);
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                if let Some(l) = last {
                    r = r.header("last-event-id", l);
                }
                let Ok(mut resp) = r.send().await else {
                    return String::new();
                };
                if resp.status() != 200 {
                    return format!("status {}", resp.status());
                }
                let mut text = String::new();
                let until = tokio::time::Instant::now() + Duration::from_millis(1500);
                while let Ok(Ok(Some(c))) = tokio::time::timeout_at(until, resp.chunk()).await {
                    text.push_str(&String::from_utf8_lossy(&c));
                }
                text
            })
        };
        let live_public = listen(Some(public.clone()), None);
        let live_east = listen(Some(east.clone()), None);
        let live_anon = listen(None, None);
        let live_west = listen(Some(west.clone()), None);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let admin = app.login_as("admin").await;
        let (s, v) = app
            .post_json_as(
                Some(&admin),
                "/api/incidents/SJ-2/actions",
                &json!({"action": "dispatch", "note": "社区"}),
            )
            .await;
        assert_eq!(s, 200, "{backend:?}: {v}");
        let west_saw = live_west.await.unwrap();
        assert!(
            west_saw.contains("SJ-2"),
            "{backend:?}: the west head is told live: {west_saw}"
        );
        for (who, task) in [
            ("public", live_public),
            ("east_grid", live_east),
            ("anonymous", live_anon),
        ] {
            let saw = task.await.unwrap();
            assert!(
                !saw.contains("SJ-2"),
                "{backend:?} {who} is told of a west-grid case live: {saw}"
            );
        }
        // SSE, replay from the start of the change log.
        for (who, token) in [
            ("public", Some(public.clone())),
            ("east_grid", Some(east.clone())),
        ] {
            let saw = listen(token, Some("0")).await.unwrap();
            assert!(
                !saw.contains("SJ-2"),
                "{backend:?} {who} gets a west-grid case on replay: {saw}"
            );
        }
        let saw = listen(Some(west.clone()), Some("0")).await.unwrap();
        assert!(
            saw.contains("SJ-2"),
            "{backend:?}: the west head gets it on replay: {saw}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn an_account_without_areas_or_with_a_broken_code_sees_nothing() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let hash = minqing::auth::password::hash(crate::common::PASSWORD).unwrap();
    for (name, role, areas) in [
        ("nobody_grid", "grid", vec![]),
        ("broken_grid", "grid", vec!["44189900100100x".to_owned()]),
        ("broken_command", "command", vec!["not-a-code".to_owned()]),
    ] {
        app.store()
            .put_user(&minqing::store::UserRecord {
                username: name.into(),
                password_hash: hash.clone(),
                role: role.into(),
                areas,
                failed_logins: 0,
                locked_until: None,
            })
            .await
            .unwrap();
        let (s, v) = app
            .post_json_as(
                None,
                "/api/auth/login",
                &json!({"username": name, "password": crate::common::PASSWORD}),
            )
            .await;
        assert_eq!(s, 401, "{name} cannot sign in with doubtful rights: {v}");
    }
    // A command account without areas may sign in but reaches no record.
    app.store()
        .put_user(&minqing::store::UserRecord {
            username: "idle_command".into(),
            password_hash: hash,
            role: "command".into(),
            areas: vec![],
            failed_logins: 0,
            locked_until: None,
        })
        .await
        .unwrap();
    let idle = app.login_as("idle_command").await;
    let (s, v) = app.get_json_as(&idle, "/api/incidents").await;
    assert_eq!(
        (s, &v["total"]),
        (200, &json!(0)),
        "no areas, no incidents: {v}"
    );
    let (s, _) = app.get_json_as(&idle, "/api/people").await;
    assert_eq!(s, 403, "no areas, no people");
    let (s, body) = text_as(&app, Some(&idle), "/api/export/people.csv").await;
    assert_eq!(s, 403, "no areas, no people export: {body}");

    // The CLI refuses to make such an account.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args(["user", "add", "li", "--role", "grid", "--store"])
        .arg(format!(
            "sqlite://{}/cli.db",
            tempfile::tempdir().unwrap().keep().display()
        ))
        .env("MINQING_PASSWORD", "secret-secret")
        .output()
        .expect("run minqing");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "user add without --area must fail: {err}"
    );
    assert!(err.contains("--area"), "and say what is missing: {err}");
}

#[tokio::test]
async fn ids_outside_ones_rights_answer_like_missing_ids() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let west = app.login_as("west_grid").await;
        for (outside, missing) in [
            ("/api/incidents/SJ-4", "/api/incidents/SJ-999"),
            ("/api/people/RY7", "/api/people/RY999"),
            (
                "/open311/v2/requests/SJ-4.json",
                "/open311/v2/requests/SJ-999.json",
            ),
            (
                "/ogc/collections/incidents/items/SJ-4",
                "/ogc/collections/incidents/items/SJ-999",
            ),
        ] {
            let (s1, v1) = app.get_json_as(&west, outside).await;
            let (s2, v2) = app.get_json_as(&west, missing).await;
            assert_eq!(
                (s1, &v1["error"]),
                (s2, &v2["error"]),
                "{backend:?}: {outside} answers as {missing} does: {v1} vs {v2}"
            );
            assert_eq!(s1, 404, "{backend:?} {outside}");
        }
        let (s, v) = app
            .post_json_as(
                Some(&west),
                "/api/incidents/SJ-4/actions",
                &json!({"action": "accept"}),
            )
            .await;
        assert_eq!(
            s, 404,
            "{backend:?}: acting on an unreadable case looks like a missing one: {v}"
        );
        app.stop().await;
    }
}

fn track(member: &str) -> Value {
    let now = chrono::Utc::now();
    let points: Vec<Value> = (0..5)
        .map(|i| {
            json!({"lon": 113.01 + 0.0002 * f64::from(i), "lat": 23.01,
                   "time": (now - chrono::Duration::minutes(10 - i64::from(i))).to_rfc3339()})
        })
        .collect();
    json!({"member": member, "points": points})
}

#[tokio::test]
async fn a_grid_head_cannot_forge_another_teams_patrol() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let east = app.login_as("east_grid").await;
        let west = app.login_as("west_grid").await;
        let (s, v) = app
            .post_json_as(Some(&east), "/api/patrol/tracks", &track("east-walker"))
            .await;
        assert_eq!(
            s, 200,
            "{backend:?}: the east head posts for his own new member: {v}"
        );
        let (s, v) = app
            .post_json_as(Some(&west), "/api/patrol/tracks", &track("east-walker"))
            .await;
        assert_eq!(
            s, 403,
            "{backend:?}: the west head may not post for the east team: {v}"
        );
        let (s, v) = app
            .post_json_as(Some(&west), "/api/patrol/tracks", &track("west-walker"))
            .await;
        assert_eq!(s, 200, "{backend:?}: but for his own: {v}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_public_reporter_sees_only_its_own_reports_and_duplicates() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let west = app.login_as("west_grid").await;
        let public = app.login_as("public").await;
        let report =
            json!({"category": "安全隐患", "description": "井盖缺失", "lon": 113.02, "lat": 23.02});
        let (_, first) = app
            .post_json_as(Some(&west), "/api/incidents", &report)
            .await;
        let first_id = first["id"].as_str().unwrap().to_owned();
        let (s, mine) = app
            .post_json_as(Some(&public), "/api/incidents", &report)
            .await;
        assert_eq!(s, 201, "{backend:?}: {mine}");
        assert_eq!(
            mine["possible_duplicates"],
            json!([]),
            "{backend:?}: a public reporter is not shown other reporters' case ids: {mine}"
        );
        let (_, again) = app
            .post_json_as(Some(&west), "/api/incidents", &report)
            .await;
        let dups = again["possible_duplicates"].as_array().unwrap();
        assert!(
            dups.iter().any(|d| d == &json!(first_id)) && dups.len() == 2,
            "{backend:?}: staff see every likely duplicate they may read: {again}"
        );
        let (_, list) = app.get_json_as(&public, "/api/incidents").await;
        let ids: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [mine["id"].as_str().unwrap()],
            "{backend:?}: the public lists only its own report"
        );
        let (s, _) = app
            .get_json_as(&public, &format!("/api/incidents/{first_id}"))
            .await;
        assert_eq!(
            s, 404,
            "{backend:?}: another reporter's case is not there for the public"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn search_finds_no_incident_outside_the_callers_rights() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let public = app.login_as("public").await;
        let east = app.login_as("east_grid").await;
        let (_, mine) = app
            .post_json_as(
                Some(&public),
                "/api/incidents",
                &json!({"category": "安全隐患", "description": "路灯不亮", "lon": 113.02, "lat": 23.02}),
            )
            .await;
        let mine = mine["id"].as_str().expect("the public's report").to_owned();
        // Every spelling an attacker might try: exact, other case, prefixes, one letter.
        let questions = ["SJ-1", "sj-1", "SJ-", "sj", "s", "SJ-2", "SJ-3", "1"];
        for (who, token) in [
            ("anonymous", None),
            ("public", Some(public.as_str())),
            ("east_grid", Some(east.as_str())),
        ] {
            for q in questions {
                let (s, body) = text_as(&app, token, &format!("/api/search?q={q}&limit=100")).await;
                assert_eq!(s, 200, "{backend:?} {who} q={q}: {body}");
                for secret in ["SJ-1", "SJ-2", "SJ-3"] {
                    assert!(
                        !body.contains(&format!("\"{secret}\"")),
                        "{backend:?} {who} finds west-grid incident {secret} by searching {q:?}: {body}"
                    );
                }
                if token.is_none() {
                    assert!(
                        !body.contains("\"incident\""),
                        "{backend:?}: anonymous searches find no incident at all: {body}"
                    );
                }
            }
        }
        let (_, body) = text_as(&app, Some(&public), &format!("/api/search?q={mine}")).await;
        assert!(
            body.contains(&format!("\"{mine}\"")),
            "{backend:?}: the public finds its own report by id: {body}"
        );
        let (_, body) = text_as(&app, None, &format!("/api/search?q={mine}")).await;
        assert!(
            !body.contains(&format!("\"{mine}\"")),
            "{backend:?}: nobody else's search shows it anonymously: {body}"
        );
        let (_, body) = text_as(&app, None, "/api/search?q=张三明").await;
        assert!(
            body.contains("张三明") && !body.contains("13800000000"),
            "{backend:?}: anonymous callers find a grid head without the phone: {body}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_walls_recent_changes_tell_no_outsider_of_a_case() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let admin = app.login_as("admin").await;
        // One change in each south grid: SJ-1 (west), SJ-4 (east).
        for id in ["SJ-1", "SJ-4"] {
            let (s, v) = app
                .post_json_as(
                    Some(&admin),
                    &format!("/api/incidents/{id}/actions"),
                    &json!({"action": "dispatch", "note": "派往社区"}),
                )
                .await;
            assert_eq!(s, 200, "{backend:?}: admin dispatches {id}: {v}");
        }
        let (s, body) = text_as(&app, None, "/api/incidents/recent").await;
        assert_eq!(
            s, 401,
            "{backend:?}: incidents are not public, anonymous gets 401: {body}"
        );
        // Wrong role and other grid: a public account (its own reports only) and the east head
        // learn nothing of SJ-1. (The district's flood account may read incidents: policy.)
        for who in ["public", "east_grid"] {
            let token = app.login_as(who).await;
            let (s, body) = text_as(&app, Some(&token), "/api/incidents/recent?limit=100").await;
            assert!(s < 500, "{backend:?} {who}: {s} {body}");
            assert!(
                !body.contains("\"SJ-1\"") && !body.contains("西社区第1网格"),
                "{backend:?} {who} reads the west grid's case or its name through the wall feed: {body}"
            );
        }
        let east = app.login_as("east_grid").await;
        let (_, v) = app
            .get_json_as(&east, "/api/incidents/recent?limit=100")
            .await;
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == "SJ-4"),
            "{backend:?}: the east head sees his own grid's change (the control): {v}"
        );
        // The west head sees his, newest first, named by grid and street, not only by code.
        let west = app.login_as("west_grid").await;
        let (s, v) = app
            .get_json_as(&west, "/api/incidents/recent?limit=5")
            .await;
        assert_eq!(s, 200, "{backend:?}: {v}");
        let items = v["items"].as_array().unwrap();
        let first = &items[0];
        assert_eq!(
            (
                first["id"].as_str(),
                first["action"].as_str(),
                first["kind"].as_str()
            ),
            (Some("SJ-1"), Some("dispatch"), Some("incident.updated")),
            "{backend:?}: the newest change comes first: {v}"
        );
        assert_eq!(
            (
                first["grid_name"].as_str(),
                first["street_name"].as_str(),
                first["by"].as_str()
            ),
            (Some("西社区第1网格"), Some("西街道"), Some("admin")),
            "{backend:?}: the feed names grid, street and who acted: {first}"
        );
        assert!(
            items.iter().all(|i| i["grid"] == fixture::WEST_SOUTH_GRID),
            "{backend:?}: only the west head's grid: {v}"
        );
        let (s, _) = app
            .get_json_as(&west, "/api/incidents/recent?limit=0")
            .await;
        assert_eq!(s, 400, "{backend:?}: limit below 1 is bad input");
        app.stop().await;
    }
}
