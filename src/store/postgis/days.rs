//! The per-day aggregates of finished cases on PostGIS (migration 0011):
//! buckets recomputed in the transaction of the write that touched them.

use std::collections::BTreeSet;

use sqlx::{AssertSqlSafe, PgConnection};

use super::{DIALECT, bind_all};
use crate::store::StoreResult;
use crate::store::history::{self, DayDialect, DayKey, KeyRow};

pub(super) const DAYS: DayDialect = DayDialect {
    day_of: |c| format!("to_char({c} at time zone 'Asia/Shanghai', 'YYYY-MM-DD')"),
    seconds: |a, b| format!("round(extract(epoch from ({b} - {a})))::int8"),
    not_after: |a, b| format!("{a} <= {b}"),
    greatest: "greatest",
};

/// Two instances may recompute one bucket at once (two cases of the same
/// grid, category and day): the delete of the second would miss the rows
/// the first inserts. A transaction lock per bucket puts them in line.
async fn lock(db: &mut PgConnection, key: &str) -> StoreResult<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 18))")
        .bind(key)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Recomputes these buckets (many: together, see [`history::REFRESH_SET_ABOVE`]).
pub(super) async fn refresh(db: &mut PgConnection, keys: &BTreeSet<DayKey>) -> StoreResult<()> {
    if keys.len() > history::REFRESH_SET_ABOVE {
        return refresh_set(db, keys).await;
    }
    for k in keys {
        let grid = k.grid.as_deref().unwrap_or("");
        lock(
            db,
            &format!("incident_days {} {grid} {}", k.day, k.category),
        )
        .await?;
        sqlx::query("delete from incident_days where day = $1 and grid = $2 and category = $3")
            .bind(&k.day)
            .bind(grid)
            .bind(&k.category)
            .execute(&mut *db)
            .await?;
        let (scope, args) = history::day_key_scope(k, &DIALECT, &DAYS, 1);
        let sql = history::days_fill_sql(&DAYS, &scope);
        bind_all(sqlx::query(AssertSqlSafe(sql)), &args)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Recomputes many buckets with one delete and one insert.
async fn refresh_set(db: &mut PgConnection, keys: &BTreeSet<DayKey>) -> StoreResult<()> {
    // Bulk writes are few (imports): one lock for all of them.
    lock(db, "incident_days").await?;
    sqlx::query(
        "create temp table if not exists refresh_keys (day text, grid text, category text) on commit drop",
    )
    .execute(&mut *db)
    .await?;
    sqlx::query("delete from refresh_keys")
        .execute(&mut *db)
        .await?;
    let col = |f: fn(&DayKey) -> String| keys.iter().map(f).collect::<Vec<String>>();
    sqlx::query(
        "insert into refresh_keys select * from unnest($1::text[], $2::text[], $3::text[])",
    )
    .bind(col(|k| k.day.clone()))
    .bind(col(|k| k.grid.clone().unwrap_or_default()))
    .bind(col(|k| k.category.clone()))
    .execute(&mut *db)
    .await?;
    sqlx::query("analyze refresh_keys")
        .execute(&mut *db)
        .await?;
    sqlx::query(history::DELETE_REFRESH_KEYS)
        .execute(&mut *db)
        .await?;
    let sql = history::days_fill_sql(&DAYS, &history::refresh_keys_scope(&DAYS));
    sqlx::query(AssertSqlSafe(sql)).execute(&mut *db).await?;
    Ok(())
}

/// Rebuilds every bucket from the cases and their histories.
pub(super) async fn fill_all(db: &mut PgConnection) -> StoreResult<()> {
    lock(db, "incident_days").await?;
    sqlx::query("delete from incident_days")
        .execute(&mut *db)
        .await?;
    sqlx::query(AssertSqlSafe(history::days_fill_sql(&DAYS, "true")))
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// The buckets the stored incidents among `ids` count in now.
pub(super) async fn keys_of(
    db: &mut PgConnection,
    ids: &[String],
) -> StoreResult<BTreeSet<DayKey>> {
    let rows: Vec<KeyRow> =
        sqlx::query_as("select grid, category, reported_at from incidents where id = any($1)")
            .bind(ids)
            .fetch_all(&mut *db)
            .await?;
    Ok(rows.into_iter().map(DayKey::from).collect())
}
