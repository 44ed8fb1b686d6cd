//! Patrol fixes into PostGIS: one transaction per batch, fixes by `COPY … FROM STDIN`.

use std::fmt::Write as _;

use sqlx::PgPool;

use crate::domain::{PatrolMember, PatrolPoint};
use crate::store::{Change, StoreResult};

/// Bytes sent to the server per COPY message.
const COPY_CHUNK: usize = 1 << 20;

/// Escapes text for COPY's text format (backslash, tab, newline, carriage return).
fn copy_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// A point as hex EWKB with SRID 4326: what a geometry column reads fastest in text COPY.
fn ewkb_hex(out: &mut String, lon: f64, lat: f64) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // little endian, type Point with the SRID flag, SRID 4326
    out.push_str("0101000020E6100000");
    for b in lon.to_le_bytes().into_iter().chain(lat.to_le_bytes()) {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

/// Writes members (new ones only), fixes and one change-log entry in one transaction.
pub(super) async fn append(
    pool: &PgPool,
    members: &[PatrolMember],
    points: &[PatrolPoint],
    record_id: &str,
    bbox: [f64; 4],
) -> StoreResult<Change> {
    let mut tx = pool.begin().await?;
    sqlx::query("insert into patrol_members (id, name, team) select * from unnest($1::text[], $2::text[], $3::text[]) on conflict (id) do nothing")
        .bind(members.iter().map(|m| m.id.as_str()).collect::<Vec<_>>())
        .bind(members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>())
        .bind(members.iter().map(|m| m.team.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    if !points.is_empty() {
        let ids: Vec<String> = members
            .iter()
            .map(|m| {
                let mut s = String::new();
                copy_text(&mut s, &m.id);
                s
            })
            .collect();
        let mut copy = tx
            .copy_in_raw("copy patrol_points (member_id, t, geom) from stdin")
            .await?;
        let mut buf = String::with_capacity(COPY_CHUNK + 256);
        for p in points {
            buf.push_str(&ids[p.member as usize]);
            buf.push('\t');
            // Writing to a String cannot fail.
            let _ = write!(buf, "{}", p.time.format("%Y-%m-%d %H:%M:%S%.6f+00"));
            buf.push('\t');
            ewkb_hex(&mut buf, p.lon, p.lat);
            buf.push('\n');
            if buf.len() >= COPY_CHUNK {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_bytes()).await?;
        }
        copy.finish().await?;
    }
    let row = sqlx::query("insert into changes (at, kind, record_id, minx, miny, maxx, maxy) values (now(), 'patrol.track', $1, $2, $3, $4, $5) returning *")
        .bind(record_id)
        .bind(bbox[0])
        .bind(bbox[1])
        .bind(bbox[2])
        .bind(bbox[3])
        .fetch_one(&mut *tx)
        .await?;
    let change = super::map::change(&row)?;
    sqlx::query("select pg_notify('minqing_changes', $1)")
        .bind(change.seq.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewkb_of_a_point_is_what_postgis_writes() {
        // select st_asewkb(st_setsrid(st_makepoint(1, 2), 4326)) → 0101000020E6100000000000000000F03F0000000000000040
        let mut s = String::new();
        ewkb_hex(&mut s, 1.0, 2.0);
        assert_eq!(s, "0101000020E6100000000000000000F03F0000000000000040");
    }

    #[test]
    fn copy_text_escapes_what_would_split_a_row() {
        let mut s = String::new();
        copy_text(&mut s, "a\tb\\c\nd");
        assert_eq!(s, "a\\tb\\\\c\\nd");
    }
}
