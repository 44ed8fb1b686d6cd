//! Case photos, configured deadlines and handling timings in SQLite.

use chrono::Utc;
use sqlx::{Row, SqlitePool};

use crate::store::{Change, NewPhoto, PhotoMeta, StoreError, StoreResult, Timing};

/// See [`crate::store::Store::add_photos`].
pub(super) async fn add_photos(
    pool: &SqlitePool,
    id: &str,
    photos: &[NewPhoto],
    max: i64,
    actor: &str,
    (lon, lat): (f64, f64),
) -> StoreResult<(Vec<i64>, Change)> {
    // IMMEDIATE: see `SqliteStore::write`; it also makes count-then-insert atomic.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let status: Option<String> = sqlx::query_scalar("select status from incidents where id = ?")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let status = status.ok_or_else(|| StoreError::Conflict(format!("no incident {id}")))?;
    let (have, last): (i64, i64) = sqlx::query_as(
        "select count(*), coalesce(max(n), 0) from incident_photos where incident_id = ?",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if have + photos.len() as i64 > max {
        return Err(StoreError::Conflict(format!(
            "a case holds at most {max} photos; incident {id} has {have}"
        )));
    }
    let now = Utc::now();
    let mut numbers = Vec::with_capacity(photos.len());
    for (k, p) in photos.iter().enumerate() {
        let n = last + 1 + k as i64;
        sqlx::query("insert into incident_photos (incident_id, n, content_type, data, thumb, width, height, created_at, created_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(id).bind(n).bind(p.content_type).bind(&p.data).bind(&p.thumb)
            .bind(i64::from(p.width)).bind(i64::from(p.height)).bind(now).bind(actor)
            .execute(&mut *tx).await?;
        numbers.push(n);
    }
    sqlx::query("insert into incident_history (incident_id, at, actor, action, status, note) values (?, ?, ?, 'photo', ?, ?)")
        .bind(id).bind(now).bind(actor).bind(&status).bind(photos.len().to_string())
        .execute(&mut *tx).await?;
    let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (?, 'incident.updated', ?, ?, ?, ?, ?) returning *")
        .bind(now).bind(id).bind(lon).bind(lat).bind(lon).bind(lat)
        .fetch_one(&mut *tx).await?;
    let change = super::map::change(&row)?;
    tx.commit().await?;
    Ok((numbers, change))
}

/// See [`crate::store::Store::photos`].
pub(super) async fn photos(pool: &SqlitePool, id: &str) -> StoreResult<Vec<PhotoMeta>> {
    sqlx::query("select n, content_type, width, height, created_at, created_by from incident_photos where incident_id = ? order by n")
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(PhotoMeta {
                n: r.try_get("n")?,
                content_type: r.try_get("content_type")?,
                width: r.try_get("width")?,
                height: r.try_get("height")?,
                created_at: r.try_get("created_at")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect()
}

/// See [`crate::store::Store::photo`].
pub(super) async fn photo(
    pool: &SqlitePool,
    id: &str,
    n: i64,
    thumb: bool,
) -> StoreResult<Option<(String, Vec<u8>)>> {
    let sql = if thumb {
        "select 'image/jpeg' as content_type, thumb as data from incident_photos where incident_id = ? and n = ?"
    } else {
        "select content_type, data from incident_photos where incident_id = ? and n = ?"
    };
    let row = sqlx::query(sql)
        .bind(id)
        .bind(n)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok((r.try_get("content_type")?, r.try_get("data")?)))
        .transpose()
}

/// See [`crate::store::Store::deadlines`].
pub(super) async fn deadlines(pool: &SqlitePool) -> StoreResult<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("select category, hours from incident_deadlines order by category")
            .fetch_all(pool)
            .await?,
    )
}

/// See [`crate::store::Store::set_deadline`].
pub(super) async fn set_deadline(
    pool: &SqlitePool,
    category: &str,
    hours: i64,
    actor: &str,
) -> StoreResult<()> {
    sqlx::query("insert into incident_deadlines (category, hours, updated_at, updated_by) values (?, ?, ?, ?) \
                 on conflict (category) do update set hours = excluded.hours, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
        .bind(category).bind(hours).bind(Utc::now()).bind(actor)
        .execute(pool).await?;
    Ok(())
}

/// See [`crate::store::Store::timings`].
pub(super) async fn timings(
    pool: &SqlitePool,
    before: Option<chrono::DateTime<chrono::Utc>>,
) -> StoreResult<Vec<(String, Timing)>> {
    let sql = crate::store::history::live_timings_sql(before, "");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("incident_id")?, super::map::timing(r)?)))
        .collect()
}

/// See [`crate::store::Store::recent_history`].
pub(super) async fn recent_history(
    pool: &SqlitePool,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<(String, crate::store::HistoryEntry)>> {
    sqlx::query("select * from incident_history order by at desc, id desc limit ? offset ?")
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("incident_id")?, super::map::history(r)?)))
        .collect()
}
