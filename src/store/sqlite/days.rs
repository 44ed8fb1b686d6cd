//! The per-day aggregates of finished cases on SQLite (migration 0010):
//! buckets recomputed in the transaction of the write that touched them.

use std::collections::BTreeSet;

use sqlx::{AssertSqlSafe, SqliteConnection};

use super::{DIALECT, bind_all};
use crate::store::history::{self, Arg, DayDialect, DayKey, KeyRow};
use crate::store::{StoreError, StoreResult};

/// SQLite keeps times as RFC 3339 text: days and spans go through `julianday`.
pub(super) const DAYS: DayDialect = DayDialect {
    day_of: |c| format!("date({c}, '+8 hours')"),
    seconds: |a, b| format!("cast(round((julianday({b}) - julianday({a})) * 86400.0) as integer)"),
    not_after: |a, b| format!("julianday({a}) <= julianday({b})"),
    greatest: "max",
};

/// Recomputes these buckets (many: together, see [`history::REFRESH_SET_ABOVE`]).
pub(super) async fn refresh(db: &mut SqliteConnection, keys: &BTreeSet<DayKey>) -> StoreResult<()> {
    if keys.len() > history::REFRESH_SET_ABOVE {
        return refresh_set(db, keys).await;
    }
    for k in keys {
        let (days, days_args) = history::bucket_days(k, &DIALECT, 1);
        run(
            db,
            &history::months_apply_sql("incident_days", &days, -1),
            &days_args,
        )
        .await?;
        run(
            db,
            &format!("delete from incident_days where {days}"),
            &days_args,
        )
        .await?;
        let (scope, args) = history::day_key_scope(k, &DIALECT, &DAYS, 1);
        // `?` placeholders are positional: the scope's arguments twice.
        let twice: Vec<_> = args.iter().chain(&args).cloned().collect();
        run(db, &history::days_fill_sql(&DAYS, &scope), &twice).await?;
        run(
            db,
            &history::months_apply_sql("incident_days", &days, 1),
            &days_args,
        )
        .await?;
        let (months, months_args) = history::bucket_months(k, &DIALECT, 1);
        let drop = format!("{} and {months}", history::MONTHS_DROP_EMPTY);
        run(db, &drop, &months_args).await?;
    }
    Ok(())
}

/// Runs one statement with its arguments.
async fn run(db: &mut SqliteConnection, sql: &str, args: &[Arg]) -> StoreResult<()> {
    bind_all(sqlx::query(AssertSqlSafe(sql.to_owned())), args)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Recomputes many buckets with one delete and one insert.
async fn refresh_set(db: &mut SqliteConnection, keys: &BTreeSet<DayKey>) -> StoreResult<()> {
    sqlx::query(
        "create temp table if not exists refresh_keys (day text, grid text, category text)",
    )
    .execute(&mut *db)
    .await?;
    sqlx::query("delete from refresh_keys")
        .execute(&mut *db)
        .await?;
    let triples: Vec<[&str; 3]> = keys
        .iter()
        .map(|k| {
            [
                k.day.as_str(),
                k.grid.as_deref().unwrap_or(""),
                k.category.as_str(),
            ]
        })
        .collect();
    let list = serde_json::to_string(&triples).map_err(|e| StoreError::Db(e.to_string()))?;
    sqlx::query(
        "insert into refresh_keys select json_extract(value, '$[0]'), json_extract(value, '$[1]'), \
         json_extract(value, '$[2]') from json_each(?)",
    )
    .bind(list)
    .execute(&mut *db)
    .await?;
    let days = history::REFRESH_KEYS_DAYS;
    run(
        db,
        &history::months_apply_sql("incident_days", days, -1),
        &[],
    )
    .await?;
    run(db, &format!("delete from incident_days where {days}"), &[]).await?;
    let sql = history::days_fill_sql(&DAYS, &history::refresh_keys_scope(&DAYS));
    run(db, &sql, &[]).await?;
    run(
        db,
        &history::months_apply_sql("incident_days", days, 1),
        &[],
    )
    .await?;
    let drop = format!(
        "{} and {}",
        history::MONTHS_DROP_EMPTY,
        history::refresh_keys_months()
    );
    run(db, &drop, &[]).await?;
    sqlx::query("delete from refresh_keys")
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Rebuilds every bucket from the cases and their histories.
pub(super) async fn fill_all(db: &mut SqliteConnection) -> StoreResult<()> {
    sqlx::query("delete from incident_days")
        .execute(&mut *db)
        .await?;
    run(db, &history::days_fill_sql(&DAYS, "true"), &[]).await?;
    run(db, "delete from incident_months", &[]).await?;
    run(
        db,
        &history::months_apply_sql("incident_days", "true", 1),
        &[],
    )
    .await
}

/// The buckets the stored incidents among `ids` count in now.
pub(super) async fn keys_of(
    db: &mut SqliteConnection,
    ids: &[String],
) -> StoreResult<BTreeSet<DayKey>> {
    let list = serde_json::to_string(ids).map_err(|e| StoreError::Db(e.to_string()))?;
    let rows: Vec<KeyRow> = sqlx::query_as(
        "select grid, category, reported_at from incidents where id in (select value from json_each(?))",
    )
    .bind(list)
    .fetch_all(&mut *db)
    .await?;
    Ok(rows.into_iter().map(DayKey::from).collect())
}
