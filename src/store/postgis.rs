//! The production store: PostgreSQL + PostGIS, geometry columns in SRID 4326
//! with GiST indexes, so QGIS and GDAL can open the tables directly.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::{
    AuditEntry, Change, HistoryEntry, HistoryFilter, KeyClaim, NewPhoto, PhotoMeta, SessionRecord,
    Store, StoreError, StoreResult, Timing, UserRecord, WarningDoc,
};
use crate::config::redact_url;
use crate::domain::visit::{ScheduleRow, Visit};
use crate::domain::{Dataset, Incident, LayerRecords};

mod map {
    crate::store::rows::row_mappers!(sqlx::postgres::PgRow);
}
mod cases;
mod days;
mod layers;
mod patrol;
mod visits;

/// The NOTIFY channel numbering committed changes.
const CHANNEL: &str = "minqing_changes";

/// Point columns as the shared row mappers expect them.
const XY: &str = "st_x(geom) as lon, st_y(geom) as lat";

/// Rows of cases, people and fixes from which a seed builds the big tables'
/// secondary indexes once at the end instead of row by row.
const BULK_ROWS: usize = 100_000;

type Task<T> = tokio::task::JoinHandle<StoreResult<Vec<T>>>;

/// Reads and maps a query's rows on its own task.
/// PostgreSQL's placeholders and point-in-box test (the GiST index on `geom`) for history reads.
const DIALECT: super::history::Dialect = super::history::Dialect {
    placeholder: |n| format!("${n}"),
    in_box: |[a, b, c, d]| {
        // `&&` finds candidates by the index's float4 boxes, which round
        // outwards: the exact test on the coordinates keeps the answer the
        // index path gives (edges included).
        format!(
            "i.geom && st_makeenvelope({a}::float8, {b}::float8, {c}::float8, {d}::float8, 4326) \
             and st_x(i.geom) between {a}::float8 and {c}::float8 \
             and st_y(i.geom) between {b}::float8 and {d}::float8"
        )
    },
    id_bytes: "i.id collate \"C\"",
    extra_columns: ", st_x(i.geom) as lon, st_y(i.geom) as lat",
};

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds history-query arguments in order.
fn bind_all<'q>(mut q: PgQuery<'q>, args: &[super::history::Arg]) -> PgQuery<'q> {
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

fn spawn_map<T: Send + 'static>(
    pool: &PgPool,
    sql: String,
    f: fn(&sqlx::postgres::PgRow) -> StoreResult<T>,
) -> Task<T> {
    let pool = pool.clone();
    tokio::spawn(async move {
        super::map_all(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&pool)
                .await?,
            f,
        )
    })
}

async fn join<T>(t: Task<T>) -> StoreResult<Vec<T>> {
    t.await
        .map_err(|e| StoreError::Db(format!("loading task failed: {e}")))?
}

/// The PostGIS store.
pub struct PostgisStore {
    pool: PgPool,
    url: String,
}

impl PostgisStore {
    /// Connects (fails fast when the server is unreachable).
    pub async fn open(url: &str) -> StoreResult<PostgisStore> {
        let unreachable = |e: sqlx::Error| StoreError::Unreachable {
            url: redact_url(url),
            reason: e.to_string(),
        };
        // JIT off: our heavy statements (statistics over history) are
        // scans and sums that run in seconds, where compiling them cost
        // 1.3 s of a 2.4 s read (measured on the province store).
        let options = url
            .parse::<sqlx::postgres::PgConnectOptions>()
            .map_err(unreachable)?
            .options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        Ok(PostgisStore {
            pool,
            url: redact_url(url),
        })
    }

    /// The pool, for LISTEN/NOTIFY and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PostgisStore {
    fn backend(&self) -> &'static str {
        "postgis"
    }

    async fn migrate(&self) -> StoreResult<()> {
        sqlx::query("create extension if not exists postgis")
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(format!(
                "cannot enable PostGIS on {} ({e}); install postgresql-15-postgis-3 or create the extension as a superuser",
                self.url
            )))?;
        sqlx::migrate!("migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        // A store from before the aggregates: fill them once.
        if self.meta(super::history::DAYS_FILLED).await?.is_none() {
            let mut tx = self.pool.begin().await?;
            days::fill_all(&mut tx).await?;
            sqlx::query(
                "insert into meta (key, value) values ($1, '1') on conflict (key) do nothing",
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
        let mut tx = self.pool.begin().await?;
        // A bulk load (`gen --scale`: ten million cases and fixes) drops the
        // secondary indexes of the big tables and builds each once at the
        // end — a sorted build instead of a random insert per row (the GiST
        // on points and the B-trees on ids took an hour at the province
        // scale). The definitions come from the catalogue, so the migrations
        // stay their only source; all of it is one transaction.
        let rebuild: Vec<(String, String)> =
            if d.incidents.len() + d.people.len() + d.patrol_points.len() >= BULK_ROWS {
                sqlx::query_as(
                    "select indexname::text, indexdef from pg_indexes \
                 where schemaname = current_schema() \
                   and tablename in ('incidents', 'people', 'patrol_points') \
                   and indexname not in (select conname from pg_constraint)",
                )
                .fetch_all(&mut *tx)
                .await?
            } else {
                Vec::new()
            };
        for (name, _) in &rebuild {
            sqlx::query(sqlx::AssertSqlSafe(format!("drop index \"{name}\"")))
                .execute(&mut *tx)
                .await?;
        }
        layers::areas(&mut tx, &d.areas).await?;
        layers::shelters(&mut tx, &d.shelters).await?;
        layers::hazards(&mut tx, &d.hazards).await?;
        layers::places(&mut tx, &d.places).await?;
        layers::incidents(&mut tx, &d.incidents).await?;
        layers::steps(&mut tx, &d.steps).await?;
        layers::people(&mut tx, &d.people).await?;
        sqlx::query("insert into patrol_members (id, name, team) select * from unnest($1::text[], $2::text[], $3::text[])")
            .bind(d.members.iter().map(|m| m.id.clone()).collect::<Vec<_>>())
            .bind(d.members.iter().map(|m| m.name.clone()).collect::<Vec<_>>())
            .bind(d.members.iter().map(|m| m.team.clone()).collect::<Vec<_>>())
            .execute(&mut *tx).await?;
        for chunk in d.patrol_points.chunks(200_000) {
            sqlx::query("insert into patrol_points (member_id, t, geom) select m, t, st_setsrid(st_makepoint(x, y), 4326) from unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[]) as u(m, t, x, y)")
                .bind(chunk.iter().map(|p| d.members[p.member as usize].id.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|p| p.time).collect::<Vec<_>>())
                .bind(chunk.iter().map(|p| p.lon).collect::<Vec<_>>())
                .bind(chunk.iter().map(|p| p.lat).collect::<Vec<_>>())
                .execute(&mut *tx).await?;
        }
        if !rebuild.is_empty() {
            sqlx::query("set local maintenance_work_mem = '1GB'")
                .execute(&mut *tx)
                .await?;
        }
        for (_, def) in &rebuild {
            sqlx::query(sqlx::AssertSqlSafe(def.clone()))
                .execute(&mut *tx)
                .await?;
        }
        if !rebuild.is_empty() {
            // Statistics now, not when autovacuum gets round to it: the first
            // start-up's live-window read plans on them.
            sqlx::query("analyze areas, incidents, people, patrol_points")
                .execute(&mut *tx)
                .await?;
        }
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

    async fn history_grid_months(
        &self,
        q: &super::GridMonthsQuery,
    ) -> StoreResult<Option<Vec<super::GridCount>>> {
        let Some((sql, args)) = super::history::grid_months_sql(q, &DIALECT) else {
            return Ok(Some(Vec::new()));
        };
        let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &args);
        let rows = q.fetch_all(&self.pool).await?;
        Ok(Some(
            rows.iter()
                .map(sqlx::FromRow::from_row)
                .collect::<Result<_, _>>()?,
        ))
    }

    async fn load_live(&self, before: Option<DateTime<Utc>>) -> StoreResult<Dataset> {
        // Tables are read and decoded in parallel tasks: start-up time is what this buys.
        let areas = spawn_map(&self.pool, "select code, name, head_name, head_phone, households, residents, st_asbinary(geom) as geom from areas order by length(code), code".into(), map::area);
        let hazards = spawn_map(
            &self.pool,
            format!("select *, {XY} from hazards order by id"),
            map::hazard,
        );
        let shelters = spawn_map(
            &self.pool,
            format!("select *, {XY} from shelters order by id"),
            map::shelter,
        );
        let places = spawn_map(
            &self.pool,
            format!("select *, {XY} from places order by id"),
            map::place,
        );
        let incidents = spawn_map(
            &self.pool,
            format!(
                "select *, {XY} from incidents i where {} order by reported_at, id",
                super::history::live_condition(before, "::timestamptz")
            ),
            map::incident,
        );
        let people = spawn_map(
            &self.pool,
            format!("select *, {XY} from people order by id"),
            map::person,
        );
        let members = spawn_map(
            &self.pool,
            "select id, name, team from patrol_members order by id".into(),
            map::member,
        );
        let points = spawn_map(
            &self.pool,
            format!(
                "select member_id, t, {XY} from patrol_points where {}",
                super::history::live_patrol(before, "::timestamptz")
            ),
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
        Ok(sqlx::query_scalar("select value from meta where key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query("insert into meta (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value")
            .bind(key).bind(value).execute(&self.pool).await?;
        Ok(())
    }

    async fn create_incident(&self, i: &Incident, actor: &str) -> StoreResult<Change> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("insert into incidents (id, category, source, description, grid, status, reported_at, deadline, version, geom, reporter) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, st_setsrid(st_makepoint($10, $11), 4326), $12)")
            .bind(&i.id).bind(&i.category).bind(&i.source).bind(&i.description).bind(&i.grid).bind(i.status.as_str())
            .bind(i.reported_at).bind(i.deadline).bind(i.version).bind(i.lon).bind(i.lat).bind(&i.reporter)
            .execute(&mut *tx).await?;
        sqlx::query("insert into incident_history (incident_id, at, actor, action, status, note) values ($1, $2, $3, 'report', $4, '')")
            .bind(&i.id).bind(i.reported_at).bind(actor).bind(i.status.as_str()).execute(&mut *tx).await?;
        if crate::domain::incident::FINAL_STATUSES.contains(&i.status) {
            let key = super::DayKey::of(i.grid.as_deref(), &i.category, i.reported_at);
            days::refresh(&mut tx, &[key].into()).await?;
        }
        let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (now(), 'incident.created', $1, $2, $3, $2, $3) returning *")
            .bind(&i.id).bind(i.lon).bind(i.lat).fetch_one(&mut *tx).await?;
        let change = map::change(&row)?;
        sqlx::query("select pg_notify('minqing_changes', $1)")
            .bind(change.seq.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn put_warning(
        &self,
        doc: &WarningDoc<'_>,
        expected: Option<i64>,
        kind: &str,
    ) -> StoreResult<Change> {
        let mut tx = self.pool.begin().await?;
        let geom = "st_multi(st_setsrid(st_geomfromgeojson($3), 4326))";
        match expected {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!("insert into warnings (id, body, geom, version, updated_at) values ($1, $2::jsonb, {geom}, $4, now())")))
                    .bind(doc.id).bind(doc.body).bind(doc.area_geojson).bind(doc.version)
                    .execute(&mut *tx).await?;
            }
            Some(v) => {
                let done = sqlx::query(sqlx::AssertSqlSafe(format!("update warnings set body = $2::jsonb, geom = {geom}, version = $4, updated_at = now() where id = $1 and version = $5")))
                    .bind(doc.id).bind(doc.body).bind(doc.area_geojson).bind(doc.version).bind(v)
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
        let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (now(), $1, $2, $3, $4, $5, $6) returning *")
            .bind(kind).bind(doc.id).bind(b[0]).bind(b[1]).bind(b[2]).bind(b[3])
            .fetch_one(&mut *tx).await?;
        let change = map::change(&row)?;
        sqlx::query("select pg_notify('minqing_changes', $1)")
            .bind(change.seq.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn warnings(&self) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("select body::text from warnings order by updated_at, id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn warning(&self, id: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("select body::text from warnings where id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
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
        let mut tx = self.pool.begin().await?;
        let done: Option<super::history::KeyRow> = sqlx::query_as("update incidents set status = $1, version = version + 1 where id = $2 and version = $3 returning grid, category, reported_at")
            .bind(status).bind(id).bind(expected).fetch_optional(&mut *tx).await?;
        let Some(key) = done else {
            return Err(StoreError::Conflict(format!(
                "incident {id} was changed by someone else (expected version {expected}); reload and retry"
            )));
        };
        sqlx::query("insert into incident_history (incident_id, at, actor, action, status, note) values ($1, now(), $2, $3, $4, $5)")
            .bind(id).bind(actor).bind(action).bind(status).bind(note).execute(&mut *tx).await?;
        // The case's status or history changed: its bucket is recomputed.
        days::refresh(&mut tx, &[key.into()].into()).await?;
        let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (now(), 'incident.updated', $1, $2, $3, $2, $3) returning *")
            .bind(id).bind(lon).bind(lat).fetch_one(&mut *tx).await?;
        let change = map::change(&row)?;
        sqlx::query("select pg_notify('minqing_changes', $1)")
            .bind(change.seq.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn incident_history(&self, id: &str) -> StoreResult<Vec<HistoryEntry>> {
        sqlx::query("select * from incident_history where incident_id = $1 order by id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(map::history)
            .collect()
    }

    async fn stored_incident_ids(&self, ids: &[String]) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "select i.id from incidents i join unnest($1::text[]) as u(id) on u.id = i.id",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "select *, {XY} from incidents where id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(map::incident)
        .transpose()
    }

    async fn last_change(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("select coalesce(max(seq), 0)::int8 from changes")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn listen(&self) -> Option<tokio::sync::mpsc::Receiver<()>> {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let poll = tx.clone();
        let pool = self.pool.clone();
        tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut l) => {
                        if l.listen(CHANNEL).await.is_ok() {
                            // Catch up on whatever happened while we were not listening.
                            if tx.send(()).await.is_err() {
                                return;
                            }
                            while let Ok(Some(_)) = l.try_recv().await {
                                if tx.send(()).await.is_err() {
                                    return;
                                }
                            }
                        }
                        tracing::warn!("lost the change notification connection; reconnecting");
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot listen for changes; retrying"),
                }
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        // A safety net under the notifications: a notification lost with a
        // dropped connection, or an instance on a streaming replica (NOTIFY
        // does not reach replicas), still sees new changes within 2 s.
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let mut last: Option<i64> = None;
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                if let Ok(seq) =
                    sqlx::query_scalar::<_, i64>("select coalesce(max(seq), 0)::int8 from changes")
                        .fetch_one(&pool)
                        .await
                    && last.replace(seq).is_some_and(|l| l != seq)
                    && poll.send(()).await.is_err()
                {
                    return;
                }
                if poll.is_closed() {
                    return;
                }
            }
        });
        Some(rx)
    }

    async fn import(&self, records: &LayerRecords, actor: &str) -> StoreResult<Vec<Change>> {
        let mut tx = self.pool.begin().await?;
        let kind = super::import_kind(records);
        // Whole columns per statement (see `layers`), not one statement per row.
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
                let steps = super::import_steps(v, actor, Utc::now());
                layers::steps(&mut tx, &steps).await?;
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
            let row = sqlx::query("insert into changes (at, kind, record_id, ids, minx, miny, maxx, maxy) values (now(), $1, $2, $3, $4, $5, $6, $7) returning *")
                .bind(kind).bind(b.first).bind(b.ids_json).bind(bb[0]).bind(bb[1]).bind(bb[2]).bind(bb[3])
                .fetch_one(&mut *tx).await?;
            changes.push(map::change(&row)?);
        }
        if let Some(last) = changes.last() {
            sqlx::query("select pg_notify('minqing_changes', $1)")
                .bind(last.seq.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(changes)
    }

    async fn records(
        &self,
        layer: crate::import::Layer,
        ids: &[String],
    ) -> StoreResult<LayerRecords> {
        use crate::import::Layer as L;
        let sql = match layer {
            L::Grids => "select code, name, head_name, head_phone, households, residents, st_asbinary(geom) as geom \
                         from areas where code = any($1) order by length(code), code".to_owned(),
            L::Hazards => format!("select *, {XY} from hazards where id = any($1)"),
            L::Shelters => format!("select *, {XY} from shelters where id = any($1)"),
            L::Places => format!("select *, {XY} from places where id = any($1)"),
            L::People => format!("select *, {XY} from people where id = any($1)"),
            L::Incidents => format!("select *, {XY} from incidents where id = any($1)"),
        };
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
        sqlx::query("select * from changes where seq > $1 order by seq limit $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(map::change)
            .collect()
    }

    async fn put_user(&self, u: &UserRecord) -> StoreResult<()> {
        sqlx::query("insert into users (username, password_hash, role, areas, failed_logins, locked_until) values ($1, $2, $3, $4, $5, $6) \
                     on conflict (username) do update set password_hash = excluded.password_hash, role = excluded.role, areas = excluded.areas")
            .bind(&u.username).bind(&u.password_hash).bind(&u.role).bind(u.areas.join(" ")).bind(u.failed_logins).bind(u.locked_until)
            .execute(&self.pool).await?;
        Ok(())
    }

    async fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        sqlx::query("select * from users where username = $1")
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
        sqlx::query("update users set failed_logins = $1, locked_until = $2 where username = $3")
            .bind(failed)
            .bind(locked_until)
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn put_session(&self, s: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "insert into sessions (token_hash, username, csrf, expires_at) values ($1, $2, $3, $4)",
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
        let row =
            sqlx::query("select * from sessions where token_hash = $1 and expires_at > now()")
                .bind(token_hash)
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
        sqlx::query("delete from sessions where token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn renew_session(&self, token_hash: &str, expires_at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "update sessions set expires_at = $1 where token_hash = $2 and expires_at > now()",
        )
        .bind(expires_at)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn end_sessions(&self, username: &str) -> StoreResult<()> {
        sqlx::query("delete from sessions where username = $1")
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
        sqlx::query("insert into audit (at, username, action, records, purpose) values (now(), $1, $2, $3, $4)")
            .bind(username).bind(action).bind(records.join(" ")).bind(purpose).execute(&self.pool).await?;
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
            "select * from audit where ($1::text is null or username = $1) \
             and ($2::text is null or left(action, length($2)) = $2) \
             and ($3::text is null or strpos(' ' || records || ' ', ' ' || $3 || ' ') > 0) \
             order by id desc limit $4 offset $5",
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
        sqlx::query("select * from audit order by id desc limit $1 offset $2")
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
        visits::claim_key(&self.pool, username, key, route, fingerprint).await
    }

    async fn finish_key(
        &self,
        username: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "update idempotency_keys set status = $3, answer = $4 where username = $1 and key = $2",
        )
        .bind(username)
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release_key(&self, username: &str, key: &str) -> StoreResult<()> {
        sqlx::query(
            "delete from idempotency_keys where username = $1 and key = $2 and status is null",
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
        visits::put_schedule(&self.pool, rows, next, bbox).await
    }

    async fn record_visit(&self, v: &Visit, at: (f64, f64)) -> StoreResult<Change> {
        visits::record(&self.pool, v, at).await
    }

    async fn visits_of(&self, person: &str) -> StoreResult<Vec<Visit>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "select *, {XY} from visits where person_id = $1 order by at desc, id desc"
        )))
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
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "select *, {XY} from visits where at >= $1 and at < $2 order by at desc, id desc"
        )))
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
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "select *, {XY} from people where id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(map::person)
        .transpose()
    }
}
