//! The same story against both stores: migrate, seed, load, write, read back,
//! and reopen. PostGIS is required: these tests fail when it is missing.

use minqing::domain::{Incident, IncidentStatus};
use minqing::store::{self, KeyClaim};

use crate::common::{Backend, TestApp, fixture, fresh_store_url};

async fn story(backend: Backend) {
    let (url, _dir) = fresh_store_url(backend).await;
    let s = store::open(&url).await.expect("open");
    s.migrate().await.expect("first migration");
    s.migrate().await.expect("migrating twice is a no-op");
    assert!(
        s.is_empty().await.unwrap(),
        "{backend:?}: a new store is empty"
    );

    let data = fixture::dataset();
    s.seed(&data).await.expect("seed");
    assert!(
        !s.is_empty().await.unwrap(),
        "{backend:?}: seeded store is not empty"
    );

    let back = s.load().await.expect("load");
    assert_eq!(
        back.areas, data.areas,
        "{backend:?}: areas round-trip exactly (codes, names, heads, geometry)"
    );
    assert_eq!(
        back.hazards, data.hazards,
        "{backend:?}: hazards round-trip"
    );
    assert_eq!(
        back.shelters, data.shelters,
        "{backend:?}: shelters round-trip"
    );
    assert_eq!(back.places, data.places, "{backend:?}: places round-trip");
    assert_eq!(back.people, data.people, "{backend:?}: people round-trip");
    assert_eq!(
        back.incidents.len(),
        data.incidents.len(),
        "{backend:?}: every incident comes back"
    );
    for (a, b) in back.incidents.iter().zip(&data.incidents) {
        assert_eq!(a, b, "{backend:?}: incident {} round-trips", b.id);
    }

    // A write appends to the change log in the same transaction.
    let inc = Incident {
        id: "SJ-NEW".into(),
        category: "safety".into(),
        source: "群众上报".into(),
        description: "'; drop table incidents; -- <script>alert(1)</script>".into(),
        lon: 113.02,
        lat: 23.02,
        grid: Some(fixture::WEST_SOUTH_GRID.into()),
        status: IncidentStatus::Reported,
        reported_at: fixture::now(),
        deadline: fixture::now() + chrono::Duration::hours(2),
        version: 1,
        reporter: Some("west_grid".into()),
    };
    let change = s.create_incident(&inc, "west_grid").await.expect("create");
    assert_eq!(change.kind, "incident.created");
    assert_eq!(change.record_id, "SJ-NEW");
    assert_eq!(
        change.bbox,
        [113.02, 23.02, 113.02, 23.02],
        "{backend:?}: the change names the point's bbox"
    );
    // An idempotency key: claimed once, pending, answered, replayed; another body is refused.
    let claim = |fp: &'static str| s.claim_key("west_grid", "key-1", "/api/incidents", fp);
    assert_eq!(
        claim("fp-1").await.unwrap(),
        KeyClaim::Fresh,
        "{backend:?}: a new key is fresh"
    );
    assert!(
        matches!(claim("fp-1").await.unwrap(), KeyClaim::Pending { .. }),
        "{backend:?}: a second claim while the first runs is pending"
    );
    s.finish_key("west_grid", "key-1", 201, "{\"answer\":1}")
        .await
        .unwrap();
    assert_eq!(
        claim("fp-1").await.unwrap(),
        KeyClaim::Replay {
            status: 201,
            body: "{\"answer\":1}".into()
        },
        "{backend:?}: a retry with the same key gets the first answer"
    );
    assert!(
        matches!(claim("fp-2").await.unwrap(), KeyClaim::Mismatch { .. }),
        "{backend:?}: the same key with another body is refused"
    );
    assert_eq!(
        s.claim_key("east_grid", "key-1", "/api/incidents", "fp-1")
            .await
            .unwrap(),
        KeyClaim::Fresh,
        "{backend:?}: keys belong to one account"
    );
    s.release_key("east_grid", "key-1").await.unwrap();
    assert_eq!(
        s.claim_key("east_grid", "key-1", "/api/incidents", "fp-9")
            .await
            .unwrap(),
        KeyClaim::Fresh,
        "{backend:?}: a released key is fresh again"
    );

    let changes = s.changes_since(0, 100).await.unwrap();
    assert_eq!(
        changes.len(),
        1,
        "{backend:?}: one write, one change (the replay wrote nothing)"
    );
    assert!(
        s.changes_since(change.seq, 100).await.unwrap().is_empty(),
        "{backend:?}: nothing after the last change"
    );
    let history = s.incident_history("SJ-NEW").await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].actor.as_str(), history[0].action.as_str()),
        ("west_grid", "report")
    );

    // Metadata, audit and sessions.
    s.set_meta("k", "v1").await.unwrap();
    s.set_meta("k", "v2").await.unwrap();
    assert_eq!(
        s.meta("k").await.unwrap().as_deref(),
        Some("v2"),
        "{backend:?}: meta upserts"
    );
    s.audit("admin", "people.detail", &["RY1".into()], Some("走访"))
        .await
        .unwrap();
    let log = s.audit_log(10, 0).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].records, vec!["RY1".to_owned()]);
    assert_eq!(log[0].purpose.as_deref(), Some("走访"));

    // Reopen: everything is still there.
    drop(s);
    let s2 = store::open(&url).await.expect("reopen");
    s2.migrate().await.expect("migrate on reopen");
    let again = s2.load().await.unwrap();
    let stored = again
        .incidents
        .iter()
        .find(|i| i.id == "SJ-NEW")
        .expect("the new incident survives a reopen");
    assert_eq!(
        stored.description, inc.description,
        "{backend:?}: text with SQL and markup is stored as text"
    );
}

#[tokio::test]
async fn store_story_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test]
async fn store_story_on_postgis() {
    story(Backend::Postgis).await;
}

#[tokio::test]
async fn a_foreign_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, b"these are somebody's notes, not a database").unwrap();
    let err = match store::open(&format!("sqlite://{}", path.display())).await {
        Ok(s) => s
            .migrate()
            .await
            .expect_err("a non-database file must be refused"),
        Err(e) => e,
    };
    assert!(
        err.to_string().contains("not an SQLite database"),
        "clear reason, got: {err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"these are somebody's notes, not a database",
        "the file is unchanged"
    );

    // An SQLite database of another application is refused too.
    let other = dir.path().join("other.db");
    {
        use sqlx::Connection;
        let mut c =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", other.display()))
                .await
                .unwrap();
        sqlx::query("create table invoices (id integer)")
            .execute(&mut c)
            .await
            .unwrap();
    }
    let s = store::open(&format!("sqlite://{}", other.display()))
        .await
        .expect("opens");
    let err = s
        .migrate()
        .await
        .expect_err("another application's database must be refused");
    assert!(
        err.to_string().contains("another application"),
        "clear reason, got: {err}"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_is_a_clear_error_with_the_password_redacted() {
    let err = store::open("postgres://minqing:s3cret@127.0.0.1:1/none")
        .await
        .err()
        .expect("port 1 is closed");
    let msg = err.to_string();
    assert!(msg.contains("cannot open store"), "says what failed: {msg}");
    assert!(!msg.contains("s3cret"), "the password is redacted: {msg}");
}

/// The full demo on both stores answers `grids/at` identically (the demo is
/// seeded here once per backend; other tests use the small fixture).
#[tokio::test]
async fn demo_grid_lookups_agree_on_sqlite_and_postgis() {
    let mut answers = Vec::new();
    for backend in Backend::BOTH {
        let app = TestApp::demo(backend).await;
        let mut got = Vec::new();
        for i in 0..40 {
            let lon = 112.90 + 0.012 * i as f64;
            let lat = 23.47 + 0.010 * i as f64;
            got.push(
                app.get_json(&format!("/api/grids/at?lon={lon}&lat={lat}"))
                    .await,
            );
        }
        let (s, v) = app.get_json("/api/grids/at?lon=113.056&lat=23.698").await;
        assert_eq!(
            s, 200,
            "{backend:?}: the contract's wangge point is in a grid"
        );
        assert_eq!(
            v["ancestors"][1]["name"], "凤城街道",
            "{backend:?}: it lies in 凤城街道: {v}"
        );
        assert_eq!(
            v["ancestors"][2]["code"], "441802",
            "{backend:?}: district code"
        );
        assert!(
            v["head"]["name"].is_string(),
            "{backend:?}: the grid has a head: {v}"
        );
        let (s, _) = app.get_json("/api/grids/at?lon=100.0&lat=30.0").await;
        assert_eq!(s, 404, "{backend:?}: outside every grid is 404");
        got.push((s, v));
        answers.push(got);
        app.stop().await;
    }
    let inside = answers[0].iter().filter(|(s, _)| *s == 200).count();
    assert!(
        inside >= 20,
        "most sample points fall inside the district ({inside} of 41)"
    );
    assert_eq!(
        answers[0], answers[1],
        "SQLite and PostGIS give the same grid, ancestors and head for every point"
    );
}
