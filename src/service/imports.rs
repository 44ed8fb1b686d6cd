//! Imports reaching every map without a restart. An import — from the
//! browser on this instance, on another instance, or `minqing import` beside
//! a running server — logs one change per batch of records (layer, box, ids);
//! each instance applies a batch through [`AppState::apply_import`]: the
//! records into the index, exactly their tiles dropped, one live event.

use std::sync::Arc;

use serde::Serialize;

use crate::auth::Principal;
use crate::domain::LayerRecords;
use crate::error::AppError;
use crate::import::Layer as ImportLayer;
use crate::import::build::Plan;
use crate::import::check::{self, Checked, Options};
use crate::import::upload::{UploadFile, read_upload};
use crate::spatial::SpatialIndex;
use crate::store::{Change, IMPORT_BATCH, Store, StoreResult};

use super::{AppState, LiveEvent};

/// An import from the browser.
#[derive(Debug)]
pub struct Upload {
    /// the uploaded files (a .zip, a Shapefile's parts, or one CSV/GeoJSON)
    pub files: Vec<UploadFile>,
    /// layer, coordinate system, mapping, defaults
    pub opts: Options,
    /// check only
    pub dry_run: bool,
}

/// A rejected row as the answer lists it.
#[derive(Debug, Serialize)]
pub struct RejectedRow {
    line: usize,
    field: String,
    reason: String,
}

/// A warning as the answer lists it (`line` 0: the file as a whole).
#[derive(Debug, Serialize)]
pub struct WarningRow {
    line: usize,
    text: String,
}

/// The answer to an import: the same report as the command line's.
#[derive(Debug, Serialize)]
pub struct ImportAnswer {
    /// nothing was rejected (and, unless a dry run, everything was written)
    pub ok: bool,
    /// a dry run: nothing was written
    pub dry_run: bool,
    /// records that are (or would be) new
    pub new: usize,
    /// records that replace (or would replace) stored ones
    pub updated: usize,
    /// the rejected rows (the first [`ANSWER_ROWS`])
    pub rejected: Vec<RejectedRow>,
    /// how many rows were rejected in all
    pub rejected_total: usize,
    /// repairs and notes (the first [`ANSWER_ROWS`])
    pub warnings: Vec<WarningRow>,
    /// how many warnings there were in all
    pub warnings_total: usize,
    /// the command line's text (`line N: field: reason` lines)
    pub report: String,
    /// the automatic column mapping used (source column → our field)
    pub mapping: Vec<(String, String)>,
    /// every column of the file in file order, mapped or not (what a
    /// mapping editor lists)
    pub columns: Vec<String>,
}

/// Rows of `rejected` and `warnings` an answer lists (the totals say how many
/// there were): a browser shows a thousand; the command line prints them all.
pub const ANSWER_ROWS: usize = 1000;

/// The report text cut to `max` lines, with a last line saying what was left out.
fn cut_lines(text: &str, max: usize) -> String {
    let total = text.lines().count();
    if total <= max {
        return text.to_owned();
    }
    let mut out: String = text.lines().take(max).flat_map(|l| [l, "\n"]).collect();
    out.push_str(&format!(
        "… {} more line(s): run `minqing import --dry-run` on the file for all of them\n",
        total - max
    ));
    out
}

impl ImportAnswer {
    fn of(c: &Checked, file: &str, dry_run: bool, written: bool) -> ImportAnswer {
        ImportAnswer {
            ok: c.plan.rejected.is_empty(),
            dry_run,
            new: c.plan.new,
            updated: c.plan.updated,
            rejected_total: c.plan.rejected.len(),
            rejected: c
                .plan
                .rejected
                .iter()
                .take(ANSWER_ROWS)
                .map(|r| RejectedRow {
                    line: r.line,
                    field: r.field.clone(),
                    reason: r.reason.clone(),
                })
                .collect(),
            warnings_total: c.warnings().count(),
            warnings: c
                .warnings()
                .take(ANSWER_ROWS)
                .map(|w| WarningRow {
                    line: w.line,
                    text: w.text.clone(),
                })
                .collect(),
            // The summary is the last line, so the cut keeps the head and the end.
            report: {
                let full = c.report(file, written);
                let summary = full.lines().last().unwrap_or_default().to_owned();
                let head = cut_lines(&full, 2 * ANSWER_ROWS);
                if head.len() == full.len() {
                    full
                } else {
                    format!("{head}{summary}\n")
                }
            },
            mapping: c.mapping.clone(),
            columns: c.columns.clone(),
        }
    }
}

/// Checks an upload and, unless a dry run or a row was rejected, writes it
/// and shows it on every map. `Ok((false, answer))` when rows were rejected.
pub async fn upload(
    state: &Arc<AppState>,
    who: &Principal,
    up: Upload,
) -> Result<(bool, ImportAnswer), AppError> {
    let layer = up.opts.layer;
    let file = up
        .files
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    let st = state.clone();
    let opts = up.opts;
    let mut checked = state
        .heavy(move || {
            let table = read_upload(up.files)?;
            // The check runs on a copy of the areas so the index is not held meanwhile.
            let (areas, existing) = {
                let ix = st.index();
                let areas = ix.areas.entries.iter().map(|e| e.area.clone()).collect();
                (areas, check::existing_indexed(layer, &ix))
            };
            check::check(&table, &opts, areas, existing, &mut |_| {})
        })
        .await?
        .map_err(AppError::bad)?;
    count_stored_incidents(state.store.as_ref(), &mut checked.plan).await?;
    if !checked.plan.rejected.is_empty() || up.dry_run {
        let ok = checked.plan.rejected.is_empty();
        return Ok((
            ok || up.dry_run,
            ImportAnswer::of(&checked, &file, up.dry_run, false),
        ));
    }
    let answer = ImportAnswer::of(&checked, &file, false, true);
    let n = checked.plan.records.len();
    let changes = state
        .import(layer, checked.plan.records, &who.username)
        .await?;
    let span = match (changes.first(), changes.last()) {
        (Some(a), Some(b)) => format!("changes #{}–#{}", a.seq, b.seq),
        _ => "no changes".to_owned(),
    };
    state
        .store
        .audit(
            &who.username,
            &format!("import.{}", layer.as_str()),
            &[span],
            Some(&format!("{n} record(s) from {file}")),
        )
        .await?;
    Ok((true, answer))
}

/// Counts a plan's incidents as new or updated against the store: the index
/// holds only the live cases (closed ones older than `--live-days` stay in the
/// store), so a re-imported history case must not be counted as new. One query
/// for the file's ids, not a set of every id ever filed.
pub async fn count_stored_incidents(store: &dyn Store, plan: &mut Plan) -> StoreResult<()> {
    if let LayerRecords::Incidents(v) = &plan.records {
        let ids: Vec<String> = v.iter().map(|i| i.id.clone()).collect();
        let stored = store.stored_incident_ids(&ids).await?.len();
        plan.set_stored(stored);
    }
    Ok(())
}

/// The import layer a change-log kind (`hazard.imported`, …) names, if it is an import.
pub fn import_layer(kind: &str) -> Option<ImportLayer> {
    let (layer, what) = kind.split_once('.')?;
    if what != "imported" {
        return None;
    }
    Some(match layer {
        "area" => ImportLayer::Grids,
        "hazard" => ImportLayer::Hazards,
        "shelter" => ImportLayer::Shelters,
        "place" => ImportLayer::Places,
        "people" => ImportLayer::People,
        "incident" => ImportLayer::Incidents,
        _ => return None,
    })
}

/// The grids a batch's records lie in, for the live event's audience. Layers
/// read district-wide (areas, hazards, shelters, places) need none.
fn grids_of(index: &SpatialIndex, records: &LayerRecords) -> Vec<String> {
    let mut grids: Vec<String> = match records {
        LayerRecords::Incidents(v) => v.iter().filter_map(|i| i.grid.clone()).collect(),
        LayerRecords::People(v) => v
            .iter()
            .filter_map(|p| index.grid_code_at(p.lon, p.lat))
            .collect(),
        _ => return Vec::new(),
    };
    grids.sort_unstable();
    grids.dedup();
    grids
}

/// The live event of a logged import batch as the index holds it now (replay).
pub(super) fn replay(index: &SpatialIndex, change: Change, layer: ImportLayer) -> LiveEvent {
    let ids = change.record_ids();
    let mut grids: Vec<String> = match layer {
        ImportLayer::Incidents => ids
            .iter()
            .filter_map(|id| index.incidents.get(id)?.grid.clone())
            .collect(),
        ImportLayer::People => ids
            .iter()
            .filter_map(|id| {
                let p = index.people.get(id)?;
                index.grid_code_at(p.lon, p.lat)
            })
            .collect(),
        _ => Vec::new(),
    };
    grids.sort_unstable();
    grids.dedup();
    LiveEvent::import(change, layer.map_layer(), grids, ids.len())
}

impl AppState {
    /// Applies one import batch the store already holds: index, tiles, event.
    pub fn apply_import(&self, change: Change, layer: ImportLayer, records: LayerRecords) {
        let grids = grids_of(&self.index(), &records);
        let count = records.len();
        let event = LiveEvent::import(change, layer.map_layer(), grids, count);
        self.commit_stale(event, |ix| ix.upsert_records(records));
        if layer == ImportLayer::Grids {
            self.forget_topology();
        }
        if matches!(layer, ImportLayer::People | ImportLayer::Grids) {
            // Protected counts are per area and per person: recompute them.
            self.people_counts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        }
    }

    /// Writes checked records in one transaction, then applies them here;
    /// other instances follow from the change log.
    pub async fn import(
        &self,
        layer: ImportLayer,
        records: LayerRecords,
        actor: &str,
    ) -> StoreResult<Vec<Change>> {
        let changes = self.store.import(&records, actor).await?;
        // The store logs one change per IMPORT_BATCH records, in order.
        for (change, batch) in changes
            .iter()
            .cloned()
            .zip(records.into_batches(IMPORT_BATCH))
        {
            self.apply_import(change, layer, batch);
        }
        Ok(changes)
    }

    /// Reloads and applies another writer's import batch; false when the
    /// change is not an import.
    pub(super) async fn catch_up_import(&self, change: &Change) -> anyhow::Result<bool> {
        let Some(layer) = import_layer(&change.kind) else {
            return Ok(false);
        };
        let records = self.store.records(layer, &change.record_ids()).await?;
        self.apply_import(change.clone(), layer, records);
        Ok(true)
    }
}
