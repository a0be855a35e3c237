//! Ack outcomes waiting to be written to the outbox. A send returns as soon as its ack is
//! read; the outcome (acked or refused) rides in the next send round's transaction, so a
//! busy session commits once per round instead of once for the sends and once for the marks.
//! An idle session writes them on its own shortly after ([`FLUSH_DELAY`]), and a stopping
//! one before it closes.
//!
//! What a crash can cost: an outcome not yet written leaves its entry pending, so the next
//! start sends it again with the same message id, which WhatsApp (and the simulator)
//! deduplicates; a refused one is refused again. Until it is written, a call repeating the
//! entry's idempotency key is answered from here.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use wa_store::{OutboxMessageId, OutboxState};

/// How long an outcome may wait for a send round before it is written on its own.
pub(super) const FLUSH_DELAY: Duration = Duration::from_millis(20);

/// The outcomes not yet committed.
#[derive(Debug, Default)]
pub(super) struct PendingMarks {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Not yet taken by a round, in ack order.
    queued: Vec<(OutboxMessageId, OutboxState)>,
    /// Every outcome not yet committed (queued or being written), by message id.
    unwritten: HashMap<String, OutboxState>,
    /// Whether a flush is scheduled (it takes whatever is queued when it runs).
    flush_scheduled: bool,
}

impl PendingMarks {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues an outcome. Returns true when the caller must schedule a flush (none is).
    pub(super) fn push(&self, id: OutboxMessageId, state: OutboxState) -> bool {
        let mut inner = self.inner();
        inner.unwritten.insert(id.as_str().to_owned(), state);
        inner.queued.push((id, state));
        !std::mem::replace(&mut inner.flush_scheduled, true)
    }

    /// Takes the queued outcomes for a round; they stay visible to [`Self::outcome`] until
    /// [`Self::written`].
    pub(super) fn take(&self) -> Vec<(OutboxMessageId, OutboxState)> {
        std::mem::take(&mut self.inner().queued)
    }

    /// The scheduled flush runs: later outcomes need a flush of their own.
    pub(super) fn flush_started(&self) {
        self.inner().flush_scheduled = false;
    }

    /// Outcomes a round took are committed (or given up: their entries stay pending, to be
    /// resent with their ids).
    pub(super) fn written(&self, marks: &[(OutboxMessageId, OutboxState)]) {
        let mut inner = self.inner();
        for (id, _) in marks {
            inner.unwritten.remove(id.as_str());
        }
    }

    /// The outcome of message `id` if it is known but not yet in the store.
    pub(super) fn outcome(&self, id: &str) -> Option<OutboxState> {
        self.inner().unwritten.get(id).copied()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn outcomes_stay_visible_until_written_and_one_flush_covers_many() {
        let marks = PendingMarks::default();
        let acked = OutboxState::Acked {
            server_timestamp: 5,
        };
        let id = |s: &str| OutboxMessageId::new(s).unwrap();
        assert!(marks.push(id("A1"), acked));
        assert!(!marks.push(id("A2"), OutboxState::Failed { code: 479 }));
        let taken = marks.take();
        assert_eq!(taken.len(), 2);
        assert_eq!(marks.outcome("A1"), Some(acked));
        marks.written(&taken);
        assert_eq!(marks.outcome("A1"), None);
        assert!(marks.take().is_empty());
        // The flush scheduled for A1 still covers A3 until it starts.
        assert!(!marks.push(id("A3"), acked));
        marks.flush_started();
        assert!(marks.push(id("A4"), acked));
    }
}
