//! Vector tiles made in Rust from the index: tile math, clipping and
//! simplification, MVT and GeoJSON encoding, TileJSON and the tile cache.
//! No axum, no sqlx.

pub mod cache;
pub mod clip;
pub mod coord;
pub mod layers;
pub mod mvt;
pub mod patrol;
pub mod tilejson;
pub mod topology;

use std::borrow::Cow;

pub use coord::TileCoord;

/// Tile extent in MVT units.
pub const EXTENT: u32 = 4096;
/// Buffer around the tile, in MVT units, so strokes and symbols do not cut at edges.
pub const BUFFER: i32 = 64;

/// A property value of a tile feature. Text is borrowed from the index
/// where it can be: a tile of a province holds hundreds of features, and a
/// copy of every name and code per feature was a large share of its
/// allocations.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop<'a> {
    /// text
    Str(Cow<'a, str>),
    /// integer
    Int(i64),
    /// floating point
    Float(f64),
    /// boolean
    Bool(bool),
}

/// A geometry in tile units (0..EXTENT, y down), already clipped and simplified.
#[derive(Debug, Clone, PartialEq)]
pub enum TileGeom {
    /// one or more points
    Points(Vec<[i32; 2]>),
    /// one or more lines
    Lines(Vec<Vec<[i32; 2]>>),
    /// polygons, each a list of rings (exterior first, open: last ≠ first)
    Polygons(Vec<Vec<Vec<[i32; 2]>>>),
}

/// One feature of a tile layer.
#[derive(Debug, Clone, PartialEq)]
pub struct TileFeature<'a> {
    /// Optional numeric id.
    pub id: Option<u64>,
    /// Geometry in tile units.
    pub geom: TileGeom,
    /// Properties in a fixed order.
    pub props: Vec<(&'static str, Prop<'a>)>,
}

/// One named layer of a tile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TileLayer<'a> {
    /// MVT layer name.
    pub name: String,
    /// Features.
    pub features: Vec<TileFeature<'a>>,
}
