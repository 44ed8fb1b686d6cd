//! Patrol track input: reading GPS fixes from JSON, GeoJSON, GPX and CSV
//! ([`parse`]), and dropping obvious GPS noise ([`noise`]). Pure: no I/O, no
//! axum, no sqlx, so the HTTP ingest and `minqing import --layer patrol` share it.
//!
//! ```
//! use minqing::patrol::parse::{Format, ParseOptions, parse};
//! let csv = "member,time,lon,lat\nM1,2026-06-01T08:00:00+08:00,113.01,23.01\n";
//! let t = parse(Format::Csv, csv, &ParseOptions::default()).unwrap();
//! assert_eq!(t.members, vec!["M1".to_string()]);
//! assert_eq!(t.points.len(), 1);
//! ```

pub mod noise;
pub mod parse;

pub use noise::{Dropped, History, NoHistory, NoiseRules, clean};
pub use parse::{BadFix, Format, ParseOptions, ParsedTracks, parse};
