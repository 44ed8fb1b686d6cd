//! `minqing check grids [--geojson FILE]`: the topology report on the stored areas.

use std::path::Path;
use std::process::ExitCode;

use crate::import::topology::{self, ProblemKind, SLIVER_M2, SLIVER_WIDTH_M};

/// Runs the grid topology check; exit 1 when it found problems.
pub async fn grids(store_url: &str, geojson: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = crate::store::open(store_url).await?;
    store.migrate().await?;
    let areas = store.load().await?.areas;
    let n = areas.len();
    let grids = areas
        .iter()
        .filter(|a| a.level() == crate::domain::Level::Grid)
        .count();
    let problems = tokio::task::spawn_blocking(move || topology::check(&areas, SLIVER_M2)).await?;
    println!(
        "checked {n} areas ({grids} grids); pieces under {SLIVER_M2} m², or thinner than {SLIVER_WIDTH_M} m on average, are ignored as rounding slivers of shared edges"
    );
    for p in &problems {
        match p.location {
            Some((lon, lat)) => {
                println!("{}: {} — at {lon:.6}, {lat:.6}", p.kind.as_str(), p.detail)
            }
            None => println!("{}: {}", p.kind.as_str(), p.detail),
        }
    }
    if let Some(path) = geojson {
        let text = serde_json::to_string_pretty(&topology::to_geojson(&problems))?;
        std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        println!(
            "wrote {} problem(s) as GeoJSON to {}",
            problems.len(),
            path.display()
        );
    }
    if problems.is_empty() {
        println!("no problems found");
        return Ok(ExitCode::SUCCESS);
    }
    let count = |k: ProblemKind| problems.iter().filter(|p| p.kind == k).count();
    println!(
        "{} problem(s): {} gap(s), {} overlap(s), {} outside their parent, {} missing parent(s), {} bad code(s), {} duplicate code(s)",
        problems.len(),
        count(ProblemKind::Gap),
        count(ProblemKind::Overlap),
        count(ProblemKind::OutsideParent),
        count(ProblemKind::MissingParent),
        count(ProblemKind::BadCode),
        count(ProblemKind::DuplicateCode),
    );
    Ok(ExitCode::from(1))
}
