//! Request and tile counters behind `GET /metrics`.

use std::sync::atomic::AtomicU64;

/// Counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// responses by class 1xx..5xx
    pub responses: [AtomicU64; 6],
    /// tiles answered from the cache
    pub tile_hits: AtomicU64,
    /// tiles built
    pub tile_misses: AtomicU64,
}
