//! `GET /api/search`: one ranked search over areas, hazards, shelters, places,
//! grid heads and (by rights) incident ids, the same answer wherever asked.

use serde_json::Value;

use crate::common::{Backend, TestApp, fixture};

/// `kind:code-or-id` of each hit, in order.
fn keys(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items in {v}"))
        .iter()
        .map(|i| {
            let k = i["kind"].as_str().unwrap_or("?");
            let c = i["code"].as_str().or(i["id"].as_str()).unwrap_or("?");
            format!("{k}:{c}")
        })
        .collect()
}

async fn find(app: &TestApp, token: Option<&str>, q: &str) -> Vec<String> {
    let path = format!("/api/search?q={}&limit=50", urlencode(q));
    let (s, v) = match token {
        Some(t) => app.get_json_as(t, &path).await,
        None => app.get_json(&path).await,
    };
    assert_eq!(s, 200, "{path}: {v}");
    keys(&v)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn search_ranks_exact_code_then_code_prefix_then_names() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let hits = find(&app, None, fixture::WEST_STREET).await;
    assert_eq!(
        hits.first().map(String::as_str),
        Some("area:441899001"),
        "the exact code comes first: {hits:?}"
    );
    assert_eq!(
        &hits[1..],
        [
            "area:441899001001",
            "area:441899001001001",
            "area:441899001001002"
        ],
        "then codes that start with it, higher levels first: {hits:?}"
    );

    let hits = find(&app, None, "西社区").await;
    assert_eq!(
        hits,
        [
            "area:441899001001",
            "area:441899001001001",
            "area:441899001001002"
        ],
        "the whole name first, then names starting with it"
    );

    let hits = find(&app, None, "西小学").await;
    assert_eq!(
        hits,
        ["shelter:SH1", "place:PL1"],
        "shelters and places by name, shelters first on a tie"
    );

    let hits = find(&app, None, "hz1").await;
    assert_eq!(
        hits.first().map(String::as_str),
        Some("hazard:HZ1"),
        "ids ignore case"
    );

    let hits = find(&app, None, "xjd").await;
    assert_eq!(
        hits.first().map(String::as_str),
        Some("area:441899001"),
        "pinyin initials: xjd → 西街道: {hits:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn search_finds_grid_heads_with_phones_only_for_signed_in_callers() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (s, anon) = app.get_json("/api/search?q=张三明").await;
    assert_eq!(s, 200, "{anon}");
    let head = &anon["items"][0];
    assert_eq!(head["kind"], "head", "{anon}");
    assert_eq!(head["code"], fixture::WEST_SOUTH_GRID, "the grid they head");
    assert!(
        head.get("phone").is_none(),
        "no phone for anonymous: {head}"
    );
    let t = app.login_as("public").await;
    let (_, signed) = app.get_json_as(&t, "/api/search?q=张三明").await;
    assert_eq!(
        signed["items"][0]["phone"], "13800000000",
        "a signed-in caller sees the head's phone: {signed}"
    );
    app.stop().await;
}

#[tokio::test]
async fn search_answers_the_same_for_the_same_question() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let first = app.get_json("/api/search?q=网格&limit=3").await;
    // Parameters of a map position are not part of the question.
    let other = app
        .get_json("/api/search?q=网格&limit=3&lon=113.09&lat=23.09&bbox=113.05,23.05,113.1,23.1")
        .await;
    assert_eq!(first, other, "a search does not depend on where the map is");
    assert_eq!(
        keys(&first.1).len(),
        3,
        "limit caps the list: {:?}",
        first.1
    );
    for item in first.1["items"].as_array().unwrap() {
        let bbox = item["bbox"].as_array().expect("areas carry a bbox");
        assert_eq!(bbox.len(), 4, "{item}");
        assert!(item["lon"].is_f64() && item["lat"].is_f64(), "{item}");
    }
    app.stop().await;
}

#[tokio::test]
async fn search_refuses_bad_questions_with_json_errors() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let long = "x".repeat(101);
    let cases: &[(&str, u16, &str)] = &[
        ("/api/search", 400, "q is required"),
        ("/api/search?q=", 400, "a blank q is refused"),
        ("/api/search?q=%20%20", 400, "spaces are blank"),
        ("/api/search?q=a&limit=0", 400, "limit below 1"),
        ("/api/search?q=a&limit=-3", 400, "a negative limit"),
        ("/api/search?q=a&limit=ten", 400, "limit not a number"),
        ("/api/search?q=a&limit=100000", 200, "a big limit is capped"),
    ];
    for (path, want, why) in cases {
        let (s, v) = app.get_json(path).await;
        assert_eq!(s, *want, "{path}: {why}: {v}");
        if s == 400 {
            assert!(v["error"].is_string() && v["detail"].is_string(), "{v}");
        }
    }
    let (s, v) = app.get_json(&format!("/api/search?q={long}")).await;
    assert_eq!(s, 400, "a question over 100 characters: {v}");
    app.stop().await;
}

#[tokio::test]
async fn search_finds_incident_ids_only_within_the_callers_rights() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let admin = app.login_as("admin").await;
    let west = app.login_as("west_grid").await;
    assert!(
        find(&app, Some(&admin), "SJ-4")
            .await
            .contains(&"incident:SJ-4".to_owned()),
        "admin finds any incident"
    );
    assert!(
        find(&app, Some(&west), "SJ-1")
            .await
            .contains(&"incident:SJ-1".to_owned()),
        "a grid head finds an incident of its grid"
    );
    app.stop().await;
}
