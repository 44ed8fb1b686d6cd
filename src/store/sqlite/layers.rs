//! Multi-row writes of whole layers, shared by the demo seed and imports:
//! one statement per chunk of rows instead of one per row.

use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::MAX_PARAMS;
use crate::domain::incident::Step;
use crate::domain::{Area, Hazard, Incident, Person, Place, Shelter};
use crate::spatial::BBox;
use crate::store::{StoreResult, cols, upsert_sql};

type Row<'a> = Separated<'a, Sqlite, &'static str>;

/// Writes `rows` into `table` in chunks under SQLite's cap on bound values;
/// `tail` follows each chunk's `values` list (an `on conflict` clause or nothing).
async fn chunked<T>(
    db: &mut SqliteConnection,
    head: &str,
    tail: &str,
    cols: usize,
    rows: &[T],
    mut bind: impl FnMut(&mut Row<'_>, &T),
) -> StoreResult<()> {
    for chunk in rows.chunks((MAX_PARAMS / cols).max(1)) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(head);
        qb.push_values(chunk, |mut b, r| bind(&mut b, r));
        qb.push(tail);
        qb.build().execute(&mut *db).await?;
    }
    Ok(())
}

/// A point's location columns here.
const LON_LAT: &[&str] = &["lon", "lat"];

/// Inserts or updates (by key, the first column) every row.
async fn upsert<T>(
    db: &mut SqliteConnection,
    table: &str,
    (cols, location): (&[&str], &[&str]),
    rows: &[T],
    bind: impl FnMut(&mut Row<'_>, &T),
) -> StoreResult<()> {
    let (head, tail) = upsert_sql(table, cols, location);
    chunked(db, &head, &tail, cols.len() + location.len(), rows, bind).await
}

/// Areas, parents before children; returns each area's code and box for the change log.
pub(super) async fn areas(
    db: &mut SqliteConnection,
    areas: &[Area],
) -> StoreResult<Vec<(String, [f64; 4])>> {
    let rows = areas
        .iter()
        .map(|a| {
            let bb = BBox::of(&a.geometry).map_or([0.0; 4], |b| b.to_array());
            Ok((a, crate::store::wkb::encode(&a.geometry)?, bb))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let bbox: &[&str] = &["minx", "miny", "maxx", "maxy"];
    upsert(
        db,
        "areas",
        (cols::AREAS, bbox),
        &rows,
        |b, (a, wkb, bb)| {
            b.push_bind(a.code.as_str().to_owned())
                .push_bind(a.name.clone())
                .push_bind(a.level().as_str())
                .push_bind(a.parent.as_ref().map(|p| p.as_str().to_owned()))
                .push_bind(a.head.as_ref().map(|h| h.name.clone()))
                .push_bind(a.head.as_ref().map(|h| h.phone.clone()))
                .push_bind(a.households as i64)
                .push_bind(a.residents as i64)
                .push_bind(wkb.clone())
                .push_bind(bb[0])
                .push_bind(bb[1])
                .push_bind(bb[2])
                .push_bind(bb[3]);
        },
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(a, _, bb)| (a.code.as_str().to_owned(), bb))
        .collect())
}

pub(super) async fn hazards(db: &mut SqliteConnection, rows: &[Hazard]) -> StoreResult<()> {
    upsert(db, "hazards", (cols::HAZARDS, LON_LAT), rows, |b, h| {
        b.push_bind(h.id.clone())
            .push_bind(h.name.clone())
            .push_bind(h.kind.clone())
            .push_bind(h.risk.as_str())
            .push_bind(h.threatened_households as i64)
            .push_bind(h.threatened_persons as i64)
            .push_bind(h.monitor.name.clone())
            .push_bind(h.monitor.phone.clone())
            .push_bind(h.leader.name.clone())
            .push_bind(h.leader.phone.clone())
            .push_bind(h.shelter.clone())
            .push_bind(h.status.clone())
            .push_bind(h.lon)
            .push_bind(h.lat);
    })
    .await
}

pub(super) async fn shelters(db: &mut SqliteConnection, rows: &[Shelter]) -> StoreResult<()> {
    upsert(db, "shelters", (cols::SHELTERS, LON_LAT), rows, |b, s| {
        b.push_bind(s.id.clone())
            .push_bind(s.name.clone())
            .push_bind(s.capacity as i64)
            .push_bind(s.address.clone())
            .push_bind(s.lon)
            .push_bind(s.lat);
    })
    .await
}

pub(super) async fn places(db: &mut SqliteConnection, rows: &[Place]) -> StoreResult<()> {
    upsert(db, "places", (cols::PLACES, LON_LAT), rows, |b, p| {
        b.push_bind(p.id.clone())
            .push_bind(p.name.clone())
            .push_bind(p.kind.clone())
            .push_bind(p.visit_every_hours as i64)
            .push_bind(p.radius_m)
            .push_bind(p.lon)
            .push_bind(p.lat);
    })
    .await
}

pub(super) async fn people(db: &mut SqliteConnection, rows: &[Person]) -> StoreResult<()> {
    upsert(db, "people", (cols::PEOPLE, LON_LAT), rows, |b, p| {
        b.push_bind(p.id.clone())
            .push_bind(p.category.as_str())
            .push_bind(p.name.clone())
            .push_bind(p.id_number.clone())
            .push_bind(p.phone.clone())
            .push_bind(p.address.clone())
            .push_bind(p.risk_level.map(i64::from))
            .push_bind(p.next_visit)
            .push_bind(p.lon)
            .push_bind(p.lat);
    })
    .await
}

/// Incidents; an existing one is updated and its version counts up.
pub(super) async fn incidents(db: &mut SqliteConnection, rows: &[Incident]) -> StoreResult<()> {
    upsert(db, "incidents", (cols::INCIDENTS, LON_LAT), rows, |b, i| {
        b.push_bind(i.id.clone())
            .push_bind(i.category.clone())
            .push_bind(i.source.clone())
            .push_bind(i.description.clone())
            .push_bind(i.grid.clone())
            .push_bind(i.status.as_str())
            .push_bind(i.reported_at)
            .push_bind(i.deadline)
            .push_bind(i.version)
            .push_bind(i.lon)
            .push_bind(i.lat);
    })
    .await
}

/// Appends history steps.
pub(super) async fn steps(db: &mut SqliteConnection, rows: &[Step]) -> StoreResult<()> {
    chunked(
        db,
        "insert into incident_history (incident_id, at, actor, action, status, note) ",
        "",
        6,
        rows,
        |b, s| {
            b.push_bind(s.incident_id.clone())
                .push_bind(s.at)
                .push_bind(s.actor.clone())
                .push_bind(s.action.clone())
                .push_bind(s.status.as_str())
                .push_bind(s.note.clone());
        },
    )
    .await
}

/// Patrol members and their fixes (the demo's seed).
pub(super) async fn patrol(
    db: &mut SqliteConnection,
    d: &crate::domain::Dataset,
) -> StoreResult<()> {
    chunked(
        db,
        "insert into patrol_members (id, name, team) ",
        "",
        3,
        &d.members,
        |b, m| {
            b.push_bind(m.id.clone())
                .push_bind(m.name.clone())
                .push_bind(m.team.clone());
        },
    )
    .await?;
    chunked(
        db,
        "insert into patrol_points (member_id, t, lon, lat) ",
        "",
        4,
        &d.patrol_points,
        |b, p| {
            b.push_bind(d.members[p.member as usize].id.clone())
                .push_bind(p.time)
                .push_bind(p.lon)
                .push_bind(p.lat);
        },
    )
    .await
}
