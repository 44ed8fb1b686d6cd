//! `minqing import FILE --layer L [--crs …] [--mapping FILE] [--default F=V]… [--dry-run]`:
//! read, check every row against the stored district, then write everything
//! in one transaction — or nothing, with every rejected row named. Running
//! servers on the same store pick the records up from the change log.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use crate::config::ImportArgs;
use crate::import::check::{self, Checked, Options};
use crate::import::read::{Format, Table};
use crate::import::upload::{UploadFile, read_upload};
use crate::import::{Crs, Layer};

/// A sibling file with another extension (either case), if it exists.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
}

/// Reads a GeoJSON, CSV or Shapefile (with its .shx/.dbf/.cpg beside it), or
/// a .zip holding one of them.
pub fn read_file(path: &Path) -> anyhow::Result<Table> {
    let is_zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let format = Format::from_path(path);
    if format.is_none() && !is_zip {
        return Err(anyhow!(
            "{}: unknown format; use .shp, .zip, .geojson/.json or .csv",
            path.display()
        ));
    }
    let mut paths = vec![path.to_path_buf()];
    if format == Some(Format::Shapefile) {
        paths.extend(
            ["dbf", "shx", "cpg"]
                .iter()
                .filter_map(|e| sibling(path, e)),
        );
    }
    let files = paths
        .iter()
        .map(|p| {
            Ok(UploadFile {
                name: p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                bytes: std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    read_upload(files).map_err(|e| anyhow!("{e}"))
}

/// A progress bar on stderr for long files when stderr is a terminal.
fn progress_bar(rows: usize) -> Option<indicatif::ProgressBar> {
    (std::io::stderr().is_terminal() && rows >= 1000).then(|| {
        let b = indicatif::ProgressBar::new(rows as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("checking {bar:40} {pos}/{len} rows ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    })
}

/// The options of the command line.
fn options(args: &ImportArgs) -> anyhow::Result<Options> {
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
    Ok(Options {
        layer,
        crs,
        mapping,
        defaults: args.defaults.iter().cloned().collect(),
    })
}

/// Runs the import command.
pub async fn run(store_url: &str, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let opts = options(&args)?;
    let table = read_file(&args.file)?;
    let store = crate::store::open(store_url).await?;
    store.migrate().await?;
    // The check needs the areas and the ids already stored, not ten years of
    // closed cases and tracks: everything closed before now stays in the
    // store, and the file's incidents are counted against the store after.
    let stored = store.load_live(Some(chrono::Utc::now())).await?;
    let file = args.file.display().to_string();
    let mut checked: Checked = {
        let opts = opts.clone();
        let file = file.clone();
        tokio::task::spawn_blocking(move || {
            let existing = check::existing_in(opts.layer, &stored);
            let bar = progress_bar(table.rows.len());
            let out = check::check(&table, &opts, stored.areas, existing, &mut |done| {
                if let Some(b) = &bar
                    && done.is_multiple_of(256)
                {
                    b.set_position(done as u64);
                }
            });
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            out.map_err(|e| anyhow!("{file}: {e}"))
        })
        .await??
    };
    crate::service::imports::count_stored_incidents(store.as_ref(), &mut checked.plan).await?;
    if !checked.plan.rejected.is_empty() || args.dry_run {
        print!("{}", checked.report(&file, false));
        return Ok(if checked.plan.rejected.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let changes = store.import(&checked.plan.records, "import").await?;
    print!("{}", checked.report(&file, true));
    println!(
        "change log up to #{}; running servers on this store show the records within seconds",
        changes.last().map_or(0, |c| c.seq)
    );
    Ok(ExitCode::SUCCESS)
}
