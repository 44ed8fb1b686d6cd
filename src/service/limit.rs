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

/// Failed sign-ins per (account name, source address). A stranger's guesses
/// slow down only the stranger: the owner, from another address, is never
/// locked out. Unknown and known names are treated alike, so the answers
/// cannot tell which names exist.
#[derive(Debug, Default)]
pub struct LoginGuard {
    failures: Mutex<HashMap<(String, std::net::IpAddr), (u32, Instant)>>,
}

/// Failures allowed before attempts must wait.
const FREE_FAILURES: u32 = 3;
/// Longest wait between attempts.
pub const MAX_LOGIN_DELAY: Duration = Duration::from_secs(5);
/// A pair's record is forgotten this long after its last failure.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

impl LoginGuard {
    /// How long this pair must still wait before its next attempt is checked.
    pub fn wait(&self, name: &str, ip: std::net::IpAddr) -> Option<Duration> {
        let g = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let (n, last) = g.get(&(name.to_owned(), ip))?;
        let delay = Self::delay(*n)?;
        let elapsed = last.elapsed();
        (elapsed < delay).then(|| delay - elapsed)
    }

    /// The wait after `n` failures: none for the first few, then doubling up to 5 s.
    ///
    /// ```
    /// use minqing::service::limit::{LoginGuard, MAX_LOGIN_DELAY};
    /// assert_eq!(LoginGuard::delay(3), None);
    /// assert_eq!(LoginGuard::delay(4), Some(std::time::Duration::from_secs(1)));
    /// assert_eq!(LoginGuard::delay(40), Some(MAX_LOGIN_DELAY));
    /// ```
    pub fn delay(n: u32) -> Option<Duration> {
        let over = n.checked_sub(FREE_FAILURES).filter(|o| *o > 0)?;
        Some(Duration::from_secs(1u64 << (over - 1).min(8)).min(MAX_LOGIN_DELAY))
    }

    /// Records a failure of this pair.
    pub fn failed(&self, name: &str, ip: std::net::IpAddr) {
        let mut g = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if g.len() > 100_000 {
            g.retain(|_, (_, t)| now.duration_since(*t) < FORGET_AFTER);
        }
        let e = g.entry((name.to_owned(), ip)).or_insert((0, now));
        if now.duration_since(e.1) >= FORGET_AFTER {
            e.0 = 0;
        }
        e.0 += 1;
        e.1 = now;
    }

    /// Forgets this pair's failures after a successful sign-in.
    pub fn succeeded(&self, name: &str, ip: std::net::IpAddr) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(name.to_owned(), ip));
    }
}
