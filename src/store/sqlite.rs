//! The embedded store: SQLite in WAL mode, geometry as WKB plus a bounding box.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{
    AuditEntry, Change, HistoryEntry, HistoryFilter, KeyClaim, NewPhoto, PhotoMeta, SessionRecord,
    Store, StoreError, StoreResult, Timing, UserRecord, WarningDoc,
};
use crate::domain::visit::{ScheduleRow, Visit};
use crate::domain::{Dataset, Incident, LayerRecords};

mod map {
    crate::store::rows::row_mappers!(sqlx::sqlite::SqliteRow);
}
mod cases;
mod days;
mod keys;
mod layers;
mod patrol;
mod visits;

/// SQLite caps bound parameters per statement; rows per multi-row INSERT stay below it.
const MAX_PARAMS: usize = 30_000;

type Task<T> = tokio::task::JoinHandle<StoreResult<Vec<T>>>;

/// SQLite's placeholders and point-in-box test for history reads.
const DIALECT: super::history::Dialect = super::history::Dialect {
    placeholder: |_| "?".into(),
    in_box: |[a, b, c, d]| {
        format!("i.lon >= {a} and i.lat >= {b} and i.lon <= {c} and i.lat <= {d}")
    },
    id_bytes: "i.id",
    extra_columns: "",
};

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Binds history-query arguments in order.
fn bind_all<'q>(mut q: SqliteQuery<'q>, args: &[super::history::Arg]) -> SqliteQuery<'q> {
    use super::history::Arg;
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s.clone()),
            Arg::Time(t) => q.bind(*t),
            Arg::Real(v) => q.bind(*v),
        };
    }
    q
}

/// Reads and maps a query's rows on its own task.
fn spawn_map<T: Send + 'static>(
    pool: &SqlitePool,
    sql: impl sqlx::SqlSafeStr + Send + 'static,
    f: fn(&sqlx::sqlite::SqliteRow) -> StoreResult<T>,
) -> Task<T> {
    let pool = pool.clone();
    tokio::spawn(async move { super::map_all(sqlx::query(sql).fetch_all(&pool).await?, f) })
}

async fn join<T>(t: Task<T>) -> StoreResult<Vec<T>> {
    t.await
        .map_err(|e| StoreError::Db(format!("loading task failed: {e}")))?
}

/// The embedded SQLite store.
pub struct SqliteStore {
    pool: SqlitePool,
    path: String,
}

impl SqliteStore {
    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock at the
    /// start, so concurrent writers queue on the busy timeout. A deferred
    /// transaction that reads first (an idempotency check) and then writes
    /// must upgrade its lock, and SQLite refuses that at once with "database
    /// is locked" while another writer holds it — the 500s under concurrent
    /// reports. One writer queue in the app would also work; the lock queue
    /// already exists in SQLite and covers the CLI as well.
    async fn write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Opens (creating if missing) the database file at `path`. A file that is
    /// not an SQLite database is refused and left untouched.
    pub async fn open(path: &str) -> StoreResult<SqliteStore> {
        let url = format!("sqlite://{path}");
        let unreachable = |reason: String| StoreError::Unreachable {
            url: url.clone(),
            reason,
        };
        if path.is_empty() {
            return Err(StoreError::BadUrl(
                "sqlite:// needs a file path, e.g. sqlite://minqing-data/minqing.db".into(),
            ));
        }
        let p = Path::new(path);
        if p.is_dir() {
            return Err(unreachable("it is a directory, not a database file".into()));
        }
        if p.exists() {
            let mut head = [0u8; 16];
            let n = std::fs::File::open(p)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                .map_err(|e| unreachable(e.to_string()))?;
            if n > 0 && head[..n.min(16)] != b"SQLite format 3\0"[..n.min(16)] {
                return Err(StoreError::Foreign {
                    url,
                    reason: "the file is not an SQLite database".into(),
                });
            }
        } else if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                unreachable(format!(
                    "cannot create data directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
            .map_err(|e| StoreError::BadUrl(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a killed process; only power loss can drop the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        // Probe a write so a read-only directory fails now with a clear message.
        sqlx::query("pragma user_version")
            .execute(&pool)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        Ok(SqliteStore {
            pool,
            path: path.to_owned(),
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> StoreResult<()> {
        let tables: Vec<String> = sqlx::query_scalar(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
        )
        .fetch_all(&self.pool)
        .await?;
        if !tables.is_empty() && !tables.iter().any(|t| t == "_sqlx_migrations") {
            return Err(StoreError::Foreign {
                url: format!("sqlite://{}", self.path),
                reason: format!(
                    "it holds another application's tables ({}); not touching it",
                    tables.join(", ")
                ),
            });
        }
        sqlx::migrate!("migrations/sqlite")
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        // A store from before the aggregates: fill them once.
        if self.meta(super::history::DAYS_FILLED).await?.is_none() {
            let mut tx = self.write().await?;
            days::fill_all(&mut tx).await?;
            sqlx::query(
                "insert into meta (key, value) values (?, '1') on conflict (key) do nothing",
            )
            .bind(super::history::DAYS_FILLED)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("select count(*) from areas")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }

    async fn seed(&self, d: &Dataset) -> StoreResult<()> {
        let mut tx = self.write().await?;
        layers::areas(&mut tx, &d.areas).await?;
        layers::shelters(&mut tx, &d.shelters).await?;
        layers::hazards(&mut tx, &d.hazards).await?;
        layers::places(&mut tx, &d.places).await?;
        layers::incidents(&mut tx, &d.incidents).await?;
        layers::steps(&mut tx, &d.steps).await?;
        layers::people(&mut tx, &d.people).await?;
        layers::patrol(&mut tx, d).await?;
        days::fill_all(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn history_page(
        &self,
        filter: &HistoryFilter,
        limit: i64,
    ) -> StoreResult<(Vec<Incident>, u64)> {
        let ((rows, count), args) = super::history::page_sql(filter, &DIALECT, limit);
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(rows)), &args)
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = sqlx::Row::try_get(
            &bind_all(sqlx::query(sqlx::AssertSqlSafe(count)), &args)
                .fetch_one(&self.pool)
                .await?,
            0,
        )?;
        Ok((super::map_all(rows, map::incident)?, total.max(0) as u64))
    }

    async fn history_counts(
        &self,
        filter: &HistoryFilter,
    ) -> StoreResult<Vec<(String, String, i64)>> {
        let (sql, args) = super::history::counts_sql(filter, &DIALECT);
        bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &args)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                use sqlx::Row;
                Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
            })
            .collect()
    }

    async fn history_timed(
        &self,
        filter: &HistoryFilter,
        settled_since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<(Incident, Timing)>> {
        let (sql, args) = super::history::timed_sql(filter, &DIALECT, settled_since);
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &args)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((map::incident(r)?, map::timing(r)?)))
            .collect()
    }

    async fn history_days(&self, q: &super::DaysQuery) -> StoreResult<Vec<super::DayRow>> {
        let Some((sql, args)) = super::history::days_sql(q, &DIALECT) else {
            return Ok(Vec::new());
        };
        let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &args);
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(sqlx::FromRow::from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn load_live(&self, before: Option<DateTime<Utc>>) -> StoreResult<Dataset> {
        // Tables are read and decoded in parallel tasks (WAL allows concurrent readers).
        let areas = spawn_map(
            &self.pool,
            "select * from areas order by length(code), code",
            map::area,
        );
        let hazards = spawn_map(&self.pool, "select * from hazards order by id", map::hazard);
        let shelters = spawn_map(
            &self.pool,
            "select * from shelters order by id",
            map::shelter,
        );
        let places = spawn_map(&self.pool, "select * from places order by id", map::place);
        let incidents = spawn_map(
            &self.pool,
            sqlx::AssertSqlSafe(format!(
                "select * from incidents i where {} order by reported_at, id",
                super::history::live_condition(before, "")
            )),
            map::incident,
        );
        let people = spawn_map(&self.pool, "select * from people order by id", map::person);
        let members = spawn_map(
            &self.pool,
            "select id, name, team from patrol_members order by id",
            map::member,
        );
        let points = spawn_map(
            &self.pool,
            sqlx::AssertSqlSafe(format!(
                "select member_id, t, lon, lat from patrol_points where {}",
                super::history::live_patrol(before, "")
            )),
            |r| {
                use sqlx::Row;
                Ok((
                    r.try_get::<String, _>("member_id")?,
                    r.try_get("t")?,
                    r.try_get("lon")?,
                    r.try_get("lat")?,
                ))
            },
        );
        let members = join(members).await?;
        let member_idx: std::collections::HashMap<&str, u32> = members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.as_str(), i as u32))
            .collect();
        let patrol_points = join(points)
            .await?
            .into_iter()
            .filter_map(|(m, time, lon, lat)| {
                member_idx
                    .get(m.as_str())
                    .map(|&member| crate::domain::PatrolPoint {
                        member,
                        time,
                        lon,
                        lat,
                    })
            })
            .collect();
        Ok(Dataset {
            areas: join(areas).await?,
            hazards: join(hazards).await?,
            shelters: join(shelters).await?,
            places: join(places).await?,
            incidents: join(incidents).await?,
            people: join(people).await?,
            patrol_points,
            members,
            steps: Vec::new(),
        })
    }

    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("select value from meta where key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query("insert into meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_incident(&self, i: &Incident, actor: &str) -> StoreResult<Change> {
        let mut tx = self.write().await?;
        sqlx::query("insert into incidents (id, category, source, description, grid, status, reported_at, deadline, version, lon, lat, reporter) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&i.id).bind(&i.category).bind(&i.source).bind(&i.description).bind(&i.grid).bind(i.status.as_str())
            .bind(i.reported_at).bind(i.deadline).bind(i.version).bind(i.lon).bind(i.lat).bind(&i.reporter)
            .execute(&mut *tx).await?;
        sqlx::query("insert into incident_history (incident_id, at, actor, action, status, note) values (?, ?, ?, 'report', ?, '')")
            .bind(&i.id).bind(i.reported_at).bind(actor).bind(i.status.as_str()).execute(&mut *tx).await?;
        if crate::domain::incident::FINAL_STATUSES.contains(&i.status) {
            let key = super::DayKey::of(i.grid.as_deref(), &i.category, i.reported_at);
            days::refresh(&mut tx, &[key].into()).await?;
        }
        let change = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (?, 'incident.created', ?, ?, ?, ?, ?) returning *")
            .bind(Utc::now()).bind(&i.id).bind(i.lon).bind(i.lat).bind(i.lon).bind(i.lat)
            .fetch_one(&mut *tx).await?;
        let change = map::change(&change)?;
        tx.commit().await?;
        Ok(change)
    }

    async fn put_warning(
        &self,
        doc: &WarningDoc<'_>,
        expected: Option<i64>,
        kind: &str,
    ) -> StoreResult<Change> {
        let mut tx = self.write().await?;
        match expected {
            None => {
                sqlx::query(
                    "insert into warnings (id, body, version, updated_at) values (?, ?, ?, ?)",
                )
                .bind(doc.id)
                .bind(doc.body)
                .bind(doc.version)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
            }
            Some(v) => {
                let done = sqlx::query("update warnings set body = ?, version = ?, updated_at = ? where id = ? and version = ?")
                    .bind(doc.body).bind(doc.version).bind(Utc::now()).bind(doc.id).bind(v)
                    .execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!(
                        "warning {} was changed by someone else; reload and retry",
                        doc.id
                    )));
                }
            }
        }
        let b = doc.bbox;
        let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (?, ?, ?, ?, ?, ?, ?) returning *")
            .bind(Utc::now()).bind(kind).bind(doc.id).bind(b[0]).bind(b[1]).bind(b[2]).bind(b[3])
            .fetch_one(&mut *tx).await?;
        let change = map::change(&row)?;
        tx.commit().await?;
        Ok(change)
    }

    async fn warnings(&self) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("select body from warnings order by rowid")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn warning(&self, id: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("select body from warnings where id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn apply_incident_action(
        &self,
        id: &str,
        expected: i64,
        status: &str,
        actor: &str,
        action: &str,
        note: &str,
        (lon, lat): (f64, f64),
    ) -> StoreResult<Change> {
        let mut tx = self.write().await?;
        let now = Utc::now();
        let done: Option<super::history::KeyRow> = sqlx::query_as(
            "update incidents set status = ?, version = version + 1 where id = ? and version = ? \
             returning grid, category, reported_at",
        )
        .bind(status)
        .bind(id)
        .bind(expected)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(key) = done else {
            return Err(StoreError::Conflict(format!(
                "incident {id} was changed by someone else (expected version {expected}); reload and retry"
            )));
        };
        sqlx::query("insert into incident_history (incident_id, at, actor, action, status, note) values (?, ?, ?, ?, ?, ?)")
            .bind(id).bind(now).bind(actor).bind(action).bind(status).bind(note).execute(&mut *tx).await?;
        // The case's status or history changed: its bucket is recomputed.
        days::refresh(&mut tx, &[key.into()].into()).await?;
        let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (?, 'incident.updated', ?, ?, ?, ?, ?) returning *")
            .bind(now).bind(id).bind(lon).bind(lat).bind(lon).bind(lat).fetch_one(&mut *tx).await?;
        let change = map::change(&row)?;
        tx.commit().await?;
        Ok(change)
    }

    async fn incident_history(&self, id: &str) -> StoreResult<Vec<HistoryEntry>> {
        sqlx::query("select * from incident_history where incident_id = ? order by id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(map::history)
            .collect()
    }

    async fn stored_incident_ids(&self, ids: &[String]) -> StoreResult<Vec<String>> {
        let list = serde_json::to_string(ids).map_err(|e| StoreError::Db(e.to_string()))?;
        Ok(sqlx::query_scalar(
            "select id from incidents where id in (select value from json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>> {
        sqlx::query("select * from incidents where id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(map::incident)
            .transpose()
    }

    async fn last_change(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("select coalesce(max(seq), 0) from changes")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn import(&self, records: &LayerRecords, actor: &str) -> StoreResult<Vec<Change>> {
        let mut tx = self.write().await?;
        let now = Utc::now();
        let kind = super::import_kind(records);
        // Multi-row statements, a few thousand rows each (one per row cost
        // 174 s per million incidents, nearly all of it per-statement overhead).
        // `logged`: (record id, bbox) of every change to log, in order.
        match records {
            LayerRecords::Areas(_) => {}
            LayerRecords::Hazards(v) => layers::hazards(&mut tx, v).await?,
            LayerRecords::Shelters(v) => layers::shelters(&mut tx, v).await?,
            LayerRecords::Places(v) => layers::places(&mut tx, v).await?,
            LayerRecords::People(v) => layers::people(&mut tx, v).await?,
            LayerRecords::Incidents(v) => {
                // The buckets the cases counted in before, and count in now.
                let ids: Vec<String> = v.iter().map(|i| i.id.clone()).collect();
                let mut keys = days::keys_of(&mut tx, &ids).await?;
                layers::incidents(&mut tx, v).await?;
                layers::steps(&mut tx, &super::import_steps(v, actor, now)).await?;
                keys.extend(days::keys_of(&mut tx, &ids).await?);
                days::refresh(&mut tx, &keys).await?;
            }
        }
        let logged = match records {
            LayerRecords::Areas(v) => layers::areas(&mut tx, v).await?,
            points => super::import_points(points),
        };
        let batches = super::import_batches(kind, &logged);
        let mut changes = Vec::with_capacity(batches.len());
        for b in batches {
            let bb = b.bbox;
            let row = sqlx::query("insert into changes (at, kind, record_id, ids, minx, miny, maxx, maxy) values (?, ?, ?, ?, ?, ?, ?, ?) returning *")
                .bind(now).bind(kind).bind(b.first).bind(b.ids_json).bind(bb[0]).bind(bb[1]).bind(bb[2]).bind(bb[3])
                .fetch_one(&mut *tx).await?;
            changes.push(map::change(&row)?);
        }
        tx.commit().await?;
        Ok(changes)
    }

    /// SQLite has no notifications: another process (`minqing import` beside
    /// a running server) is noticed by polling the change log's last number,
    /// a primary-key lookup, twice a second.
    async fn listen(&self) -> Option<tokio::sync::mpsc::Receiver<()>> {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let mut last: Option<i64> = None;
            loop {
                if let Ok(seq) =
                    sqlx::query_scalar::<_, i64>("select coalesce(max(seq), 0) from changes")
                        .fetch_one(&pool)
                        .await
                    && last != Some(seq)
                {
                    last = Some(seq);
                    if tx.send(()).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        Some(rx)
    }

    async fn records(
        &self,
        layer: crate::import::Layer,
        ids: &[String],
    ) -> StoreResult<LayerRecords> {
        use crate::import::Layer as L;
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Db(e.to_string()))?;
        // One statement per layer; the ids travel as one JSON parameter.
        let (table, key) = match layer {
            L::Grids => ("areas", "code"),
            L::Hazards => ("hazards", "id"),
            L::Shelters => ("shelters", "id"),
            L::Places => ("places", "id"),
            L::People => ("people", "id"),
            L::Incidents => ("incidents", "id"),
        };
        let order = if layer == L::Grids {
            "order by length(code), code"
        } else {
            ""
        };
        let sql = format!(
            "select * from {table} where {key} in (select value from json_each(?)) {order}"
        );
        // The table and key come from the match above, never from input.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(match layer {
            L::Grids => LayerRecords::Areas(super::map_all(rows, map::area)?),
            L::Hazards => LayerRecords::Hazards(super::map_all(rows, map::hazard)?),
            L::Shelters => LayerRecords::Shelters(super::map_all(rows, map::shelter)?),
            L::Places => LayerRecords::Places(super::map_all(rows, map::place)?),
            L::People => LayerRecords::People(super::map_all(rows, map::person)?),
            L::Incidents => LayerRecords::Incidents(super::map_all(rows, map::incident)?),
        })
    }

    async fn append_patrol(
        &self,
        members: &[crate::domain::PatrolMember],
        points: &[crate::domain::PatrolPoint],
        record_id: &str,
        bbox: [f64; 4],
    ) -> StoreResult<Change> {
        patrol::append(&self.pool, members, points, record_id, bbox).await
    }

    async fn patrol_batch(
        &self,
        seq: i64,
    ) -> StoreResult<(
        Vec<crate::domain::PatrolMember>,
        Vec<crate::domain::PatrolPoint>,
    )> {
        patrol::batch(&self.pool, seq).await
    }

    async fn changes_since(&self, seq: i64, limit: i64) -> StoreResult<Vec<Change>> {
        sqlx::query("select * from changes where seq > ? order by seq limit ?")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(map::change)
            .collect()
    }

    async fn put_user(&self, u: &UserRecord) -> StoreResult<()> {
        sqlx::query("insert into users (username, password_hash, role, areas, failed_logins, locked_until) values (?, ?, ?, ?, ?, ?) \
                     on conflict (username) do update set password_hash = excluded.password_hash, role = excluded.role, areas = excluded.areas")
            .bind(&u.username).bind(&u.password_hash).bind(&u.role).bind(u.areas.join(" ")).bind(u.failed_logins).bind(u.locked_until)
            .execute(&self.pool).await?;
        Ok(())
    }

    async fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        sqlx::query("select * from users where username = ?")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(map::user)
            .transpose()
    }

    async fn set_login_state(
        &self,
        username: &str,
        failed: i64,
        locked_until: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        sqlx::query("update users set failed_logins = ?, locked_until = ? where username = ?")
            .bind(failed)
            .bind(locked_until)
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn put_session(&self, s: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "insert into sessions (token_hash, username, csrf, expires_at) values (?, ?, ?, ?)",
        )
        .bind(&s.token_hash)
        .bind(&s.username)
        .bind(&s.csrf)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        use sqlx::Row;
        let row = sqlx::query("select * from sessions where token_hash = ? and expires_at > ?")
            .bind(token_hash)
            .bind(Utc::now())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SessionRecord {
                token_hash: r.try_get("token_hash")?,
                username: r.try_get("username")?,
                csrf: r.try_get("csrf")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("delete from sessions where token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn renew_session(&self, token_hash: &str, expires_at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("update sessions set expires_at = ? where token_hash = ? and expires_at > ?")
            .bind(expires_at)
            .bind(token_hash)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_sessions(&self, username: &str) -> StoreResult<()> {
        sqlx::query("delete from sessions where username = ?")
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn users(&self) -> StoreResult<Vec<UserRecord>> {
        sqlx::query("select * from users order by username")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(map::user)
            .collect()
    }

    async fn audit(
        &self,
        username: &str,
        action: &str,
        records: &[String],
        purpose: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "insert into audit (at, username, action, records, purpose) values (?, ?, ?, ?, ?)",
        )
        .bind(Utc::now())
        .bind(username)
        .bind(action)
        .bind(records.join(" "))
        .bind(purpose)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit_find(
        &self,
        f: &super::AuditFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        // `records` is space-separated ids: pad it so a whole id matches, never a part.
        sqlx::query(
            "select * from audit where (?1 is null or username = ?1) \
             and (?2 is null or substr(action, 1, length(?2)) = ?2) \
             and (?3 is null or instr(' ' || records || ' ', ' ' || ?3 || ' ') > 0) \
             order by id desc limit ?4 offset ?5",
        )
        .bind(&f.username)
        .bind(&f.action)
        .bind(&f.record)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(map::audit)
        .collect()
    }

    async fn audit_log(&self, limit: i64, offset: i64) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query("select * from audit order by id desc limit ? offset ?")
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(map::audit)
            .collect()
    }

    async fn add_photos(
        &self,
        incident_id: &str,
        photos: &[NewPhoto],
        max: i64,
        actor: &str,
        at: (f64, f64),
    ) -> StoreResult<(Vec<i64>, Change)> {
        cases::add_photos(&self.pool, incident_id, photos, max, actor, at).await
    }

    async fn photos(&self, incident_id: &str) -> StoreResult<Vec<PhotoMeta>> {
        cases::photos(&self.pool, incident_id).await
    }

    async fn photo(
        &self,
        incident_id: &str,
        n: i64,
        thumb: bool,
    ) -> StoreResult<Option<(String, Vec<u8>)>> {
        cases::photo(&self.pool, incident_id, n, thumb).await
    }

    async fn deadlines(&self) -> StoreResult<Vec<(String, i64)>> {
        cases::deadlines(&self.pool).await
    }

    async fn set_deadline(&self, category: &str, hours: i64, actor: &str) -> StoreResult<()> {
        cases::set_deadline(&self.pool, category, hours, actor).await
    }

    async fn timings(&self, before: Option<DateTime<Utc>>) -> StoreResult<Vec<(String, Timing)>> {
        cases::timings(&self.pool, before).await
    }

    async fn recent_history(
        &self,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<(String, HistoryEntry)>> {
        cases::recent_history(&self.pool, limit, offset).await
    }

    async fn claim_key(
        &self,
        username: &str,
        key: &str,
        route: &str,
        fingerprint: &str,
    ) -> StoreResult<KeyClaim> {
        let mut tx = self.write().await?;
        let claim = keys::claim(&mut tx, username, key, route, fingerprint).await?;
        tx.commit().await?;
        Ok(claim)
    }

    async fn finish_key(
        &self,
        username: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "update idempotency_keys set status = ?, answer = ? where username = ? and key = ?",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(username)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release_key(&self, username: &str, key: &str) -> StoreResult<()> {
        sqlx::query(
            "delete from idempotency_keys where username = ? and key = ? and status is null",
        )
        .bind(username)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn visit_schedule(&self) -> StoreResult<Vec<ScheduleRow>> {
        visits::schedule(&self.pool).await
    }

    async fn put_visit_schedule(
        &self,
        rows: &[ScheduleRow],
        next: &[(String, NaiveDate)],
        bbox: [f64; 4],
    ) -> StoreResult<Change> {
        let mut tx = self.write().await?;
        let change = visits::put_schedule(&mut tx, rows, next, bbox).await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn record_visit(&self, v: &Visit, at: (f64, f64)) -> StoreResult<Change> {
        let mut tx = self.write().await?;
        let change = visits::record(&mut tx, v, at).await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn visits_of(&self, person: &str) -> StoreResult<Vec<Visit>> {
        sqlx::query("select * from visits where person_id = ? order by at desc, id desc")
            .bind(person)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(map::visit)
            .collect()
    }

    async fn visits_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Visit>> {
        sqlx::query("select * from visits where at >= ? and at < ? order by at desc, id desc")
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(map::visit)
            .collect()
    }

    async fn last_visits(&self) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
        Ok(
            sqlx::query_as("select person_id, max(at) from visits group by person_id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn person(&self, id: &str) -> StoreResult<Option<crate::domain::Person>> {
        sqlx::query("select * from people where id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(map::person)
            .transpose()
    }
}
