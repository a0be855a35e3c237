//! Counters the gateway reads for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared by the store and the worker.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) enqueued: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed_attempts: AtomicU64,
    pub(crate) dead: AtomicU64,
    pub(crate) queue_depth: AtomicU64,
    pub(crate) in_flight: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Decrements without wrapping below zero.
    pub(crate) fn sub(counter: &AtomicU64, n: u64) {
        let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            Some(v.saturating_sub(n))
        });
    }

    pub(crate) fn snapshot(&self) -> WebhookMetrics {
        WebhookMetrics {
            enqueued: self.enqueued.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed_attempts: self.failed_attempts.load(Ordering::Relaxed),
            dead: self.dead.load(Ordering::Relaxed),
            queue_depth: self.queue_depth.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of the webhook counters since this process opened the store (`queue_depth` is
/// read from the database at open and kept current after).
///
/// ```
/// # fn main() -> Result<(), wa_webhooks::Error> {
/// let store = wa_webhooks::WebhookStore::open_in_memory()?;
/// let m = store.metrics();
/// assert_eq!((m.delivered, m.failed_attempts, m.dead, m.queue_depth), (0, 0, 0, 0));
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookMetrics {
    /// Deliveries queued (one per matching subscription per event).
    pub enqueued: u64,
    /// Deliveries a receiver acknowledged with a 2xx.
    pub delivered: u64,
    /// Attempts that failed (non-2xx, timeout, connection error), retried or not.
    pub failed_attempts: u64,
    /// Deliveries given up on after the last attempt.
    pub dead: u64,
    /// Deliveries waiting (pending, including in flight).
    pub queue_depth: u64,
    /// Requests in flight now.
    pub in_flight: u64,
}
