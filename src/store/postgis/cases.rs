//! Case photos, configured deadlines and handling timings in PostGIS.

use sqlx::{PgPool, Row};

use crate::store::{Change, NewPhoto, PhotoMeta, StoreError, StoreResult, Timing};

/// See [`crate::store::Store::add_photos`].
pub(super) async fn add_photos(
    pool: &PgPool,
    id: &str,
    photos: &[NewPhoto],
    max: i64,
    actor: &str,
    (lon, lat): (f64, f64),
) -> StoreResult<(Vec<i64>, Change)> {
    let mut tx = pool.begin().await?;
    // The row lock queues concurrent uploads to one case, so the count holds.
    let status: Option<String> =
        sqlx::query_scalar("select status from incidents where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let status = status.ok_or_else(|| StoreError::Conflict(format!("no incident {id}")))?;
    let (have, last): (i64, i64) = sqlx::query_as(
        "select count(*), coalesce(max(n), 0)::int8 from incident_photos where incident_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if have + photos.len() as i64 > max {
        return Err(StoreError::Conflict(format!(
            "a case holds at most {max} photos; incident {id} has {have}"
        )));
    }
    let mut numbers = Vec::with_capacity(photos.len());
    for (k, p) in photos.iter().enumerate() {
        let n = last + 1 + k as i64;
        sqlx::query("insert into incident_photos (incident_id, n, content_type, data, thumb, width, height, created_at, created_by) values ($1, $2, $3, $4, $5, $6, $7, now(), $8)")
            .bind(id).bind(n as i32).bind(p.content_type).bind(&p.data).bind(&p.thumb)
            .bind(p.width as i32).bind(p.height as i32).bind(actor)
            .execute(&mut *tx).await?;
        numbers.push(n);
    }
    sqlx::query("insert into incident_history (incident_id, at, actor, action, status, note) values ($1, now(), $2, 'photo', $3, $4)")
        .bind(id).bind(actor).bind(&status).bind(photos.len().to_string())
        .execute(&mut *tx).await?;
    let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (now(), 'incident.updated', $1, $2, $3, $2, $3) returning *")
        .bind(id).bind(lon).bind(lat)
        .fetch_one(&mut *tx).await?;
    let change = super::map::change(&row)?;
    sqlx::query("select pg_notify('minqing_changes', $1)")
        .bind(change.seq.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((numbers, change))
}

/// See [`crate::store::Store::photos`].
pub(super) async fn photos(pool: &PgPool, id: &str) -> StoreResult<Vec<PhotoMeta>> {
    sqlx::query("select n::int8 as n, content_type, width::int8 as width, height::int8 as height, created_at, created_by from incident_photos where incident_id = $1 order by n")
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
    pool: &PgPool,
    id: &str,
    n: i64,
    thumb: bool,
) -> StoreResult<Option<(String, Vec<u8>)>> {
    let Ok(n) = i32::try_from(n) else {
        return Ok(None);
    };
    let sql = if thumb {
        "select 'image/jpeg' as content_type, thumb as data from incident_photos where incident_id = $1 and n = $2"
    } else {
        "select content_type, data from incident_photos where incident_id = $1 and n = $2"
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
pub(super) async fn deadlines(pool: &PgPool) -> StoreResult<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("select category, hours::int8 from incident_deadlines order by category")
            .fetch_all(pool)
            .await?,
    )
}

/// See [`crate::store::Store::set_deadline`].
pub(super) async fn set_deadline(
    pool: &PgPool,
    category: &str,
    hours: i64,
    actor: &str,
) -> StoreResult<()> {
    let hours = i32::try_from(hours)
        .map_err(|_| StoreError::Conflict(format!("{hours} hours is out of range")))?;
    sqlx::query("insert into incident_deadlines (category, hours, updated_at, updated_by) values ($1, $2, now(), $3) \
                 on conflict (category) do update set hours = excluded.hours, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
        .bind(category).bind(hours).bind(actor)
        .execute(pool).await?;
    Ok(())
}

/// See [`crate::store::Store::timings`].
pub(super) async fn timings(
    pool: &PgPool,
    before: Option<chrono::DateTime<chrono::Utc>>,
) -> StoreResult<Vec<(String, Timing)>> {
    let sql = crate::store::history::live_timings_sql(before, "::timestamptz");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("incident_id")?, super::map::timing(r)?)))
        .collect()
}

/// See [`crate::store::Store::recent_history`].
pub(super) async fn recent_history(
    pool: &PgPool,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<(String, crate::store::HistoryEntry)>> {
    sqlx::query("select * from incident_history order by at desc, id desc limit $1 offset $2")
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("incident_id")?, super::map::history(r)?)))
        .collect()
}
