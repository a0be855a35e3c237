//! The reaction debounce: repeated reactions to the same target within the window are
//! coalesced and the last one wins, so a burst of taps sends at most one reaction per
//! window.
//!
//! Exact semantics, per target (session, chat, message id):
//! * a reaction with no send to the target in the last `window` goes out at once;
//! * one arriving sooner joins the target's pending batch and replaces whatever that batch
//!   would send (last one wins); the batch goes out `window` after the previous send began;
//! * every request of a batch gets the result of the one send made for it: the request whose
//!   reaction was sent answers with mode `sync`, the superseded ones with mode `coalesced`
//!   and the same `waMessageId` (their own emoji was never sent);
//! * sends run on their own task: a client hanging up does not cancel a batch others wait on.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The default window.
pub const DEFAULT_WINDOW: Duration = Duration::from_millis(200);

/// Past this many tracked targets, idle ones are forgotten.
const PRUNE_AT: usize = 4096;

/// A send, as a future made when the batch goes out.
pub(crate) type Job<T> = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = T> + Send>> + Send>;

/// What a request gets back: the batch's result, and whether its own job was the one sent.
#[derive(Debug, Clone)]
pub(crate) struct Settled<T> {
    pub(crate) result: T,
    pub(crate) superseded: bool,
}

struct Batch<T> {
    latest: u64,
    job: Job<T>,
    done: watch::Sender<Option<(u64, T)>>,
}

struct Slot<T> {
    last_start: Option<Instant>,
    batch: Option<Batch<T>>,
    next_ticket: u64,
}

/// Coalesces jobs per key.
pub(crate) struct Debouncer<T> {
    window: Duration,
    slots: Arc<Mutex<HashMap<String, Slot<T>>>>,
}

impl<T> std::fmt::Debug for Debouncer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Debouncer")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl<T: Clone + Send + Sync + 'static> Debouncer<T> {
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            window,
            slots: Arc::default(),
        }
    }

    /// Runs `job` for `key` under the rules above; `None` only if the batch's task died.
    pub(crate) async fn run(&self, key: String, job: Job<T>) -> Option<Settled<T>> {
        let (ticket, mut done) = {
            let mut slots = self.slots.lock().ok()?;
            if slots.len() >= PRUNE_AT {
                let window = self.window;
                slots.retain(|_, slot| {
                    slot.batch.is_some() || slot.last_start.is_some_and(|t| t.elapsed() < window)
                });
            }
            let slot = slots.entry(key.clone()).or_insert(Slot {
                last_start: None,
                batch: None,
                next_ticket: 0,
            });
            slot.next_ticket += 1;
            let ticket = slot.next_ticket;
            if let Some(batch) = slot.batch.as_mut() {
                batch.latest = ticket;
                batch.job = job;
                (ticket, batch.done.subscribe())
            } else {
                let (done, receiver) = watch::channel(None);
                slot.batch = Some(Batch {
                    latest: ticket,
                    job,
                    done,
                });
                let at = slot
                    .last_start
                    .map_or_else(Instant::now, |start| start + self.window);
                tokio::spawn(flush(Arc::clone(&self.slots), key, at));
                (ticket, receiver)
            }
        };
        let (sent, result) = done.wait_for(Option::is_some).await.ok()?.clone()?;
        Some(Settled {
            result,
            superseded: sent != ticket,
        })
    }
}

/// Sends `key`'s batch at `at`.
async fn flush<T: Clone + Send + Sync + 'static>(
    slots: Arc<Mutex<HashMap<String, Slot<T>>>>,
    key: String,
    at: Instant,
) {
    tokio::time::sleep_until(at).await;
    let batch = {
        let Ok(mut slots) = slots.lock() else { return };
        let Some(slot) = slots.get_mut(&key) else {
            return;
        };
        slot.last_start = Some(Instant::now());
        slot.batch.take()
    };
    let Some(batch) = batch else { return };
    let result = (batch.job)().await;
    let _ = batch.done.send(Some((batch.latest, result)));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn job(sent: &Arc<Mutex<Vec<&'static str>>>, emoji: &'static str) -> Job<&'static str> {
        let sent = Arc::clone(sent);
        Box::new(move || {
            Box::pin(async move {
                sent.lock().unwrap().push(emoji);
                emoji
            })
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_sends_the_first_and_the_last() {
        let debouncer = Arc::new(Debouncer::new(DEFAULT_WINDOW));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for emoji in ["👍", "❤️", "😂", "🙏"] {
            let (debouncer, job) = (Arc::clone(&debouncer), job(&sent, emoji));
            tasks.push(tokio::spawn(async move {
                debouncer.run("s/c/m".into(), job).await.unwrap()
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut settled = Vec::new();
        for task in tasks {
            settled.push(task.await.unwrap());
        }
        assert_eq!(*sent.lock().unwrap(), ["👍", "🙏"]);
        let answers: Vec<(&str, bool)> = settled.iter().map(|s| (s.result, s.superseded)).collect();
        assert_eq!(
            answers,
            [("👍", false), ("🙏", true), ("🙏", true), ("🙏", false)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn other_targets_and_spaced_reactions_are_not_delayed() {
        let debouncer = Debouncer::new(DEFAULT_WINDOW);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        debouncer.run("a".into(), job(&sent, "👍")).await.unwrap();
        debouncer.run("b".into(), job(&sent, "❤️")).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        tokio::time::sleep(DEFAULT_WINDOW).await;
        let again = Instant::now();
        debouncer.run("a".into(), job(&sent, "😂")).await.unwrap();
        assert_eq!(again.elapsed(), Duration::ZERO);
        assert_eq!(sent.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_caller_does_not_cancel_the_send() {
        let debouncer = Arc::new(Debouncer::new(DEFAULT_WINDOW));
        let count = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&count);
        let job: Job<()> = Box::new(move || {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                counter.fetch_add(1, Ordering::SeqCst);
            })
        });
        let caller = {
            let debouncer = Arc::clone(&debouncer);
            tokio::spawn(async move { debouncer.run("k".into(), job).await })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        caller.abort();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}
