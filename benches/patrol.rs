//! Patrol benchmark: ingest into the stores and the index, and coverage of
//! every grid of a city for one day.
//!
//! `cargo bench --bench patrol -- [--grids N] [--members M] [--hours H] [--pg URL|none]`
//!
//! The city is synthesised here (a lattice of 300 m square grids), since
//! `minqing gen` is another command's work. Tracks: `M` members (default 400)
//! with a fix every 10 s for `H` hours (default 24): ≈3.5 M fixes. Three in
//! four walk at 1.4 m/s, one in four rides at 8 m/s, turning at random and
//! turning back at the city's edge. Everything is seeded, so runs compare.

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use geo_types::{LineString, MultiPolygon, Polygon};
use minqing::domain::{Area, AreaCode, Dataset, Level, PatrolMember, PatrolPoint, Place};
use minqing::patrol::{Format, NoHistory, NoiseRules, ParseOptions, clean, parse};
use minqing::spatial::SpatialIndex;
use minqing::spatial::tracks::Tracks;
use minqing::store::{self, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const GRID_M: f64 = 300.0;
const LON0: f64 = 113.0;
const LAT0: f64 = 23.0;
const M_LAT: f64 = 111_320.0;

struct Args {
    grids: usize,
    members: usize,
    hours: i64,
    pg: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        grids: 100_000,
        members: 400,
        hours: 24,
        pg: Some("postgres://postgres@127.0.0.1:5432/postgres".into()),
    };
    let v: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < v.len() {
        let next = v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--grids" => a.grids = next.parse().expect("--grids N"),
            "--members" => a.members = next.parse().expect("--members N"),
            "--hours" => a.hours = next.parse().expect("--hours N"),
            "--pg" => a.pg = (next != "none").then_some(next),
            _ => {
                i += 1; // `--bench` and friends from cargo
                continue;
            }
        }
        i += 2;
    }
    a
}

fn m_lon() -> f64 {
    M_LAT * LAT0.to_radians().cos()
}

/// The city: a district and `n` square grids in rows.
fn city(n: usize) -> (Vec<Area>, usize, usize) {
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let (dx, dy) = (GRID_M / m_lon(), GRID_M / M_LAT);
    let sq = |x0: f64, y0: f64, x1: f64, y1: f64| {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )])
    };
    let area = |code: String, g: MultiPolygon<f64>| Area {
        parent: None,
        code: AreaCode::parse(&code).expect("valid code"),
        name: code,
        geometry: g,
        head: None,
        households: 0,
        residents: 0,
    };
    let mut areas = vec![area(
        "441899".into(),
        sq(LON0, LAT0, LON0 + cols as f64 * dx, LAT0 + rows as f64 * dy),
    )];
    for g in 0..n {
        let (c, r) = ((g % cols) as f64, (g / cols) as f64);
        let code = format!(
            "441899{:03}{:03}{:03}",
            g / 50_000 + 1,
            (g / 500) % 100 + 1,
            g % 500 + 1
        );
        let x0 = LON0 + c * dx;
        let y0 = LAT0 + r * dy;
        areas.push(area(code, sq(x0, y0, x0 + dx, y0 + dy)));
    }
    (areas, cols, rows)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

/// One day of tracks, member by member.
fn tracks(
    members: usize,
    hours: i64,
    w_m: f64,
    h_m: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<PatrolPoint> {
    let fixes = (hours * 360) as usize;
    let mut out = Vec::with_capacity(members * fixes);
    for m in 0..members {
        let speed = if m % 4 == 3 { 8.0 } else { 1.4 };
        let (mut x, mut y) = (rng.random_range(0.0..w_m), rng.random_range(0.0..h_m));
        let mut heading: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        for k in 0..fixes {
            out.push(PatrolPoint {
                member: m as u32,
                time: t0() + Duration::seconds(10 * k as i64),
                lon: LON0 + x / m_lon(),
                lat: LAT0 + y / M_LAT,
            });
            heading += rng.random_range(-0.3..0.3);
            let (nx, ny) = (
                x + 10.0 * speed * heading.cos(),
                y + 10.0 * speed * heading.sin(),
            );
            if (0.0..w_m).contains(&nx) && (0.0..h_m).contains(&ny) {
                (x, y) = (nx, ny);
            } else {
                heading += std::f64::consts::PI;
            }
        }
    }
    out
}

fn members(n: usize) -> Vec<PatrolMember> {
    (0..n)
        .map(|m| PatrolMember {
            id: format!("M{m:04}"),
            name: format!("巡查员{m}"),
            team: String::new(),
        })
        .collect()
}

/// Batches as phones send them: one member-hour (360 fixes), hour by hour.
fn hourly_batches(
    points: &[PatrolPoint],
    members: usize,
    hours: i64,
) -> Vec<(usize, &[PatrolPoint])> {
    let per = 360;
    let fixes = (hours * 360) as usize;
    let mut out = Vec::new();
    for h in 0..hours as usize {
        for m in 0..members {
            let s = m * fixes + h * per;
            out.push((m, &points[s..s + per]));
        }
    }
    out
}

fn rate(n: usize, secs: f64) -> String {
    format!("{:>9.0} fixes/s  ({n} in {secs:.2} s)", n as f64 / secs)
}

async fn ingest(
    label: &str,
    store: &dyn Store,
    points: &[PatrolPoint],
    members: &[PatrolMember],
    hours: i64,
    batch: &str,
) {
    let mut tracks = Tracks::default();
    let (mut t_store, mut t_index) = (0.0, 0.0);
    let batches: Vec<(Vec<PatrolMember>, Vec<PatrolPoint>)> = if batch == "hour" {
        hourly_batches(points, members.len(), hours)
            .into_iter()
            .map(|(m, b)| {
                (
                    vec![members[m].clone()],
                    b.iter().map(|p| PatrolPoint { member: 0, ..*p }).collect(),
                )
            })
            .collect()
    } else {
        // One member-day per batch.
        points
            .chunks((hours * 360) as usize)
            .map(|b| {
                (
                    vec![members[b[0].member as usize].clone()],
                    b.iter().map(|p| PatrolPoint { member: 0, ..*p }).collect(),
                )
            })
            .collect()
    };
    let total = Instant::now();
    for (ms, b) in &batches {
        let t = Instant::now();
        store
            .append_patrol(ms, b, &ms[0].id, [LON0, LAT0, LON0 + 0.1, LAT0 + 0.1])
            .await
            .expect("append");
        t_store += t.elapsed().as_secs_f64();
        let t = Instant::now();
        tracks.append(ms, b);
        t_index += t.elapsed().as_secs_f64();
    }
    let all = total.elapsed().as_secs_f64();
    println!(
        "ingest {label:<8} batches of one member-{batch:<4} ({} batches)",
        batches.len()
    );
    println!("  store only        {}", rate(points.len(), t_store));
    println!("  index only        {}", rate(points.len(), t_index));
    println!("  store + index     {}", rate(points.len(), all));
}

async fn fresh_pg(admin: &str) -> Option<(String, String)> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin).await.ok()?;
    let name = format!("minqing_bench_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut conn)
        .await
        .ok()?;
    let mut url = url::Url::parse(admin).ok()?;
    url.set_path(&name);
    Some((url.to_string(), name))
}

async fn drop_pg(admin: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "drop database if exists {name} with (force)"
        )))
        .execute(&mut conn)
        .await;
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let a = args();
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let t = Instant::now();
    let (areas, cols, rows) = city(a.grids);
    let (w_m, h_m) = (cols as f64 * GRID_M, rows as f64 * GRID_M);
    let points = tracks(a.members, a.hours, w_m, h_m, &mut rng);
    let ms = members(a.members);
    let places: Vec<Place> = (0..a.grids / 5)
        .map(|i| Place {
            id: format!("PL{i:06}"),
            name: format!("场所{i}"),
            kind: "学校".into(),
            visit_every_hours: 24,
            radius_m: 30.0,
            lon: LON0 + rng.random_range(0.0..w_m) / m_lon(),
            lat: LAT0 + rng.random_range(0.0..h_m) / M_LAT,
        })
        .collect();
    println!(
        "city: {} grids of {GRID_M} m ({cols} × {rows}, {:.0} × {:.0} km), {} places; {} members × {} h at 10 s = {} fixes (made in {:.1} s)",
        a.grids,
        w_m / 1000.0,
        h_m / 1000.0,
        places.len(),
        a.members,
        a.hours,
        points.len(),
        t.elapsed().as_secs_f64()
    );

    // Reading and cleaning one member-day sent as JSON.
    let day = &points[..(a.hours * 360) as usize];
    let body = serde_json::json!({"member": "M0000", "points": day.iter().map(|p| serde_json::json!({"lon": p.lon, "lat": p.lat, "time": p.time.to_rfc3339()})).collect::<Vec<_>>()}).to_string();
    let t = Instant::now();
    let parsed = parse(Format::Json, &body, &ParseOptions::default()).expect("parses");
    let (kept, dropped) = clean(
        parsed,
        &NoiseRules::for_district(None, t0() + Duration::days(2)),
        &NoHistory,
    );
    println!(
        "parse + clean JSON  {} ({} KiB body, {} dropped)",
        rate(kept.points.len(), t.elapsed().as_secs_f64()),
        body.len() / 1024,
        dropped.total()
    );

    // Ingest into SQLite (a file on disk, WAL) and PostGIS.
    for batch in ["hour", "day"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        let s = store::open(&url).await.expect("sqlite");
        s.migrate().await.expect("migrate");
        ingest("sqlite", s.as_ref(), &points, &ms, a.hours, batch).await;
    }
    if let Some(admin) = &a.pg {
        match fresh_pg(admin).await {
            Some((url, name)) => {
                for batch in ["hour", "day"] {
                    let s = store::open(&url).await.expect("postgis");
                    s.migrate().await.expect("migrate");
                    sqlx::query("truncate patrol_points, patrol_members cascade")
                        .execute(&sqlx::PgPool::connect(&url).await.expect("pool"))
                        .await
                        .expect("truncate");
                    ingest("postgis", s.as_ref(), &points, &ms, a.hours, batch).await;
                }
                drop_pg(admin, &name).await;
            }
            None => println!("ingest postgis: skipped, no server at {admin}"),
        }
    }

    // Coverage of every grid for the day.
    let t = Instant::now();
    let index = SpatialIndex::build(Dataset {
        areas,
        places,
        members: ms,
        patrol_points: points,
        ..Dataset::default()
    });
    println!("index build         {:.2} s", t.elapsed().as_secs_f64());
    let grids: Vec<usize> = index
        .areas
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.area.level() == Level::Grid)
        .map(|(i, _)| i)
        .collect();
    let (from, to) = (t0(), t0() + Duration::hours(a.hours));
    let mut runs = Vec::new();
    let mut mean = 0.0;
    for _ in 0..3 {
        let t = Instant::now();
        let cov = index.coverage_many(&grids, from, to, 50.0);
        runs.push(t.elapsed().as_secs_f64());
        mean = cov.iter().map(|c| c.share).sum::<f64>() / cov.len() as f64;
    }
    runs.sort_by(f64::total_cmp);
    println!(
        "coverage, all {} grids, one day, reach 50 m: best {:.2} s, median {:.2} s (mean share {:.3})",
        grids.len(),
        runs[0],
        runs[1],
        mean
    );
    let t = Instant::now();
    let raster = index.coverage_raster(&grids, from, to, 50.0);
    let stamp = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let _ = index.grid_shares(&raster, &grids);
    println!(
        "  of which: stamping {:.2} s ({} × {} cells of {} m), counting {:.2} s",
        stamp,
        raster.frame.w,
        raster.frame.h,
        raster.frame.cell_m,
        t.elapsed().as_secs_f64()
    );
    let sample: Vec<usize> = (0..200)
        .map(|_| grids[rng.random_range(0..grids.len())])
        .collect();
    let t = Instant::now();
    for &g in &sample {
        let _ = index.coverage(g, from, to);
    }
    println!(
        "coverage of one grid (a grid head's view): {:.2} ms each",
        t.elapsed().as_secs_f64() * 1000.0 / sample.len() as f64
    );
    let t = Instant::now();
    let gaps = index.patrol_gaps(&grids, from, to, 50.0);
    println!(
        "gaps, all grids:    {:.2} s ({} grids)",
        t.elapsed().as_secs_f64(),
        gaps.len()
    );
}
