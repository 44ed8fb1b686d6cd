//! Patrol against incidents: the grids where incidents are frequent and
//! coverage is low in a window, scored by [`gap_score`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::geom::BBox;
use super::index::SpatialIndex;
use crate::domain::IncidentStatus;
use crate::domain::patrol::gap_score;

/// One grid's patrol gap.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// Position of the grid in `areas.entries`.
    pub grid: usize,
    /// Incidents reported in the grid in the window (rejected reports left out).
    pub incidents: usize,
    /// Covered share of the grid in the window.
    pub coverage: f64,
    /// [`gap_score`] of the two.
    pub score: f64,
}

impl SpatialIndex {
    /// Incidents reported in `[from, to]` in each grid, in the order of `grids`.
    pub fn incidents_per_grid(
        &self,
        grids: &[usize],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<usize> {
        let slot: HashMap<u32, usize> = grids
            .iter()
            .enumerate()
            .map(|(k, &g)| (g as u32, k))
            .collect();
        let mut counts = vec![0; grids.len()];
        let l = &self.incidents;
        let mut count = |i: usize| {
            let inc = &l.items[i];
            if inc.reported_at < from
                || inc.reported_at > to
                || inc.status == IncidentStatus::Rejected
            {
                return;
            }
            if let Some(k) = l.grid[i].and_then(|g| slot.get(&g)) {
                counts[*k] += 1;
            }
        };
        // A few grids (a tile, a community): look near them; many: scan all.
        if grids.len() <= 64 {
            let e = &self.areas.entries;
            if let Some(b) = grids
                .iter()
                .map(|&g| e[g].bbox)
                .reduce(|a, b: BBox| a.union(&b))
            {
                l.in_bbox(&b).for_each(&mut count);
            }
        } else {
            (0..l.len()).for_each(&mut count);
        }
        counts
    }

    /// The patrol gap of each grid in `grids` (same order).
    ///
    /// ```
    /// use minqing::domain::Dataset;
    /// use minqing::spatial::SpatialIndex;
    /// let ix = SpatialIndex::build(Dataset::default());
    /// let now = chrono::Utc::now();
    /// assert!(ix.patrol_gaps(&[], now - chrono::Duration::days(7), now, 50.0).is_empty());
    /// ```
    pub fn patrol_gaps(
        &self,
        grids: &[usize],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        reach_m: f64,
    ) -> Vec<Gap> {
        if grids.is_empty() {
            return Vec::new();
        }
        let raster = self.coverage_raster(grids, from, to, reach_m);
        let shares = self.grid_shares(&raster, grids);
        let incidents = self.incidents_per_grid(grids, from, to);
        let days = (to - from).num_seconds() as f64 / 86_400.0;
        grids
            .iter()
            .zip(shares)
            .zip(incidents)
            .map(|((&grid, coverage), incidents)| Gap {
                grid,
                incidents,
                coverage,
                score: gap_score(incidents, days, coverage),
            })
            .collect()
    }
}
