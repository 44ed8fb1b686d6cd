//! Applying an import batch to a loaded index: points are moved in their
//! trees; a changed area rebuilds the area set (areas are few and change
//! rarely) and re-derives which grid every point lies in. Each call returns the
//! boxes whose tiles went stale — old and new positions — so the caller
//! invalidates exactly those.

use std::collections::HashMap;

use super::BBox;
use super::index::{AreaSet, Located, PointLayer, SpatialIndex};
use crate::domain::{Area, LayerRecords};

fn point_box((lon, lat): (f64, f64)) -> BBox {
    BBox {
        min_lon: lon,
        min_lat: lat,
        max_lon: lon,
        max_lat: lat,
    }
}

/// Upserts `items`, returning the stale boxes (old and new position of each).
fn upsert_points<T: Located>(
    layer: &mut PointLayer<T>,
    items: Vec<T>,
    areas: &AreaSet,
) -> Vec<BBox> {
    let mut stale = Vec::with_capacity(items.len() * 2);
    for item in items {
        if let Some(old) = layer.get(item.id()) {
            stale.push(point_box(old.lon_lat()));
        }
        stale.push(point_box(item.lon_lat()));
        layer.upsert(item, areas);
    }
    stale
}

impl SpatialIndex {
    /// Writes an import batch into the index and returns the stale boxes.
    ///
    /// ```
    /// use minqing::domain::LayerRecords;
    /// use minqing::spatial::SpatialIndex;
    /// let d = minqing::demo::generate(chrono::Utc::now());
    /// let mut h = d.hazards[0].clone();
    /// let mut ix = SpatialIndex::build(d);
    /// h.lon += 0.001;
    /// let stale = ix.upsert_records(LayerRecords::Hazards(vec![h.clone()]));
    /// assert_eq!(stale.len(), 2, "the old and the new position");
    /// assert_eq!(ix.hazards.get(&h.id).map(|x| x.lon), Some(h.lon));
    /// ```
    pub fn upsert_records(&mut self, records: LayerRecords) -> Vec<BBox> {
        match records {
            LayerRecords::Areas(areas) => self.upsert_areas(areas),
            LayerRecords::Hazards(v) => upsert_points(&mut self.hazards, v, &self.areas),
            LayerRecords::Shelters(v) => upsert_points(&mut self.shelters, v, &self.areas),
            LayerRecords::People(v) => upsert_points(&mut self.people, v, &self.areas),
            LayerRecords::Places(v) => {
                let stale = upsert_points(&mut self.places, v, &self.areas);
                self.index_places_by_grid();
                stale
            }
            LayerRecords::Incidents(v) => {
                let mut stale = Vec::with_capacity(v.len() * 2);
                for i in v {
                    if let Some(old) = self.incidents.get(&i.id) {
                        stale.push(point_box(old.lon_lat()));
                    }
                    stale.push(point_box(i.lon_lat()));
                    self.upsert_incident(i);
                }
                stale
            }
        }
    }

    /// Replaces or adds areas, rebuilding the area set and every point's grid.
    fn upsert_areas(&mut self, changed: Vec<Area>) -> Vec<BBox> {
        let mut stale = Vec::new();
        let mut all: Vec<Area> = std::mem::take(&mut self.areas.entries)
            .into_iter()
            .map(|e| e.area)
            .collect();
        let mut at: HashMap<String, usize> = all
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.as_str().to_owned(), i))
            .collect();
        for a in changed {
            if let Some(b) = BBox::of(&a.geometry) {
                stale.push(b);
            }
            match at.get(a.code.as_str()) {
                Some(&i) => {
                    if let Some(b) = BBox::of(&all[i].geometry) {
                        stale.push(b);
                    }
                    all[i] = a;
                }
                None => {
                    at.insert(a.code.as_str().to_owned(), all.len());
                    all.push(a);
                }
            }
        }
        // Parents before children, as the area set's build expects.
        all.sort_by(|a, b| {
            (a.code.as_str().len(), a.code.as_str()).cmp(&(b.code.as_str().len(), b.code.as_str()))
        });
        self.areas = AreaSet::build(all);
        let areas = &self.areas;
        self.hazards.regrid(areas);
        self.shelters.regrid(areas);
        self.places.regrid(areas);
        self.people.regrid(areas);
        // Incidents keep the grid they were filed under; only positions moved.
        let grids: Vec<Option<u32>> = self
            .incidents
            .items
            .iter()
            .map(|i| areas.grid_of(i))
            .collect();
        self.incidents.grid = grids;
        self.index_places_by_grid();
        stale
    }
}
