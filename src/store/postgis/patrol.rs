//! Patrol fixes into PostGIS: one statement per batch (change-log entry,
//! members and fixes by `INSERT … SELECT FROM UNNEST`, and the notification).

use sqlx::{PgPool, Row};

use crate::domain::{PatrolMember, PatrolPoint};
use crate::store::{Change, StoreResult};

/// The whole batch as one statement, so one round trip and one implicit
/// transaction: the data-modifying CTEs write the change, the new members and
/// the fixes (numbered with the change), the lateral `pg_notify` tells the
/// other instances at commit. A batch is bounded by the request body (8 MiB),
/// far below PostgreSQL's 1 GiB message limit.
const APPEND_SQL: &str = "with c as ( \
       insert into changes (at, kind, record_id, minx, miny, maxx, maxy) \
       values (now(), 'patrol.track', $1, $2, $3, $4, $5) returning *), \
     m as ( \
       insert into patrol_members (id, name, team) \
       select * from unnest($6::text[], $7::text[], $8::text[]) on conflict (id) do nothing), \
     p as ( \
       insert into patrol_points (member_id, t, geom, batch) \
       select u.m, u.t, st_setsrid(st_makepoint(u.x, u.y), 4326), c.seq \
       from c, unnest($9::text[], $10::timestamptz[], $11::float8[], $12::float8[]) as u(m, t, x, y)) \
     select c.* from c cross join lateral (select pg_notify('minqing_changes', c.seq::text)) as n";

/// Writes the change-log entry, members (new ones only) and fixes at once.
///
/// UNNEST rather than COPY: sqlx does not set TCP_NODELAY, and its COPY sends
/// the data and the CopyDone in separate writes, so over TCP every batch
/// waited ~40 ms for a delayed ACK (Nagle); measured 7.7 k fixes/s in
/// member-hour batches. One statement is one write and one round trip.
pub(super) async fn append(
    pool: &PgPool,
    members: &[PatrolMember],
    points: &[PatrolPoint],
    record_id: &str,
    bbox: [f64; 4],
) -> StoreResult<Change> {
    let row = sqlx::query(APPEND_SQL)
        .bind(record_id)
        .bind(bbox[0])
        .bind(bbox[1])
        .bind(bbox[2])
        .bind(bbox[3])
        .bind(members.iter().map(|m| m.id.as_str()).collect::<Vec<_>>())
        .bind(members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>())
        .bind(members.iter().map(|m| m.team.as_str()).collect::<Vec<_>>())
        .bind(
            points
                .iter()
                .map(|p| members[p.member as usize].id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(points.iter().map(|p| p.time).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.lon).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.lat).collect::<Vec<_>>())
        .fetch_one(pool)
        .await?;
    super::map::change(&row)
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
