//! One import check for the command line and the browser: a table, the
//! options, the stored areas and ids → a [`Checked`] plan with the report
//! text both show (`line N: field: reason` lines, warnings, the counts).

use std::collections::{HashMap, HashSet};

use super::build::{self, Context, Plan};
use super::fields::Mapping;
use super::read::{Format, Table};
use super::{Crs, Layer, Warning};
use crate::domain::{Area, Dataset, LayerRecords};
use crate::spatial::SpatialIndex;

/// What the caller chose besides the file.
#[derive(Debug, Clone)]
pub struct Options {
    /// target layer
    pub layer: Layer,
    /// the file's coordinate system
    pub crs: Crs,
    /// source column → our field
    pub mapping: HashMap<String, String>,
    /// field → value for rows that leave it empty
    pub defaults: HashMap<String, String>,
}

/// A checked file.
#[derive(Debug, Clone)]
pub struct Checked {
    /// the records and rejections
    pub plan: Plan,
    /// notes about the file as a whole (encoding, unused columns, derived ids)
    pub notes: Vec<Warning>,
    /// rows read
    pub rows: usize,
    /// the format read
    pub format: Format,
    /// the mapping used: (source column, our field)
    pub mapping: Vec<(String, String)>,
    /// every column of the file, in file order (mapped or not)
    pub columns: Vec<String>,
}

impl Checked {
    /// Every warning: the file's notes, then the rows'.
    pub fn warnings(&self) -> impl Iterator<Item = &Warning> {
        self.notes.iter().chain(&self.plan.warnings)
    }

    /// Distinct rejected lines.
    pub fn rejected_rows(&self) -> usize {
        self.plan
            .rejected
            .iter()
            .map(|r| r.line)
            .collect::<HashSet<_>>()
            .len()
    }

    /// The report as the command line prints it. `written` is false for a
    /// dry run or a refused import.
    pub fn report(&self, file: &str, written: bool) -> String {
        let mut out = format!(
            "read {file}: {} row(s) for layer {} ({})\n",
            self.rows,
            layer_of(&self.plan.records).as_str(),
            self.format.line_meaning()
        );
        for w in self.warnings() {
            out.push_str(&format!("warning: {w}\n"));
        }
        for r in &self.plan.rejected {
            out.push_str(&format!("{r}\n"));
        }
        let what = noun(&self.plan.records);
        let (n, new, upd) = (self.plan.records.len(), self.plan.new, self.plan.updated);
        if !self.plan.rejected.is_empty() {
            out.push_str(&format!(
                "rejected {} of {} row(s); nothing was written\n",
                self.rejected_rows(),
                self.rows
            ));
        } else if written {
            out.push_str(&format!("imported {n} {what}: {new} new, {upd} updated\n"));
        } else {
            out.push_str(&format!(
                "dry run: {n} {what} would be imported ({new} new, {upd} updated); nothing was written\n"
            ));
        }
        out
    }
}

fn layer_of(records: &LayerRecords) -> Layer {
    match records {
        LayerRecords::Areas(_) => Layer::Grids,
        LayerRecords::Hazards(_) => Layer::Hazards,
        LayerRecords::Shelters(_) => Layer::Shelters,
        LayerRecords::Places(_) => Layer::Places,
        LayerRecords::People(_) => Layer::People,
        LayerRecords::Incidents(_) => Layer::Incidents,
    }
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

/// Codes or ids of `layer` in a loaded dataset.
pub fn existing_in(layer: Layer, d: &Dataset) -> HashSet<String> {
    match layer {
        Layer::Grids => d.areas.iter().map(|a| a.code.as_str().to_owned()).collect(),
        Layer::Hazards => d.hazards.iter().map(|x| x.id.clone()).collect(),
        Layer::Shelters => d.shelters.iter().map(|x| x.id.clone()).collect(),
        Layer::Places => d.places.iter().map(|x| x.id.clone()).collect(),
        Layer::People => d.people.iter().map(|x| x.id.clone()).collect(),
        Layer::Incidents => d.incidents.iter().map(|x| x.id.clone()).collect(),
    }
}

/// Codes or ids of `layer` in a running index.
pub fn existing_indexed(layer: Layer, ix: &SpatialIndex) -> HashSet<String> {
    fn ids<T: crate::spatial::index::Located>(
        l: &crate::spatial::index::PointLayer<T>,
    ) -> HashSet<String> {
        l.items.iter().map(|x| x.id().to_owned()).collect()
    }
    match layer {
        Layer::Grids => ix
            .areas
            .entries
            .iter()
            .map(|e| e.area.code.as_str().to_owned())
            .collect(),
        Layer::Hazards => ids(&ix.hazards),
        Layer::Shelters => ids(&ix.shelters),
        Layer::Places => ids(&ix.places),
        Layer::People => ids(&ix.people),
        Layer::Incidents => ids(&ix.incidents),
    }
}

/// Checks a table against the stored areas and ids. `progress` hears the
/// number of rows done. An unusable mapping or default is an `Err` naming it.
pub fn check(
    table: &Table,
    opts: &Options,
    areas: Vec<Area>,
    existing: HashSet<String>,
    progress: &mut dyn FnMut(usize),
) -> Result<Checked, String> {
    let (m, mut notes) = Mapping::resolve(opts.layer, &table.columns, &opts.mapping)?;
    let m = m.with_defaults(opts.layer, &opts.defaults)?;
    notes.splice(0..0, table.notes.iter().cloned());
    let index = SpatialIndex::build(Dataset {
        areas,
        ..Dataset::default()
    });
    let ctx = Context {
        index: &index,
        existing,
        crs: opts.crs,
        now: chrono::Utc::now(),
    };
    let plan = build::plan(opts.layer, table, &m, &ctx, progress);
    Ok(Checked {
        plan,
        notes,
        rows: table.rows.len(),
        format: table.format,
        mapping: m.pairs(&table.columns),
        columns: table.columns.clone(),
    })
}
