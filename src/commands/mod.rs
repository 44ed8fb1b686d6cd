//! Commands that join the store (I/O) and the pure core; `main.rs` dispatches here.

pub mod check;
pub mod import;
