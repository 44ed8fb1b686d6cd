//! Patrol fixes into SQLite: one transaction per batch, multi-row INSERTs.

use chrono::Utc;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use super::MAX_PARAMS;
use crate::domain::{PatrolMember, PatrolPoint};
use crate::store::{Change, StoreResult};

/// Writes the change-log entry, members (new ones only) and fixes in one transaction.
pub(super) async fn append(
    pool: &SqlitePool,
    members: &[PatrolMember],
    points: &[PatrolPoint],
    record_id: &str,
    bbox: [f64; 4],
) -> StoreResult<Change> {
    // IMMEDIATE: see `SqliteStore::write`.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // The change first: its number marks the fixes as one batch.
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
    for chunk in points.chunks(MAX_PARAMS / 5) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("insert into patrol_points (member_id, t, lon, lat, batch) ");
        qb.push_values(chunk, |mut b, p| {
            b.push_bind(members[p.member as usize].id.as_str())
                .push_bind(p.time)
                .push_bind(p.lon)
                .push_bind(p.lat)
                .push_bind(change.seq);
        });
        qb.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(change)
}

/// The members and fixes of one batch.
pub(super) async fn batch(
    pool: &SqlitePool,
    seq: i64,
) -> StoreResult<(Vec<PatrolMember>, Vec<PatrolPoint>)> {
    let rows = sqlx::query("select p.member_id, p.t, p.lon, p.lat, m.name, m.team from patrol_points p join patrol_members m on m.id = p.member_id where p.batch = ?")
        .bind(seq)
        .fetch_all(pool)
        .await?;
    let mut members: Vec<PatrolMember> = Vec::new();
    let mut points = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("member_id")?;
        let member = match members.iter().position(|m| m.id == id) {
            Some(i) => i,
            None => {
                members.push(PatrolMember {
                    id,
                    name: r.try_get("name")?,
                    team: r.try_get("team")?,
                });
                members.len() - 1
            }
        } as u32;
        points.push(PatrolPoint {
            member,
            time: r.try_get("t")?,
            lon: r.try_get("lon")?,
            lat: r.try_get("lat")?,
        });
    }
    Ok((members, points))
}
