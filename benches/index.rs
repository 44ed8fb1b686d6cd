//! In-process benchmarks of the index on the synthetic city of `minqing gen`:
//! point-in-grid lookups, nearest hazards, per-grid incident counts, tiles.

use chrono::Utc;
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use minqing::auth::policy::Scope;
use minqing::domain::Layer;
use minqing::spatial::SpatialIndex;
use minqing::spatial::nearest::nearest_k;
use minqing::tiles::TileCoord;
use minqing::tiles::layers::{self, Rights};
use rand::{Rng, SeedableRng};

fn scale() -> u32 {
    std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

fn benches(c: &mut Criterion) {
    let data = minqing::demo::city::city(scale(), Utc::now());
    let index = SpatialIndex::build(data);
    let b = index.areas.roots().next().expect("district").bbox;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let points: Vec<(f64, f64)> = (0..100_000)
        .map(|_| {
            (
                rng.random_range(b.min_lon..b.max_lon),
                rng.random_range(b.min_lat..b.max_lat),
            )
        })
        .collect();

    let mut g = c.benchmark_group("index");
    g.throughput(Throughput::Elements(points.len() as u64));
    g.bench_function("grid_at x100k random points", |bench| {
        bench.iter(|| {
            points
                .iter()
                .filter(|p| index.areas.grid_at(**p).is_some())
                .count()
        })
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("nearest 10 hazards x1000", |bench| {
        bench.iter(|| {
            points[..1000]
                .iter()
                .map(|(x, y)| nearest_k(&index.hazards, *x, *y, 10, None).len())
                .sum::<usize>()
        })
    });
    g.throughput(Throughput::Elements(index.incidents.len() as u64));
    g.bench_function("per-grid counts of all incidents", |bench| {
        bench.iter(|| {
            let mut counts = std::collections::HashMap::<&str, u32>::with_capacity(150_000);
            for i in &index.incidents.items {
                if let Some(gc) = i.grid.as_deref() {
                    *counts.entry(gc).or_default() += 1;
                }
            }
            black_box(counts.len())
        })
    });
    let now = Utc::now();
    for z in [10u8, 12, 14] {
        let n = f64::from(1u32 << z);
        let (wx, wy) = minqing::spatial::lonlat_to_world(
            (b.min_lon + b.max_lon) / 2.0,
            (b.min_lat + b.max_lat) / 2.0,
        );
        let tile = TileCoord::new(z, (wx * n) as u32, (wy * n) as u32).expect("tile");
        g.throughput(Throughput::Elements(1));
        // The command centre's view: every incident of the district.
        let rights = Rights {
            incidents: Scope::All,
            patrol: Scope::All,
            people: None,
            people_shown: None,
        };
        g.bench_function(format!("grids+incidents tile z{z}"), |bench| {
            bench.iter(|| {
                let mut l = layers::build(&index, Layer::Grids, &tile, now, &rights);
                l.extend(layers::build(&index, Layer::Incidents, &tile, now, &rights));
                minqing::tiles::mvt::encode(&l).len()
            })
        });
    }
    g.finish();
}

criterion_group! { name = index; config = Criterion::default().sample_size(10); targets = benches }
criterion_main!(index);
