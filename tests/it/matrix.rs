//! The rights matrix, generated from the policy: every route × every role
//! (and anonymous) × a record inside and a record outside the west accounts'
//! areas. The expected answer comes from `policy::decide`, the observed one
//! from the running server; a route without a row here fails the test.

use minqing::auth::Principal;
use minqing::auth::policy::{self, Action, Kind};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, fixture};

/// A record the matrix looks for.
#[derive(Debug, Clone, Copy)]
struct Target {
    id: &'static str,
    grid: &'static str,
    lon: f64,
    lat: f64,
}

const IN_AREA: [(Kind, Target); 3] = [
    (
        Kind::Incidents,
        Target {
            id: "SJ-1",
            grid: fixture::WEST_SOUTH_GRID,
            lon: 113.011,
            lat: 23.01,
        },
    ),
    (
        Kind::People,
        Target {
            id: "RY0",
            grid: fixture::WEST_SOUTH_GRID,
            lon: 113.01,
            lat: 23.01,
        },
    ),
    // The visits to RY0 (the matrix test records one first).
    (
        Kind::Visits,
        Target {
            id: "RY0",
            grid: fixture::WEST_SOUTH_GRID,
            lon: 113.01,
            lat: 23.01,
        },
    ),
];
const OUT_OF_AREA: [(Kind, Target); 3] = [
    (
        Kind::Incidents,
        Target {
            id: "SJ-4",
            grid: fixture::EAST_SOUTH_GRID,
            lon: 113.08,
            lat: 23.01,
        },
    ),
    (
        Kind::People,
        Target {
            id: "RY7",
            grid: fixture::EAST_SOUTH_GRID,
            lon: 113.08,
            lat: 23.01,
        },
    ),
    (
        Kind::Visits,
        Target {
            id: "RY7",
            grid: fixture::EAST_SOUTH_GRID,
            lon: 113.08,
            lat: 23.01,
        },
    ),
];

/// What a route gives, as far as rights go.
#[derive(Debug, Clone, Copy)]
enum Row {
    /// Anyone gets a 2xx from this request (`""`: exercised by its own tests).
    Public(&'static str),
    /// Needs a session: anonymous gets 401, any account a 2xx.
    SignedIn,
    /// A POST about one's own account with this (refused) body: anonymous
    /// gets 401, any account 400 (the body's fault, not a right missing).
    OwnAccount(&'static str),
    /// Records of these kinds, found (or not) by this probe.
    Records(&'static [Kind], Probe),
    /// Only with this grant (401 anonymous, 403 without it, 2xx with it).
    Grant(Kind, Action),
    /// Patrol reads of an area: 2xx when the patrol scope covers it.
    PatrolArea,
    /// A warning by id (with this method, path suffix and body): visible
    /// (not 404) exactly when the policy lets the caller read a warning
    /// touching that grid.
    Warning(&'static str, &'static str, Option<&'static str>),
}

type Probe = fn(Kind, Target) -> Req;

/// A request that answers whether a target record is visible.
struct Req {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// how to see the record in a 2xx answer
    find: Find,
}

#[derive(Clone, Copy)]
enum Find {
    /// the status alone: 2xx = visible
    Status,
    /// the id appears in the body text
    IdInBody,
}

fn get(path: String, find: Find) -> Req {
    Req {
        method: "GET",
        path,
        body: None,
        find,
    }
}

fn tile_of(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
    let (x, y) = minqing::spatial::lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    (z, (x * n) as u32, (y * n) as u32)
}

fn layer(k: Kind) -> &'static str {
    match k {
        Kind::Incidents => "incidents",
        _ => "people",
    }
}

/// The route table: each route's row.
fn rows() -> Vec<(&'static str, Row)> {
    use Kind::{Incidents, People};
    vec![
        ("/healthz", Row::Public("/healthz")),
        ("/readyz", Row::Public("/readyz")),
        ("/metrics", Row::Public("/metrics")),
        ("/tiles/{name}", Row::Public("/tiles/grids,hazards.json")),
        (
            "/tiles/{layers}/{z}/{x}/{y}",
            Row::Records(&[Incidents], |_, t| {
                let (z, x, y) = tile_of(t.lon, t.lat, 15);
                get(
                    format!("/tiles/grids,incidents/{z}/{x}/{y}.geojson"),
                    Find::IdInBody,
                )
            }),
        ),
        (
            "/api/grids/at",
            Row::Public("/api/grids/at?lon=113.01&lat=23.01"),
        ),
        (
            "/api/areas/{code}",
            Row::Records(&[Incidents], |_, t| {
                // Incident counts of a grid are given only to those who may read them all.
                get(format!("/api/areas/{}", t.grid), Find::Status)
            }),
        ),
        ("/api/openapi.json", Row::Public("/api/openapi.json")),
        ("/ogc", Row::Public("/ogc")),
        ("/ogc/conformance", Row::Public("/ogc/conformance")),
        ("/ogc/collections", Row::Public("/ogc/collections")),
        (
            "/ogc/collections/{id}",
            Row::Records(&[Incidents], |_, _| {
                get("/ogc/collections/incidents".into(), Find::Status)
            }),
        ),
        (
            "/ogc/collections/{id}/items",
            Row::Records(&[Incidents], |_, _| {
                get(
                    "/ogc/collections/incidents/items?limit=1000".into(),
                    Find::IdInBody,
                )
            }),
        ),
        (
            "/ogc/collections/{id}/items/{item}",
            Row::Records(&[Incidents], |_, t| {
                get(
                    format!("/ogc/collections/incidents/items/{}", t.id),
                    Find::Status,
                )
            }),
        ),
        ("/ogc/api", Row::Public("/ogc/api")),
        (
            "/ogc/collections/{id}/queryables",
            Row::Records(&[Incidents], |_, _| {
                get("/ogc/collections/incidents/queryables".into(), Find::Status)
            }),
        ),
        ("/ogc/tileMatrixSets", Row::Public("/ogc/tileMatrixSets")),
        (
            "/ogc/tileMatrixSets/{tms}",
            Row::Public("/ogc/tileMatrixSets/WebMercatorQuad"),
        ),
        (
            "/ogc/collections/{id}/tiles",
            Row::Records(&[Incidents], |_, _| {
                get("/ogc/collections/incidents/tiles".into(), Find::Status)
            }),
        ),
        (
            "/ogc/collections/{id}/tiles/{tms}",
            Row::Records(&[Incidents], |_, _| {
                get(
                    "/ogc/collections/incidents/tiles/WebMercatorQuad".into(),
                    Find::Status,
                )
            }),
        ),
        (
            "/ogc/collections/{id}/tiles/{tms}/{z}/{row}/{col}",
            Row::Records(&[Incidents], |_, t| {
                let (z, x, y) = tile_of(t.lon, t.lat, 15);
                get(
                    format!(
                        "/ogc/collections/incidents/tiles/WebMercatorQuad/{z}/{y}/{x}?f=geojson"
                    ),
                    Find::IdInBody,
                )
            }),
        ),
        ("/ogc/tiles", Row::Public("/ogc/tiles")),
        (
            "/ogc/tiles/{tms}",
            Row::Public("/ogc/tiles/WebMercatorQuad"),
        ),
        (
            "/ogc/tiles/{tms}/{z}/{row}/{col}",
            Row::Records(&[Incidents], |_, t| {
                let (z, x, y) = tile_of(t.lon, t.lat, 15);
                get(
                    format!("/ogc/tiles/WebMercatorQuad/{z}/{y}/{x}?f=geojson"),
                    Find::IdInBody,
                )
            }),
        ),
        (
            "/api/hazards/nearest",
            Row::Public("/api/hazards/nearest?lon=113.01&lat=23.01"),
        ),
        (
            "/api/nearby",
            Row::Public("/api/nearby?lon=113.01&lat=23.01&k=20"),
        ),
        (
            "/api/query/within",
            Row::Records(&[Incidents, People], |_, t| {
                let d = 0.0005;
                let (x, y) = (t.lon, t.lat);
                Req {
                    method: "POST",
                    path: "/api/query/within".into(),
                    body: Some(
                        json!({"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]}),
                    ),
                    find: Find::IdInBody,
                }
            }),
        ),
        (
            "/api/search",
            Row::Records(&[Incidents], |_, t| {
                get(format!("/api/search?q={}&limit=100", t.id), Find::IdInBody)
            }),
        ),
        ("/api/auth/login", Row::Public("")),
        ("/api/auth/logout", Row::SignedIn),
        ("/api/me", Row::SignedIn),
        (
            "/api/incidents",
            Row::Records(&[Incidents], |_, _| {
                get("/api/incidents?limit=1000".into(), Find::IdInBody)
            }),
        ),
        (
            "/api/incidents/categories",
            Row::Public("/api/incidents/categories"),
        ),
        (
            // The wall's feed: both targets were dispatched in the setup, so each has changes.
            "/api/incidents/recent",
            Row::Records(&[Incidents], |_, _| {
                get("/api/incidents/recent?limit=100".into(), Find::IdInBody)
            }),
        ),
        (
            "/api/incidents/{id}",
            Row::Records(&[Incidents], |_, t| {
                get(format!("/api/incidents/{}", t.id), Find::Status)
            }),
        ),
        (
            "/api/incidents/{id}/actions",
            Row::Records(&[Incidents], |_, t| Req {
                method: "POST",
                // A stale version: nothing changes, but rights are checked first.
                path: format!("/api/incidents/{}/actions", t.id),
                body: Some(json!({"action": "dispatch", "note": "矩阵", "version": -1})),
                find: Find::Status,
            }),
        ),
        (
            "/api/events",
            Row::Records(&[Incidents], |_, _| {
                get("/api/events".into(), Find::IdInBody)
            }),
        ),
        (
            "/api/stats/incidents",
            Row::Records(&[Incidents], |_, _| {
                get(
                    "/api/stats/incidents?level=grid&from=2020-01-01T00:00:00Z".into(),
                    Find::IdInBody,
                )
            }),
        ),
        (
            "/api/people",
            Row::Records(&[People], |_, _| {
                get("/api/people?limit=1000".into(), Find::IdInBody)
            }),
        ),
        (
            "/api/people/{id}",
            Row::Records(&[People], |_, t| {
                get(format!("/api/people/{}", t.id), Find::Status)
            }),
        ),
        ("/api/audit", Row::Grant(Kind::Audit, Action::Read)),
        (
            "/api/import/{layer}",
            Row::Grant(Kind::Hazards, Action::Import),
        ),
        (
            "/api/me/password",
            Row::OwnAccount(r#"{"old": "not-the-password", "new": "long-enough-new"}"#),
        ),
        ("/api/admin/users", Row::Grant(Kind::Accounts, Action::Read)),
        (
            "/api/admin/users/{name}",
            Row::Grant(Kind::Accounts, Action::Change),
        ),
        (
            "/api/export/{file}",
            Row::Records(&[Incidents, People, Kind::Visits], |k, _| match k {
                Kind::Visits => get("/api/export/visits.csv".into(), Find::IdInBody),
                _ => get(format!("/api/export/{}.geojson", layer(k)), Find::IdInBody),
            }),
        ),
        ("/api/patrol/coverage", Row::PatrolArea),
        (
            "/open311/v2/services.json",
            Row::Public("/open311/v2/services.json"),
        ),
        (
            "/open311/v2/requests.json",
            Row::Records(&[Incidents], |_, _| {
                get("/open311/v2/requests.json".into(), Find::IdInBody)
            }),
        ),
        (
            "/open311/v2/requests/{file}",
            Row::Records(&[Incidents], |_, t| {
                get(format!("/open311/v2/requests/{}.json", t.id), Find::Status)
            }),
        ),
        ("/api/patrol/gaps", Row::PatrolArea),
        (
            "/api/patrol/tracks",
            Row::Grant(Kind::Patrol, Action::Create),
        ),
        ("/api/warnings", Row::SignedIn),
        ("/api/warnings/{id}", Row::Warning("GET", "", None)),
        (
            "/api/warnings/{id}/actions",
            Row::Warning("POST", "/actions", Some(r#"{"action": "matrix-probe"}"#)),
        ),
        (
            "/api/warnings/{id}/{file}",
            Row::Warning("GET", "/cap.xml", None),
        ),
        (
            "/basemap/rivers.geojson",
            Row::Public("/basemap/rivers.geojson"),
        ),
        ("/basemap/tiles.json", Row::Public("/basemap/tiles.json")),
        (
            "/basemap/tiles/{z}/{x}/{y}",
            Row::Public("/basemap/tiles/12/3333/1780.pbf"),
        ),
        // 404 without a PMTiles base map; tests/it/basemap.rs serves one.
        ("/basemap/source.pmtiles", Row::Public("")),
        // Follow-up visits (issue 16): RY0 and RY7 each have one visit (see the test).
        ("/api/config/visits", Row::Grant(Kind::Visits, Action::Read)),
        (
            "/api/people/{id}/visits",
            Row::Records(&[Kind::Visits], |_, t| {
                get(format!("/api/people/{}/visits", t.id), Find::Status)
            }),
        ),
        (
            "/api/visits",
            Row::Records(&[Kind::Visits], |_, _| {
                get(
                    "/api/visits?since=2000-01-01T00:00:00Z&limit=1000".into(),
                    Find::IdInBody,
                )
            }),
        ),
        (
            "/api/visits/due",
            Row::Records(&[Kind::Visits], |_, _| {
                get(
                    "/api/visits/due?within_days=366&limit=1000".into(),
                    Find::IdInBody,
                )
            }),
        ),
        ("/", Row::Public("/")),
        ("/wall", Row::Public("/wall")),
        ("/grid", Row::Public("/grid")),
        ("/flood", Row::Public("/flood")),
        // Case photos (photo 1 of each target is added in the setup) and deadlines.
        (
            "/api/incidents/{id}/photos",
            Row::Records(&[Incidents], |_, t| Req {
                method: "POST",
                // Not multipart: refused as 415 after the rights check, so nothing is added.
                path: format!("/api/incidents/{}/photos", t.id),
                body: Some(json!({"photo": "matrix"})),
                find: Find::Status,
            }),
        ),
        (
            "/api/incidents/{id}/photos/{n}",
            Row::Records(&[Incidents], |_, t| {
                get(
                    format!("/api/incidents/{}/photos/1?size=thumb", t.id),
                    Find::Status,
                )
            }),
        ),
        ("/api/config/deadlines", Row::SignedIn),
        (
            "/api/config/deadlines/{category}",
            Row::Grant(Kind::Config, Action::Change),
        ),
        // The admin page shell is public; its data answers by rights.
        ("/admin", Row::Public("/admin")),
    ]
}

fn principal(user: &str) -> Option<Principal> {
    let (name, role, areas) = fixture::USERS.iter().find(|(n, _, _)| *n == user)?;
    let areas: Vec<String> = areas.iter().map(|a| (*a).to_owned()).collect();
    policy::principal(name, role, &areas).ok()
}

async fn send(app: &TestApp, token: Option<&str>, req: &Req, sse: bool) -> (u16, String) {
    let mut r = match req.method {
        "POST" => app.client.post(app.url(&req.path)),
        "PUT" => app.client.put(app.url(&req.path)),
        _ => app.client.get(app.url(&req.path)),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = &req.body {
        r = r.json(b);
    }
    if sse {
        r = r.header("last-event-id", "0");
    }
    let resp = r.send().await.expect("request");
    let status = resp.status().as_u16();
    if sse && status == 200 {
        // The replay arrives first; read what comes within a moment, then drop the stream.
        let mut resp = resp;
        let mut text = String::new();
        let until = tokio::time::Instant::now() + std::time::Duration::from_millis(400);
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(until, resp.chunk()).await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        return (status, text);
    }
    (status, resp.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_says() {
    let app = TestApp::fixture(Backend::Sqlite).await;
    // Every route has its row.
    let rows = rows();
    for path in minqing::http::route_paths() {
        assert!(
            rows.iter().any(|(p, _)| *p == path),
            "route {path} has no row in the rights matrix: add one before calling it done"
        );
    }
    // Give the change log entries for both target incidents, so replay has something to leak.
    let admin = app.login_as("admin").await;
    for id in ["SJ-1", "SJ-4"] {
        let (s, v) = app
            .post_json_as(
                Some(&admin),
                &format!("/api/incidents/{id}/actions"),
                &json!({"action": "dispatch", "note": "派往社区"}),
            )
            .await;
        assert_eq!(s, 200, "admin dispatches {id}: {v}");
        let (s, v) = crate::cases::upload(
            &app,
            Some(&admin),
            id,
            crate::cases::multipart(&[("photo", "image/png", &crate::cases::png(4, 4))]),
        )
        .await;
        assert_eq!(s, 201, "admin adds a photo to {id}: {v}");
    }
    // One warning over each south grid, issued by the admin.
    let mut warnings = Vec::new();
    for (grid, x0) in [
        (fixture::WEST_SOUTH_GRID, 113.01),
        (fixture::EAST_SOUTH_GRID, 113.06),
    ] {
        let (x1, y0, y1) = (x0 + 0.03, 23.01, 23.04);
        let until = (chrono::Utc::now() + chrono::Duration::hours(6)).to_rfc3339();
        let (s, v) = app
            .post_json_as(Some(&admin), "/api/warnings", &json!({"name": "矩阵", "level": "黄", "kind": "暴雨", "until": until,
                "area": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}}))
            .await;
        assert_eq!(s, 201, "admin issues a warning over {grid}: {v}");
        warnings.push((grid, v["id"].as_str().unwrap().to_owned()));
    }
    // One visit to each target record, so visit lists have something to leak.
    for id in ["RY0", "RY7"] {
        let (s, v) = app
            .post_json_as(
                Some(&admin),
                &format!("/api/people/{id}/visits"),
                &json!({"how": "电话", "note": "矩阵"}),
            )
            .await;
        assert_eq!(s, 201, "admin records a visit to {id}: {v}");
    }
    let mut users: Vec<Option<&str>> = vec![None];
    users.extend(fixture::USERS.iter().map(|(n, _, _)| Some(*n)));
    let mut checked = 0;
    for user in users {
        let who = user.and_then(principal);
        let token = match user {
            Some(u) => Some(app.login_as(u).await),
            None => None,
        };
        let t = token.as_deref();
        for (path, row) in &rows {
            match *row {
                Row::Public(sample) => {
                    if sample.is_empty() {
                        continue;
                    }
                    let (s, body) = send(&app, t, &get(sample.into(), Find::Status), false).await;
                    assert!(s < 300, "{user:?} {sample}: public, got {s}: {body}");
                }
                Row::SignedIn => {
                    if *path == "/api/auth/logout" {
                        continue; // would end the session used below
                    }
                    let (s, _) = send(&app, t, &get((*path).into(), Find::Status), false).await;
                    let want = if who.is_some() { 200 } else { 401 };
                    assert_eq!(s, want, "{user:?} {path}");
                }
                Row::OwnAccount(body) => {
                    let req = Req {
                        method: "POST",
                        path: (*path).into(),
                        body: Some(serde_json::from_str(body).unwrap()),
                        find: Find::Status,
                    };
                    let (s, text) = send(&app, t, &req, false).await;
                    let want = if who.is_some() { 400 } else { 401 };
                    assert_eq!(s, want, "{user:?} {path}: {text}");
                }
                Row::Grant(kind, action) => {
                    let req = match (kind, action) {
                        (Kind::Patrol, Action::Create) => Req {
                            method: "POST",
                            path: "/api/patrol/tracks".into(),
                            body: Some(
                                json!({"member": format!("matrix-{}", user.unwrap_or("anon")), "points": []}),
                            ),
                            find: Find::Status,
                        },
                        // Not a form: refused as bad input, after the rights check.
                        (Kind::Hazards, Action::Import) => Req {
                            method: "POST",
                            path: "/api/import/hazards".into(),
                            body: Some(json!({})),
                            find: Find::Status,
                        },
                        // A deadline of a category that does not exist: rights are checked first.
                        (Kind::Config, Action::Change) => Req {
                            method: "PUT",
                            path: "/api/config/deadlines/no-such-category".into(),
                            body: Some(json!({"hours": 5})),
                            find: Find::Status,
                        },
                        // A change to an account that does not exist: rights are checked first.
                        (Kind::Accounts, Action::Change) => Req {
                            method: "POST",
                            path: "/api/admin/users/nobody-here".into(),
                            body: Some(json!({"disabled": true})),
                            find: Find::Status,
                        },
                        _ => get((*path).into(), Find::Status),
                    };
                    let (s, body) = send(&app, t, &req, false).await;
                    let granted = !policy::decide(who.as_ref(), kind, action).is_nothing();
                    let want: &[u16] = match (who.is_some(), granted) {
                        (false, _) => &[401],
                        (true, false) => &[403],
                        // an empty track is refused as bad input after the rights check
                        (true, true) => &[200, 400, 404],
                    };
                    assert!(
                        want.contains(&s),
                        "{user:?} {path}: expected {want:?}, got {s}: {body}"
                    );
                }
                Row::Warning(method, suffix, body) => {
                    for (grid, id) in &warnings {
                        let req = Req {
                            method,
                            path: format!("/api/warnings/{id}{suffix}"),
                            body: body.map(|b| serde_json::from_str(b).unwrap()),
                            find: Find::Status,
                        };
                        let (s, text) = send(&app, t, &req, false).await;
                        let scope = policy::read(who.as_ref(), Kind::Warnings);
                        let may = scope.allows(Some(grid), None);
                        let want: &[u16] = match (who.is_some(), may) {
                            (false, _) => &[401],
                            (true, false) => &[404],
                            (true, true) if method == "POST" => &[400],
                            (true, true) => &[200],
                        };
                        assert!(
                            want.contains(&s),
                            "{user:?} {method} {path} for a warning over {grid}: expected {want:?}, got {s}: {text}"
                        );
                        checked += 1;
                    }
                }
                Row::PatrolArea => {
                    for area in [fixture::WEST_SOUTH_GRID, fixture::EAST_SOUTH_GRID] {
                        let (s, body) = send(
                            &app,
                            t,
                            &get(format!("{path}?area={area}"), Find::Status),
                            false,
                        )
                        .await;
                        let scope = policy::read(who.as_ref(), Kind::Patrol);
                        let want: &[u16] = if who.is_none() {
                            &[401]
                        } else if scope.covers_area(area) {
                            &[200]
                        } else {
                            &[403]
                        };
                        assert!(
                            want.contains(&s),
                            "{user:?} {path} area {area}: expected {want:?}, got {s}: {body}"
                        );
                    }
                }
                Row::Records(kinds, probe) => {
                    for (kind, target, side) in IN_AREA
                        .iter()
                        .map(|(k, t)| (*k, *t, "in area"))
                        .chain(OUT_OF_AREA.iter().map(|(k, t)| (*k, *t, "out of area")))
                    {
                        if !kinds.contains(&kind) {
                            continue;
                        }
                        let req = probe(kind, target);
                        let (s, body) = send(&app, t, &req, *path == "/api/events").await;
                        let scope = policy::read(who.as_ref(), kind);
                        let may = match *path {
                            // counts of a whole area need rights over all of it
                            "/api/areas/{code}" => scope.covers_area(target.grid),
                            // the collection (and its metadata) exists for whoever may read some of it
                            "/ogc/collections/{id}"
                            | "/ogc/collections/{id}/queryables"
                            | "/ogc/collections/{id}/tiles"
                            | "/ogc/collections/{id}/tiles/{tms}" => !scope.is_nothing(),
                            "/api/incidents/{id}/actions" => scope.allows(Some(target.grid), None),
                            _ => scope.allows(Some(target.grid), None),
                        };
                        let seen = match req.find {
                            Find::Status if *path == "/api/areas/{code}" => {
                                s == 200 && body.contains("\"incidents\":{")
                            }
                            Find::Status
                                if *path == "/api/incidents/{id}/actions"
                                    || *path == "/api/incidents/{id}/photos" =>
                            {
                                s != 404 && s != 401
                            }
                            Find::Status => s < 300,
                            Find::IdInBody => {
                                let needle = if *path == "/api/stats/incidents" {
                                    target.grid
                                } else {
                                    target.id
                                };
                                s < 300 && body.contains(needle)
                            }
                        };
                        assert_eq!(
                            seen,
                            may,
                            "{user:?} {} {path} for {kind:?} {} ({side}): policy says {}, server answered {s}: {}",
                            req.method,
                            target.id,
                            if may { "visible" } else { "hidden" },
                            &body[..body.len().min(300)]
                        );
                        if !may {
                            assert!(
                                s < 500,
                                "{user:?} {path}: a refusal is never a server error ({s})"
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 150, "the matrix checked {checked} record cells");
}
