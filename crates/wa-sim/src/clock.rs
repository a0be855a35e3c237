//! The simulator's clock: every server timestamp (`<ack t>`, `<message t>`, group creation)
//! comes from it, so tests can pin time and replay byte-identical stanzas.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::simulator::unix_now;

/// A source of unix seconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time, unix seconds.
    fn now(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        unix_now()
    }
}

/// A clock that moves only when told to: for deterministic tests.
///
/// ```
/// use wa_sim::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_750_000_000);
/// clock.advance(5);
/// assert_eq!(clock.now(), 1_750_000_005);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock stopped at `now` (unix seconds).
    #[must_use]
    pub fn new(now: u64) -> Self {
        Self(Arc::new(AtomicU64::new(now)))
    }

    /// Sets the time.
    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// Moves the time forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}
