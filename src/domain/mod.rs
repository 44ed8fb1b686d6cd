//! Domain types of grid governance. Field names are English in code; the
//! Chinese terms are given in the doc comments and used in the UI.

pub mod area;
pub mod dataset;
pub mod handling;
pub mod hazard;
pub mod incident;
pub mod layer;
pub mod patrol;
pub mod person;
pub mod visit;
pub mod warning;
pub mod workflow;

pub use area::{Area, AreaCode, GridHead, Level};
pub use dataset::{Dataset, LayerRecords};
pub use hazard::{Hazard, Place, Risk, Shelter};
pub use incident::{Incident, IncidentStatus};
pub use layer::Layer;
pub use patrol::{PatrolMember, PatrolPoint};
pub use person::{Person, PersonCategory};
pub use warning::{Warning, WarningStatus};
