//! The service layer between the HTTP handlers and the store + index: shared
//! state, the one write path (store → index → tile cache → one live event),
//! catching up on other instances' writes, and answers that depend on the
//! caller's rights but not on HTTP (protected people counts).

pub mod accounts;
pub mod area;
pub mod case;
pub mod history;
pub mod imports;
pub mod incidents;
pub mod limit;
pub mod metrics;
pub mod patrol;
pub mod photos;
pub mod stats;
pub mod visits;
pub mod warnings;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::auth::Principal;
use crate::auth::policy::{self, Kind, PeopleCounts};
use crate::auth::suppress::{self, Protected};
use crate::domain::{Incident, Layer, Warning};
use crate::spatial::{BBox, SpatialIndex};
use crate::store::{Change, Store};
use crate::tiles::cache::TileCache;
use crate::views::{IncidentChangeView, IncidentView};

/// A change pushed to live listeners. Built only by its constructors, so live
/// delivery and replay send the same payload and are filtered by the same rule.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// the change-log entry
    pub change: Change,
    /// the kind of record (decides who may receive it)
    pub kind: Kind,
    /// the map layer whose tiles it makes stale, if any
    pub layer: Option<Layer>,
    /// JSON payload
    pub data: Value,
    /// grids the record belongs to or touches (empty: the district's own)
    pub grids: Vec<String>,
    /// the account that created the record (a public reporter's own cases)
    pub owner: Option<String>,
}

impl LiveEvent {
    /// An incident created or changed (`action`: the workflow step, if any).
    /// The payload is the feed's [`IncidentChangeView`], so a live entry names
    /// the street, grid and category exactly as `GET /api/incidents/recent` does.
    pub fn incident(
        change: Change,
        i: &Incident,
        action: Option<&str>,
        index: &SpatialIndex,
    ) -> LiveEvent {
        let view = IncidentChangeView {
            kind: if change.kind == "incident.created" {
                "incident.created"
            } else {
                "incident.updated"
            },
            at: crate::domain::incident::to_shanghai(change.at),
            action: action.map(str::to_owned),
            by: None,
            to: Some(i.status.as_str().to_owned()),
            incident: IncidentView::of(i, Utc::now()).named(index),
        };
        let mut data = crate::views::to_value(&view);
        // The log's own kind (an import's `incident.imported` stays what it was).
        data["kind"] = json!(change.kind);
        LiveEvent {
            kind: Kind::Incidents,
            layer: Some(Layer::Incidents),
            data,
            grids: i.grid.iter().cloned().collect(),
            owner: i.reporter.clone(),
            change,
        }
    }

    /// A warning issued or changed, for the staff of the grids it touches.
    pub fn warning(
        change: Change,
        w: &Warning,
        grids: Vec<String>,
        now: chrono::DateTime<Utc>,
    ) -> LiveEvent {
        let action = w
            .history
            .last()
            .map(|e| e.action.as_str())
            .unwrap_or("issue");
        LiveEvent {
            kind: Kind::Warnings,
            layer: None,
            data: json!({"kind": change.kind, "id": w.id, "name": w.name, "level": w.level.as_str(),
                         "status": w.status(now), "action": action, "bbox": change.bbox}),
            grids,
            owner: None,
            change,
        }
    }

    /// A visit recorded to person `id` of `grid`: names the record, nothing of
    /// its content, for those who may read the grid's visits.
    pub fn visit(change: Change, id: &str, grid: Option<String>) -> LiveEvent {
        LiveEvent {
            kind: Kind::Visits,
            layer: None,
            data: json!({"kind": change.kind, "id": id, "grid": grid}),
            grids: grid.into_iter().collect(),
            owner: None,
            change,
        }
    }

    /// The visit schedule changed (due dates moved across the district).
    pub fn rescheduled(change: Change) -> LiveEvent {
        LiveEvent {
            kind: Kind::Visits,
            layer: None,
            data: json!({"kind": change.kind, "id": change.record_id}),
            grids: vec![],
            owner: None,
            change,
        }
    }

    /// Any other change (patrol batches, imports): kind, id and the box it touched.
    pub fn other(change: Change, layer: Layer) -> LiveEvent {
        LiveEvent {
            kind: policy::kind_of(layer),
            layer: Some(layer),
            data: json!({"kind": change.kind, "id": change.record_id, "bbox": change.bbox}),
            grids: vec![],
            owner: None,
            change,
        }
    }

    /// An import batch: kind, first id, how many records and the box they
    /// span, for those who may read the layer in one of `grids` (the grids
    /// the records lie in; empty for layers read district-wide).
    pub fn import(change: Change, layer: Layer, grids: Vec<String>, count: usize) -> LiveEvent {
        LiveEvent {
            kind: policy::kind_of(layer),
            layer: Some(layer),
            data: json!({"kind": change.kind, "id": change.record_id, "count": count, "bbox": change.bbox}),
            grids,
            owner: None,
            change,
        }
    }

    /// True when `who` may receive this event (the policy's read rule of its kind).
    pub fn visible_to(&self, who: &Principal) -> bool {
        let scope = policy::read(Some(who), self.kind);
        if self.grids.is_empty() {
            scope.allows(None, self.owner.as_deref())
        } else {
            self.grids
                .iter()
                .any(|g| scope.allows(Some(g), self.owner.as_deref()))
        }
    }
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
    pub metrics: metrics::Metrics,
    /// login and intake rate limiting
    pub limiter: limit::RateLimiter,
    /// failed sign-ins per (name, address)
    pub logins: limit::LoginGuard,
    /// fires once when the server starts shutting down (closes SSE streams)
    pub shutdown: broadcast::Sender<()>,
    /// change numbers already applied to this instance's index
    applied: Mutex<Applied>,
    /// protected people counts per rights scope (cleared when the index is replaced)
    people_counts: Mutex<HashMap<String, Arc<Protected>>>,
    /// how the server is reached
    net: Net,
    /// the bounded pool for CPU-heavy work
    heavy: Heavy,
    /// warning areas, all of them (few), newest state
    warnings: RwLock<Vec<Warning>>,
    /// the base map under the layers (`--basemap`)
    pub basemap: crate::basemap::Basemap,
    /// the grid topology check's problems, computed when first asked after
    /// the areas changed (`None`: not yet)
    topology: Mutex<Option<Arc<Vec<crate::import::topology::Problem>>>>,
    /// handling timings of every case, for the statistics
    pub timings: case::TimingCache,
}

/// CPU-heavy work (polygon checks, big queries, exports, low-zoom tiles)
/// runs on the blocking pool, at most `permits` at once so a core stays free
/// for health checks and cached answers; a few more wait; beyond that, 503.
struct Heavy {
    permits: Arc<tokio::sync::Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
}

/// Heavy requests that may wait for a turn before the next gets 503.
pub const HEAVY_QUEUE: usize = 32;
/// How long a heavy request waits for its turn before it gets 503.
pub const HEAVY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

impl Heavy {
    fn new() -> Heavy {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Heavy {
            permits: Arc::new(tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))),
            waiting: Default::default(),
        }
    }
}

/// How the server is reached: its address, TLS, and the proxies it trusts.
#[derive(Debug, Clone)]
pub struct Net {
    /// the bound address (the host of handed-out URLs when a request names none)
    pub local_addr: std::net::SocketAddr,
    /// served over TLS directly
    pub tls: bool,
    /// proxies whose `X-Forwarded-*` headers count (`--trust-proxy`)
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Net {
    fn default() -> Net {
        Net {
            local_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: false,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Which change numbers this instance has applied. Numbers can commit out of
/// order across instances, so a window below the highest is re-checked.
#[derive(Debug, Default)]
struct Applied {
    max: i64,
    seen: std::collections::BTreeSet<i64>,
}

/// How far below the highest applied change a catch-up looks again.
pub const CATCH_UP_WINDOW: i64 = 1000;

impl AppState {
    /// Fresh state over a store, with an empty index (not ready).
    pub fn new(store: Arc<dyn Store>, tile_cache_bytes: usize, net: Net) -> AppState {
        AppState {
            store,
            index: RwLock::new(SpatialIndex::build(crate::domain::Dataset::default())),
            ready: AtomicBool::new(false),
            tiles: TileCache::new(tile_cache_bytes),
            events: broadcast::channel(1024).0,
            metrics: Default::default(),
            limiter: Default::default(),
            logins: Default::default(),
            shutdown: broadcast::channel(1).0,
            applied: Default::default(),
            people_counts: Default::default(),
            net,
            heavy: Heavy::new(),
            warnings: Default::default(),
            basemap: crate::basemap::Basemap::Offline,
            topology: Default::default(),
            timings: Default::default(),
        }
    }

    /// The same state with a base map other than the offline outline.
    pub fn with_basemap(self, basemap: crate::basemap::Basemap) -> AppState {
        AppState { basemap, ..self }
    }

    /// Every warning as it stands.
    pub fn warnings(&self) -> Vec<Warning> {
        self.warnings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// One warning.
    pub fn warning(&self, id: &str) -> Option<Warning> {
        self.warnings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|w| w.id == id)
            .cloned()
    }

    /// Replaces (or adds) a warning after the store committed it.
    pub fn put_warning(&self, w: Warning) {
        let mut g = self.warnings.write().unwrap_or_else(|p| p.into_inner());
        match g.iter_mut().find(|x| x.id == w.id) {
            Some(slot) => *slot = w,
            None => g.push(w),
        }
    }

    /// Loads the stored warnings (start-up).
    pub async fn load_warnings(&self) -> anyhow::Result<()> {
        let mut all = Vec::new();
        for body in self.store.warnings().await? {
            match serde_json::from_str::<Warning>(&body) {
                Ok(w) => all.push(w),
                Err(e) => tracing::warn!(error = %e, "a stored warning does not parse; skipped"),
            }
        }
        *self.warnings.write().unwrap_or_else(|p| p.into_inner()) = all;
        Ok(())
    }

    /// Runs CPU-heavy `work` off the async workers, in the bounded pool.
    /// Answers 503 with `Retry-After` when too many already wait.
    pub async fn heavy<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, crate::error::AppError> {
        let busy = || {
            crate::error::AppError::Busy(
                "the server is busy with heavy requests; retry shortly".into(),
                2,
            )
        };
        let h = &self.heavy;
        if h.waiting.fetch_add(1, Ordering::AcqRel) >= HEAVY_QUEUE {
            h.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(busy());
        }
        let permit = tokio::time::timeout(HEAVY_WAIT, h.permits.clone().acquire_owned()).await;
        h.waiting.fetch_sub(1, Ordering::AcqRel);
        let permit = permit.map_err(|_| busy())?.map_err(|_| busy())?;
        tokio::task::spawn_blocking(move || {
            let _held = permit;
            work()
        })
        .await
        .map_err(|e| crate::error::AppError::Internal(format!("heavy work: {e}")))
    }

    /// True when `ip` is a proxy named by `--trust-proxy`.
    pub fn trusts_proxy(&self, ip: std::net::IpAddr) -> bool {
        self.net.trusted_proxies.contains(&ip)
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.net.local_addr
    }

    /// True when this server terminates TLS itself.
    pub fn serves_tls(&self) -> bool {
        self.net.tls
    }

    /// The index for reading. Never hold the guard across an `.await`.
    pub fn index(&self) -> RwLockReadGuard<'_, SpatialIndex> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The grid topology problems of the areas as they stand (computed once
    /// after every change of the areas: call it from the heavy pool).
    pub fn topology(&self) -> Arc<Vec<crate::import::topology::Problem>> {
        if let Some(p) = self
            .topology
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return p.clone();
        }
        let areas: Vec<crate::domain::Area> = self
            .index()
            .areas
            .entries
            .iter()
            .map(|e| e.area.clone())
            .collect();
        let problems = Arc::new(crate::import::topology::check(
            &areas,
            crate::import::topology::SLIVER_M2,
        ));
        *self.topology.lock().unwrap_or_else(|p| p.into_inner()) = Some(problems.clone());
        problems
    }

    /// Forgets the topology problems (the areas changed).
    fn forget_topology(&self) {
        *self.topology.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Replaces the whole index (start-up) and marks the changes up to `last` applied.
    ///
    /// `last` is the last change the index holds (read before the records);
    /// of `recent`, only the changes up to it count as applied. A later one
    /// in the list (another instance wrote while we loaded) is left for the
    /// first catch-up: counted as applied, it was never applied at all.
    pub fn install_index(&self, index: SpatialIndex, last: i64, recent: &[Change]) {
        self.forget_topology();
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = index;
        self.people_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        {
            let mut a = self.applied.lock().unwrap_or_else(|p| p.into_inner());
            a.max = last;
            a.seen
                .extend(recent.iter().map(|c| c.seq).filter(|s| *s <= last));
        }
        self.ready.store(true, Ordering::Release);
    }

    /// True once the index is loaded.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Fails with 503 until the index is loaded.
    pub fn ready(&self) -> Result<(), crate::error::AppError> {
        if self.is_ready() {
            Ok(())
        } else {
            Err(crate::error::AppError::Unavailable(
                "the index is still loading; retry shortly".into(),
            ))
        }
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

    /// The one write path after the store committed: apply the change to the
    /// index, drop the tiles it touched, tell live listeners. A change this
    /// instance already applied (another instance's, seen twice) is skipped.
    pub fn commit(&self, event: LiveEvent, apply: impl FnOnce(&mut SpatialIndex)) {
        let b = event.change.bbox;
        let whole = BBox {
            min_lon: b[0],
            min_lat: b[1],
            max_lon: b[2],
            max_lat: b[3],
        };
        self.commit_stale(event, |ix| {
            apply(ix);
            vec![whole]
        });
    }

    /// [`AppState::commit`] for a change whose records lie apart (an import
    /// batch): `apply` returns the boxes that went stale, and only their tiles
    /// are dropped, not every tile under the batch's overall box.
    pub fn commit_stale(
        &self,
        event: LiveEvent,
        apply: impl FnOnce(&mut SpatialIndex) -> Vec<BBox>,
    ) {
        if !self.mark_applied(event.change.seq) {
            return;
        }
        let stale = {
            let mut g = self.index.write().unwrap_or_else(|p| p.into_inner());
            apply(&mut g)
        };
        if let Some(layer) = event.layer {
            self.tiles.invalidate_all(layer.as_str(), &stale);
        }
        // No listeners is fine.
        let _ = self.events.send(event);
    }

    /// The live event of a logged change as it stands now (for replay), or
    /// `None` when the change names nothing a listener can be told of.
    pub fn replay_event(&self, change: Change) -> Option<LiveEvent> {
        if change.kind.starts_with("warning.") {
            let w = self.warning(&change.record_id)?;
            let grids = warnings::touched_grids(&self.index(), &w);
            return Some(LiveEvent::warning(change, &w, grids, Utc::now()));
        }
        if let Some(layer) = imports::import_layer(&change.kind) {
            return Some(imports::replay(&self.index(), change, layer));
        }
        match change.kind.as_str() {
            "person.visited" => {
                let grid = {
                    let index = self.index();
                    index
                        .people
                        .position(&change.record_id)
                        .and_then(|i| visits::person_grid(&index, i).map(str::to_owned))
                };
                let id = change.record_id.clone();
                return Some(LiveEvent::visit(change, &id, grid));
            }
            "people.rescheduled" => return Some(LiveEvent::rescheduled(change)),
            _ => {}
        }
        let layer = Layer::of_change(&change.kind)?;
        if layer == Layer::Incidents {
            let index = self.index();
            let i = index.incidents.get(&change.record_id)?;
            return Some(LiveEvent::incident(change, i, None, &index));
        }
        Some(LiveEvent::other(change, layer))
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
            if change.kind.starts_with("warning.") {
                if let Some(body) = self.store.warning(&change.record_id).await?
                    && let Ok(w) = serde_json::from_str::<Warning>(&body)
                {
                    let grids = warnings::touched_grids(&self.index(), &w);
                    let event = LiveEvent::warning(change, &w, grids, Utc::now());
                    self.commit(event, |_| {});
                    self.put_warning(w);
                    n += 1;
                }
                continue;
            }
            if self.catch_up_import(&change).await? {
                n += 1;
                continue;
            }
            match change.kind.as_str() {
                "person.visited" => {
                    visits::catch_up_visit(self, change).await?;
                    n += 1;
                    continue;
                }
                "people.rescheduled" => {
                    visits::catch_up_schedule(self, change).await?;
                    n += 1;
                    continue;
                }
                _ => {}
            }
            match Layer::of_change(&change.kind) {
                Some(Layer::Incidents) => {
                    if let Some(inc) = self.store.incident(&change.record_id).await? {
                        let event = LiveEvent::incident(change, &inc, None, &self.index());
                        self.commit(event, |ix| {
                            ix.upsert_incident(inc);
                        });
                        n += 1;
                    }
                }
                Some(Layer::Patrol) => {
                    let (members, points) = self.store.patrol_batch(change.seq).await?;
                    let event = LiveEvent::other(change, Layer::Patrol);
                    self.commit(event, |ix| ix.tracks.append(&members, &points));
                    n += 1;
                }
                _ => {
                    self.mark_applied(change.seq);
                }
            }
        }
        Ok(n)
    }

    /// People counts as `counts` may see them: exact where the caller may
    /// list the records, protected (`"<3"`, complementary suppression) elsewhere.
    /// Computed once per rights scope until the index is replaced. Takes the
    /// index the caller already holds (a second read lock could deadlock
    /// behind a waiting writer).
    pub fn people_counts(&self, index: &SpatialIndex, counts: &PeopleCounts) -> Arc<Protected> {
        let key = counts.cache_key();
        if let Some(p) = self
            .people_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return p.clone();
        }
        let protected = {
            let table = suppress::table_of(index);
            let known = |a: usize| {
                counts
                    .exact
                    .covers_area(index.areas.entries[a].area.code.as_str())
            };
            Arc::new(suppress::protect(&table, known))
        };
        self.people_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, protected.clone());
        protected
    }
}

/// Every minute, escalates (上报上级) open incidents that just passed their deadline.
pub async fn escalation_loop(state: Arc<AppState>) {
    let mut done: std::collections::HashSet<String> = Default::default();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = Utc::now();
        let due: Vec<Incident> = state
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
            match incidents::escalate(&state, inc).await {
                Ok(()) => {}
                // Another instance escalated it first, or it changed meanwhile: fine.
                Err(crate::store::StoreError::Conflict(_)) => {}
                Err(e) => tracing::warn!(error = %e, "automatic escalation failed"),
            }
        }
    }
}
