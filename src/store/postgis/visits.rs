//! Visits, the visit schedule and idempotency keys in PostGIS.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, Row};

use crate::domain::PersonCategory;
use crate::domain::visit::{ScheduleRow, Visit};
use crate::store::{Change, KeyClaim, StoreError, StoreResult, judge_key};

/// Claims a key: the insert comes first, so of two concurrent claims one
/// inserts and the other waits on the row, then reads it.
pub(super) async fn claim_key(
    pool: &PgPool,
    username: &str,
    key: &str,
    route: &str,
    fingerprint: &str,
) -> StoreResult<KeyClaim> {
    let inserted = sqlx::query("insert into idempotency_keys (username, key, route, fingerprint, created_at) values ($1, $2, $3, $4, now()) on conflict do nothing")
        .bind(username).bind(key).bind(route).bind(fingerprint)
        .execute(pool).await?;
    if inserted.rows_affected() > 0 {
        return Ok(KeyClaim::Fresh);
    }
    type Prior = (
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        DateTime<Utc>,
    );
    let prior: Option<Prior> = sqlx::query_as(
        "select route, fingerprint, status, answer, created_at from idempotency_keys where username = $1 and key = $2",
    )
    .bind(username)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    match prior {
        Some(p) => Ok(judge_key(p, route, fingerprint)),
        // Released between our insert and our read: the other request gave up; claim again.
        None => Box::pin(claim_key(pool, username, key, route, fingerprint)).await,
    }
}

/// The schedule rows, by category and risk level.
pub(super) async fn schedule(pool: &PgPool) -> StoreResult<Vec<ScheduleRow>> {
    let rows = sqlx::query(
        "select category, risk_level, every_days from visit_schedules order by category, risk_level",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let c: String = r.try_get("category")?;
            Ok(ScheduleRow {
                category: PersonCategory::parse(&c)
                    .ok_or_else(|| StoreError::Db(format!("stored schedule category {c:?}")))?,
                risk_level: u8::try_from(r.try_get::<i64, _>("risk_level")?).unwrap_or(0),
                every_days: u32::try_from(r.try_get::<i64, _>("every_days")?).unwrap_or(1),
            })
        })
        .collect()
}

async fn log(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    kind: &str,
    record_id: &str,
    b: [f64; 4],
) -> StoreResult<Change> {
    let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (now(), $1, $2, $3, $4, $5, $6) returning *")
        .bind(kind).bind(record_id).bind(b[0]).bind(b[1]).bind(b[2]).bind(b[3])
        .fetch_one(&mut **tx).await?;
    let change = super::map::change(&row)?;
    sqlx::query("select pg_notify('minqing_changes', $1)")
        .bind(change.seq.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(change)
}

/// Replaces the schedule and the next visits it moves, with one change.
pub(super) async fn put_schedule(
    pool: &PgPool,
    rows: &[ScheduleRow],
    next: &[(String, NaiveDate)],
    b: [f64; 4],
) -> StoreResult<Change> {
    let mut tx = pool.begin().await?;
    sqlx::query("delete from visit_schedules")
        .execute(&mut *tx)
        .await?;
    sqlx::query("insert into visit_schedules (category, risk_level, every_days) select * from unnest($1::text[], $2::bigint[], $3::bigint[])")
        .bind(rows.iter().map(|r| r.category.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| i64::from(r.risk_level)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| i64::from(r.every_days)).collect::<Vec<_>>())
        .execute(&mut *tx).await?;
    sqlx::query("update people set next_visit = n.due from unnest($1::text[], $2::date[]) as n(id, due) where people.id = n.id")
        .bind(next.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>())
        .bind(next.iter().map(|(_, d)| *d).collect::<Vec<_>>())
        .execute(&mut *tx).await?;
    let change = log(&mut tx, "people.rescheduled", "visit_schedules", b).await?;
    tx.commit().await?;
    Ok(change)
}

/// Writes the visit, moves the person's risk level and next visit, logs the change.
pub(super) async fn record(pool: &PgPool, v: &Visit, (x, y): (f64, f64)) -> StoreResult<Change> {
    let mut tx = pool.begin().await?;
    sqlx::query("insert into visits (id, person_id, grid, at, how, note, visitor, geom, risk_before, risk_after, next_due, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, case when $8::float8 is null or $9::float8 is null then null else st_setsrid(st_makepoint($8, $9), 4326) end, $10, $11, $12, now())")
        .bind(&v.id).bind(&v.person).bind(&v.grid).bind(v.at).bind(v.how.as_str()).bind(&v.note).bind(&v.by)
        .bind(v.lon).bind(v.lat).bind(v.risk_before.map(i64::from)).bind(v.risk_after.map(i64::from)).bind(v.next_due)
        .execute(&mut *tx).await?;
    let done = sqlx::query("update people set risk_level = coalesce($1, risk_level), next_visit = coalesce($2, next_visit) where id = $3")
        .bind(v.risk_after.map(i64::from)).bind(v.next_due).bind(&v.person)
        .execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "record {} no longer exists",
            v.person
        )));
    }
    let change = log(&mut tx, "person.visited", &v.person, [x, y, x, y]).await?;
    tx.commit().await?;
    Ok(change)
}
