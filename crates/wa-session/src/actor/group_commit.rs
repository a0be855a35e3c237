//! Group commit: callers queue work items, and whoever finds work queued and nobody flushing
//! takes everything queued so far and handles it at once (one store transaction, one fsync,
//! one socket write), while later callers queue behind it for the next round. Items are taken
//! in the order they were queued, and rounds never overlap, so that order is kept.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Items of type `T` waiting for the next round.
#[derive(Debug)]
pub(super) struct GroupCommit<T> {
    queue: Mutex<Queue<T>>,
    /// How many items the finished rounds took, in all.
    taken: AtomicU64,
    /// Held by the caller running a round.
    round: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Queue<T> {
    /// How many items were ever queued.
    queued: u64,
    items: Vec<T>,
}

impl<T> Default for GroupCommit<T> {
    fn default() -> Self {
        Self {
            queue: Mutex::new(Queue {
                queued: 0,
                items: Vec::new(),
            }),
            taken: AtomicU64::new(0),
            round: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> GroupCommit<T> {
    /// Queues `item`; the ticket says which round covers it (pass it to [`Self::lead`]).
    pub(super) fn push(&self, item: T) -> u64 {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.items.push(item);
        queue.queued += 1;
        queue.queued
    }

    /// A ticket covering everything queued so far, without queuing anything (a barrier).
    pub(super) fn ticket(&self) -> u64 {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .queued
    }

    /// Returns once the items up to `ticket` have been handled: by an earlier round, or by a
    /// round this caller runs with `handle` on everything queued by then. A round cancelled
    /// halfway drops its items (their waiters see their channels closed).
    pub(super) async fn lead<F, Fut>(&self, ticket: u64, handle: F)
    where
        F: FnOnce(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        if self.taken.load(Ordering::Acquire) >= ticket {
            return;
        }
        let _round = self.round.lock().await;
        if self.taken.load(Ordering::Acquire) >= ticket {
            return;
        }
        self.run(handle).await;
    }

    /// Runs a round now (after the one running, if any) on everything queued, even on
    /// nothing: for work that rides in rounds without being an item.
    pub(super) async fn lead_now<F, Fut>(&self, handle: F)
    where
        F: FnOnce(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let _round = self.round.lock().await;
        self.run(handle).await;
    }

    /// Takes the queue and handles it (call with the round lock held).
    async fn run<F, Fut>(&self, handle: F)
    where
        F: FnOnce(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let (items, queued) = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            (std::mem::take(&mut queue.items), queue.queued)
        };
        handle(items).await;
        // Only once handled: a barrier's ticket must not pass a round still running.
        self.taken.store(queued, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn one_round_takes_everything_queued_in_order() {
        let commit = GroupCommit::default();
        let first = commit.push(1);
        let second = commit.push(2);
        let mut rounds = Vec::new();
        commit
            .lead(first, |items| {
                rounds.push(items);
                async {}
            })
            .await;
        // The second item went with the first round: no round of its own.
        commit
            .lead(second, |items| {
                rounds.push(items);
                async {}
            })
            .await;
        let third = commit.push(3);
        assert_eq!(commit.ticket(), third);
        commit
            .lead(third, |items| {
                rounds.push(items);
                async {}
            })
            .await;
        assert_eq!(rounds, vec![vec![1, 2], vec![3]]);
    }
}
