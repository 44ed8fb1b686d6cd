//! `minqing import FILE --layer L [--crs …] [--mapping FILE] [--dry-run]`:
//! read, check every row against the stored district, then write everything
//! in one transaction — or nothing, with every rejected row named.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use crate::config::ImportArgs;
use crate::domain::{Dataset, LayerRecords};
use crate::import::build::{self, Context, Plan};
use crate::import::fields::Mapping;
use crate::import::read::{self, Format, Table};
use crate::import::shp::{ShapefileParts, read_shapefile};
use crate::import::{Crs, Layer};
use crate::spatial::SpatialIndex;

/// A sibling file with another extension (either case), if it exists.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
}

/// Reads a GeoJSON, CSV or Shapefile (with its .shx/.dbf/.cpg beside it).
pub fn read_file(path: &Path) -> anyhow::Result<Table> {
    let format = Format::from_path(path).ok_or_else(|| {
        anyhow!(
            "{}: unknown format; use .shp, .geojson/.json or .csv",
            path.display()
        )
    })?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table = match format {
        Format::Csv => read::read_csv(&bytes),
        Format::GeoJson => read::read_geojson(&bytes),
        Format::Shapefile => {
            let dbf_path = sibling(path, "dbf")
                .ok_or_else(|| anyhow!("{}: the .dbf beside it is missing", path.display()))?;
            let dbf = std::fs::read(&dbf_path)?;
            let shx = sibling(path, "shx").map(std::fs::read).transpose()?;
            let cpg = sibling(path, "cpg")
                .map(std::fs::read_to_string)
                .transpose()?;
            read_shapefile(ShapefileParts {
                shp: &bytes,
                shx: shx.as_deref(),
                dbf: &dbf,
                cpg: cpg.as_deref(),
            })
        }
    };
    table.map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Codes or ids of `layer` already stored.
fn existing(layer: Layer, d: &Dataset) -> HashSet<String> {
    match layer {
        Layer::Grids => d.areas.iter().map(|a| a.code.as_str().to_owned()).collect(),
        Layer::Hazards => d.hazards.iter().map(|x| x.id.clone()).collect(),
        Layer::Shelters => d.shelters.iter().map(|x| x.id.clone()).collect(),
        Layer::Places => d.places.iter().map(|x| x.id.clone()).collect(),
        Layer::People => d.people.iter().map(|x| x.id.clone()).collect(),
        Layer::Incidents => d.incidents.iter().map(|x| x.id.clone()).collect(),
    }
}

/// Checks a table against what the store holds. Progress goes to a bar on
/// stderr when stderr is a terminal.
pub fn plan_table(
    layer: Layer,
    table: &Table,
    mapping: &HashMap<String, String>,
    crs: Crs,
    stored: &Dataset,
) -> Result<(Plan, Vec<crate::import::Warning>), String> {
    let (m, mut notes) = Mapping::resolve(layer, &table.columns, mapping)?;
    notes.splice(0..0, table.notes.iter().cloned());
    let index = SpatialIndex::build(Dataset {
        areas: stored.areas.clone(),
        ..Dataset::default()
    });
    let ctx = Context {
        index: &index,
        existing: existing(layer, stored),
        crs,
        now: chrono::Utc::now(),
    };
    let bar = (std::io::stderr().is_terminal() && table.rows.len() >= 1000).then(|| {
        let b = indicatif::ProgressBar::new(table.rows.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("checking {bar:40} {pos}/{len} rows ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let plan = build::plan(layer, table, &m, &ctx, &mut |done| {
        if let Some(b) = &bar
            && done.is_multiple_of(256)
        {
            b.set_position(done as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok((plan, notes))
}

fn noun(records: &LayerRecords) -> &'static str {
    match records {
        LayerRecords::Areas(_) => "areas",
        LayerRecords::Hazards(_) => "hazards",
        LayerRecords::Shelters(_) => "shelters",
        LayerRecords::Places(_) => "places",
        LayerRecords::People(_) => "people records",
        LayerRecords::Incidents(_) => "incidents",
    }
}

/// Runs the import command.
pub async fn run(store_url: &str, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let layer = Layer::parse(&args.layer).ok_or_else(|| {
        anyhow!(
            "unknown layer {:?}: use grids, hazards, shelters, places, people or incidents",
            args.layer
        )
    })?;
    let crs = Crs::parse(&args.crs).ok_or_else(|| anyhow!("unknown --crs {:?}", args.crs))?;
    let mapping: HashMap<String, String> = match &args.mapping {
        None => HashMap::new(),
        Some(p) => {
            let text = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            serde_json::from_slice(&text).map_err(|e| {
                anyhow!(
                    "{}: the mapping must be a JSON object {{\"source column\": \"our field\"}}: {e}",
                    p.display()
                )
            })?
        }
    };
    let table = read_file(&args.file)?;
    let store = crate::store::open(store_url).await?;
    store.migrate().await?;
    let stored = store.load().await?;
    let file = args.file.display().to_string();
    let format = table.format;
    let rows = table.rows.len();
    let (plan, notes) =
        tokio::task::spawn_blocking(move || plan_table(layer, &table, &mapping, crs, &stored))
            .await?
            .map_err(|e| anyhow!("{file}: {e}"))?;
    println!(
        "read {file}: {rows} row(s) for layer {} ({})",
        layer.as_str(),
        format.line_meaning()
    );
    for n in notes.iter().chain(&plan.warnings) {
        println!("warning: {n}");
    }
    for r in &plan.rejected {
        println!("{r}");
    }
    if !plan.rejected.is_empty() {
        let bad_lines: HashSet<usize> = plan.rejected.iter().map(|r| r.line).collect();
        println!(
            "rejected {} of {rows} row(s); nothing was written",
            bad_lines.len()
        );
        return Ok(ExitCode::from(1));
    }
    let what = noun(&plan.records);
    if args.dry_run {
        println!(
            "dry run: {} {what} would be imported ({} new, {} updated); nothing was written",
            plan.records.len(),
            plan.new,
            plan.updated
        );
        return Ok(ExitCode::SUCCESS);
    }
    let changes = store.import(&plan.records, "import").await?;
    println!(
        "imported {} {what}: {} new, {} updated (change log up to #{}). A running server shows them after a restart.",
        plan.records.len(),
        plan.new,
        plan.updated,
        changes.last().map_or(0, |c| c.seq)
    );
    Ok(ExitCode::SUCCESS)
}
