//! A small fixed-window rate limiter for login and public intake.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Allows `max` hits per key per window.
#[derive(Debug)]
pub struct RateLimiter {
    hits: Mutex<HashMap<String, (u32, Instant)>>,
    max: u32,
    window: Duration,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter {
            hits: Mutex::new(HashMap::new()),
            max: 20,
            window: Duration::from_secs(60),
        }
    }
}

impl RateLimiter {
    /// Records a hit; false when the key is over its budget.
    pub fn allow(&self, key: &str) -> bool {
        let mut g = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if g.len() > 10_000 {
            g.retain(|_, (_, t)| now.duration_since(*t) < self.window);
        }
        let e = g.entry(key.to_owned()).or_insert((0, now));
        if now.duration_since(e.1) >= self.window {
            *e = (0, now);
        }
        e.0 += 1;
        e.0 <= self.max
    }
}
