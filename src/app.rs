//! `App::build(config)`: open and migrate the store, bind the listener; `run`
//! seeds (if asked), loads the index and serves until SIGTERM/Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;

use crate::auth::password;
use crate::domain::{Dataset, Level};
pub use crate::service::{AppState, LiveEvent};
use crate::spatial::SpatialIndex;
use crate::store::{self, Store, UserRecord};

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
    /// proxies whose `X-Forwarded-*` headers are believed
    pub trust_proxy: Vec<std::net::IpAddr>,
    /// a request's headers must arrive within this (also the keep-alive idle limit)
    pub header_read_timeout: std::time::Duration,
    /// most open connections from one client address
    pub max_connections_per_address: usize,
    /// `--basemap`: a .pmtiles/.mbtiles path or XYZ URL template(s); `None` = offline outline
    pub basemap: Option<String>,
    /// `--tls-cert`, `--tls-key`: serve HTTPS directly
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// `--live-days`: closed cases older than this are read from the store,
    /// not held in memory (`None`: every case in memory)
    pub live_days: Option<u32>,
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
            trust_proxy: Vec::new(),
            header_read_timeout: std::time::Duration::from_secs(10),
            max_connections_per_address: 256,
            basemap: None,
            tls: None,
            live_days: Some(90),
        }
    }
}

/// A built application, bound and ready to run.
pub struct App {
    /// shared state
    pub state: Arc<AppState>,
    listener: TcpListener,
    config: AppConfig,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl App {
    /// Opens and migrates the store and binds the listener. Errors are one line for the CLI.
    pub async fn build(config: AppConfig) -> anyhow::Result<App> {
        // A base map that cannot be read stops the start with one clear line.
        let basemap = crate::basemap::Basemap::open(config.basemap.as_deref()).await?;
        let tls = match &config.tls {
            Some((cert, key)) => Some(crate::tls::acceptor(cert, key)?),
            None => None,
        };
        let store = store::open(&config.store_url).await?;
        store.migrate().await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        let net = crate::service::Net {
            local_addr: listener.local_addr()?,
            tls: tls.is_some(),
            trusted_proxies: config.trust_proxy.clone(),
        };
        let state =
            Arc::new(AppState::new(store, config.tile_cache_bytes, net).with_basemap(basemap));
        Ok(App {
            state,
            listener,
            config,
            tls,
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
            tokio::spawn(crate::service::escalation_loop(state.clone()));
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
        let limits = Limits::from(&self.config);
        let res = serve(
            self.listener,
            self.tls,
            router,
            limits,
            self.state.shutdown.clone(),
            shutdown,
        )
        .await;
        loader.abort();
        res
    }
}

/// Connection limits of the accept loop.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read: std::time::Duration,
    per_address: usize,
    grace: std::time::Duration,
}

impl From<&AppConfig> for Limits {
    fn from(c: &AppConfig) -> Limits {
        Limits {
            header_read: c.header_read_timeout,
            per_address: c.max_connections_per_address,
            grace: GRACE,
        }
    }
}

/// How long in-flight requests get after SIGTERM before the rest are aborted
/// (the contract allows 10 s for the whole exit).
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(8);

/// Open connections per client address; a slot is given back when its connection ends.
#[derive(Default)]
struct PerAddress(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

struct Slot(Arc<PerAddress>, std::net::IpAddr);

impl PerAddress {
    fn take(self: &Arc<Self>, ip: std::net::IpAddr, max: usize) -> Option<Slot> {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = g.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot(self.clone(), ip))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut g = (self.0).0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = g.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                g.remove(&self.1);
            }
        }
    }
}

/// The accept loop: HTTP/1.1 with a header-read timeout (which also closes
/// idle keep-alive connections and half-sent requests), a cap on connections
/// per address, and on shutdown: stop accepting, close live streams, give
/// in-flight requests [`GRACE`], then return whatever still runs.
async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: axum::Router,
    limits: Limits,
    sse_stop: tokio::sync::broadcast::Sender<()>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(PerAddress::default());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(slot) = open.take(peer.ip(), limits.per_address) else {
            tracing::debug!(%peer, "too many connections from this address; closed");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let svc =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(req)
            });
        let http = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read)
            .clone();
        let Some(acceptor) = tls.clone() else {
            let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), svc));
            tokio::spawn(async move {
                let _ = conn.await;
                drop(slot);
            });
            continue;
        };
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // The handshake gets the same time as a request's headers.
            match tokio::time::timeout(limits.header_read, acceptor.accept(stream)).await {
                Ok(Ok(tls_stream)) => {
                    let _ = watcher
                        .watch(http.serve_connection(TokioIo::new(tls_stream), svc))
                        .await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: closing live streams, finishing requests");
    let _ = sse_stop.send(());
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all requests finished"),
        _ = tokio::time::sleep(limits.grace) => {
            tracing::warn!(grace_s = limits.grace.as_secs(), "requests still running after the grace period are aborted")
        }
    }
    Ok(())
}

/// Seeds the demo into an empty store when asked, then loads the index.
async fn prepare(state: &AppState, config: &AppConfig) -> anyhow::Result<()> {
    let store = &state.store;
    if config.demo && store.is_empty().await? {
        let now = config.demo_now.unwrap_or_else(Utc::now);
        let t = std::time::Instant::now();
        let data = tokio::task::spawn_blocking(move || crate::demo::generate(now)).await?;
        store.seed(&data).await?;
        seed_demo_accounts(store.as_ref(), &data, now).await?;
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
    // The last change is read before the records: a change another instance
    // writes while we load is then after `last` and is applied by the first
    // catch-up (applying one twice is harmless). Read after the load, such a
    // change counted as applied without being in the index, and this
    // instance kept the old record for good.
    let last = store.last_change().await?;
    // The live window starts `live_days` before now, once, at load: cases that
    // become history later stay held but are answered by the store from then on.
    let before = config
        .live_days
        .map(|d| Utc::now() - chrono::Duration::days(i64::from(d)));
    let data = store.load_live(before).await?;
    let read_ms = t.elapsed().as_millis() as u64;
    let index = tokio::task::spawn_blocking(move || SpatialIndex::build_live(data, before)).await?;
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
    // Everything up to `last` is in the index already: remember the recent window as applied.
    let window = crate::service::CATCH_UP_WINDOW;
    let recent = store.changes_since((last - window).max(0), window).await?;
    state.load_warnings().await?;
    state.install_index(index, last, &recent);
    if store.meta("demo").await?.is_some() {
        tracing::info!(
            "demo accounts: admin, zhihui (指挥中心), wangge (网格员), fangxun (防汛), qunzhong (群众); password: {DEMO_PASSWORD}"
        );
    }
    Ok(())
}

/// The public demo account's own reports: (category, description, offset from the wangge point, hours ago).
const QUNZHONG_REPORTS: [(&str, &str, (f64, f64), i64); 3] = [
    (
        "pollution",
        "小区门口垃圾堆放三天无人清运，气味很大",
        (0.0012, 0.0008),
        5,
    ),
    (
        "safety",
        "人行道井盖松动，晚上有人差点踩空",
        (-0.0009, 0.0011),
        26,
    ),
    (
        "livelihood",
        "路灯坏了一周，晚上回家很黑",
        (0.0015, -0.0013),
        50,
    ),
];

async fn seed_demo_accounts(
    store: &dyn Store,
    data: &Dataset,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
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
        (
            "admin",
            "admin",
            Some(crate::demo::DISTRICT_CODE.to_owned()),
        ),
        (
            "zhihui",
            "command",
            Some(crate::demo::DISTRICT_CODE.to_owned()),
        ),
        ("wangge", "grid", Some(wangge_grid)),
        (
            "fangxun",
            "flood",
            Some(crate::demo::DISTRICT_CODE.to_owned()),
        ),
        ("qunzhong", "public", None),
    ] {
        store
            .put_user(&UserRecord {
                username: name.into(),
                password_hash: hash.clone(),
                role: role.into(),
                areas: area.into_iter().collect(),
                failed_logins: 0,
                locked_until: None,
            })
            .await?;
    }
    for (k, (category, description, (dx, dy), hours)) in QUNZHONG_REPORTS.iter().enumerate() {
        let category = crate::domain::incident::category_code(category).unwrap_or("livelihood");
        let (lon, lat) = (lon + dx, lat + dy);
        let reported_at = now - chrono::Duration::hours(*hours);
        let incident = crate::domain::Incident {
            id: format!("SJDEMO-QZ{k:03}"),
            category: category.to_owned(),
            source: "群众上报".into(),
            description: (*description).to_owned(),
            lon,
            lat,
            grid: index.grid_code_at(lon, lat),
            status: crate::domain::IncidentStatus::Reported,
            reported_at,
            deadline: crate::domain::incident::deadline_for(category, reported_at),
            version: 1,
            reporter: Some("qunzhong".into()),
        };
        store.create_incident(&incident, "qunzhong").await?;
    }
    seed_demo_visits(store, data, &index, now).await
}

/// The visit history of the demo grid head's people (some overdue).
async fn seed_demo_visits(
    store: &dyn Store,
    data: &Dataset,
    areas: &SpatialIndex,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (lon, lat) = crate::demo::WANGGE_POINT;
    let grid = areas
        .grid_code_at(lon, lat)
        .ok_or_else(|| anyhow::anyhow!("demo has no grid at the wangge point"))?;
    let people: Vec<&crate::domain::Person> = data
        .people
        .iter()
        .filter(|p| areas.grid_code_at(p.lon, p.lat).as_deref() == Some(grid.as_str()))
        .collect();
    let schedule = store.visit_schedule().await?;
    for v in crate::demo::visits::history(&people, &grid, "wangge", &schedule, now) {
        let at = people
            .iter()
            .find(|p| p.id == v.person)
            .map_or((lon, lat), |p| (p.lon, p.lat));
        store.record_visit(&v, at).await?;
    }
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
