//! The per-day aggregates of finished cases on PostGIS (migration 0011):
//! buckets recomputed in the transaction of the write that touched them.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{AssertSqlSafe, PgConnection, Row};

use super::{DIALECT, bind_all};
use crate::store::StoreResult;
use crate::store::history::{self, Arg, DayDialect, DayKey, KeyRow};

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
        let (days, days_args) = history::bucket_days(k, &DIALECT, 1);
        let old = rollups_out(db, ("incident_days", &days), &days_args).await?;
        run(
            db,
            &format!("delete from incident_days where {days}"),
            &days_args,
        )
        .await?;
        let (scope, args) = history::day_key_scope(k, &DIALECT, &DAYS, 1);
        run(db, &history::days_fill_sql(&DAYS, &scope), &args).await?;
        let (months, months_args) = history::bucket_months(k, &DIALECT, 1);
        rollups_in(
            db,
            ("incident_days", &days, &days_args),
            (&months, &months_args),
            old,
        )
        .await?;
    }
    Ok(())
}

/// Runs one statement with its arguments.
async fn run(db: &mut PgConnection, sql: &str, args: &[Arg]) -> StoreResult<()> {
    bind_all(sqlx::query(AssertSqlSafe(sql.to_owned())), args)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Before the day rows of `table` matching `days` are rewritten: takes
/// them out of the month rollups and answers their cases per grid and
/// month.
async fn rollups_out(
    db: &mut PgConnection,
    (table, days): (&str, &str),
    args: &[Arg],
) -> StoreResult<GridMonths> {
    run(db, &history::months_apply_sql(table, days, -1), args).await?;
    grid_months_of(db, (table, days), args).await
}

/// After the day rows are rewritten: adds those of `table` matching `days`
/// to the month rollups, drops the month rows emptied (those matching
/// `months`) and moves the per-grid counts by the difference from `old`.
async fn rollups_in(
    db: &mut PgConnection,
    (table, days, days_args): (&str, &str, &[Arg]),
    (months, months_args): (&str, &[Arg]),
    old: GridMonths,
) -> StoreResult<()> {
    run(db, &history::months_apply_sql(table, days, 1), days_args).await?;
    let drop = format!("{} and {months}", history::MONTHS_DROP_EMPTY);
    run(db, &drop, months_args).await?;
    let mut change = grid_months_of(db, (table, days), days_args).await?;
    for (k, n) in old {
        *change.entry(k).or_default() -= n;
    }
    change.retain(|_, n| *n != 0);
    add_grid_months(db, &change).await
}

/// Cases per (grid, month index): see [`MONTH_INDEX`].
type GridMonths = BTreeMap<(String, i32), i64>;

/// The month of a `YYYY-MM-DD` day as `grid_months` indexes it: months
/// since 1970-01, January 1970 being 1.
const MONTH_INDEX: &str =
    "((cast(substr(day, 1, 4) as int) - 1970) * 12 + cast(substr(day, 6, 2) as int))";

/// The cases of the day rows of `table` matching `days` per grid and month.
async fn grid_months_of(
    db: &mut PgConnection,
    (table, days): (&str, &str),
    args: &[Arg],
) -> StoreResult<GridMonths> {
    let sql = format!(
        "select grid, {MONTH_INDEX} as m, cast(sum(reported) as int8) as n \
         from {table} where {days} and grid <> '' group by 1, 2"
    );
    let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), args)
        .fetch_all(&mut *db)
        .await?;
    rows.iter()
        .map(|r| Ok(((r.try_get("grid")?, r.try_get("m")?), r.try_get("n")?)))
        .collect()
}

/// Adds `change` to the per-grid running counts: one statement per month
/// (many grids' arrays at once), after creating missing rows. A month's
/// change moves its own element and every later one; the array grows to
/// take in a month before its first or after its last (later months keep
/// the last running count).
async fn add_grid_months(db: &mut PgConnection, change: &GridMonths) -> StoreResult<()> {
    if change.is_empty() {
        return Ok(());
    }
    let grids: BTreeSet<&str> = change.keys().map(|(g, _)| g.as_str()).collect();
    sqlx::query("insert into grid_months (grid, counts) select unnest($1::text[]), '{}' on conflict (grid) do nothing")
        .bind(grids.into_iter().collect::<Vec<_>>())
        .execute(&mut *db)
        .await?;
    let mut by_month: BTreeMap<i32, (Vec<&str>, Vec<i32>)> = BTreeMap::new();
    for ((g, m), n) in change {
        let e = by_month.entry(*m).or_default();
        e.0.push(g);
        e.1.push(i32::try_from(*n).unwrap_or(i32::MAX));
    }
    for (m, (grids, ns)) in by_month {
        sqlx::query(
            "update grid_months g set counts = ( \
               select cast('[' || min(k) || ':' || max(k) || ']={' || string_agg(cast(v as text), ',' order by k) || '}' as int4[]) \
               from (select k, coalesce(g.counts[least(k, array_upper(g.counts, 1))], 0) \
                              + case when k >= $1 then d.n else 0 end as v \
                     from generate_series(least($1, coalesce(array_lower(g.counts, 1), $1)), \
                                          greatest($1, coalesce(array_upper(g.counts, 1), $1))) as k) s) \
             from unnest($2::text[], $3::int4[]) as d(grid, n) where g.grid = d.grid",
        )
        .bind(m)
        .bind(grids)
        .bind(ns)
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
    // The touched day rows, copied once before and once after: each
    // statement of the rollups finding them again in `incident_days` was a
    // scan of every day row (10 M at province scale, 7–16 s each).
    let days = history::REFRESH_KEYS_DAYS;
    run(
        db,
        "create temp table if not exists touched_days (like incident_days) on commit drop",
        &[],
    )
    .await?;
    run(db, "delete from touched_days", &[]).await?;
    let copy = format!("insert into touched_days select * from incident_days where {days}");
    run(db, &copy, &[]).await?;
    let old = rollups_out(db, ("touched_days", "true"), &[]).await?;
    run(db, &format!("delete from incident_days where {days}"), &[]).await?;
    run(db, "delete from touched_days", &[]).await?;
    // The new rows go to the copy as they are written.
    let fill = history::days_fill_sql(&DAYS, &history::refresh_keys_scope(&DAYS));
    let fill =
        format!("with new as ({fill} returning *) insert into touched_days select * from new");
    run(db, &fill, &[]).await?;
    let months = history::refresh_keys_months();
    rollups_in(db, ("touched_days", "true", &[]), (&months, &[]), old).await
}

/// Rebuilds every bucket from the cases and their histories.
pub(super) async fn fill_all(db: &mut PgConnection) -> StoreResult<()> {
    lock(db, "incident_days").await?;
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
    .await?;
    run(db, "delete from grid_months", &[]).await?;
    // Running counts from the sparse (grid, month) sums: a month without
    // cases repeats the count before it; the bounds are the first and the
    // last month with cases.
    let fill = format!(
        "insert into grid_months (grid, counts) \
         select grid, cast('[' || min(m) || ':' || max(m) || ']={{' \
           || string_agg(repeat((cum - n) || ',', coalesce(gap, 0)) || cum, ',' order by m) || '}}' as int4[]) \
         from (select grid, m, n, sum(n) over (partition by grid order by m) as cum, \
                 m - lag(m) over (partition by grid order by m) - 1 as gap \
               from (select grid, {MONTH_INDEX} as m, sum(reported) as n \
                     from incident_days where grid <> '' group by 1, 2) s) w \
         group by grid"
    );
    run(db, &fill, &[]).await?;
    // Planner statistics now: before, a year's read of the freshly filled
    // days was planned for thirty thousand rows and sorted 770,000.
    run(
        db,
        "analyze incident_days, incident_months, grid_months",
        &[],
    )
    .await
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
