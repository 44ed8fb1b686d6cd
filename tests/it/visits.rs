//! Follow-up visits (走访): schedules as data, due dates across category and
//! risk changes, the due list by rights, audit, and the attacks on every
//! visit route (anonymous, wrong role, another grid by id, list, due list,
//! export). Store features run on both stores.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, fixture};

fn day(d: i64) -> String {
    let t = Utc::now() + Duration::days(d);
    minqing::domain::visit::shanghai_date(t).to_string()
}

fn ago(days: i64) -> String {
    (Utc::now() - Duration::days(days)).to_rfc3339()
}

async fn visit(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    app.post_json_as(Some(token), &format!("/api/people/{id}/visits"), &body)
        .await
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn due_dates_follow_the_schedule_across_category_and_risk_changes_on_both_stores() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let head = app.login_as("west_grid").await;
        // RY0 独居老人, no risk level: monthly.
        let (s, v) = visit(
            &app,
            &head,
            "RY0",
            json!({"how": "入户", "note": "身体好", "at": ago(2)}),
        )
        .await;
        assert_eq!(s, 201, "{backend:?}: the head visits his own record: {v}");
        assert_eq!(
            v["next_due"],
            json!(day(28)),
            "{backend:?}: 独居老人 are visited monthly: {v}"
        );
        assert!(
            v["id"].as_str().is_some_and(|i| i.starts_with("ZF")),
            "{backend:?}: a visit id: {v}"
        );
        // A raised risk on the next visit: every 14 days, and the record itself changes.
        let (s, v) = visit(&app, &head, "RY0", json!({"how": "电话", "risk_level": 4})).await;
        assert_eq!(s, 201, "{backend:?}: {v}");
        assert_eq!(
            v["next_due"],
            json!(day(14)),
            "{backend:?}: risk 4 is visited every 14 days: {v}"
        );
        let (_, p) = app.get_json_as(&head, "/api/people/RY0").await;
        assert_eq!(
            p["risk_level"],
            json!(4),
            "{backend:?}: the visit set the record's risk level: {p}"
        );
        assert_eq!(
            p["next_visit"],
            json!(day(14)),
            "{backend:?}: and its next visit: {p}"
        );
        // A visit sent late (queued offline) does not pull the due date back.
        let (s, v) = visit(&app, &head, "RY0", json!({"how": "视频", "at": ago(20)})).await;
        assert_eq!(s, 201, "{backend:?}: {v}");
        assert_eq!(
            v["next_due"],
            json!(day(14)),
            "{backend:?}: the latest visit still counts: {v}"
        );
        // RY3 严重精神障碍 at risk 3, lowered to 1 by a visit: monthly.
        let (_, v) = visit(&app, &head, "RY3", json!({"how": "入户", "risk_level": 1})).await;
        assert_eq!(
            v["next_due"],
            json!(day(30)),
            "{backend:?}: mental risk 1 is monthly: {v}"
        );
        // The admin changes the schedule: 独居老人 at risk 3+ weekly. RY0's due date moves at once.
        let admin = app.login_as("admin").await;
        let (_, mut sched) = app.get_json_as(&admin, "/api/config/visits").await;
        let items = sched["items"].as_array_mut().expect("schedule items");
        assert_eq!(items.len(), 19, "{backend:?}: the seeded defaults");
        for it in items.iter_mut() {
            if it["category_code"] == "elderly_alone" && it["risk_level"] == 3 {
                it["every_days"] = json!(7);
            }
        }
        let r = app
            .client
            .put(app.url("/api/config/visits"))
            .bearer_auth(&admin)
            .json(&sched)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "{backend:?}: the admin replaces the schedule"
        );
        let (_, p) = app.get_json_as(&head, "/api/people/RY0").await;
        assert_eq!(
            p["next_visit"],
            json!(day(7)),
            "{backend:?}: the last visit plus the new 7 days: {p}"
        );
        let (_, v) = app
            .get_json_as(&head, "/api/visits/due?within_days=7")
            .await;
        assert!(
            ids(&v, "person").contains(&"RY0".to_owned()),
            "{backend:?}: RY0 is due within 7 days now: {v}"
        );
        let (_, v) = app.get_json_as(&head, "/api/people/RY0/visits").await;
        let items = v["items"].as_array().expect("visits");
        assert_eq!(items.len(), 3, "{backend:?}: three visits to RY0: {v}");
        assert!(
            items[0]["at"].as_str() > items[1]["at"].as_str(),
            "{backend:?}: newest first: {v}"
        );
        assert_eq!(items[0]["by"], "west_grid", "{backend:?}: who visited: {v}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_schedule_with_a_bad_row_is_refused_and_nothing_changes() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let admin = app.login_as("admin").await;
    let (_, before) = app.get_json_as(&admin, "/api/config/visits").await;
    let cases = [
        (
            json!({"items": [{"category": "独居老人", "risk_level": 0, "every_days": 367}]}),
            "more than a year",
        ),
        (
            json!({"items": [{"category": "独居老人", "risk_level": 9, "every_days": 7}]}),
            "risk 9",
        ),
        (
            json!({"items": [{"category": "unknown", "risk_level": 0, "every_days": 7}]}),
            "an unknown category",
        ),
        (
            json!({"items": [{"category": "独居老人", "risk_level": 0, "every_days": 0}]}),
            "zero days",
        ),
        (json!({"rows": []}), "the wrong shape"),
    ];
    for (body, why) in cases {
        let r = app
            .client
            .put(app.url("/api/config/visits"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{why}");
    }
    let (_, after) = app.get_json_as(&admin, "/api/config/visits").await;
    assert_eq!(before, after, "refused schedules change nothing");
}

#[tokio::test]
async fn a_grid_heads_due_list_holds_only_his_people_and_marks_the_overdue_on_both_stores() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let west = app.login_as("west_grid").await;
        let east = app.login_as("east_grid").await;
        // RY1 was last visited 40 days ago (monthly: 10 days overdue); RY2 yesterday.
        visit(&app, &west, "RY1", json!({"how": "入户", "at": ago(40)})).await;
        visit(&app, &west, "RY2", json!({"how": "入户", "at": ago(1)})).await;
        let (s, v) = app.get_json_as(&west, "/api/visits/due").await;
        assert_eq!(s, 200, "{backend:?}: {v}");
        // Never visited and never planned: due today. RY2 is not due.
        assert_eq!(
            ids(&v, "person"),
            ["RY0", "RY1", "RY3", "RY4"],
            "{backend:?}: only his own grid's records due today or earlier: {v}"
        );
        let first = &v["items"][0];
        assert_eq!(
            first["person"], "RY1",
            "{backend:?}: most overdue first: {v}"
        );
        assert_eq!(first["overdue"], true, "{backend:?}: 10 days overdue: {v}");
        assert_eq!(first["due"], json!(day(-10)), "{backend:?}: {v}");
        assert_eq!(first["grid"], fixture::WEST_SOUTH_GRID, "{backend:?}: {v}");
        assert!(
            first["name"].as_str().is_some_and(|n| n.contains('*')),
            "{backend:?}: names are masked in the list: {v}"
        );
        assert_eq!(v["overdue"], 1, "{backend:?}: one overdue: {v}");
        assert_eq!(
            v["by_street"][0]["code"],
            fixture::WEST_STREET,
            "{backend:?}: counts per street: {v}"
        );
        let (_, v) = app
            .get_json_as(&west, "/api/visits/due?within_days=366")
            .await;
        assert_eq!(
            ids(&v, "person"),
            ["RY0", "RY1", "RY2", "RY3", "RY4"],
            "{backend:?}: within a year all his five: {v}"
        );
        let (_, v) = app
            .get_json_as(&east, "/api/visits/due?within_days=366")
            .await;
        assert_eq!(
            ids(&v, "person"),
            ["RY7"],
            "{backend:?}: the east head sees only his one record: {v}"
        );
        let command = app.login_as("command").await;
        let (_, v) = app.get_json_as(&command, "/api/visits/due").await;
        assert_eq!(
            v["total"], 7,
            "{backend:?}: the command centre watches the whole district (8 records, RY2 not due): {v}"
        );
        let (_, v) = app.get_json_as(&west, "/api/visits").await;
        assert_eq!(
            ids(&v, "person"),
            ["RY2"],
            "{backend:?}: done this week: RY2 (RY1 was 40 days ago): {v}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn every_visit_read_and_write_is_audited_naming_the_records() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let head = app.login_as("west_grid").await;
    visit(&app, &head, "RY0", json!({"how": "入户"})).await;
    app.get_json_as(&head, "/api/people/RY0/visits").await;
    // Visited today, RY0 is due again within a month.
    app.get_json_as(&head, "/api/visits/due?within_days=60")
        .await;
    app.get_json_as(&head, "/api/visits").await;
    let r = app.get_as(&head, "/api/export/visits.csv").await;
    assert_eq!(r.status(), 200, "the head exports his visit log");
    let admin = app.login_as("admin").await;
    let (_, log) = app.get_json_as(&admin, "/api/audit?limit=50").await;
    let entries = log["items"].as_array().expect("audit entries");
    for action in [
        "visits.create",
        "visits.read",
        "visits.due",
        "visits.list",
        "visits.export",
    ] {
        let e = entries
            .iter()
            .find(|e| e["action"] == action && e["username"] == "west_grid")
            .unwrap_or_else(|| panic!("an audit entry {action} by west_grid: {log}"));
        assert!(
            e["records"]
                .as_array()
                .is_some_and(|r| r.contains(&json!("RY0"))),
            "{action} names RY0: {e}"
        );
    }
}

#[tokio::test]
async fn attackers_get_nothing_of_visits_by_any_path() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let admin = app.login_as("admin").await;
    // One visit in each south grid, recorded by the admin.
    for id in ["RY0", "RY7"] {
        let (s, v) = visit(&app, &admin, id, json!({"how": "电话", "note": "秘密记录"})).await;
        assert_eq!(s, 201, "admin visits {id}: {v}");
    }
    let reads = [
        "/api/config/visits",
        "/api/people/RY0/visits",
        "/api/visits?since=2000-01-01T00:00:00Z",
        "/api/visits/due?within_days=366",
        "/api/export/visits.csv",
        "/api/export/visits.xlsx",
    ];
    // Anonymous: 401 everywhere, nothing in the body.
    for path in reads {
        let r = app.get(path).await;
        assert_eq!(r.status(), 401, "anonymous {path}");
        assert!(
            !r.text().await.unwrap().contains("秘密"),
            "anonymous {path} leaks nothing"
        );
    }
    let (s, _) = app
        .post_json_as(None, "/api/people/RY0/visits", &json!({"how": "电话"}))
        .await;
    assert_eq!(s, 401, "anonymous cannot record a visit");
    // Wrong roles: flood and public read and write nothing; the command centre reads but does not visit.
    for user in ["flood", "public"] {
        let t = app.login_as(user).await;
        for path in reads {
            let r = app.get_as(&t, path).await;
            assert_eq!(r.status(), 403, "{user} {path}");
        }
        let (s, _) = visit(&app, &t, "RY0", json!({"how": "电话"})).await;
        assert_eq!(s, 403, "{user} cannot record a visit");
    }
    let command = app.login_as("command").await;
    let (s, _) = visit(&app, &command, "RY0", json!({"how": "电话"})).await;
    assert_eq!(s, 403, "the command centre does not visit");
    let r = app
        .client
        .put(app.url("/api/config/visits"))
        .bearer_auth(&command)
        .json(&json!({"items": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "only the admin changes the schedule");
    // Another grid, by id: answers as a record that does not exist, and writes nothing.
    let west = app.login_as("west_grid").await;
    let (s, _) = app.get_json_as(&west, "/api/people/RY7/visits").await;
    assert_eq!(s, 404, "RY7's visits are another grid's");
    let (s, _) = app.get_json_as(&west, "/api/people/RY-none/visits").await;
    assert_eq!(s, 404, "the same answer as a record that does not exist");
    let (s, _) = visit(&app, &west, "RY7", json!({"how": "入户", "risk_level": 5})).await;
    assert_eq!(s, 404, "no visit to another grid's record");
    let (_, v) = app.get_json_as(&admin, "/api/people/RY7/visits").await;
    assert_eq!(
        v["items"].as_array().map(Vec::len),
        Some(1),
        "only the admin's visit to RY7: {v}"
    );
    let (_, p) = app.get_json_as(&admin, "/api/people/RY7").await;
    assert_eq!(
        p["risk_level"],
        Value::Null,
        "RY7's risk level untouched: {p}"
    );
    // Lists, due list and export hold nothing of the other grid.
    for path in [
        "/api/visits?since=2000-01-01T00:00:00Z",
        "/api/visits/due?within_days=366",
        "/api/export/visits.csv",
    ] {
        let r = app.get_as(&west, path).await;
        assert_eq!(r.status(), 200, "west_grid {path}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("RY0"),
            "west_grid {path} holds his RY0: {body}"
        );
        assert!(
            !body.contains("RY7"),
            "west_grid {path} holds nothing of RY7: {body}"
        );
    }
    for path in [
        format!("/api/visits/due?area={}", fixture::EAST_STREET),
        format!("/api/visits?area={}", fixture::EAST_SOUTH_GRID),
        format!("/api/export/visits.csv?area={}", fixture::EAST_STREET),
    ] {
        let (s, _) = app.get_json_as(&west, &path).await;
        assert_eq!(s, 403, "west_grid asking for another area: {path}");
    }
}

#[tokio::test]
async fn bad_visits_are_refused_with_a_clear_400() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    let head = app.login_as("west_grid").await;
    let future = (Utc::now() + Duration::days(1)).to_rfc3339();
    let cases = [
        (json!({"how": "写信"}), "bad_how", "an unknown way"),
        (json!({"note": "x"}), "bad_json", "no way at all"),
        (
            json!({"how": "入户", "at": future}),
            "bad_time",
            "a visit tomorrow",
        ),
        (
            json!({"how": "入户", "at": "yesterday"}),
            "bad_time",
            "not a time",
        ),
        (
            json!({"how": "入户", "at": ago(400)}),
            "bad_time",
            "more than a year ago",
        ),
        (
            json!({"how": "入户", "lon": 113.01}),
            "bad_location",
            "lon without lat",
        ),
        (
            json!({"how": "入户", "lon": 200.0, "lat": 23.0}),
            "bad_location",
            "off the globe",
        ),
        (
            json!({"how": "入户", "risk_level": 9}),
            "bad_risk",
            "risk 9",
        ),
        (
            json!({"how": "入户", "risk_level": -1}),
            "bad_risk",
            "risk -1",
        ),
        (
            json!({"how": "入户", "note": "长".repeat(2001)}),
            "too_long",
            "a note over 2000 characters",
        ),
        (
            json!({"how": "入户", "mood": "good"}),
            "bad_json",
            "an unknown field",
        ),
    ];
    for (body, code, why) in cases {
        let (s, v) = visit(&app, &head, "RY0", body).await;
        assert_eq!(s, 400, "{why}: {v}");
        assert_eq!(v["error"], code, "{why}: {v}");
    }
    for q in [
        "within_days=-1",
        "within_days=400",
        "within_days=x",
        "limit=0",
    ] {
        let (s, v) = app
            .get_json_as(&head, &format!("/api/visits/due?{q}"))
            .await;
        assert_eq!(s, 400, "due list with {q}: {v}");
    }
    let (_, v) = app.get_json_as(&head, "/api/people/RY0/visits").await;
    assert_eq!(
        v["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was recorded: {v}"
    );
}

#[tokio::test]
async fn the_demo_grid_head_has_overdue_visits_and_visits_done_this_week() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let head = app.login_with("wangge", minqing::app::DEMO_PASSWORD).await;
    let (s, v) = app.get_json_as(&head, "/api/visits/due").await;
    assert_eq!(s, 200, "{v}");
    let overdue = v["overdue"].as_u64().unwrap_or(0);
    assert!(
        overdue >= 5,
        "the demo gives wangge several overdue visits, got {overdue}: {v}"
    );
    let (_, done) = app.get_json_as(&head, "/api/visits").await;
    assert!(
        done["total"].as_u64().unwrap_or(0) >= 3,
        "and some done this week: {done}"
    );
    let zhihui = app.login_with("zhihui", minqing::app::DEMO_PASSWORD).await;
    let (_, wall) = app.get_json_as(&zhihui, "/api/visits/due?limit=1").await;
    assert!(
        wall["by_street"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["overdue"].as_u64() >= Some(5))),
        "the wall sees the overdue visits in wangge's street: {}",
        wall["by_street"]
    );
    app.stop().await;
}
