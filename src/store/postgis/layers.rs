//! Whole-layer writes shared by the demo seed and imports: one statement per
//! chunk of rows, each column travelling as one array (`unnest`), so a
//! million rows are a few dozen round trips.

use sqlx::{AssertSqlSafe, PgConnection};

use crate::domain::incident::Step;
use crate::domain::{Area, Hazard, Incident, Person, Place, Shelter};
use crate::spatial::BBox;
use crate::store::{StoreResult, cols, upsert_sql};

/// Rows per statement: large enough that round trips vanish, small enough
/// that one statement's arrays stay a few megabytes.
const CHUNK: usize = 50_000;

/// `insert into TABLE (COLS) SELECT … on conflict (key) do update …`.
/// The table, columns and select are this module's constants, never input.
/// A point's location column here.
const GEOM: &[&str] = &["geom"];

fn upsert(
    table: &str,
    (cols, location): (&[&str], &[&str]),
    select: &str,
) -> AssertSqlSafe<String> {
    let (head, tail) = upsert_sql(table, cols, location);
    AssertSqlSafe(format!("{head}{select}{tail}"))
}

/// Collects one column of a chunk.
fn col<T, U>(rows: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

/// Areas, parents before children; returns each area's code and box for the change log.
pub(super) async fn areas(
    db: &mut PgConnection,
    areas: &[Area],
) -> StoreResult<Vec<(String, [f64; 4])>> {
    let sql = upsert(
        "areas",
        (cols::AREAS, &[]),
        "select c, n, l, p, hn, hp, hh, r, st_multi(st_geomfromwkb(g, 4326)) \
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int8[], $9::bytea[]) \
         as t(c, n, l, p, hn, hp, hh, r, g)",
    );
    // Parents must exist before their children's statement: areas come
    // sorted by code length, so chunks keep that order.
    for chunk in areas.chunks(CHUNK) {
        let wkbs = chunk
            .iter()
            .map(|a| crate::store::wkb::encode(&a.geometry))
            .collect::<StoreResult<Vec<_>>>()?;
        sqlx::query(AssertSqlSafe(sql.0.clone()))
            .bind(col(chunk, |a| a.code.as_str().to_owned()))
            .bind(col(chunk, |a| a.name.clone()))
            .bind(col(chunk, |a| a.level().as_str().to_owned()))
            .bind(col(chunk, |a| {
                a.parent.as_ref().map(|p| p.as_str().to_owned())
            }))
            .bind(col(chunk, |a| a.head.as_ref().map(|h| h.name.clone())))
            .bind(col(chunk, |a| a.head.as_ref().map(|h| h.phone.clone())))
            .bind(col(chunk, |a| a.households as i64))
            .bind(col(chunk, |a| a.residents as i64))
            .bind(wkbs)
            .execute(&mut *db)
            .await?;
    }
    Ok(areas
        .iter()
        .map(|a| {
            let bb = BBox::of(&a.geometry).map_or([0.0; 4], |b| b.to_array());
            (a.code.as_str().to_owned(), bb)
        })
        .collect())
}

pub(super) async fn hazards(db: &mut PgConnection, rows: &[Hazard]) -> StoreResult<()> {
    let sql = upsert(
        "hazards",
        (cols::HAZARDS, GEOM),
        "select i, n, k, r, th, tp, mn, mp, ln, lp, s, st, st_setsrid(st_makepoint(x, y), 4326) \
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[], $8::text[], \
                     $9::text[], $10::text[], $11::text[], $12::text[], $13::float8[], $14::float8[]) \
         as t(i, n, k, r, th, tp, mn, mp, ln, lp, s, st, x, y)",
    );
    for h in rows.chunks(CHUNK) {
        sqlx::query(AssertSqlSafe(sql.0.clone()))
            .bind(col(h, |v| v.id.clone()))
            .bind(col(h, |v| v.name.clone()))
            .bind(col(h, |v| v.kind.clone()))
            .bind(col(h, |v| v.risk.as_str().to_owned()))
            .bind(col(h, |v| v.threatened_households as i64))
            .bind(col(h, |v| v.threatened_persons as i64))
            .bind(col(h, |v| v.monitor.name.clone()))
            .bind(col(h, |v| v.monitor.phone.clone()))
            .bind(col(h, |v| v.leader.name.clone()))
            .bind(col(h, |v| v.leader.phone.clone()))
            .bind(col(h, |v| v.shelter.clone()))
            .bind(col(h, |v| v.status.clone()))
            .bind(col(h, |v| v.lon))
            .bind(col(h, |v| v.lat))
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

pub(super) async fn shelters(db: &mut PgConnection, rows: &[Shelter]) -> StoreResult<()> {
    let sql = upsert(
        "shelters",
        (cols::SHELTERS, GEOM),
        "select i, n, c, a, st_setsrid(st_makepoint(x, y), 4326) \
         from unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::float8[], $6::float8[]) as t(i, n, c, a, x, y)",
    );
    for s in rows.chunks(CHUNK) {
        sqlx::query(AssertSqlSafe(sql.0.clone()))
            .bind(col(s, |v| v.id.clone()))
            .bind(col(s, |v| v.name.clone()))
            .bind(col(s, |v| v.capacity as i64))
            .bind(col(s, |v| v.address.clone()))
            .bind(col(s, |v| v.lon))
            .bind(col(s, |v| v.lat))
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

pub(super) async fn places(db: &mut PgConnection, rows: &[Place]) -> StoreResult<()> {
    let sql = upsert(
        "places",
        (cols::PLACES, GEOM),
        "select i, n, k, v, r, st_setsrid(st_makepoint(x, y), 4326) \
         from unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::float8[], $6::float8[], $7::float8[]) as t(i, n, k, v, r, x, y)",
    );
    for p in rows.chunks(CHUNK) {
        sqlx::query(AssertSqlSafe(sql.0.clone()))
            .bind(col(p, |v| v.id.clone()))
            .bind(col(p, |v| v.name.clone()))
            .bind(col(p, |v| v.kind.clone()))
            .bind(col(p, |v| v.visit_every_hours as i64))
            .bind(col(p, |v| v.radius_m))
            .bind(col(p, |v| v.lon))
            .bind(col(p, |v| v.lat))
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

pub(super) async fn people(db: &mut PgConnection, rows: &[Person]) -> StoreResult<()> {
    let sql = upsert(
        "people",
        (cols::PEOPLE, GEOM),
        "select i, c, n, idn, ph, a, r, nv, st_setsrid(st_makepoint(x, y), 4326) \
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::date[], $9::float8[], $10::float8[]) \
         as t(i, c, n, idn, ph, a, r, nv, x, y)",
    );
    for p in rows.chunks(CHUNK) {
        sqlx::query(AssertSqlSafe(sql.0.clone()))
            .bind(col(p, |v| v.id.clone()))
            .bind(col(p, |v| v.category.as_str().to_owned()))
            .bind(col(p, |v| v.name.clone()))
            .bind(col(p, |v| v.id_number.clone()))
            .bind(col(p, |v| v.phone.clone()))
            .bind(col(p, |v| v.address.clone()))
            .bind(col(p, |v| v.risk_level.map(i64::from)))
            .bind(col(p, |v| v.next_visit))
            .bind(col(p, |v| v.lon))
            .bind(col(p, |v| v.lat))
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Incidents; an existing one is updated and its version counts up.
pub(super) async fn incidents(db: &mut PgConnection, rows: &[Incident]) -> StoreResult<()> {
    let sql = upsert(
        "incidents",
        (cols::INCIDENTS, GEOM),
        "select i, c, s, d, g, st, r, dl, v, st_setsrid(st_makepoint(x, y), 4326) \
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], \
                     $9::int8[], $10::float8[], $11::float8[]) \
         as t(i, c, s, d, g, st, r, dl, v, x, y)",
    );
    for chunk in rows.chunks(CHUNK) {
        sqlx::query(AssertSqlSafe(sql.0.clone()))
            .bind(col(chunk, |v| v.id.clone()))
            .bind(col(chunk, |v| v.category.clone()))
            .bind(col(chunk, |v| v.source.clone()))
            .bind(col(chunk, |v| v.description.clone()))
            .bind(col(chunk, |v| v.grid.clone()))
            .bind(col(chunk, |v| v.status.as_str().to_owned()))
            .bind(col(chunk, |v| v.reported_at))
            .bind(col(chunk, |v| v.deadline))
            .bind(col(chunk, |v| v.version))
            .bind(col(chunk, |v| v.lon))
            .bind(col(chunk, |v| v.lat))
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Appends history steps.
pub(super) async fn steps(db: &mut PgConnection, rows: &[Step]) -> StoreResult<()> {
    for chunk in rows.chunks(CHUNK) {
        sqlx::query(
            "insert into incident_history (incident_id, at, actor, action, status, note) \
             select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])",
        )
        .bind(col(chunk, |s| s.incident_id.clone()))
        .bind(col(chunk, |s| s.at))
        .bind(col(chunk, |s| s.actor.clone()))
        .bind(col(chunk, |s| s.action.clone()))
        .bind(col(chunk, |s| s.status.as_str().to_owned()))
        .bind(col(chunk, |s| s.note.clone()))
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}
