//! `Idempotency-Key` on every creating request (incidents, visits, patrol
//! tracks, warnings, Open311), on both stores: a retry gets the first answer
//! and creates nothing; the same key with another body is 422; a refused
//! request does not spend its key; keys belong to one account.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp};

struct Answer {
    status: u16,
    body: Value,
    replayed: bool,
}

async fn post(app: &TestApp, token: &str, path: &str, key: Option<&str>, body: &Value) -> Answer {
    let mut r = app.client.post(app.url(path)).bearer_auth(token).json(body);
    if let Some(k) = key {
        r = r.header("idempotency-key", k);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    Answer {
        status,
        body: r.json().await.unwrap_or(Value::Null),
        replayed,
    }
}

/// Sends `first` twice with one key, then `other` with the same key: the
/// retry replays, the other body is refused, and `count` grew by one.
async fn retried_once<F, Fut>(
    app: &TestApp,
    token: &str,
    what: &str,
    path: &str,
    first: Value,
    other: Value,
    count: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let before = count().await;
    let key = format!("key-{}", what.replace(' ', "-"));
    let a = post(app, token, path, Some(&key), &first).await;
    assert!(
        a.status < 300,
        "{what}: the first request succeeds: {} {}",
        a.status,
        a.body
    );
    assert!(!a.replayed, "{what}: the first answer is not a replay");
    let b = post(app, token, path, Some(&key), &first).await;
    assert_eq!(
        b.status, a.status,
        "{what}: the retry gets the first status"
    );
    assert_eq!(b.body, a.body, "{what}: the retry gets the first body");
    assert!(b.replayed, "{what}: the retry says it is a replay");
    assert_eq!(count().await, before + 1, "{what}: two sends, one record");
    let c = post(app, token, path, Some(&key), &other).await;
    assert_eq!(
        c.status, 422,
        "{what}: the same key with another body is refused: {}",
        c.body
    );
    assert_eq!(
        c.body["error"], "idempotency_key_reused",
        "{what}: {}",
        c.body
    );
    assert_eq!(
        count().await,
        before + 1,
        "{what}: the refused request created nothing"
    );
}

async fn total(app: &TestApp, token: &str, path: &str) -> usize {
    let (s, v) = app.get_json_as(token, path).await;
    assert_eq!(s, 200, "{path}: {v}");
    v["total"]
        .as_u64()
        .map(|n| n as usize)
        .or_else(|| v["items"].as_array().map(Vec::len))
        .unwrap_or_else(|| panic!("{path} answers a list: {v}"))
}

async fn changes(app: &TestApp, kind: &str) -> usize {
    app.store()
        .changes_since(0, 1_000_000)
        .await
        .expect("change log")
        .iter()
        .filter(|c| c.kind == kind)
        .count()
}

fn square(x0: f64, y0: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]]})
}

#[tokio::test]
async fn retries_with_the_same_key_create_once_for_every_creating_route_on_both_stores() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let head = app.login_as("west_grid").await;
        let admin = app.login_as("admin").await;
        retried_once(
            &app, &head, &format!("{backend:?} incident"), "/api/incidents",
            json!({"category": "民生诉求", "description": "路灯不亮", "lon": 113.02, "lat": 23.02}),
            json!({"category": "民生诉求", "description": "路灯不亮了", "lon": 113.02, "lat": 23.02}),
            || total(&app, &head, "/api/incidents?limit=10000"),
        )
        .await;
        retried_once(
            &app,
            &head,
            &format!("{backend:?} visit"),
            "/api/people/RY0/visits",
            json!({"how": "入户", "note": "一切正常"}),
            json!({"how": "电话", "note": "一切正常"}),
            || async {
                app.get_json_as(&head, "/api/people/RY0/visits").await.1["items"]
                    .as_array()
                    .map_or(0, Vec::len)
            },
        )
        .await;
        let t0 = Utc::now() - Duration::minutes(30);
        let fix = |k: i64| json!({"lon": 113.02 + 0.0001 * k as f64, "lat": 23.02, "time": (t0 + Duration::seconds(10 * k)).to_rfc3339()});
        retried_once(
            &app,
            &head,
            &format!("{backend:?} patrol track"),
            "/api/patrol/tracks",
            json!({"member": "M-IDEM", "points": [fix(0), fix(1), fix(2)]}),
            json!({"member": "M-IDEM", "points": [fix(0), fix(1), fix(2), fix(3)]}),
            || changes(&app, "patrol.track"),
        )
        .await;
        let until = (Utc::now() + Duration::hours(6)).to_rfc3339();
        retried_once(
            &app, &admin, &format!("{backend:?} warning"), "/api/warnings",
            json!({"name": "幂等", "level": "黄", "kind": "暴雨", "until": until, "area": square(113.01, 23.01, 0.02)}),
            json!({"name": "幂等二", "level": "黄", "kind": "暴雨", "until": until, "area": square(113.01, 23.01, 0.02)}),
            || total(&app, &admin, "/api/warnings"),
        )
        .await;
        app.stop().await;
    }
}

#[tokio::test]
async fn a_refused_request_does_not_spend_its_key_and_keys_belong_to_one_account() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let west = app.login_as("west_grid").await;
    let east = app.login_as("east_grid").await;
    let r = post(
        &app,
        &west,
        "/api/incidents",
        Some("k1"),
        &json!({"category": "nonsense", "lon": 113.02, "lat": 23.02}),
    )
    .await;
    assert_eq!(r.status, 400, "a bad report is refused: {}", r.body);
    let ok =
        json!({"category": "民生诉求", "description": "水管漏水", "lon": 113.02, "lat": 23.02});
    let r = post(&app, &west, "/api/incidents", Some("k1"), &ok).await;
    assert_eq!(
        r.status, 201,
        "the corrected report with the same key runs: {}",
        r.body
    );
    assert!(!r.replayed, "it is no replay of the refusal");
    let mine = r.body["id"].clone();
    let r = post(&app, &east, "/api/incidents", Some("k1"), &ok).await;
    assert_eq!(
        r.status, 201,
        "another account's same key is its own: {}",
        r.body
    );
    assert_ne!(r.body["id"], mine, "and creates its own record");
    for (key, why) in [
        ("", "an empty key"),
        (&*"k".repeat(201), "a key over 200 characters"),
        ("schlüssel", "a key that is not ASCII"),
    ] {
        let r = app
            .client
            .post(app.url("/api/incidents"))
            .bearer_auth(&west)
            .header("idempotency-key", key.as_bytes())
            .json(&ok)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{why} is refused");
    }
}

#[tokio::test]
async fn concurrent_sends_of_one_key_create_one_record() {
    let app = TestApp::fixture(Backend::Postgis).await;
    let head = app.login_as("west_grid").await;
    let before = total(&app, &head, "/api/incidents?limit=10000").await;
    let body =
        json!({"category": "民生诉求", "description": "并发同键", "lon": 113.02, "lat": 23.02});
    let sends = (0..6).map(|_| {
        let (client, url, head, body) = (
            app.client.clone(),
            app.url("/api/incidents"),
            head.clone(),
            body.clone(),
        );
        tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(head)
                .header("idempotency-key", "same")
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        })
    });
    let mut ids = std::collections::BTreeSet::new();
    for t in sends {
        let (s, v) = t.await.unwrap();
        assert!(
            s == 201 || s == 409,
            "each send is created, replayed or told the first still runs: {s} {v}"
        );
        if s == 201 {
            ids.insert(v["id"].as_str().unwrap_or_default().to_owned());
        }
    }
    assert_eq!(ids.len(), 1, "every 201 names the same record: {ids:?}");
    assert_eq!(
        total(&app, &head, "/api/incidents?limit=10000").await,
        before + 1,
        "one record"
    );
}

#[tokio::test]
async fn open311_reports_with_an_api_key_honour_the_idempotency_key() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("west_grid").await;
    let send = |desc: &'static str| {
        app.client
            .post(app.url("/open311/v2/requests.json"))
            .header("idempotency-key", "open311-1")
            .form(&[
                ("api_key", token.as_str()),
                ("service_code", "neighbour"),
                ("lat", "23.02"),
                ("long", "113.02"),
                ("description", desc),
            ])
            .send()
    };
    let a = send("楼上噪音").await.unwrap();
    assert_eq!(a.status(), 201, "the first report");
    let a: Value = a.json().await.unwrap();
    let b = send("楼上噪音").await.unwrap();
    assert_eq!(b.status(), 201, "the retry");
    let b: Value = b.json().await.unwrap();
    assert_eq!(a, b, "the retry names the same service request");
    let c = send("楼上噪音很大").await.unwrap();
    assert_eq!(
        c.status(),
        422,
        "the same key with another report is refused"
    );
}
