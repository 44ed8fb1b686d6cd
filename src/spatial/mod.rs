//! The in-memory spatial index: the query engine behind tiles and queries.
//! Pure and synchronous; loaded from the store at start, updated on every write.

pub mod buckets;
pub mod coverage;
pub mod crs;
pub mod gaps;
pub mod geom;
pub mod index;
pub mod nearest;
pub mod par;
pub mod raster;
pub mod search;
pub mod tracks;
pub mod update;
pub mod valid;

pub use geom::{BBox, haversine_m, lonlat_to_world, world_to_lonlat};
pub use index::{GridHit, SpatialIndex};
