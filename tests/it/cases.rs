//! Acting on a case: evidence photos (stored on both backends, metadata
//! stripped, thumbnails, the case's rights, limits), configured deadlines,
//! the report channel, linking duplicates, the steps a caller may take, and
//! handling-time statistics from the histories.

use serde_json::{Value, json};

use crate::common::{Backend, TestApp, fixture};

const BOUNDARY: &str = "minqing-test-boundary";

/// A JPEG with an EXIF block that carries a GPS position in readable text.
fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 90]));
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut plain),
            image::ImageFormat::Jpeg,
        )
        .expect("encode a JPEG");
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
    payload.extend_from_slice(b"GPSLatitude 23.698N GPSLongitude 113.056E");
    let len = (payload.len() + 2) as u16;
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbaImage::new(w, h)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode a PNG");
    out
}

pub fn multipart(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, content_type, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"p.jpg\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub async fn upload(app: &TestApp, token: Option<&str>, id: &str, body: Vec<u8>) -> (u16, Value) {
    let mut r = app
        .client
        .post(app.url(&format!("/api/incidents/{id}/photos")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.expect("upload");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn photo_story(backend: Backend) {
    let app = TestApp::fixture(backend).await;
    let grid = app.login_as("west_grid").await;
    let gps = jpeg_with_gps(64, 48);
    assert!(
        gps.windows(4).any(|w| w == b"Exif"),
        "the fixture photo carries EXIF"
    );

    let (s, v) = upload(
        &app,
        Some(&grid),
        "SJ-1",
        multipart(&[("photo", "image/jpeg", &gps)]),
    )
    .await;
    assert_eq!(
        s, 201,
        "the grid head adds a photo to a case of his grid: {v}"
    );
    let p = &v["photos"][0];
    assert_eq!(p["n"], 1, "the first photo of the case is number 1: {v}");
    let url = p["url"].as_str().expect("url").to_owned();
    let thumb = p["thumb"].as_str().expect("thumb").to_owned();

    let r = app.get_as(&grid, &url).await;
    assert_eq!(
        r.status(),
        200,
        "{backend:?}: the photo is served to the case's reader"
    );
    assert_eq!(
        r.headers()["content-type"],
        "image/jpeg",
        "a JPEG stays a JPEG"
    );
    let cc = r.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cc.contains("private"), "never kept by shared caches: {cc}");
    let stored = r.bytes().await.unwrap();
    assert!(
        !stored.windows(4).any(|w| w == b"Exif") && !stored.windows(7).any(|w| w == b"113.056"),
        "{backend:?}: no EXIF block and no GPS position survive the upload"
    );
    let decoded = image::load_from_memory(&stored).expect("the stored photo decodes");
    assert_eq!(
        (decoded.width(), decoded.height()),
        (64, 48),
        "the picture itself is kept"
    );
    let r = app.get_as(&grid, &thumb).await;
    assert_eq!(r.status(), 200, "the thumbnail is served");
    let t = image::load_from_memory(&r.bytes().await.unwrap()).expect("the thumbnail decodes");
    assert!(
        t.width() <= 320 && t.height() <= 320,
        "a thumbnail is small"
    );

    let (s, d) = app.get_json_as(&grid, "/api/incidents/SJ-1").await;
    assert_eq!(s, 200);
    assert_eq!(
        d["photos"].as_array().map(Vec::len),
        Some(1),
        "the detail lists the photo: {d}"
    );
    assert_eq!(d["photos"][0]["url"], url.as_str(), "with the same URL");
    let last = d["history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        last["action"], "photo",
        "adding photos is a step of the history: {last}"
    );
    assert_eq!(last["by"], "west_grid", "naming who added them");

    // Attackers: anonymous, another grid, a public account on someone else's case, a role
    // that reads but does not work cases.
    assert_eq!(
        app.get(&url).await.status(),
        401,
        "anonymous callers get no photo"
    );
    let (s, _) = upload(
        &app,
        None,
        "SJ-1",
        multipart(&[("photo", "image/jpeg", &gps)]),
    )
    .await;
    assert_eq!(s, 401, "anonymous callers add no photo");
    let east = app.login_as("east_grid").await;
    assert_eq!(
        app.get_as(&east, &url).await.status(),
        404,
        "another grid's case: its photo answers as missing"
    );
    let (s, _) = upload(
        &app,
        Some(&east),
        "SJ-1",
        multipart(&[("photo", "image/jpeg", &gps)]),
    )
    .await;
    assert_eq!(
        s, 404,
        "another grid's case answers as missing to an upload too"
    );
    let public = app.login_as("public").await;
    let (s, _) = upload(
        &app,
        Some(&public),
        "SJ-1",
        multipart(&[("photo", "image/jpeg", &gps)]),
    )
    .await;
    assert_eq!(
        s, 404,
        "a public account cannot add photos to someone else's case"
    );
    assert_eq!(
        app.get_as(&public, &url).await.status(),
        404,
        "nor read them"
    );
    let flood = app.login_as("flood").await;
    let (s, _) = upload(
        &app,
        Some(&flood),
        "SJ-1",
        multipart(&[("photo", "image/jpeg", &gps)]),
    )
    .await;
    assert_eq!(s, 403, "the flood role reads the case but does not work it");

    // A public reporter adds photos to its own report.
    let (s, own) = app
        .post_json_as(Some(&public), "/api/incidents", &json!({"category": "民生诉求", "description": "路灯坏了", "lon": 113.012, "lat": 23.012}))
        .await;
    assert_eq!(s, 201, "{own}");
    let own_id = own["id"].as_str().unwrap();
    let (s, v) = upload(
        &app,
        Some(&public),
        own_id,
        multipart(&[("photo", "image/png", &png(10, 10))]),
    )
    .await;
    assert_eq!(
        s, 201,
        "a public reporter adds a photo to its own report: {v}"
    );
    let r = app
        .get_as(&public, v["photos"][0]["url"].as_str().unwrap())
        .await;
    assert_eq!(
        r.headers()["content-type"],
        "image/png",
        "a PNG stays a PNG"
    );

    // Bad input.
    let cases: Vec<(&str, Vec<u8>, Option<&str>, u16)> = vec![
        (
            "a GIF is not a photo type we take",
            multipart(&[("photo", "image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")]),
            None,
            415,
        ),
        (
            "a text file renamed .jpg",
            multipart(&[("photo", "image/jpeg", b"hello, I am text")]),
            None,
            415,
        ),
        (
            "a JPEG header with garbage after it",
            multipart(&[("photo", "image/jpeg", b"\xFF\xD8\xFF\xE0garbage garbage")]),
            None,
            400,
        ),
        (
            "a part of another name",
            multipart(&[("file", "image/jpeg", &gps)]),
            None,
            400,
        ),
        ("no part at all", multipart(&[]), None, 400),
        (
            "not multipart at all",
            b"{}".to_vec(),
            Some("application/json"),
            415,
        ),
        (
            "a photo over 10 MB",
            multipart(&[("photo", "image/jpeg", &vec![0xFFu8; 10_000_001])]),
            None,
            413,
        ),
    ];
    for (what, body, content_type, want) in cases {
        let mut r = app
            .client
            .post(app.url("/api/incidents/SJ-1/photos"))
            .bearer_auth(&grid)
            .body(body);
        r = r.header(
            "content-type",
            content_type.map_or(
                format!("multipart/form-data; boundary={BOUNDARY}"),
                str::to_owned,
            ),
        );
        let r = r.send().await.expect("upload");
        let s = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(s, want, "{backend:?}: {what}: {v}");
        assert!(v["error"].is_string(), "{what}: a JSON error: {v}");
    }

    // Nine photos per case: eight more fit, the tenth does not.
    let eight: Vec<(&str, &str, &[u8])> = (0..8)
        .map(|_| ("photo", "image/jpeg", gps.as_slice()))
        .collect();
    let (s, v) = upload(&app, Some(&grid), "SJ-1", multipart(&eight)).await;
    assert_eq!(s, 201, "photos 2–9 in one request: {v}");
    assert_eq!(v["photos"][7]["n"], 9, "numbered on from the first");
    let (s, v) = upload(
        &app,
        Some(&grid),
        "SJ-1",
        multipart(&[("photo", "image/jpeg", &gps)]),
    )
    .await;
    assert_eq!(s, 409, "{backend:?}: a tenth photo is refused: {v}");
    let (_, d) = app.get_json_as(&grid, "/api/incidents/SJ-1").await;
    assert_eq!(
        d["photos"].as_array().map(Vec::len),
        Some(9),
        "the refused one left nothing behind"
    );
    assert_eq!(
        d["can_add_photos"], false,
        "a full case offers no more uploads"
    );
    for missing in [
        "/api/incidents/SJ-1/photos/10",
        "/api/incidents/SJ-1/photos/abc",
        "/api/incidents/SJ-1/photos/0",
        "/api/incidents/nope/photos/1",
    ] {
        assert_eq!(app.get_as(&grid, missing).await.status(), 404, "{missing}");
    }
    let (s, _) = app
        .get_json_as(&grid, "/api/incidents/SJ-1/photos/1?size=huge")
        .await;
    assert_eq!(s, 400, "an unknown size is bad input");
    app.stop().await;
}

#[tokio::test]
async fn photos_are_stripped_thumbnailed_limited_and_served_by_the_case_rights_on_sqlite() {
    photo_story(Backend::Sqlite).await;
}

#[tokio::test]
async fn photos_are_stripped_thumbnailed_limited_and_served_by_the_case_rights_on_postgis() {
    photo_story(Backend::Postgis).await;
}

async fn put_deadline(app: &TestApp, token: &str, category: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .put(app.url(&format!("/api/config/deadlines/{category}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("put");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_changed_deadline_applies_to_cases_reported_after_the_change() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let admin = app.login_as("admin").await;
        let grid = app.login_as("west_grid").await;
        let (s, v) = app.get_json_as(&grid, "/api/config/deadlines").await;
        assert_eq!(s, 200, "signed-in staff read the deadlines");
        let safety = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["category"] == "safety")
            .cloned()
            .unwrap();
        assert_eq!(safety["hours"], 2, "安全隐患 starts at 2 hours: {v}");
        assert_eq!(
            app.get("/api/config/deadlines").await.status(),
            401,
            "not for anonymous callers"
        );

        let report = |token: String| {
            let app = &app;
            async move {
                let (s, v) = app
                    .post_json_as(
                        Some(&token),
                        "/api/incidents",
                        &json!({"category": "安全隐患", "lon": 113.015, "lat": 23.015}),
                    )
                    .await;
                assert_eq!(s, 201, "{v}");
                let at = chrono::DateTime::parse_from_rfc3339(v["reported_at"].as_str().unwrap())
                    .unwrap();
                let dl =
                    chrono::DateTime::parse_from_rfc3339(v["deadline"].as_str().unwrap()).unwrap();
                (
                    v["id"].as_str().unwrap().to_owned(),
                    (dl - at).num_minutes(),
                )
            }
        };
        let (before, minutes) = report(grid.clone()).await;
        assert_eq!(
            minutes, 120,
            "{backend:?}: a case reported before the change gets 2 hours"
        );

        let (s, _) = put_deadline(&app, &grid, "safety", json!({"hours": 5})).await;
        assert_eq!(s, 403, "a grid head does not change deadlines");
        for (category, body, want) in [
            ("safety", json!({"hours": 0}), 400),
            ("safety", json!({"hours": 100_000}), 400),
            ("safety", json!({"hours": "5"}), 400),
            ("no-such-category", json!({"hours": 5}), 404),
        ] {
            let (s, v) = put_deadline(&app, &admin, category, body.clone()).await;
            assert_eq!(s, want, "{category} {body}: {v}");
        }
        let (s, v) = put_deadline(&app, &admin, "安全隐患", json!({"hours": 5})).await;
        assert_eq!(
            s, 200,
            "the admin changes 安全隐患 by its Chinese name: {v}"
        );
        let (_, v) = app.get_json_as(&grid, "/api/config/deadlines").await;
        let safety = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["category"] == "safety")
            .cloned()
            .unwrap();
        assert_eq!(
            safety["hours"], 5,
            "{backend:?}: the table says 5 hours now"
        );
        // The public category list (the report form reads it) says the same, not the built-in 2.
        let (s, v) = app.get_json("/api/incidents/categories").await;
        assert_eq!(s, 200, "{backend:?}: categories are public: {v}");
        let listed = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "safety")
            .cloned()
            .unwrap();
        assert_eq!(
            listed["deadline_hours"], 5,
            "{backend:?}: /api/incidents/categories shows the configured deadline: {v}"
        );

        let (_, minutes) = report(grid.clone()).await;
        assert_eq!(
            minutes, 300,
            "{backend:?}: a case reported after the change gets 5 hours"
        );
        let (_, d) = app
            .get_json_as(&grid, &format!("/api/incidents/{before}"))
            .await;
        let at = chrono::DateTime::parse_from_rfc3339(d["reported_at"].as_str().unwrap()).unwrap();
        let dl = chrono::DateTime::parse_from_rfc3339(d["deadline"].as_str().unwrap()).unwrap();
        assert_eq!(
            (dl - at).num_minutes(),
            120,
            "the earlier case keeps its deadline"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_report_carries_its_channel_by_who_made_it() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let body = json!({"category": "邻里纠纷", "lon": 113.015, "lat": 23.015});
    for (user, channel) in [("west_grid", "网格员上报"), ("public", "群众上报")] {
        let t = app.login_as(user).await;
        let (s, v) = app.post_json_as(Some(&t), "/api/incidents", &body).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["source"], channel, "{user} reports as {channel}");
    }
    let public = app.login_as("public").await;
    let (s, v) = app
        .post_json_as(
            Some(&public),
            "/api/incidents",
            &json!({"category": "邻里纠纷", "lon": 113.015, "lat": 23.015, "source": "12345"}),
        )
        .await;
    assert_eq!(s, 400, "a public account cannot claim another channel: {v}");
    let command = app.login_as("command").await;
    let (s, v) = app
        .post_json_as(
            Some(&command),
            "/api/incidents",
            &json!({"category": "邻里纠纷", "lon": 113.015, "lat": 23.015, "source": "12345"}),
        )
        .await;
    assert_eq!(
        (s, v["source"].as_str()),
        (201, Some("12345")),
        "the command centre enters a 12345 call: {v}"
    );
    app.stop().await;
}

async fn act(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    app.post_json_as(Some(token), &format!("/api/incidents/{id}/actions"), &body)
        .await
}

fn action_names(d: &Value) -> Vec<String> {
    d["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["action"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_detail_offers_exactly_the_steps_the_caller_may_take_and_the_whole_history() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let command = app.login_as("command").await;
    let grid = app.login_as("west_grid").await;
    let flood = app.login_as("flood").await;
    let (_, d) = app.get_json_as(&command, "/api/incidents/SJ-2").await;
    assert_eq!(
        d["grid_name"].as_str().map(|n| !n.is_empty()),
        Some(true),
        "the grid by name: {d}"
    );
    assert_eq!(
        d["head"]["phone"], "13800000000",
        "the head with the phone to call: {d}"
    );
    assert_eq!(d["street"]["code"], fixture::WEST_STREET, "the street: {d}");
    assert!(
        action_names(&d).contains(&"dispatch".to_owned()),
        "the command centre dispatches an accepted case: {d}"
    );
    let (_, d) = app.get_json_as(&grid, "/api/incidents/SJ-2").await;
    assert!(
        !action_names(&d).contains(&"dispatch".to_owned()),
        "a grid head has no dispatch button: {:?}",
        action_names(&d)
    );
    let (_, d) = app.get_json_as(&flood, "/api/incidents/SJ-2").await;
    assert!(
        action_names(&d).is_empty(),
        "the flood role reads but takes no step"
    );

    // A case reported here runs through the loop; its history names every step.
    let (s, v) = app
        .post_json_as(Some(&grid), "/api/incidents", &json!({"category": "邻里纠纷", "description": "噪音扰民", "lon": 113.015, "lat": 23.015}))
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = act(&app, &grid, &id, json!({"action": "accept"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = act(
        &app,
        &command,
        &id,
        json!({"action": "dispatch", "note": "派往网格"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, d) = app
        .get_json_as(&grid, &format!("/api/incidents/{id}"))
        .await;
    assert_eq!(
        action_names(&d),
        ["start", "escalate", "link_duplicate"],
        "after dispatch the grid head may start"
    );
    type Step<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let steps: Vec<Step> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str(),
                e["from"].as_str(),
                e["to"].as_str(),
                e["by"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (Some("report"), None, Some("reported"), Some("west_grid")),
            (
                Some("accept"),
                Some("reported"),
                Some("accepted"),
                Some("west_grid")
            ),
            (
                Some("dispatch"),
                Some("accepted"),
                Some("dispatched"),
                Some("command")
            ),
        ],
        "each step says from where to where, and who"
    );
    assert_eq!(d["history"][2]["note"], "派往网格");

    // Linking a duplicate.
    let (s, v) = act(&app, &grid, "SJ-3", json!({"action": "link_duplicate"})).await;
    assert_eq!(s, 400, "`of` is required: {v}");
    let (s, _) = act(
        &app,
        &grid,
        "SJ-3",
        json!({"action": "link_duplicate", "of": "SJ-3"}),
    )
    .await;
    assert_eq!(s, 400, "not a duplicate of itself");
    let (s, _) = act(
        &app,
        &grid,
        "SJ-3",
        json!({"action": "link_duplicate", "of": "SJ-4"}),
    )
    .await;
    assert_eq!(s, 404, "a case outside one's rights answers as missing");
    let (s, v) = act(
        &app,
        &grid,
        "SJ-3",
        json!({"action": "link_duplicate", "of": "SJ-2"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["status"], "closed",
        "a duplicate is closed in favour of the first report"
    );
    let (_, d) = app.get_json_as(&grid, "/api/incidents/SJ-3").await;
    assert_eq!(
        d["duplicate_of"], "SJ-2",
        "the detail names the case it repeats: {d}"
    );
    assert!(
        action_names(&d).is_empty(),
        "nothing follows on a duplicate"
    );
    app.stop().await;
}

#[tokio::test]
async fn handling_statistics_come_from_the_histories() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let command = app.login_as("command").await;
    let grid = app.login_as("west_grid").await;
    // SJ-1 runs the whole loop, reopened once by an unhappy revisit.
    let steps: Vec<(&String, Value)> = vec![
        (&command, json!({"action": "dispatch", "note": "派往网格"})),
        (&grid, json!({"action": "start"})),
        (&grid, json!({"action": "resolve", "note": "已调解"})),
        (&command, json!({"action": "verify"})),
        (&grid, json!({"action": "revisit", "satisfaction": 1})),
        (&grid, json!({"action": "resolve", "note": "再次调解"})),
        (&command, json!({"action": "verify"})),
        (&grid, json!({"action": "revisit", "satisfaction": 5})),
        (&command, json!({"action": "close"})),
    ];
    for (t, body) in steps {
        let (s, v) = act(&app, t, "SJ-1", body.clone()).await;
        assert_eq!(s, 200, "{body}: {v}");
    }
    let (s, v) = app
        .get_json_as(&command, "/api/stats/incidents?from=2020-01-01T00:00:00Z")
        .await;
    assert_eq!(s, 200, "{v}");
    let o = &v["overall"];
    assert_eq!(o["closed"], 1, "one case closed through the loop: {o}");
    assert!(
        o["median_hours"].as_f64().is_some_and(|h| h > 0.0),
        "its handling time counts: {o}"
    );
    assert_eq!(
        o["reopen_rate"], 1.0,
        "the one finished case was reopened once: {o}"
    );
    assert!(
        o["on_time_rate"]
            .as_f64()
            .is_some_and(|r| (0.0..=1.0).contains(&r)),
        "a rate: {o}"
    );
    let cat = v["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "neighbour")
        .cloned()
        .unwrap_or_default();
    assert_eq!(cat["closed"], 1, "per category too: {v}");
    let street = v["by_street"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == fixture::WEST_STREET)
        .cloned()
        .unwrap_or_default();
    assert_eq!(street["closed"], 1, "per street too: {v}");
    app.stop().await;
}
