//! Requests per token: a token bucket per presented credential (by its hash), holding
//! `limit` requests and refilled at `limit` a minute, so a burst of `limit` is allowed and
//! the sustained rate is `limit` a minute.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::error::{Error, Result};

/// Past this many tracked tokens, full buckets are forgotten.
const PRUNE_AT: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The per-token limiter.
///
/// ```
/// let limiter = wa_gateway::RateLimiter::new(2);
/// assert!(limiter.check("a").is_ok());
/// assert!(limiter.check("a").is_ok());
/// assert_eq!(limiter.check("a").unwrap_err().code(), "rate_limited");
/// assert!(limiter.check("b").is_ok());
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// At most `limit` requests a minute per token (0 is taken as 1).
    #[must_use]
    pub fn new(limit: u32) -> Self {
        Self {
            limit: limit.max(1),
            buckets: Mutex::default(),
        }
    }

    /// Takes one request from `token`'s bucket.
    ///
    /// # Errors
    /// [`Error::RateLimited`] when the bucket is empty.
    pub fn check(&self, token: &str) -> Result<()> {
        let now = Instant::now();
        let capacity = f64::from(self.limit);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().map_err(|_| Error::Closed)?;
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity
            });
        }
        let bucket = buckets.entry(token.to_owned()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / per_second).ceil();
            Err(Error::RateLimited {
                limit: self.limit,
                retry_after: format!("{wait:.0}").parse().unwrap_or(60),
            })
        }
    }
}
