//! Writes a large incidents CSV inside the demo district, for the import
//! benchmark in docs/BENCHMARKS.md (a 12345-hotline archive's shape: closed
//! cases over years, a few open ones).
//!
//! `cargo run --release --example incidents_csv -- 1000000 /tmp/incidents.csv`

use std::io::Write;

use geo::{BoundingRect, Contains};
use geo_types::Point;
use rand::{Rng, SeedableRng};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let out = args.next().unwrap_or_else(|| "incidents.csv".into());
    let now = chrono::Utc::now();
    let data = minqing::demo::generate(now);
    let grids: Vec<_> = data
        .areas
        .iter()
        .filter(|a| a.level() == minqing::domain::Level::Grid)
        .filter_map(|a| Some((a.geometry.clone(), a.geometry.bounding_rect()?)))
        .collect();
    let cats: Vec<&str> = minqing::domain::incident::CATEGORIES
        .iter()
        .map(|c| c.1)
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12345);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out)?);
    writeln!(w, "id,category,status,reported_at,description,lon,lat")?;
    for i in 0..n {
        let (poly, rect) = &grids[rng.random_range(0..grids.len())];
        let (lon, lat) = loop {
            // Rounded as written (6 decimals), so a point near the district's
            // edge cannot round its way out of its grid.
            let x = (rng.random_range(rect.min().x..rect.max().x) * 1e6).round() / 1e6;
            let y = (rng.random_range(rect.min().y..rect.max().y) * 1e6).round() / 1e6;
            if poly.contains(&Point::new(x, y)) {
                break (x, y);
            }
        };
        let days = rng.random_range(0..3650);
        let at = now
            - chrono::Duration::days(days)
            - chrono::Duration::minutes(rng.random_range(0..1440));
        // Older than a month: closed; the recent few percent still open.
        let status = if days > 30 || rng.random_bool(0.7) {
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
