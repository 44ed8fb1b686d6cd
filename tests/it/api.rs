//! Query endpoints on the fixture, with known answers, and bad input.

use serde_json::json;

use crate::common::{Backend, TestApp, fixture};

#[tokio::test]
async fn grid_at_answers_the_grid_with_ancestors_and_hides_phones_from_anonymous_callers() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (s, v) = app.get_json("/api/grids/at?lon=113.02&lat=23.07").await;
    assert_eq!(s, 200, "a point in the west-north grid: {v}");
    assert_eq!(v["code"], fixture::WEST_NORTH_GRID);
    assert_eq!(v["level"], "grid");
    assert_eq!(v["head"]["name"], "李四");
    assert!(
        v["head"].get("phone").is_none(),
        "anonymous callers get no phone numbers: {v}"
    );
    let codes: Vec<&str> = v["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["441899001001", fixture::WEST_STREET, fixture::DISTRICT],
        "ancestors nearest first"
    );

    let token = app.login_as("command").await;
    let (_, v) = app
        .get_json_as(&token, "/api/grids/at?lon=113.02&lat=23.07")
        .await;
    assert_eq!(
        v["head"]["phone"], "13800000000",
        "signed-in staff see the head's phone"
    );

    let (s, _) = app.get_json("/api/grids/at?lon=113.5&lat=23.5").await;
    assert_eq!(s, 404, "outside every grid");

    let (s, v) = app
        .post_json_as(
            None,
            "/api/grids/at",
            &json!({"points": [[113.02, 23.02], [113.5, 23.5], [113.07, 23.07]]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        v["grids"],
        json!([fixture::WEST_SOUTH_GRID, null, fixture::EAST_NORTH_GRID]),
        "batch answers in order, null outside"
    );
}

#[tokio::test]
async fn nearest_hazards_are_ordered_by_true_distance() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (s, v) = app
        .get_json("/api/hazards/nearest?lon=113.0&lat=23.0&k=3")
        .await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["HZ1", "HZ2", "HZ4"],
        "closest first: HZ4 (9.5 km) is nearer than HZ3 (10.6 km) though its degrees look farther"
    );
    let d0 = v["items"][0]["distance_m"].as_f64().unwrap();
    assert!(
        (d0 - 1511.0).abs() < 5.0,
        "HZ1 is ~1.511 km from the corner (haversine), got {d0}"
    );
    let (_, v) = app
        .get_json("/api/hazards/nearest?lon=113.0&lat=23.0&k=10&max_km=2")
        .await;
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        1,
        "only HZ1 lies within 2 km"
    );
    let (_, v) = app
        .get_json("/api/hazards/nearest?lon=113.0&lat=23.0&k=100000")
        .await;
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        4,
        "k above the maximum is capped, not an error"
    );
}

#[tokio::test]
async fn nearby_names_the_closest_hazards_shelters_and_key_places_without_phones() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    // 300 m from the school (shelter SH1 and place PL1 share its spot), 1.2 km from
    // the market PL2, 1.8 km from hazard HZ2.
    let (s, v) = app.get_json("/api/nearby?lon=113.032&lat=23.032").await;
    assert_eq!(s, 200, "{v}");
    let got: Vec<(&str, &str)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [("shelter", "SH1"), ("place", "PL1"), ("place", "PL2")],
        "three by default, closest first, across layers: {v}"
    );
    assert_eq!(v["items"][0]["name"], "西小学", "named, not coordinates");
    assert_eq!(v["items"][2]["grid"], fixture::WEST_SOUTH_GRID);
    let d = v["items"][0]["distance_m"].as_f64().unwrap();
    assert!((250.0..350.0).contains(&d), "SH1 is ~300 m away, got {d}");
    assert!(
        !v.to_string().contains("139000"),
        "no person's phone in the answer: {v}"
    );
    let (_, v) = app
        .get_json("/api/nearby?lon=113.032&lat=23.032&k=20&max_km=1.5")
        .await;
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        3,
        "within 1.5 km: SH1, PL1 and PL2, not HZ2 at 1.8 km: {v}"
    );
    let (_, v) = app
        .get_json("/api/nearby?lon=113.0&lat=23.0&k=100000")
        .await;
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        7,
        "k above the maximum is capped at 20: all 4 hazards, 1 shelter, 2 places"
    );
}

#[tokio::test]
async fn within_a_drawn_polygon_lists_hazards_and_shelters_to_anyone_and_records_only_by_rights() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let west_south = json!({"type": "Polygon", "coordinates": [[[113.0, 23.0], [113.05, 23.0], [113.05, 23.05], [113.0, 23.05], [113.0, 23.0]]]});
    let (s, v) = app
        .post_json_as(None, "/api/query/within", &west_south)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["hazards"]["total"], 2,
        "HZ1 and HZ2 lie in the west-south grid"
    );
    assert_eq!(v["hazards"]["threatened_households"], 15);
    assert_eq!(v["shelters"]["total"], 1);
    assert!(
        v.get("incidents").is_none() && v.get("people").is_none(),
        "anonymous callers learn nothing of incidents or people, not even counts: {v}"
    );

    let west = app.login_as("west_grid").await;
    let (_, v) = app
        .post_json_as(
            Some(&west),
            "/api/query/within",
            &json!({"type": "Feature", "properties": {}, "geometry": west_south}),
        )
        .await;
    assert_eq!(
        v["incidents"]["total"], 3,
        "the grid head lists the three open incidents of his grid (one is closed)"
    );
    assert_eq!(
        v["people"]["total"], 5,
        "and the five people of his grid, as masked records: {v}"
    );
    assert_eq!(v["people"]["items"].as_array().unwrap().len(), 5);
    assert!(
        v["people"]["items"][0]["name"]
            .as_str()
            .unwrap()
            .contains('*'),
        "records are masked"
    );
    let audit = app.store().audit_log(10, 0).await.unwrap();
    assert_eq!(audit[0].action, "people.within", "the read is audited");
    assert_eq!(audit[0].records.len(), 5);

    // Until warnings decide its reach, the flood role gets no records from a polygon.
    let flood = app.login_as("flood").await;
    let (_, v) = app
        .post_json_as(Some(&flood), "/api/query/within", &west_south)
        .await;
    assert!(
        v.get("people").is_none(),
        "a drawn polygon gives the flood role no people records or counts: {v}"
    );
}

#[tokio::test]
async fn area_detail_counts_every_layer_at_any_level() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (s, v) = app
        .get_json(&format!("/api/areas/{}", fixture::WEST_STREET))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["level"], "street");
    assert_eq!(v["children"], json!(["441899001001"]));
    assert_eq!(v["counts"]["hazards"]["total"], 2);
    assert!(
        v["counts"].get("incidents").is_none() && v["counts"].get("people").is_none(),
        "anonymous: no incident or people counts: {v}"
    );
    let street = app.login_as("west_street").await;
    let (_, v) = app
        .get_json_as(&street, &format!("/api/areas/{}", fixture::WEST_STREET))
        .await;
    assert_eq!(v["counts"]["incidents"]["total"], 4);
    assert_eq!(v["counts"]["incidents"]["open"], 3);
    assert_eq!(
        v["counts"]["people"]["total"], 7,
        "7 people in the west street, exact for its leader"
    );
    assert_eq!(
        v["counts"]["people"]["by_category"]["吸毒人员"], 1,
        "a leader who may list the records sees exact small counts"
    );
    let command = app.login_as("command").await;
    let (s, v) = app
        .get_json_as(&command, &format!("/api/areas/{}", fixture::DISTRICT))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["counts"]["hazards"]["total"], 4);
    assert_eq!(
        v["counts"]["people"]["total"], 8,
        "the command centre sees the district's people count"
    );
    assert_eq!(v["geometry"]["type"], "MultiPolygon");
}

/// Every bad input is a 4xx JSON error naming the problem, never a 5xx.
#[tokio::test]
async fn bad_input_gets_a_clear_4xx_json_error() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let cases: &[(&str, u16, &str)] = &[
        ("/api/grids/at?lon=abc&lat=23", 400, "lon"),
        ("/api/grids/at?lon=113", 400, "lat"),
        ("/api/grids/at?lon=200&lat=23", 400, "lon"),
        ("/api/grids/at?lon=113&lat=-91", 400, "lat"),
        ("/api/grids/at?lon=NaN&lat=23", 400, "lon"),
        ("/api/hazards/nearest?lon=113&lat=23&k=0", 400, "k"),
        ("/api/hazards/nearest?lon=113&lat=23&k=ten", 400, "k"),
        (
            "/api/hazards/nearest?lon=113&lat=23&max_km=-1",
            400,
            "max_km",
        ),
        ("/api/nearby?lon=113", 400, "lat"),
        ("/api/nearby?lon=113&lat=23&k=0", 400, "k"),
        ("/api/nearby?lon=113&lat=23&max_km=0", 400, "max_km"),
        ("/api/nearby?lon=1e400&lat=23", 400, "lon"),
        ("/api/areas/12345", 400, "digits"),
        ("/api/areas/441899009", 404, "441899009"),
        ("/tiles/grids/3/8/0.mvt", 400, "outside"),
        ("/tiles/grids/30/0/0.mvt", 400, "zoom"),
        ("/tiles/grids/a/0/0.mvt", 400, "z"),
        ("/tiles/grids/1/0/0.png", 400, ".mvt"),
        ("/tiles/nosuch/1/0/0.mvt", 404, "unknown layer"),
        ("/tiles/nosuch.json", 404, "unknown layer"),
        ("/api/people", 401, "sign in"),
        ("/api/audit", 401, "sign in"),
        ("/no/such/path", 404, "no such"),
    ];
    for (path, status, needle) in cases {
        let r = app.get(path).await;
        let got = r.status().as_u16();
        let body: serde_json::Value = r
            .json()
            .await
            .unwrap_or_else(|_| panic!("{path}: the error body is JSON"));
        assert_eq!(got, *status, "{path}: expected {status}, got {got} {body}");
        assert!(
            body["error"].is_string(),
            "{path}: has an error code: {body}"
        );
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(needle),
            "{path}: detail should mention {needle:?}: {detail}"
        );
    }
    let posts: &[(&str, &str, u16)] = &[
        ("/api/query/within", "{not json", 400),
        (
            "/api/query/within",
            r#"{"type":"Point","coordinates":[113,23]}"#,
            400,
        ),
        (
            "/api/query/within",
            r#"{"type":"Polygon","coordinates":[[[113,23],[113.1,23.1],[113.1,23],[113,23.1],[113,23]]]}"#,
            400,
        ),
        (
            "/api/query/within",
            r#"{"type":"FeatureCollection","features":[]}"#,
            400,
        ),
        ("/api/grids/at", r#"{"points":[[500,0]]}"#, 400),
        ("/api/grids/at", r#"{"pts":[]}"#, 400),
        (
            "/api/auth/login",
            r#"{"username":"admin","password":"wrong"}"#,
            401,
        ),
        (
            "/api/incidents",
            r#"{"category":"邻里纠纷","lon":113.02,"lat":23.02}"#,
            401,
        ),
    ];
    for (path, body, status) in posts {
        let r = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(*body)
            .send()
            .await
            .unwrap();
        let got = r.status().as_u16();
        let v: serde_json::Value = r
            .json()
            .await
            .unwrap_or_else(|_| panic!("POST {path} {body}: JSON error body"));
        assert_eq!(
            got, *status,
            "POST {path} {body}: expected {status}, got {got} {v}"
        );
        assert!(v["detail"].is_string(), "POST {path}: has a detail: {v}");
    }
    let big = format!(
        "{{\"points\":[{}]}}",
        vec!["[113.0,23.0]"; 900_000].join(",")
    );
    let r = app
        .client
        .post(app.url("/api/grids/at"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413, "a body over the limit is refused");
}

#[tokio::test]
async fn a_reported_incident_is_owned_by_its_grid_and_retries_are_idempotent() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let token = app.login_as("public").await;
    let body = json!({"category": "邻里纠纷", "description": "<script>alert('x')</script> 楼上漏水", "lon": 113.07, "lat": 23.02});
    let send = || {
        app.client
            .post(app.url("/api/incidents"))
            .bearer_auth(&token)
            .header("idempotency-key", "abc-1")
            .json(&body)
            .send()
    };
    let r1 = send().await.unwrap();
    assert_eq!(r1.status().as_u16(), 201);
    let v1: serde_json::Value = r1.json().await.unwrap();
    assert_eq!(
        v1["grid"],
        fixture::EAST_SOUTH_GRID,
        "owned by the grid containing the point"
    );
    assert_eq!(v1["status"], "reported");
    assert_eq!(
        v1["description"], "<script>alert('x')</script> 楼上漏水",
        "stored and returned as text"
    );
    let v2: serde_json::Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(
        v1, v2,
        "a retry with the same Idempotency-Key returns the first answer"
    );
    let (_, v3) = app.post_json_as(Some(&token), "/api/incidents", &json!({"category": "邻里纠纷", "description": "楼上又漏水", "lon": 113.0702, "lat": 23.0201})).await;
    assert_eq!(
        v3["possible_duplicates"],
        json!([v1["id"]]),
        "a second report of the same category 25 m away within 24 h is flagged, not merged"
    );
    assert_ne!(v3["id"], v1["id"]);
    let (s, v) = app
        .post_json_as(
            Some(&token),
            "/api/incidents",
            &json!({"category": "mystery", "lon": 113.07, "lat": 23.02}),
        )
        .await;
    assert_eq!(s, 400, "unknown category: {v}");
    let (s, v) = app
        .post_json_as(
            Some(&token),
            "/api/incidents",
            &json!({"category": "safety", "lon": 114.5, "lat": 23.02}),
        )
        .await;
    assert_eq!(s, 201, "outside every grid is accepted: {v}");
    assert_eq!(v["grid"], serde_json::Value::Null);
    assert_eq!(
        v["queue"], "district_fallback",
        "and goes to the district's fallback queue"
    );
    let cmd = app.login_as("command").await;
    let (_, list) = app
        .get_json_as(&cmd, "/api/incidents?status=reported")
        .await;
    assert_eq!(list["total"], 3, "all new reports are listed: {list}");
}

#[tokio::test]
async fn the_closed_loop_runs_with_role_checks_history_and_conflicts() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let reporter = app.login_as("public").await;
    let (_, inc) = app.post_json_as(Some(&reporter), "/api/incidents", &json!({"category": "物业管理", "description": "电梯停运", "lon": 113.02, "lat": 23.02})).await;
    let id = inc["id"].as_str().unwrap().to_owned();
    let path = format!("/api/incidents/{id}/actions");
    let grid = app.login_as("west_grid").await;
    let community = app.login_as("west_community").await;
    let east = app.login_as("east_grid").await;
    let command = app.login_as("command").await;

    let (s, v) = app
        .post_json_as(Some(&east), &path, &json!({"action": "accept"}))
        .await;
    assert_eq!(
        s, 404,
        "another grid's head may not act, and learns no more than for a missing id: {v}"
    );
    let (s, v) = app
        .post_json_as(Some(&reporter), &path, &json!({"action": "accept"}))
        .await;
    assert_eq!(s, 403, "the public may not act on cases: {v}");
    let steps = [
        (&grid, json!({"action": "accept"}), "accepted"),
        (
            &community,
            json!({"action": "dispatch", "note": "物业公司"}),
            "dispatched",
        ),
        (&grid, json!({"action": "start"}), "in_progress"),
        (
            &grid,
            json!({"action": "resolve", "note": "已维修"}),
            "resolved",
        ),
        (&community, json!({"action": "verify"}), "verified"),
        (
            &grid,
            json!({"action": "revisit", "satisfaction": 1}),
            "in_progress",
        ),
        (
            &grid,
            json!({"action": "resolve", "note": "更换配件"}),
            "resolved",
        ),
        (&community, json!({"action": "verify"}), "verified"),
        (
            &grid,
            json!({"action": "revisit", "satisfaction": 5}),
            "revisited",
        ),
        (&command, json!({"action": "close"}), "closed"),
    ];
    for (token, body, status) in steps {
        let (s, v) = app.post_json_as(Some(token), &path, &body).await;
        assert_eq!(s, 200, "{body}: {v}");
        assert_eq!(v["status"], status, "{body} leads to {status}");
    }
    let (s, v) = app
        .post_json_as(Some(&grid), &path, &json!({"action": "accept"}))
        .await;
    assert_eq!(s, 409, "a closed case cannot be accepted again: {v}");
    let (_, d) = app
        .get_json_as(&command, &format!("/api/incidents/{id}"))
        .await;
    let actions: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "report", "accept", "dispatch", "start", "resolve", "verify", "revisit", "resolve",
            "verify", "revisit", "close"
        ]
    );
    assert_eq!(d["history"][0]["actor"], "public");
    assert_eq!(
        d["history"][6]["note"], "满意度 1/5",
        "the bad rating that reopened it is on record"
    );
    let (s, _) = app
        .get_json_as(&reporter, &format!("/api/incidents/{id}"))
        .await;
    assert_eq!(s, 200, "the reporter follows their own report");

    // Two concurrent actions on one version: one wins, the other gets 409.
    let (_, inc2) = app
        .post_json_as(
            Some(&reporter),
            "/api/incidents",
            &json!({"category": "邻里纠纷", "lon": 113.02, "lat": 23.02}),
        )
        .await;
    let p2 = format!("/api/incidents/{}/actions", inc2["id"].as_str().unwrap());
    let (ba, bb) = (
        json!({"action": "accept", "version": 1}),
        json!({"action": "reject", "note": "重复", "version": 1}),
    );
    let a = app.post_json_as(Some(&grid), &p2, &ba);
    let b = app.post_json_as(Some(&community), &p2, &bb);
    let ((sa, _), (sb, _)) = tokio::join!(a, b);
    let mut codes = [sa, sb];
    codes.sort();
    assert_eq!(
        codes,
        [200, 409],
        "exactly one of two concurrent actions wins"
    );
}

#[tokio::test]
async fn incident_statistics_count_by_area_and_find_hot_spots_by_rights() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let cmd = app.login_as("command").await;
    let q = "/api/stats/incidents?level=street&from=2026-05-01T00:00:00%2B08:00&to=2026-06-01T10:00:00%2B08:00";
    let (s, v) = app.get_json_as(&cmd, q).await;
    assert_eq!(s, 200, "{v}");
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "two streets have incidents: {v}");
    assert_eq!(
        groups[0]["code"],
        fixture::WEST_STREET,
        "the west street has the most"
    );
    assert_eq!(groups[0]["total"], 4);
    assert_eq!(groups[0]["open"], 3);
    assert_eq!(groups[0]["by_category"]["邻里纠纷"], 4);
    assert_eq!(v["hot_spots"]["most"][0]["code"], fixture::WEST_SOUTH_GRID);
    // The 7-day trend up to `to` (2026-06-01 10:00 Shanghai): SJ-4 reported on 05-26, SJ-5 on 05-27.
    let daily = v["daily"].as_array().expect("a daily trend");
    let col = |k: &str| {
        daily
            .iter()
            .map(|d| d[k].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (daily[0]["date"].as_str(), daily[6]["date"].as_str()),
        (Some("2026-05-26"), Some("2026-06-01")),
        "seven Shanghai days ending with the day of `to`: {v}"
    );
    assert_eq!(col("reported"), [1, 1, 0, 0, 0, 0, 0], "reports per day");
    assert_eq!(
        col("open"),
        [4, 5, 5, 5, 5, 5, 5],
        "SJ-1..SJ-4 open at the end of 05-26, SJ-5 from 05-27 (SJ-0 is closed)"
    );
    assert_eq!(
        col("overdue"),
        [0, 0, 0, 0, 1, 2, 2],
        "7-day deadlines: SJ-1 passes its on 05-30, SJ-2 on 05-31; SJ-3's is exactly `to`, not past"
    );
    let west = app.login_as("west_grid").await;
    let (_, v) = app.get_json_as(&west, q).await;
    assert_eq!(
        v["groups"].as_array().unwrap().len(),
        1,
        "a grid head counts only their own grid: {v}"
    );
    let (s, _) = app
        .get_json_as(
            &west,
            &format!("/api/stats/incidents?area={}", fixture::EAST_STREET),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .get_json_as(&cmd, "/api/stats/incidents?level=planet")
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn ogc_api_features_pages_filters_and_answers_single_items() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let (s, landing) = app.get_json("/ogc").await;
    assert_eq!(s, 200);
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "landing page links {rel}: {rels:?}");
    }
    let (_, conf) = app.get_json("/ogc/conformance").await;
    assert!(
        conf["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().ends_with("/conf/geojson"))
    );
    let (_, cols) = app.get_json("/ogc/collections").await;
    let ids: Vec<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["grids", "hazards", "shelters", "places"],
        "anonymous callers see the public collections only"
    );
    let command = app.login_as("command").await;
    let (_, cols) = app.get_json_as(&command, "/ogc/collections").await;
    let ids: Vec<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "grids",
            "hazards",
            "shelters",
            "places",
            "incidents",
            "people"
        ],
        "the command centre sees incidents and people counts too"
    );

    let r = app.get("/ogc/collections/grids/items?limit=4").await;
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["numberMatched"], 9, "nine areas in the fixture");
    assert_eq!(page["numberReturned"], 4);
    let next = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("a next link")["href"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        next.starts_with(&app.base),
        "links use the caller's host: {next}"
    );
    let page2: serde_json::Value = app
        .client
        .get(&next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page2["numberReturned"], 4);
    assert_ne!(
        page["features"][0]["id"], page2["features"][0]["id"],
        "the next page moves on"
    );

    let (_, grids) = app
        .get_json("/ogc/collections/grids/items?level=grid")
        .await;
    assert_eq!(grids["numberMatched"], 4, "property filter level=grid");
    let (_, red) = app
        .get_json("/ogc/collections/hazards/items?risk=红&bbox=113.0,23.0,113.05,23.05")
        .await;
    assert_eq!(red["numberMatched"], 1, "risk and bbox filters: {red}");
    assert!(
        red["features"][0]["properties"]
            .get("monitor_phone")
            .is_none(),
        "no phone numbers for anonymous callers"
    );
    let (s, one) = app.get_json("/ogc/collections/hazards/items/HZ3").await;
    assert_eq!((s, &one["id"]), (200, &json!("HZ3")));
    let (s, _) = app.get_json("/ogc/collections/hazards/items/NOPE").await;
    assert_eq!(s, 404);
    for hidden in ["incidents", "people"] {
        let (s, _) = app
            .get_json(&format!("/ogc/collections/{hidden}/items"))
            .await;
        assert_eq!(
            s, 404,
            "no {hidden} collection exists for anonymous callers"
        );
    }
    let flood = app.login_as("flood").await;
    let (_, people) = app
        .get_json_as(&flood, "/ogc/collections/people/items")
        .await;
    assert_eq!(people["numberMatched"], 3, "people only as counts per grid");
    assert_eq!(
        people["features"][1]["properties"]["吸毒人员"], "<3",
        "small cells suppressed for staff who may not list the records: {people}"
    );
    let (s, _) = app.get_json("/ogc/collections/hazards/items?limit=0").await;
    assert_eq!(s, 400);
    let (_, capped) = app
        .get_json("/ogc/collections/hazards/items?limit=999999")
        .await;
    assert_eq!(
        capped["numberReturned"], 4,
        "limit above the maximum is capped"
    );
    let (s, api) = app.get_json("/api/openapi.json").await;
    assert_eq!(s, 200);
    assert_eq!(api["openapi"], "3.0.3");
    assert!(api["paths"]["/api/grids/at"]["get"].is_object());
}

/// GDAL's OGC API – Features driver lists and reads our collections
/// (`scripts/test` installs gdal-bin; this fails when ogrinfo is missing).
#[tokio::test]
async fn gdal_ogrinfo_reads_our_collections_through_oapif() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let url = format!("OAPIF:{}/ogc", app.base);
    let run = |args: Vec<String>| async move {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("ogrinfo").args(&args).output()
        })
        .await
        .unwrap()
        .expect("GDAL's ogrinfo must be installed (scripts/test installs gdal-bin)")
    };
    let out = run(vec!["-ro".into(), "-q".into(), url.clone()]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo failed: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for layer in ["grids", "hazards", "shelters", "places"] {
        assert!(text.contains(layer), "ogrinfo lists {layer}: {text}");
    }
    for hidden in ["incidents", "people"] {
        assert!(
            !text.contains(hidden),
            "anonymous GDAL sees no {hidden} collection: {text}"
        );
    }
    let out = run(vec![
        "-ro".into(),
        "-so".into(),
        "-al".into(),
        url.clone(),
        "hazards".into(),
    ])
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Feature Count: 4"),
        "GDAL counts the 4 fixture hazards: {text}"
    );
}
