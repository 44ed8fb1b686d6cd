//! OGC API building blocks that need no HTTP: CQL2 filters (text and JSON)
//! and their evaluation, queryables as JSON Schema, `sortby`, the coordinate
//! reference systems we serve (Part 2) and the WebMercatorQuad tile matrix set.
//!
//! Filters run against records the rights policy has already chosen, in
//! memory: a filter narrows what a caller may see and never widens it, and
//! no filter text ever reaches SQL.

pub mod cql2;
pub mod crs;
pub mod queryables;
pub mod sort;
pub mod tms;
