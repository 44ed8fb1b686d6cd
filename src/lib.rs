//! 民情地图 Minqing Map: a map service for grid-based social governance.
//!
//! Arrows point down: [`http`] → [`domain`] / [`spatial`] / [`tiles`] / [`store`].
//! The pure core (`domain`, `spatial`, `tiles`, `ogc`, `demo`, `import`, `export`) knows nothing of axum or sqlx.

/// Builds the application (store + index + router) and runs it until stopped.
pub mod app;
/// Accounts, sessions, rights by role × area, masking of person records.
pub mod auth;
/// The base map under our layers: a PMTiles/MBTiles file served by the binary, XYZ templates, or the offline outline.
pub mod basemap;
/// The CLI commands that join the store and the pure core (`import`, `check`).
pub mod commands;
/// Command-line and environment configuration; store URLs redacted in logs.
pub mod config;
/// The deterministic demo district (清远市清城区) generator.
pub mod demo;
/// Areas, hazards, shelters, places, incidents, people, patrol: types and rules, no I/O.
pub mod domain;
/// `AppError`: the only place HTTP statuses are chosen.
pub mod error;
/// Export tables as CSV (UTF-8 with BOM), XLSX and GeoJSON — pure encoders.
pub mod export;
/// Thin HTTP handlers, one file per resource.
pub mod http;
/// Shapefile/GeoJSON/CSV import, coordinate conversion, geometry repair, topology check.
pub mod import;
/// OGC API pieces without HTTP: CQL2 parse/evaluate, queryables, sortby, CRS (Part 2), tile matrix sets.
pub mod ogc;
/// Patrol track input: GPX/CSV/GeoJSON/JSON readers and GPS noise rules (pure).
pub mod patrol;
/// Shared state and the one write path (store → index → tiles → live event).
pub mod service;
/// The in-memory spatial index (rstar) that answers tiles and queries.
pub mod spatial;
/// The system of record: `Store` trait with SQLite and PostGIS backends.
pub mod store;
/// Tile math, clipping, simplification, MVT/GeoJSON encoding, TileJSON and the tile cache.
pub mod tiles;
/// HTTPS served directly: the rustls acceptor from `--tls-cert`/`--tls-key`.
pub mod tls;
/// One serializable view per record kind, masked by the policy.
pub mod views;
