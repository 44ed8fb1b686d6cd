//! Patrol fixes into SQLite: one transaction per batch, multi-row INSERTs.

use chrono::Utc;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::MAX_PARAMS;
use crate::domain::{PatrolMember, PatrolPoint};
use crate::store::{Change, StoreResult};

/// Writes members (new ones only), fixes and one change-log entry in one transaction.
pub(super) async fn append(
    pool: &SqlitePool,
    members: &[PatrolMember],
    points: &[PatrolPoint],
    record_id: &str,
    bbox: [f64; 4],
) -> StoreResult<Change> {
    let mut tx = pool.begin().await?;
    for chunk in members.chunks(MAX_PARAMS / 3) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("insert into patrol_members (id, name, team) ");
        qb.push_values(chunk, |mut b, m| {
            b.push_bind(m.id.as_str())
                .push_bind(m.name.as_str())
                .push_bind(m.team.as_str());
        });
        qb.push(" on conflict (id) do nothing");
        qb.build().execute(&mut *tx).await?;
    }
    // Full chunks share one statement text, so SQLite prepares it once per connection.
    for chunk in points.chunks(MAX_PARAMS / 4) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("insert into patrol_points (member_id, t, lon, lat) ");
        qb.push_values(chunk, |mut b, p| {
            b.push_bind(members[p.member as usize].id.as_str())
                .push_bind(p.time)
                .push_bind(p.lon)
                .push_bind(p.lat);
        });
        qb.build().execute(&mut *tx).await?;
    }
    let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (?, 'patrol.track', ?, ?, ?, ?, ?) returning *")
        .bind(Utc::now())
        .bind(record_id)
        .bind(bbox[0])
        .bind(bbox[1])
        .bind(bbox[2])
        .bind(bbox[3])
        .fetch_one(&mut *tx)
        .await?;
    let change = super::map::change(&row)?;
    tx.commit().await?;
    Ok(change)
}
