//! Holding under abuse (issue 12): bounded work, concurrent writers, slow and
//! half-open clients, JSON errors for every error class, forwarded headers,
//! formula injection. Latency bounds here are correctness, with a 5× margin.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Backend, TestApp, fixture};

fn circle(n: usize, lon: f64, lat: f64) -> Value {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            [lon + 0.02 * a.cos(), lat + 0.02 * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    json!({"type": "Polygon", "coordinates": [ring]})
}

#[tokio::test]
async fn heavy_polygons_do_not_stall_health_checks() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let body = circle(64_000, 113.05, 23.05);
    let heavy: Vec<_> = (0..2)
        .map(|_| {
            let (client, url, body) = (
                app.client.clone(),
                app.url("/api/query/within"),
                body.clone(),
            );
            tokio::spawn(async move {
                let r = client.post(url).json(&body).send().await.unwrap();
                r.status().as_u16()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let r = app.get("/healthz").await;
        times.push(t.elapsed());
        assert_eq!(r.status(), 200);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    times.sort();
    // The second-worst of ten: one scheduling hiccup of a test machine running
    // other suites at the same time is not the server stalling.
    let p90 = times[8];
    assert!(
        p90 < Duration::from_millis(500),
        "/healthz answered within 100 ms (5× margin) while two 64,000-vertex polygons were checked; times {times:?}"
    );
    for h in heavy {
        let s = h.await.unwrap();
        assert!(
            s == 200 || s == 503,
            "a heavy request answers or is turned away with 503, got {s}"
        );
    }
    let (s, v) = app
        .post_json_as(None, "/api/query/within", &circle(100_001, 113.05, 23.05))
        .await;
    assert_eq!(s, 413, "more than 100,000 vertices: {v}");
    assert!(
        v["detail"].as_str().unwrap().contains("100000"),
        "the limit is named: {v}"
    );
}

#[tokio::test]
async fn sigterm_exits_within_ten_seconds_with_work_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--store"])
        .arg(format!("sqlite://{}/m.db", dir.path().display()))
        .env("MINQING_LOG", "warn")
        .spawn()
        .expect("start minqing");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server starts");
    // Heavy work in flight and a live stream open.
    let body = circle(64_000, 113.05, 23.05);
    for _ in 0..3 {
        let (c, url, b) = (
            client.clone(),
            format!("{base}/api/query/within"),
            body.clone(),
        );
        tokio::spawn(async move { c.post(url).json(&b).send().await });
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let exited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if t.elapsed() > Duration::from_secs(12) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let Some(status) = exited else {
        let _ = child.kill();
        panic!("the server did not exit within 12 s of SIGTERM");
    };
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "SIGTERM → exit within 10 s, took {:?}",
        t.elapsed()
    );
    assert!(status.success(), "a clean exit: {status}");
}

#[tokio::test]
async fn sixteen_concurrent_writers_on_sqlite_get_no_server_error() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("west_grid").await;
    let mut tasks = Vec::new();
    for w in 0..16 {
        let (client, url, token) = (app.client.clone(), app.url("/api/incidents"), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..10 {
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("w{w}-{i}"))
                    .json(&json!({"category": "民生诉求", "description": format!("并发 {w}-{i}"), "lon": 113.02, "lat": 23.02}))
                    .send()
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                let v: Value = r.json().await.unwrap_or_default();
                out.push((s, v["id"].as_str().map(str::to_owned)));
            }
            out
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        for (s, id) in t.await.unwrap() {
            assert!(s < 500, "a concurrent write answered {s}");
            assert_eq!(s, 201, "every write succeeds");
            ids.push(id.expect("an id"));
        }
    }
    for id in &ids {
        assert!(
            app.store().incident(id).await.unwrap().is_some(),
            "acknowledged incident {id} is stored"
        );
    }
    assert_eq!(ids.len(), 160);
}

#[tokio::test]
async fn half_open_connections_do_not_keep_new_clients_out() {
    let mut cfg = minqing::app::AppConfig::new("", "127.0.0.1:0".parse().unwrap());
    cfg.header_read_timeout = Duration::from_secs(2);
    let (url, dir) = crate::common::fresh_store_url(Backend::Sqlite).await;
    cfg.store_url = url;
    let app = TestApp::start(cfg, dir).await;
    let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let mut socks = Vec::new();
    for _ in 0..300 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.3:0".parse().unwrap()).unwrap();
        let s = socket.connect(addr).await.unwrap().into_std().unwrap();
        s.set_nonblocking(false).unwrap();
        let mut s: TcpStream = s;
        let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ");
        socks.push(s);
    }
    let t = Instant::now();
    let r = app.get("/healthz").await;
    assert_eq!(
        r.status(),
        200,
        "a new client is served while 300 sockets dawdle"
    );
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "and promptly: {:?}",
        t.elapsed()
    );
    // The dawdlers are closed once the header-read timeout passes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let closed = tokio::task::spawn_blocking(move || {
        socks
            .into_iter()
            .filter(|mut s| {
                s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
                let mut b = [0u8; 512];
                // EOF or a reset: closed by the server. A read timeout: still open.
                !matches!(s.read(&mut b), Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut))
            })
            .count()
    })
    .await
    .unwrap();
    assert_eq!(
        closed, 300,
        "every half-open connection is closed after the header-read timeout"
    );
}

#[tokio::test]
async fn every_error_class_answers_json() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let check = |what: &str, status: u16, want: u16, ctype: Option<&str>, body: &str| {
        assert_eq!(status, want, "{what}: {body}");
        assert!(
            ctype.is_some_and(|c| c.contains("json")),
            "{what}: JSON content type, got {ctype:?}"
        );
        let v: Value =
            serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: body is JSON: {body}"));
        assert!(
            v["error"].is_string() && v["detail"].is_string(),
            "{what}: {{error, detail}}: {v}"
        );
        assert!(
            body.chars().count() < 1000,
            "{what}: detail echoes little: {} chars",
            body.len()
        );
    };
    let send = |r: reqwest::RequestBuilder| async move {
        let r = r.send().await.unwrap();
        let s = r.status().as_u16();
        let c = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        (s, c, r.text().await.unwrap())
    };
    let (s, c, b) = send(app.client.get(app.url("/no/such/path"))).await;
    check("unknown path", s, 404, c.as_deref(), &b);
    let (s, c, b) = send(app.client.delete(app.url("/api/incidents"))).await;
    check("wrong method", s, 405, c.as_deref(), &b);
    let (s, c, b) = send(
        app.client
            .post(app.url("/api/query/within"))
            .header("content-type", "application/json")
            .body(vec![b' '; 9 << 20]),
    )
    .await;
    check("too large", s, 413, c.as_deref(), &b);
    let (s, c, b) = send(app.client.get(app.url("/api/areas/%FF%FE"))).await;
    check("path not UTF-8", s, 400, c.as_deref(), &b);
    let huge = "9".repeat(1_900_000);
    let (s, c, b) = send(
        app.client
            .post(app.url("/api/incidents"))
            .bearer_auth(app.login_as("west_grid").await)
            .json(&json!({"category": huge, "lon": 113.02, "lat": 23.02})),
    )
    .await;
    check("a 1.9 MB bad value", s, 400, c.as_deref(), &b);
    let (s, c, b) = send(
        app.client
            .post(app.url("/api/query/within"))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    check("a body that cannot be read", s, 400, c.as_deref(), &b);
    // A composite tile names each layer once and at most eight.
    let (s, c, b) = send(app.client.get(app.url("/tiles/grids,grids/10/850/450.mvt"))).await;
    check("repeated layer", s, 400, c.as_deref(), &b);
    let nine = ["grids"; 9].join(",");
    let (s, c, b) = send(
        app.client
            .get(app.url(&format!("/tiles/{nine}/10/850/450.mvt"))),
    )
    .await;
    check("nine layers", s, 400, c.as_deref(), &b);
}

#[tokio::test]
async fn bodies_up_to_eight_mib_are_read_for_tracks_and_open311() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("west_grid").await;
    // ~3 MiB of fixes: over axum's 2 MiB default, under the documented 8 MiB.
    let now = chrono::Utc::now();
    let points: Vec<Value> = (0..40_000)
        .map(|i| json!({"lon": 113.01 + f64::from(i % 100) * 0.0001, "lat": 23.01, "time": (now - chrono::Duration::seconds(40_000 - i64::from(i))).to_rfc3339(), "pad": "0000000000"}))
        .collect();
    let body = json!({"member": "big-walker", "points": points}).to_string();
    assert!(
        body.len() > 2_200_000,
        "the body is over 2 MiB ({})",
        body.len()
    );
    let r = app
        .client
        .post(app.url("/api/patrol/tracks"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    assert_ne!(
        s,
        413,
        "a 3 MiB track batch is within the 8 MiB limit: {}",
        r.text().await.unwrap()
    );
}

#[tokio::test]
async fn csv_exports_neutralise_formulas() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("west_grid").await;
    let (s, v) = app
        .post_json_as(Some(&token), "/api/incidents", &json!({"category": "民生诉求", "description": "=HYPERLINK(\"http://evil.example\",\"点我\")", "lon": 113.02, "lat": 23.02}))
        .await;
    assert_eq!(s, 201, "{v}");
    let csv = app
        .get_as(&token, "/api/export/incidents.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("'=HYPERLINK("),
        "the formula is made inert with a leading apostrophe"
    );
    assert!(!csv.contains(",=HYPERLINK("), "no live formula in any cell");
}

#[tokio::test]
async fn forwarded_headers_count_only_from_a_trusted_proxy() {
    let (url, dir) = crate::common::fresh_store_url(Backend::Sqlite).await;
    {
        let s = minqing::store::open(&url).await.unwrap();
        s.migrate().await.unwrap();
        s.seed(&fixture::dataset()).await.unwrap();
        crate::common::add_fixture_users(s.as_ref()).await;
    }
    let mut cfg = minqing::app::AppConfig::new(&url, "127.0.0.1:0".parse().unwrap());
    cfg.trust_proxy = vec!["127.0.0.2".parse().unwrap()];
    let app = TestApp::start(cfg, dir).await;
    let links = |v: &Value| v["links"].to_string();
    let r = app
        .client
        .get(app.url("/ogc"))
        .header("x-forwarded-host", "javascript:alert(1)//")
        .header("x-forwarded-proto", "javascript")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(
        !links(&v).contains("javascript") && links(&v).contains(&app.base),
        "from an untrusted peer the forwarded headers are ignored: {}",
        links(&v)
    );
    let proxy = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let v: Value = proxy
        .get(app.url("/ogc"))
        .header("x-forwarded-host", "map.example.gov.cn")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        links(&v).contains("https://map.example.gov.cn/ogc"),
        "through the trusted proxy they count: {}",
        links(&v)
    );
    let r = proxy
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": "west_grid", "password": crate::common::PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "over TLS through the proxy the cookies are Secure: {cookies:?}"
    );
    let r = app
        .client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": "west_grid", "password": crate::common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().contains("Secure")),
        "a forged header from anyone else does not change the cookie"
    );
}

#[tokio::test]
async fn open311_limits_by_address_and_account_not_by_key_text() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let stranger = reqwest::Client::builder()
        .local_address("127.0.0.4".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    // A stranger varies the key text: the address budget still runs out.
    let mut limited = false;
    for i in 0..40 {
        let r = stranger
            .post(app.url("/open311/v2/requests.json"))
            .form(&[
                ("api_key", format!("guess-{i}")),
                ("service_code", "neighbour".into()),
                ("lat", "23.02".into()),
                ("long", "113.02".into()),
            ])
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = true;
            break;
        }
        assert_eq!(r.status(), 401, "an unknown key is refused");
    }
    assert!(limited, "changing the key text does not evade the limit");
    // A real client on another address is not blocked by the stranger.
    let token = app.login_as("west_grid").await;
    let r = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .form(&[
            ("api_key", token.as_str()),
            ("service_code", "neighbour"),
            ("lat", "23.02"),
            ("long", "113.02"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        201,
        "a real client is served: {}",
        r.text().await.unwrap()
    );
}
