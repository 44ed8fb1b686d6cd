//! Writes a large incidents CSV for the import benchmarks in
//! docs/BENCHMARKS.md (a 12345-hotline archive's shape: closed cases over
//! years, a few open ones).
//!
//! `cargo run --release --example incidents_csv -- 1000000 /tmp/incidents.csv`
//! puts the cases inside the demo district;
//! `… -- 300000 /tmp/old.csv --city 300000 --closed` inside the city that
//! `minqing gen --scale 300000` writes, every case closed and older than
//! 90 days (the province issue's check: history added by `minqing import`).

use std::io::Write;

use geo::{BoundingRect, Contains};
use geo_types::{MultiPolygon, Point, Rect};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Where the cases go: the demo's grid polygons, or the scale city's cells.
enum Grids {
    Demo(Vec<(MultiPolygon<f64>, Rect<f64>)>),
    City(Vec<minqing::demo::city::Cell>),
}

impl Grids {
    fn point(&self, rng: &mut ChaCha8Rng) -> (f64, f64) {
        match self {
            Grids::Demo(grids) => {
                let (poly, rect) = &grids[rng.random_range(0..grids.len())];
                loop {
                    // Rounded as written (6 decimals), so a point near the
                    // district's edge cannot round its way out of its grid.
                    let x = (rng.random_range(rect.min().x..rect.max().x) * 1e6).round() / 1e6;
                    let y = (rng.random_range(rect.min().y..rect.max().y) * 1e6).round() / 1e6;
                    if poly.contains(&Point::new(x, y)) {
                        break (x, y);
                    }
                }
            }
            Grids::City(cells) => {
                let (col, row, _) = &cells[rng.random_range(0..cells.len())];
                minqing::demo::city::inside(rng, *col, *row)
            }
        }
    }
}

fn main() -> std::io::Result<()> {
    let mut positional = Vec::new();
    let (mut city, mut closed) = (None, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--city" => city = args.next().and_then(|s| s.parse::<u32>().ok()),
            "--closed" => closed = true,
            _ => positional.push(a),
        }
    }
    let n: usize = positional
        .first()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let out = positional
        .get(1)
        .cloned()
        .unwrap_or_else(|| "incidents.csv".into());
    let now = chrono::Utc::now();
    let grids = match city {
        Some(scale) => {
            let mut rng = ChaCha8Rng::seed_from_u64(u64::from(scale));
            Grids::City(minqing::demo::city::layout(scale, &mut rng).1)
        }
        None => Grids::Demo(
            minqing::demo::generate(now)
                .areas
                .iter()
                .filter(|a| a.level() == minqing::domain::Level::Grid)
                .filter_map(|a| Some((a.geometry.clone(), a.geometry.bounding_rect()?)))
                .collect(),
        ),
    };
    let cats: Vec<&str> = minqing::domain::incident::CATEGORIES
        .iter()
        .map(|c| c.1)
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(12345);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out)?);
    writeln!(w, "id,category,status,reported_at,description,lon,lat")?;
    for i in 0..n {
        let (lon, lat) = grids.point(&mut rng);
        let days = if closed {
            rng.random_range(91..3650)
        } else {
            rng.random_range(0..3650)
        };
        let at = now
            - chrono::Duration::days(days)
            - chrono::Duration::minutes(rng.random_range(0..1440));
        // Older than a month: closed; the recent few percent still open.
        let status = if closed || days > 30 || rng.random_bool(0.7) {
            "closed"
        } else {
            "reported"
        };
        writeln!(
            w,
            "BENCH-{i:07},{},{status},{},12345 热线来电 第{i}号,{lon:.6},{lat:.6}",
            cats[i % cats.len()],
            at.to_rfc3339(),
        )?;
    }
    w.flush()?;
    eprintln!("wrote {n} incidents to {out}");
    Ok(())
}
