//! Visits and the visit schedule in SQLite.

use chrono::{NaiveDate, Utc};
use sqlx::{Row, Sqlite, SqlitePool};

use crate::domain::PersonCategory;
use crate::domain::visit::{ScheduleRow, Visit};
use crate::store::{Change, StoreError, StoreResult};

/// The schedule rows, by category and risk level.
pub(super) async fn schedule(pool: &SqlitePool) -> StoreResult<Vec<ScheduleRow>> {
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

/// Replaces the schedule and the next visits it moves, with one change.
pub(super) async fn put_schedule(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    rows: &[ScheduleRow],
    next: &[(String, NaiveDate)],
    b: [f64; 4],
) -> StoreResult<Change> {
    sqlx::query("delete from visit_schedules")
        .execute(&mut **tx)
        .await?;
    for r in rows {
        sqlx::query(
            "insert into visit_schedules (category, risk_level, every_days) values (?, ?, ?)",
        )
        .bind(r.category.as_str())
        .bind(i64::from(r.risk_level))
        .bind(i64::from(r.every_days))
        .execute(&mut **tx)
        .await?;
    }
    for (id, due) in next {
        sqlx::query("update people set next_visit = ? where id = ?")
            .bind(due)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (?, 'people.rescheduled', 'visit_schedules', ?, ?, ?, ?) returning *")
        .bind(Utc::now()).bind(b[0]).bind(b[1]).bind(b[2]).bind(b[3])
        .fetch_one(&mut **tx).await?;
    super::map::change(&row)
}

/// Writes the visit, moves the person's risk level and next visit, logs the change.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    v: &Visit,
    (x, y): (f64, f64),
) -> StoreResult<Change> {
    sqlx::query("insert into visits (id, person_id, grid, at, how, note, visitor, lon, lat, risk_before, risk_after, next_due, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(&v.id).bind(&v.person).bind(&v.grid).bind(v.at).bind(v.how.as_str()).bind(&v.note).bind(&v.by)
        .bind(v.lon).bind(v.lat).bind(v.risk_before.map(i64::from)).bind(v.risk_after.map(i64::from)).bind(v.next_due).bind(Utc::now())
        .execute(&mut **tx).await?;
    let done = sqlx::query("update people set risk_level = coalesce(?, risk_level), next_visit = coalesce(?, next_visit) where id = ?")
        .bind(v.risk_after.map(i64::from)).bind(v.next_due).bind(&v.person)
        .execute(&mut **tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "record {} no longer exists",
            v.person
        )));
    }
    let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (?, 'person.visited', ?, ?, ?, ?, ?) returning *")
        .bind(Utc::now()).bind(&v.person).bind(x).bind(y).bind(x).bind(y)
        .fetch_one(&mut **tx).await?;
    super::map::change(&row)
}
