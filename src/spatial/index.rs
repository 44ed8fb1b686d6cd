//! `SpatialIndex`: every layer in rstar trees, with the area hierarchy.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use geo::{BoundingRect, Centroid, InteriorPoint};
use geo_types::{Coord, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::geom::{BBox, lonlat_to_world};
use crate::domain::incident::{is_history, is_on_map};
use crate::domain::{Area, Dataset, Hazard, Incident, Level, Person, Place, Shelter};

type RectEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;
type PointEntry = GeomWithData<[f64; 2], u32>;

/// An area with what the index derives from it at load.
#[derive(Debug, Clone)]
pub struct AreaEntry {
    /// The stored area.
    pub area: Area,
    /// Its bounding box in WGS84.
    pub bbox: BBox,
    /// The polygon in Web Mercator world units (see [`lonlat_to_world`]), projected once at load.
    pub world: MultiPolygon<f64>,
    /// A point inside the polygon for the label (WGS84).
    pub label: (f64, f64),
    /// Indexes of the children in [`SpatialIndex::areas`].
    pub children: Vec<u32>,
}

impl AreaEntry {
    /// The bounds of [`Self::world`], from the WGS84 box: Web Mercator
    /// maps longitude and latitude apart and in order (y grows southwards),
    /// so the corners project to the corners, with no walk over the points.
    pub fn world_bounds(&self) -> geo_types::Rect<f64> {
        let (x0, y0) = lonlat_to_world(self.bbox.min_lon, self.bbox.max_lat);
        let (x1, y1) = lonlat_to_world(self.bbox.max_lon, self.bbox.min_lat);
        geo_types::Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 })
    }
}

/// Anything placed at one WGS84 point with a stable id.
pub trait Located {
    /// WGS84 lon/lat.
    fn lon_lat(&self) -> (f64, f64);
    /// Stable id.
    fn id(&self) -> &str;
}

macro_rules! located {
    ($($t:ty),*) => {$(
        impl Located for $t {
            fn lon_lat(&self) -> (f64, f64) { (self.lon, self.lat) }
            fn id(&self) -> &str { &self.id }
        }
    )*};
}
located!(Hazard, Shelter, Place, Incident, Person);

/// One point layer: the records, the grid each falls in, and an rstar tree.
#[derive(Debug)]
pub struct PointLayer<T> {
    /// The records; positions are stable (updates replace in place).
    pub items: Vec<T>,
    /// The index in [`SpatialIndex::areas`] of the grid containing each record.
    pub grid: Vec<Option<u32>>,
    by_id: HashMap<String, u32>,
    tree: RTree<PointEntry>,
}

impl<T: Located> PointLayer<T> {
    fn build(items: Vec<T>, areas: &AreaSet) -> Self
    where
        T: Sync,
    {
        let grid = super::par::map(&items, 4096, |it| areas.grid_at(it.lon_lat()));
        Self::with_grids(items, grid)
    }

    fn with_grids(items: Vec<T>, grid: Vec<Option<u32>>) -> Self {
        let by_id = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id().to_owned(), i as u32))
            .collect();
        let tree = RTree::bulk_load(
            items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    let (x, y) = it.lon_lat();
                    GeomWithData::new([x, y], i as u32)
                })
                .collect(),
        );
        PointLayer {
            items,
            grid,
            by_id,
            tree,
        }
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.by_id.get(id).map(|&i| &self.items[i as usize])
    }

    /// Position of the record with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|&i| i as usize)
    }

    /// Positions of the records inside `bbox`.
    pub fn in_bbox(&self, bbox: &BBox) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_in_envelope(&bbox.envelope())
            .map(|e| e.data as usize)
    }

    /// The tree, for nearest-neighbour searches.
    pub fn tree(&self) -> &RTree<PointEntry> {
        &self.tree
    }

    /// Re-derives every record's grid after the areas changed.
    pub(super) fn regrid(&mut self, areas: &AreaSet) {
        self.grid = self
            .items
            .iter()
            .map(|it| areas.grid_at(it.lon_lat()))
            .collect();
    }

    /// Adds a record or replaces the one with the same id; returns its position.
    pub fn upsert(&mut self, item: T, areas: &AreaSet) -> usize {
        let (x, y) = item.lon_lat();
        let g = areas.grid_at((x, y));
        match self.by_id.get(item.id()).copied() {
            Some(i) => {
                let (ox, oy) = self.items[i as usize].lon_lat();
                self.tree.remove(&GeomWithData::new([ox, oy], i));
                self.tree.insert(GeomWithData::new([x, y], i));
                self.items[i as usize] = item;
                self.grid[i as usize] = g;
                i as usize
            }
            None => {
                let i = self.items.len() as u32;
                self.by_id.insert(item.id().to_owned(), i);
                self.tree.insert(GeomWithData::new([x, y], i));
                self.items.push(item);
                self.grid.push(g);
                i as usize
            }
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the layer has no records.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The area hierarchy with one tree of bounding boxes per level.
#[derive(Debug)]
pub struct AreaSet {
    /// Every area, parents before children.
    pub entries: Vec<AreaEntry>,
    by_code: HashMap<String, u32>,
    trees: [RTree<RectEntry>; 4],
    /// grid (level 网格) owner lookups
    grid_buckets: super::buckets::Buckets,
}

impl AreaSet {
    pub(super) fn build(areas: Vec<Area>) -> AreaSet {
        // What is derived from each polygon (a province has 300,000) is
        // computed on every core: start-up time.
        let derived = super::par::map(&areas, 1024, |area| {
            let bbox = area
                .geometry
                .bounding_rect()
                .map(BBox::from)
                .unwrap_or(BBox {
                    min_lon: 0.0,
                    min_lat: 0.0,
                    max_lon: 0.0,
                    max_lat: 0.0,
                });
            let world = project_world(&area.geometry);
            let label = label_point(&area.geometry).unwrap_or((
                (bbox.min_lon + bbox.max_lon) / 2.0,
                (bbox.min_lat + bbox.max_lat) / 2.0,
            ));
            (bbox, world, label)
        });
        let mut entries: Vec<AreaEntry> = areas
            .into_iter()
            .zip(derived)
            .map(|(area, (bbox, world, label))| AreaEntry {
                area,
                bbox,
                world,
                label,
                children: Vec::new(),
            })
            .collect();
        let by_code: HashMap<String, u32> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.area.code.as_str().to_owned(), i as u32))
            .collect();
        for i in 0..entries.len() {
            if let Some(p) = entries[i]
                .area
                .parent
                .as_ref()
                .and_then(|p| by_code.get(p.as_str()))
            {
                entries[*p as usize].children.push(i as u32);
            }
        }
        let trees = Level::ALL.map(|level| {
            RTree::bulk_load(
                entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.area.level() == level)
                    .map(|(i, e)| {
                        GeomWithData::new(
                            Rectangle::from_corners(
                                [e.bbox.min_lon, e.bbox.min_lat],
                                [e.bbox.max_lon, e.bbox.max_lat],
                            ),
                            i as u32,
                        )
                    })
                    .collect(),
            )
        });
        let grid_boxes: Vec<(u32, BBox)> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.area.level() == Level::Grid)
            .map(|(i, e)| (i as u32, e.bbox))
            .collect();
        AreaSet {
            entries,
            by_code,
            trees,
            grid_buckets: super::buckets::Buckets::build(&grid_boxes),
        }
    }

    /// The grid of an incident, as an index into `entries`: the one it was
    /// filed under (a lookup by code is much cheaper than a point-in-polygon
    /// test), else the one containing it.
    pub fn grid_of(&self, i: &Incident) -> Option<u32> {
        match i.grid.as_deref().and_then(|g| self.position(g)) {
            Some(p) => Some(p as u32),
            None => self.grid_at((i.lon, i.lat)),
        }
    }

    /// The grid (level 网格) containing the point, as an index into `entries`.
    pub fn grid_at(&self, (lon, lat): (f64, f64)) -> Option<u32> {
        self.grid_buckets
            .candidates(lon, lat)
            .iter()
            .copied()
            .find(|&i| {
                let e = &self.entries[i as usize];
                e.bbox.contains(lon, lat) && super::geom::point_in(&e.area.geometry, lon, lat)
            })
    }

    /// The area of `level` containing the point.
    pub fn area_at(&self, level: Level, lon: f64, lat: f64) -> Option<u32> {
        self.trees[level as usize]
            .locate_all_at_point(&[lon, lat])
            .map(|e| e.data)
            .find(|&i| super::geom::point_in(&self.entries[i as usize].area.geometry, lon, lat))
    }

    /// Areas of `level` whose bounding box meets `bbox`.
    pub fn in_bbox(&self, level: Level, bbox: &BBox) -> impl Iterator<Item = usize> + '_ {
        self.trees[level as usize]
            .locate_in_envelope_intersecting(&AABB::from_corners(
                [bbox.min_lon, bbox.min_lat],
                [bbox.max_lon, bbox.max_lat],
            ))
            .map(|e| e.data as usize)
    }

    /// The area with this code.
    pub fn get(&self, code: &str) -> Option<&AreaEntry> {
        self.by_code.get(code).map(|&i| &self.entries[i as usize])
    }

    /// Index of the area with this code.
    pub fn position(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).map(|&i| i as usize)
    }

    /// The chain of ancestors of an area, nearest first.
    pub fn ancestors(&self, idx: usize) -> Vec<&AreaEntry> {
        let mut out = Vec::new();
        let mut cur = self.entries[idx].area.parent.clone();
        while let Some(code) = cur {
            match self.get(code.as_str()) {
                Some(e) => {
                    cur = e.area.parent.clone();
                    out.push(e);
                }
                None => break,
            }
        }
        out
    }

    /// The top-level areas (no parent in the set).
    pub fn roots(&self) -> impl Iterator<Item = &AreaEntry> {
        self.entries.iter().filter(|e| {
            e.area
                .parent
                .as_ref()
                .is_none_or(|p| !self.by_code.contains_key(p.as_str()))
        })
    }
}

/// A point inside the area for its label: the centroid when it lies inside
/// (central, and cheap: most grids are near-convex), else geo's interior
/// point, which is always inside but cost 0.9 s of a province's start-up
/// when every area took it.
fn label_point(mp: &MultiPolygon<f64>) -> Option<(f64, f64)> {
    mp.centroid()
        .filter(|c| super::geom::point_in(mp, c.x(), c.y()))
        .or_else(|| mp.interior_point())
        .map(|p: Point<f64>| (p.x(), p.y()))
}

/// Projects a WGS84 multipolygon into Web Mercator world units.
pub fn project_world(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::MapCoords;
    mp.map_coords(|Coord { x, y }| {
        let (wx, wy) = lonlat_to_world(x, y);
        Coord { x: wx, y: wy }
    })
}

pub use super::tracks::Tracks;

/// A tree of the incidents on the map: open ones and those of the last days.
/// Tiles search it instead of every incident ever reported; they still apply
/// [`is_on_map`] with the current time, so a case that aged out meanwhile
/// costs a little time but never shows wrongly.
#[derive(Debug, Default)]
pub struct MapIncidents {
    tree: RTree<PointEntry>,
    member: std::collections::HashSet<u32>,
}

impl MapIncidents {
    fn build(items: &[Incident]) -> MapIncidents {
        let now = chrono::Utc::now();
        let on: Vec<u32> = (0..items.len() as u32)
            .filter(|&i| is_on_map(&items[i as usize], now))
            .collect();
        MapIncidents {
            tree: RTree::bulk_load(
                on.iter()
                    .map(|&i| GeomWithData::new([items[i as usize].lon, items[i as usize].lat], i))
                    .collect(),
            ),
            member: on.into_iter().collect(),
        }
    }

    fn update(&mut self, pos: usize, i: &Incident) {
        let p = pos as u32;
        if self.member.remove(&p) {
            // Incidents do not move, so the entry is at the same point;
            // fall back to a scan if an edit ever moved one.
            if self
                .tree
                .remove(&GeomWithData::new([i.lon, i.lat], p))
                .is_none()
            {
                let found = self.tree.iter().find(|e| e.data == p).copied();
                if let Some(e) = found {
                    self.tree.remove(&e);
                }
            }
        }
        if is_on_map(i, chrono::Utc::now()) {
            self.tree.insert(GeomWithData::new([i.lon, i.lat], p));
            self.member.insert(p);
        }
    }

    /// Positions (in `incidents`) of map incidents inside `bbox`.
    pub fn in_bbox(&self, bbox: &BBox) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_in_envelope(&bbox.envelope())
            .map(|e| e.data as usize)
    }
}

/// Where a point fell: the grid and its ancestors.
#[derive(Debug, Clone)]
pub struct GridHit<'a> {
    /// The grid.
    pub grid: &'a AreaEntry,
    /// Community, street, district (nearest first).
    pub ancestors: Vec<&'a AreaEntry>,
}

/// Every layer of a district, indexed.
#[derive(Debug)]
pub struct SpatialIndex {
    /// 区县/街道/社区/网格
    pub areas: AreaSet,
    /// 隐患点
    pub hazards: PointLayer<Hazard>,
    /// 安置点
    pub shelters: PointLayer<Shelter>,
    /// 重点场所
    pub places: PointLayer<Place>,
    /// 事件
    pub incidents: PointLayer<Incident>,
    /// 特殊人群 (sensitive: callers apply rights before anything leaves)
    pub people: PointLayer<Person>,
    /// The incidents a map shows (open or recent), for tiles.
    pub map_incidents: MapIncidents,
    /// 巡查轨迹
    pub tracks: Tracks,
    /// The start of the live window: incidents closed or rejected that were
    /// reported before it are history, answered by the store, not held here
    /// (see [`is_history`]). `None`: every incident is held.
    pub history_before: Option<DateTime<Utc>>,
    places_by_grid: HashMap<u32, Vec<usize>>,
}

/// Key places grouped by the grid they lie in.
fn places_by_grid(places: &PointLayer<Place>) -> HashMap<u32, Vec<usize>> {
    let mut by_grid: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, g) in places.grid.iter().enumerate() {
        if let Some(g) = g {
            by_grid.entry(*g).or_default().push(i);
        }
    }
    by_grid
}

impl SpatialIndex {
    /// Builds every tree from a dataset.
    pub fn build(data: Dataset) -> SpatialIndex {
        let Dataset {
            areas,
            hazards,
            shelters,
            places,
            incidents,
            people,
            members,
            patrol_points,
            steps: _,
        } = data;
        let areas = AreaSet::build(areas);
        // Once the areas stand the layers are independent: the people (a
        // million in a province) and the tracks are built on threads of their
        // own while this one builds the rest.
        let (people, tracks, rest) = std::thread::scope(|s| {
            let areas = &areas;
            let people = s.spawn(move || PointLayer::build(people, areas));
            let tracks = s.spawn(move || Tracks::build(members, patrol_points));
            let places = PointLayer::build(places, areas);
            let map_incidents = MapIncidents::build(&incidents);
            let grid = incidents.iter().map(|i| areas.grid_of(i)).collect();
            let rest = (
                PointLayer::build(hazards, areas),
                PointLayer::build(shelters, areas),
                places,
                map_incidents,
                PointLayer::with_grids(incidents, grid),
            );
            (
                people.join().expect("people layer"),
                tracks.join().expect("patrol tracks"),
                rest,
            )
        });
        let (hazards, shelters, places, map_incidents, incidents) = rest;
        SpatialIndex {
            hazards,
            shelters,
            places_by_grid: places_by_grid(&places),
            places,
            map_incidents,
            incidents,
            people,
            tracks,
            history_before: None,
            areas,
        }
    }

    /// Builds every tree from a dataset loaded with a live window from `before`.
    pub fn build_live(data: Dataset, before: Option<DateTime<Utc>>) -> SpatialIndex {
        let mut index = SpatialIndex::build(data);
        index.history_before = before;
        index
    }

    /// The live incidents: those the index answers for. A case held here
    /// that became history since (closed, and older than the window) is left
    /// out, because the store's history reads return it.
    pub fn live_incidents(&self) -> impl Iterator<Item = &Incident> + '_ {
        let before = self.history_before;
        self.incidents
            .items
            .iter()
            .filter(move |i| !is_history(i, before))
    }

    /// The incident with this id when it is live (see [`Self::live_incidents`]).
    pub fn live_incident(&self, id: &str) -> Option<&Incident> {
        self.incidents
            .get(id)
            .filter(|i| !is_history(i, self.history_before))
    }

    /// True when `i` is history: the store answers for it, not the index.
    pub fn is_history(&self, i: &Incident) -> bool {
        is_history(i, self.history_before)
    }

    /// The grid containing a WGS84 point, with its ancestors.
    pub fn grid_at(&self, lon: f64, lat: f64) -> Option<GridHit<'_>> {
        let i = self.areas.grid_at((lon, lat))? as usize;
        Some(GridHit {
            grid: &self.areas.entries[i],
            ancestors: self.areas.ancestors(i),
        })
    }

    /// Positions of the key places inside a grid.
    pub fn places_in_grid(&self, area_idx: usize) -> &[usize] {
        self.places_by_grid
            .get(&(area_idx as u32))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Re-derives the key places of each grid after places or grids changed.
    pub(super) fn index_places_by_grid(&mut self) {
        self.places_by_grid = places_by_grid(&self.places);
    }

    /// Adds or replaces an incident after the store committed it. A new one
    /// that is already history (an imported archive) is not held: the store
    /// answers for it. Returns its position when held.
    pub fn upsert_incident(&mut self, incident: Incident) -> Option<usize> {
        if self.incidents.position(&incident.id).is_none() && self.is_history(&incident) {
            return None;
        }
        let pos = self.incidents.upsert(incident, &self.areas);
        self.map_incidents.update(pos, &self.incidents.items[pos]);
        Some(pos)
    }

    /// The code of the grid at a point, as stored on new records.
    pub fn grid_code_at(&self, lon: f64, lat: f64) -> Option<String> {
        self.areas
            .grid_at((lon, lat))
            .map(|i| self.areas.entries[i as usize].area.code.as_str().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn world_bounds_from_the_box_equal_the_projected_points_bounds() {
        let area = Area {
            code: crate::domain::AreaCode::parse("441802001").expect("a street code"),
            name: "街道".into(),
            parent: None,
            geometry: MultiPolygon(vec![polygon![
                (x: 113.01, y: 23.61), (x: 113.07, y: 23.62), (x: 113.05, y: 23.69),
                (x: 113.0, y: 23.66), (x: 113.01, y: 23.61)
            ]]),
            head: None,
            households: 0,
            residents: 0,
        };
        let set = AreaSet::build(vec![area]);
        let e = &set.entries[0];
        let walked = e.world.bounding_rect().expect("bounds");
        let from_box = e.world_bounds();
        for (a, b) in [
            (walked.min().x, from_box.min().x),
            (walked.min().y, from_box.min().y),
            (walked.max().x, from_box.max().x),
            (walked.max().y, from_box.max().y),
        ] {
            assert!(
                (a - b).abs() < 1e-15,
                "bounds from the box {b} against the points {a}"
            );
        }
    }

    #[test]
    fn labels_sit_inside_their_area() {
        let square = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0), (x: 0.0, y: 0.0)
        ]]);
        assert_eq!(
            label_point(&square),
            Some((1.0, 1.0)),
            "a convex area is labelled at its centroid"
        );
        // A U: the centroid (1.5, ~1.1) lies in the notch, outside.
        let u = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 3.0), (x: 2.0, y: 3.0),
            (x: 2.0, y: 0.5), (x: 1.0, y: 0.5), (x: 1.0, y: 3.0), (x: 0.0, y: 3.0), (x: 0.0, y: 0.0)
        ]]);
        let c = u.centroid().expect("centroid");
        assert!(
            !super::super::geom::point_in(&u, c.x(), c.y()),
            "the test shape's centroid must lie outside it"
        );
        let (x, y) = label_point(&u).expect("a label");
        assert!(
            super::super::geom::point_in(&u, x, y),
            "the U's label ({x}, {y}) must lie inside the U"
        );
    }
}
