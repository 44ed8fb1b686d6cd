//! Who may see what: role × endpoint × area, masking, "<3", audit.

use minqing::spatial::lonlat_to_world;
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, feature_count, fixture};

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn people_lists_follow_role_and_area() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    // (user, expected status, expected total)
    let matrix: &[(&str, u16, usize)] = &[
        ("admin", 200, 8),
        ("command", 200, 8),
        ("west_street", 200, 7),
        ("west_community", 200, 7),
        ("west_grid", 200, 5),
        ("east_grid", 200, 1),
        ("flood", 403, 0),
        ("public", 403, 0),
    ];
    for (user, status, total) in matrix {
        let token = app.login_as(user).await;
        let (s, v) = app.get_json_as(&token, "/api/people").await;
        assert_eq!(s, *status, "{user}: /api/people → {status}: {v}");
        if s == 200 {
            assert_eq!(v["total"], *total, "{user} sees {total} records");
            for p in v["items"].as_array().unwrap() {
                assert_eq!(p["name"], "张*明", "{user}: names masked");
                assert_eq!(
                    p["id_number"], "4418**********123X",
                    "{user}: ID numbers masked"
                );
                assert_eq!(p["phone"], "138****5678", "{user}: phones masked");
            }
        }
    }
}

#[tokio::test]
async fn a_grid_head_cannot_read_another_grids_people_by_id_area_or_tile() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let west = app.login_as("west_grid").await;
    let (s, _) = app.get_json_as(&west, "/api/people/RY0").await;
    assert_eq!(s, 200, "own grid's record by id");
    let (s, v) = app.get_json_as(&west, "/api/people/RY7").await;
    assert_eq!(
        s, 404,
        "another grid's record by id answers as missing: {v}"
    );
    let (s2, v2) = app.get_json_as(&west, "/api/people/RY999").await;
    assert_eq!(
        (s2, &v2["error"]),
        (404, &v["error"]),
        "a missing id gets the same answer: existence is not revealed"
    );
    let (s, _) = app
        .get_json_as(
            &west,
            &format!("/api/people?area={}", fixture::EAST_SOUTH_GRID),
        )
        .await;
    assert_eq!(s, 403, "another area by filter");
    let (_, v) = app
        .get_json_as(&west, "/api/people?bbox=113.05,23.0,113.1,23.1")
        .await;
    assert!(
        ids(&v).is_empty(),
        "by bbox over the east grid: nothing: {v}"
    );

    // Tiles: the people layer of a grid head holds only their own grid.
    let (x, y) = lonlat_to_world(113.05, 23.05);
    let n = f64::from(1u32 << 13);
    let path = format!("/tiles/people/13/{}/{}.mvt", (x * n) as u32, (y * n) as u32);
    let t = app.tile(Some(&west), &path).await;
    let codes: std::collections::BTreeSet<String> = t
        .layers
        .iter()
        .filter(|l| l.name == "people_areas")
        .flat_map(|l| {
            l.features.iter().flat_map(move |f| {
                f.tags
                    .chunks(2)
                    .filter(|kv| l.keys[kv[0] as usize] == "code")
                    .map(move |kv| l.values[kv[1] as usize].string_value.clone().unwrap())
            })
        })
        .collect();
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        [fixture::WEST_SOUTH_GRID],
        "a grid head's people tile shows only their grid"
    );
    assert_eq!(
        app.get(&path).await.status(),
        401,
        "anonymous callers get no people tiles at all"
    );
    let command = app.login_as("command").await;
    let all = app.tile(Some(&command), &path).await;
    assert_eq!(
        feature_count(&all, "people_areas"),
        3,
        "the command centre sees counts for every grid with people"
    );
}

#[tokio::test]
async fn counts_without_record_rights_suppress_small_cells_and_unmasked_reads_are_audited() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (_, v) = app
        .get_json(&format!("/api/areas/{}", fixture::WEST_NORTH_GRID))
        .await;
    assert!(
        v["counts"].get("people").is_none(),
        "anonymous callers get no people counts: {v}"
    );
    let flood = app.login_as("flood").await;
    let (_, v) = app
        .get_json_as(&flood, &format!("/api/areas/{}", fixture::WEST_NORTH_GRID))
        .await;
    let people = &v["counts"]["people"];
    assert_eq!(
        (
            &people["by_category"]["吸毒人员"],
            &people["by_category"]["独居老人"]
        ),
        (&json!("<3"), &json!("<3")),
        "one person in each of two categories shows as <3 to staff who may not list them: {v}"
    );
    assert_eq!(
        people["total"], "hidden",
        "and the total of 2 is withheld, since two cells of 1–2 summing to <3 would give both away"
    );
    let cmd = app.login_as("command").await;
    let (_, v) = app
        .get_json_as(&cmd, &format!("/api/areas/{}", fixture::WEST_NORTH_GRID))
        .await;
    assert_eq!(
        v["counts"]["people"]["total"], 2,
        "the command center sees exact counts"
    );

    let west = app.login_as("west_grid").await;
    let (s, v) = app
        .get_json_as(&west, "/api/people/RY3?purpose=走访核实")
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["name"], "张三明", "full detail with a stated purpose");
    assert_eq!(v["risk_level"], 3);
    let (s, _) = app.get_json_as(&cmd, "/api/people/RY3?purpose=看看").await;
    assert_eq!(
        s, 403,
        "the command center lists masked records but may not unmask"
    );
    let admin = app.login_as("admin").await;
    let (s, log) = app.get_json_as(&admin, "/api/audit").await;
    assert_eq!(s, 200);
    let first = &log["items"][0];
    assert_eq!(first["username"], "west_grid");
    assert_eq!(first["action"], "people.detail.unmasked");
    assert_eq!(first["records"], serde_json::json!(["RY3"]));
    assert_eq!(first["purpose"], "走访核实");
    let (s, _) = app.get_json_as(&west, "/api/audit").await;
    assert_eq!(s, 403, "only admins read the audit log");
}

#[tokio::test]
async fn failed_logins_slow_only_the_guesser_and_logout_ends_the_session() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("east_grid").await;
    let (s, me) = app.get_json_as(&token, "/api/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["role"], "grid");
    assert_eq!(me["areas"], serde_json::json!([fixture::EAST_SOUTH_GRID]));
    let (s, _) = app
        .post_json_as(Some(&token), "/api/auth/logout", &serde_json::json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, _) = app.get_json_as(&token, "/api/me").await;
    assert_eq!(s, 401, "the token is dead after logout");

    // A stranger on another address hammers the flood account with wrong passwords.
    let stranger = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let attempt = |client: reqwest::Client, user: &'static str, password: &'static str| {
        let url = app.url("/api/auth/login");
        async move {
            let r = client
                .post(url)
                .json(&serde_json::json!({"username": user, "password": password}))
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            let retry = r.headers().get("retry-after").is_some();
            (
                s,
                retry,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let mut answers = vec![];
    for _ in 0..6 {
        answers.push(attempt(stranger.clone(), "flood", "nope").await.0);
    }
    assert_eq!(
        &answers[..4],
        &[401, 401, 401, 401],
        "the first failures are plain 401s"
    );
    let (s, retry, v) = attempt(stranger.clone(), "flood", "nope").await;
    assert!(
        s == 429 && retry,
        "then the stranger must wait (429 with Retry-After): {s} {v}"
    );
    let (s, _, v) = attempt(app.client.clone(), "flood", crate::common::PASSWORD).await;
    assert_eq!(
        s, 200,
        "the owner, from another address, is not locked out by a stranger: {v}"
    );
    // An unknown name is treated exactly like a known one: names cannot be enumerated.
    for _ in 0..6 {
        attempt(stranger.clone(), "no-such-user", "nope").await;
    }
    let (s_unknown, retry_unknown, _) = attempt(stranger.clone(), "no-such-user", "nope").await;
    let (s_known, retry_known, _) = attempt(stranger.clone(), "flood", "nope").await;
    assert_eq!(
        (s_unknown, retry_unknown),
        (s_known, retry_known),
        "unknown and known names answer alike"
    );
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_header_for_writes() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let r = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&serde_json::json!({"username": "west_grid", "password": crate::common::PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("minqing_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    let v: Value = r.json().await.unwrap();
    let cookie = format!("minqing_session={}", v["token"].as_str().unwrap());
    let body = serde_json::json!({"category": "safety", "lon": 113.02, "lat": 23.02});
    let r = app
        .client
        .post(app.url("/api/incidents"))
        .header("cookie", &cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "a cookie write without the CSRF header is refused"
    );
    let r = app
        .client
        .post(app.url("/api/incidents"))
        .header("cookie", &cookie)
        .header("x-csrf-token", v["csrf"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "with the header it goes through");
}
