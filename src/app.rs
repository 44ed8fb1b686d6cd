//! `App::build(config)`: open and migrate the store, bind the listener; `run`
//! seeds (if asked), loads the index and serves until SIGTERM/Ctrl-C.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use crate::auth::password;
use crate::domain::{Dataset, Level};
use crate::spatial::{BBox, SpatialIndex};
use crate::store::{self, Change, Store, UserRecord};
use crate::tiles::cache::TileCache;

/// Password of the demo accounts (printed at start-up).
pub const DEMO_PASSWORD: &str = "minqing-demo";

/// What the server needs to start.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// store URL
    pub store_url: String,
    /// listen address (port 0 picks a free port)
    pub bind: SocketAddr,
    /// seed the demo district into an empty store
    pub demo: bool,
    /// the demo's "now" (tests pin it; `None` = the current time)
    pub demo_now: Option<DateTime<Utc>>,
    /// tile cache bound in bytes (0 disables)
    pub tile_cache_bytes: usize,
}

impl AppConfig {
    /// Defaults for a store URL and address.
    pub fn new(store_url: impl Into<String>, bind: SocketAddr) -> AppConfig {
        AppConfig {
            store_url: store_url.into(),
            bind,
            demo: false,
            demo_now: None,
            tile_cache_bytes: 256 << 20,
        }
    }
}

/// A change pushed to live listeners.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// the change-log entry
    pub change: Change,
    /// JSON payload (already filtered of personal data)
    pub data: serde_json::Value,
    /// owning grid, for rights filtering
    pub grid: Option<String>,
}

/// Shared state of every handler.
pub struct AppState {
    /// system of record
    pub store: Arc<dyn Store>,
    index: RwLock<SpatialIndex>,
    ready: AtomicBool,
    /// tile cache
    pub tiles: TileCache,
    /// live changes for SSE
    pub events: broadcast::Sender<LiveEvent>,
    /// request counters for /metrics
    pub metrics: crate::http::metrics::Metrics,
    /// login rate limiting
    pub limiter: crate::http::limit::RateLimiter,
    /// fires once when the server starts shutting down (closes SSE streams)
    pub shutdown: broadcast::Sender<()>,
    /// change numbers already applied to this instance's index
    applied: std::sync::Mutex<Applied>,
}

/// Which change numbers this instance has applied. Numbers can commit out of
/// order across instances, so a window below the highest is re-checked.
#[derive(Debug, Default)]
struct Applied {
    max: i64,
    seen: std::collections::BTreeSet<i64>,
}

/// How far below the highest applied change a catch-up looks again.
const CATCH_UP_WINDOW: i64 = 1000;

impl AppState {
    /// The index for reading. Never hold the guard across an `.await`.
    pub fn index(&self) -> RwLockReadGuard<'_, SpatialIndex> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies a change to the index (after the store committed it).
    pub fn update_index(&self, f: impl FnOnce(&mut SpatialIndex)) {
        let mut g = self.index.write().unwrap_or_else(|p| p.into_inner());
        f(&mut g);
    }

    /// True once the index is loaded.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Records a change as applied; false when it already was.
    fn mark_applied(&self, seq: i64) -> bool {
        let mut a = self.applied.lock().unwrap_or_else(|p| p.into_inner());
        if seq <= a.max - CATCH_UP_WINDOW || !a.seen.insert(seq) {
            return false;
        }
        a.max = a.max.max(seq);
        let floor = a.max - CATCH_UP_WINDOW;
        a.seen = a.seen.split_off(&floor);
        true
    }

    /// Applies the changes other instances wrote since we last looked.
    pub async fn catch_up(&self) -> anyhow::Result<usize> {
        let from = { self.applied.lock().unwrap_or_else(|p| p.into_inner()).max - CATCH_UP_WINDOW };
        let mut n = 0;
        for change in self.store.changes_since(from.max(0), 10_000).await? {
            if self
                .applied
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .seen
                .contains(&change.seq)
            {
                continue;
            }
            if change.kind.starts_with("incident.") {
                if let Some(inc) = self.store.incident(&change.record_id).await? {
                    let data = serde_json::json!({"kind": change.kind, "id": inc.id, "lon": inc.lon, "lat": inc.lat, "grid": inc.grid,
                        "category": crate::domain::incident::category_name(&inc.category), "status": inc.status.as_str()});
                    let grid = inc.grid.clone();
                    self.update_index(|ix| {
                        ix.upsert_incident(inc);
                    });
                    self.publish("incidents", LiveEvent { change, data, grid });
                    n += 1;
                }
            } else if change.kind == "patrol.track" {
                let (members, points) = self.store.patrol_batch(change.seq).await?;
                let data = serde_json::json!({"kind": change.kind, "id": change.record_id, "accepted": points.len(), "bbox": change.bbox});
                self.update_index(|ix| ix.tracks.append(&members, &points));
                self.publish(
                    "patrol",
                    LiveEvent {
                        change,
                        data,
                        grid: None,
                    },
                );
                n += 1;
            } else {
                self.mark_applied(change.seq);
            }
        }
        Ok(n)
    }

    /// After a committed write: update caches and tell live listeners.
    pub fn publish(&self, layer: &str, event: LiveEvent) {
        if !self.mark_applied(event.change.seq) {
            return;
        }
        let b = event.change.bbox;
        self.tiles.invalidate(
            layer,
            &BBox {
                min_lon: b[0],
                min_lat: b[1],
                max_lon: b[2],
                max_lat: b[3],
            },
        );
        // No listeners is fine.
        let _ = self.events.send(event);
    }
}

/// A built application, bound and ready to run.
pub struct App {
    /// shared state
    pub state: Arc<AppState>,
    listener: TcpListener,
    config: AppConfig,
}

impl App {
    /// Opens and migrates the store and binds the listener. Errors are one line for the CLI.
    pub async fn build(config: AppConfig) -> anyhow::Result<App> {
        let store = store::open(&config.store_url).await?;
        store.migrate().await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        let (events, _) = broadcast::channel(1024);
        let state = Arc::new(AppState {
            store,
            index: RwLock::new(SpatialIndex::build(Dataset::default())),
            ready: AtomicBool::new(false),
            tiles: TileCache::new(config.tile_cache_bytes),
            events,
            metrics: Default::default(),
            limiter: Default::default(),
            shutdown: broadcast::channel(1).0,
            applied: Default::default(),
        });
        Ok(App {
            state,
            listener,
            config,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Seeds (if asked), loads the index, then serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state.clone();
        let config = self.config.clone();
        let loader = tokio::spawn(async move {
            if let Err(e) = prepare(&state, &config).await {
                tracing::error!(error = %e, "loading the store failed; /readyz stays 503");
                return;
            }
            tokio::spawn(escalation_loop(state.clone()));
            // Other instances sharing a PostGIS store wake us through LISTEN/NOTIFY.
            if let Some(mut wake) = state.store.listen().await {
                while wake.recv().await.is_some() {
                    match state.catch_up().await {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::debug!(changes = n, "applied changes from other instances")
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "catching up on changes failed; will retry on the next wake-up")
                        }
                    }
                }
            }
        });
        let router = crate::http::router(self.state.clone());
        let sse_stop = self.state.shutdown.clone();
        let res = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: closing live streams, finishing requests");
            let _ = sse_stop.send(());
        })
        .await;
        loader.abort();
        res.map_err(Into::into)
    }
}

/// Seeds the demo into an empty store when asked, then loads the index.
async fn prepare(state: &AppState, config: &AppConfig) -> anyhow::Result<()> {
    let store = &state.store;
    if config.demo && store.is_empty().await? {
        let now = config.demo_now.unwrap_or_else(Utc::now);
        let t = std::time::Instant::now();
        let data = tokio::task::spawn_blocking(move || crate::demo::generate(now)).await?;
        store.seed(&data).await?;
        seed_demo_accounts(store.as_ref(), &data).await?;
        store.set_meta("demo", "清城区").await?;
        tracing::info!(
            areas = data.areas.len(),
            incidents = data.incidents.len(),
            people = data.people.len(),
            patrol_points = data.patrol_points.len(),
            ms = t.elapsed().as_millis() as u64,
            "seeded the demo district"
        );
    }
    let t = std::time::Instant::now();
    let data = store.load().await?;
    let read_ms = t.elapsed().as_millis() as u64;
    let index = tokio::task::spawn_blocking(move || SpatialIndex::build(data)).await?;
    let grids = index
        .areas
        .entries
        .iter()
        .filter(|e| e.area.level() == Level::Grid)
        .count();
    tracing::info!(
        grids,
        hazards = index.hazards.len(),
        incidents = index.incidents.len(),
        read_ms,
        ms = t.elapsed().as_millis() as u64,
        "index loaded"
    );
    let last = store.last_change().await?;
    // Everything up to `last` is in the index already: remember the recent window as applied.
    let recent = store
        .changes_since((last - CATCH_UP_WINDOW).max(0), CATCH_UP_WINDOW)
        .await?;
    *state.index.write().unwrap_or_else(|p| p.into_inner()) = index;
    {
        let mut a = state.applied.lock().unwrap_or_else(|p| p.into_inner());
        a.max = last;
        a.seen.extend(recent.iter().map(|c| c.seq));
    }
    state.ready.store(true, Ordering::Release);
    if store.meta("demo").await?.is_some() {
        tracing::info!(
            "demo accounts: admin, zhihui (指挥中心), wangge (网格员), fangxun (防汛); password: {DEMO_PASSWORD}"
        );
    }
    Ok(())
}

async fn seed_demo_accounts(store: &dyn Store, data: &Dataset) -> anyhow::Result<()> {
    let (lon, lat) = crate::demo::WANGGE_POINT;
    let index = SpatialIndex::build(Dataset {
        areas: data.areas.clone(),
        ..Dataset::default()
    });
    let wangge_grid = index
        .grid_code_at(lon, lat)
        .ok_or_else(|| anyhow::anyhow!("demo has no grid at the wangge point"))?;
    let hash = password::hash(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!(e))?;
    for (name, role, area) in [
        ("admin", "admin", crate::demo::DISTRICT_CODE.to_owned()),
        ("zhihui", "command", crate::demo::DISTRICT_CODE.to_owned()),
        ("wangge", "grid", wangge_grid),
        ("fangxun", "flood", crate::demo::DISTRICT_CODE.to_owned()),
    ] {
        store
            .put_user(&UserRecord {
                username: name.into(),
                password_hash: hash.clone(),
                role: role.into(),
                areas: vec![area],
                failed_logins: 0,
                locked_until: None,
            })
            .await?;
    }
    Ok(())
}

/// Every minute, escalates (上报上级) open incidents that just passed their deadline.
async fn escalation_loop(state: Arc<AppState>) {
    let mut done: std::collections::HashSet<String> = Default::default();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = Utc::now();
        let due: Vec<crate::domain::Incident> = state
            .index()
            .incidents
            .items
            .iter()
            .filter(|i| {
                crate::domain::incident::due_for_escalation(i, now) && !done.contains(&i.id)
            })
            .cloned()
            .collect();
        for inc in due {
            done.insert(inc.id.clone());
            match escalate(&state, inc).await {
                Ok(()) => {}
                // Another instance escalated it first, or it changed meanwhile: fine.
                Err(crate::store::StoreError::Conflict(_)) => {}
                Err(e) => tracing::warn!(error = %e, "automatic escalation failed"),
            }
        }
    }
}

async fn escalate(
    state: &AppState,
    mut inc: crate::domain::Incident,
) -> Result<(), crate::store::StoreError> {
    if state
        .store
        .incident_history(&inc.id)
        .await?
        .iter()
        .any(|h| h.action == "escalate")
    {
        return Ok(());
    }
    let note = "超期未办结，系统自动上报上级";
    let change = state
        .store
        .apply_incident_action(
            &inc.id,
            inc.version,
            inc.status.as_str(),
            "system",
            "escalate",
            note,
            (inc.lon, inc.lat),
        )
        .await?;
    inc.version += 1;
    let data = serde_json::json!({"kind": change.kind, "id": inc.id, "lon": inc.lon, "lat": inc.lat, "grid": inc.grid,
        "category": crate::domain::incident::category_name(&inc.category), "status": inc.status.as_str(), "action": "escalate"});
    let grid = inc.grid.clone();
    state.update_index(|ix| {
        ix.upsert_incident(inc);
    });
    state.publish("incidents", LiveEvent { change, data, grid });
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
