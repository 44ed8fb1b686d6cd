//! `TestApp`: the real app on port 0 against a real store, with typed helpers,
//! and a small synthetic district with known answers.

pub mod basemap;
pub mod fixture;

use std::net::SocketAddr;
use std::sync::Arc;

use minqing::app::{App, AppConfig, AppState};
use minqing::store::{self, Store, UserRecord};
use serde_json::Value;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgis,
}

impl Backend {
    pub const BOTH: [Backend; 2] = [Backend::Sqlite, Backend::Postgis];
}

/// Base URL of the PostgreSQL server for tests (PostGIS must be available).
pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database on the test server; fails loudly without PostgreSQL or PostGIS.
pub async fn fresh_pg_url() -> String {
    use sqlx::Connection;
    let admin = pg_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for these tests (TEST_DATABASE_URL or 127.0.0.1:5432): {e}"
            )
        });
    let name = format!(
        "minqing_test_{}",
        minqing::auth::password::new_token()[..12].to_owned()
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

/// A store URL of the backend, fresh and empty. The guard keeps the SQLite file alive.
pub async fn fresh_store_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/minqing.db", dir.path().display());
            (url, Some(dir))
        }
        Backend::Postgis => (fresh_pg_url().await, None),
    }
}

/// The app running on a port, with a client.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    _dir: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Password of every fixture account.
pub const PASSWORD: &str = "fixture-password";

impl TestApp {
    /// The fixture district on `backend`, with one account per role.
    pub async fn fixture(backend: Backend) -> TestApp {
        TestApp::fixture_with_basemap(backend, None).await
    }

    /// The fixture district with `--basemap SOURCE`.
    pub async fn fixture_with_basemap(backend: Backend, basemap: Option<String>) -> TestApp {
        TestApp::seeded(backend, &fixture::dataset(), basemap).await
    }

    /// A variant of the fixture (`data`), with its accounts and clock.
    pub async fn seeded(
        backend: Backend,
        data: &minqing::domain::Dataset,
        basemap: Option<String>,
    ) -> TestApp {
        let (url, dir) = fresh_store_url(backend).await;
        let s = store::open(&url).await.expect("open store");
        s.migrate().await.expect("migrate");
        s.seed(data).await.expect("seed fixture");
        add_fixture_users(s.as_ref()).await;
        let mut cfg = AppConfig::new(&url, "127.0.0.1:0".parse().unwrap());
        cfg.basemap = basemap;
        // The live window (#18) starts 30 days before the fixture's "now",
        // not the real one: the fixture's cases and the patrol windows of the
        // tests (days before the fixture's clock) all lie inside it.
        let since_fixture = (chrono::Utc::now() - fixture::now()).num_days().max(0) as u32;
        cfg.live_days = Some(since_fixture + 30);
        TestApp::start(cfg, dir).await
    }

    /// The full demo district on `backend` (slow: use once).
    pub async fn demo(backend: Backend) -> TestApp {
        TestApp::demo_with_basemap(backend, None).await
    }

    /// The full demo district with `--basemap SOURCE`.
    pub async fn demo_with_basemap(backend: Backend, basemap: Option<String>) -> TestApp {
        let (url, dir) = fresh_store_url(backend).await;
        let mut cfg = AppConfig::new(&url, "127.0.0.1:0".parse().unwrap());
        cfg.basemap = basemap;
        cfg.demo = true;
        // The demo's clock is the real one, so "today", overdue and patrol windows look as in production.
        cfg.demo_now = None;
        TestApp::start(cfg, dir).await
    }

    /// Starts an app on an existing store URL.
    pub async fn start(cfg: AppConfig, dir: Option<tempfile::TempDir>) -> TestApp {
        let app = App::build(cfg).await.expect("app builds");
        let addr: SocketAddr = app.local_addr();
        let state = app.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(app.run(async {
            let _ = rx.await;
        }));
        let t = TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            state,
            _dir: dir,
            stop: Some(tx),
            handle: Some(handle),
        };
        t.wait_ready().await;
        t
    }

    async fn wait_ready(&self) {
        for _ in 0..600 {
            if let Ok(r) = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the app did not become ready within 60 s");
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.get(path).await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json_as(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.get_as(token, path).await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json_as(
        &self,
        token: Option<&str>,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request");
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Signs in and returns the bearer token.
    pub async fn login_as(&self, user: &str) -> String {
        self.login_with(user, PASSWORD).await
    }

    pub async fn login_with(&self, user: &str, password: &str) -> String {
        let (s, v) = self
            .post_json_as(
                None,
                "/api/auth/login",
                &serde_json::json!({"username": user, "password": password}),
            )
            .await;
        assert_eq!(s, 200, "login as {user} should succeed: {v}");
        v["token"].as_str().expect("token").to_owned()
    }

    /// Fetches and decodes an MVT tile (204 = no layers).
    pub async fn tile(&self, token: Option<&str>, path: &str) -> geozero::mvt::Tile {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        assert!(
            status == 200 || status == 204,
            "tile {path} answered {status}"
        );
        let bytes = r.bytes().await.expect("body");
        minqing::tiles::mvt::decode(&bytes).expect("valid MVT")
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }
}

/// One account per role; grid/community/street heads assigned to fixture areas.
pub async fn add_fixture_users(store: &dyn Store) {
    let hash = minqing::auth::password::hash(PASSWORD).unwrap();
    for (name, role, areas) in fixture::USERS {
        store
            .put_user(&UserRecord {
                username: (*name).into(),
                password_hash: hash.clone(),
                role: (*role).into(),
                areas: areas.iter().map(|a| (*a).to_owned()).collect(),
                failed_logins: 0,
                locked_until: None,
            })
            .await
            .expect("add user");
    }
}

/// Names of MVT layers in a tile.
pub fn layer_names(t: &geozero::mvt::Tile) -> Vec<String> {
    t.layers.iter().map(|l| l.name.clone()).collect()
}

/// Features of one MVT layer (0 when absent).
pub fn feature_count(t: &geozero::mvt::Tile, layer: &str) -> usize {
    t.layers
        .iter()
        .find(|l| l.name == layer)
        .map_or(0, |l| l.features.len())
}
