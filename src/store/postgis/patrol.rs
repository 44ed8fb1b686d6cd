//! Patrol fixes into PostGIS: one transaction per batch, fixes by `INSERT … SELECT FROM UNNEST`.

use sqlx::{PgPool, Row};

use crate::domain::{PatrolMember, PatrolPoint};
use crate::store::{Change, StoreResult};

/// Rows per INSERT … UNNEST (keeps one message well under PostgreSQL's 1 GiB limit).
const UNNEST_CHUNK: usize = 100_000;

/// Writes the change-log entry, members (new ones only) and fixes in one transaction.
pub(super) async fn append(
    pool: &PgPool,
    members: &[PatrolMember],
    points: &[PatrolPoint],
    record_id: &str,
    bbox: [f64; 4],
) -> StoreResult<Change> {
    let mut tx = pool.begin().await?;
    // The change first: its number marks the fixes as one batch.
    let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (now(), 'patrol.track', $1, $2, $3, $4, $5) returning *")
        .bind(record_id)
        .bind(bbox[0])
        .bind(bbox[1])
        .bind(bbox[2])
        .bind(bbox[3])
        .fetch_one(&mut *tx)
        .await?;
    let change = super::map::change(&row)?;
    sqlx::query("insert into patrol_members (id, name, team) select * from unnest($1::text[], $2::text[], $3::text[]) on conflict (id) do nothing")
        .bind(members.iter().map(|m| m.id.as_str()).collect::<Vec<_>>())
        .bind(members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>())
        .bind(members.iter().map(|m| m.team.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    // UNNEST rather than COPY: sqlx does not set TCP_NODELAY, and its COPY
    // sends the data and the CopyDone in separate writes, so over TCP every
    // batch waited ~40 ms for a delayed ACK (Nagle); measured 7.7 k fixes/s in
    // member-hour batches. One INSERT … UNNEST is one write and one round trip.
    for chunk in points.chunks(UNNEST_CHUNK) {
        sqlx::query("insert into patrol_points (member_id, t, geom, batch) select m, t, st_setsrid(st_makepoint(x, y), 4326), $5 from unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[]) as u(m, t, x, y)")
            .bind(chunk.iter().map(|p| members[p.member as usize].id.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.time).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.lon).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.lat).collect::<Vec<_>>())
            .bind(change.seq)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("select pg_notify('minqing_changes', $1)")
        .bind(change.seq.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(change)
}

/// The members and fixes of one batch.
pub(super) async fn batch(
    pool: &PgPool,
    seq: i64,
) -> StoreResult<(Vec<PatrolMember>, Vec<PatrolPoint>)> {
    let rows = sqlx::query("select p.member_id, p.t, st_x(p.geom) as lon, st_y(p.geom) as lat, m.name, m.team from patrol_points p join patrol_members m on m.id = p.member_id where p.batch = $1")
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
