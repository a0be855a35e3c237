//! The delivery worker: a tokio task that sends what is due, several subscriptions at a time,
//! each subscription strictly in order, and records every outcome in the queue.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::attempt::{self, Outcome};
use crate::metrics::Counters;
use crate::store::Claimed;
use crate::{Error, Jitter, Result, RetryPolicy, SubscriptionId, UnixMillis, WebhookStore};

/// How the worker sends.
///
/// ```
/// use std::time::Duration;
/// use wa_webhooks::WorkerConfig;
/// let config = WorkerConfig { request_timeout: Duration::from_secs(5), ..WorkerConfig::default() };
/// assert_eq!(config.max_in_flight, 8);
/// ```
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Requests in flight at once (each to a different subscription). At least 1.
    pub max_in_flight: usize,
    /// The limit on one request: connecting, sending and the receiver's answer.
    pub request_timeout: Duration,
    /// Attempts and backoff.
    pub retry: RetryPolicy,
    /// Seed for the backoff jitter; `None` seeds from the operating system.
    pub jitter_seed: Option<u64>,
    /// How often the worker looks at the queue when nothing is due and nothing woke it: a
    /// safety net for rows queued through another [`WebhookStore`] (another process, or a
    /// second `open` of the file), which cannot wake it directly.
    pub poll_interval: Duration,
}

impl Default for WorkerConfig {
    /// 8 in flight, 10 s per request, [`RetryPolicy::default`], random jitter, polling every 5 s.
    fn default() -> Self {
        Self {
            max_in_flight: 8,
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            jitter_seed: None,
            poll_interval: Duration::from_secs(5),
        }
    }
}

/// Delivers queued webhooks. Build it with [`DeliveryWorker::new`], then [`DeliveryWorker::spawn`]
/// it on a tokio runtime; run one per database file.
///
/// Delivery is at least once: a crash between a receiver's 2xx and the record of it sends the
/// same delivery (same `X-WA-Delivery`) again after restart. Pending deliveries left by a
/// previous process are picked up at start.
///
/// ```no_run
/// # async fn demo() -> Result<(), wa_webhooks::Error> {
/// use wa_webhooks::{DeliveryWorker, WebhookStore, WorkerConfig};
/// let store = WebhookStore::open("gateway.db")?;
/// let worker = DeliveryWorker::new(store.clone(), WorkerConfig::default())?.spawn();
/// // … the gateway calls store.enqueue(…) as events happen …
/// worker.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DeliveryWorker {
    store: WebhookStore,
    config: WorkerConfig,
    client: reqwest::Client,
    jitter: Jitter,
}

/// The running worker. [`WorkerHandle::shutdown`] stops it after its requests in flight have
/// finished; dropping the handle stops it too (requests in flight are then abandoned and
/// retried by the next worker).
#[derive(Debug)]
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops taking new deliveries, waits for those in flight (each bounded by the request
    /// timeout) and their records, and returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = (&mut self.task).await;
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A finished attempt, back in the main loop.
struct Attempted {
    claimed: Claimed,
    outcome: Outcome,
}

impl DeliveryWorker {
    /// A worker on `store` (and its clock). Fails only if the HTTP client cannot be built.
    pub fn new(store: WebhookStore, config: WorkerConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wa-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::HttpClient(e.to_string()))?;
        let jitter = match config.jitter_seed {
            Some(seed) => Jitter::seeded(seed),
            None => Jitter::from_entropy(),
        };
        Ok(Self {
            store,
            config,
            client,
            jitter,
        })
    }

    /// Starts the worker on the current tokio runtime.
    pub fn spawn(self) -> WorkerHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        WorkerHandle { stop, task }
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut in_flight: HashSet<SubscriptionId> = HashSet::new();
        let mut task_subs: HashMap<tokio::task::Id, SubscriptionId> = HashMap::new();
        let mut tasks: JoinSet<Attempted> = JoinSet::new();
        loop {
            if *stop.borrow() {
                break;
            }
            let next_due = match self
                .dispatch(&mut in_flight, &mut task_subs, &mut tasks)
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook queue read failed; retrying in 1 s");
                    Some(self.store.clock().now().plus(Duration::from_secs(1)))
                }
            };
            let clock = self.store.clock();
            // A zero interval would spin; 10 ms is the floor.
            let poll = self.config.poll_interval.max(Duration::from_millis(10));
            let poll_at = clock.now().plus(poll);
            let wake_at = next_due.map_or(poll_at, |due| due.min(poll_at));
            let sleep = clock.sleep_until(wake_at);
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                () = self.store.queued() => {}
                Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    self.finish(joined, &mut in_flight, &mut task_subs).await;
                }
                () = sleep => {}
            }
        }
        while let Some(joined) = tasks.join_next_with_id().await {
            self.finish(joined, &mut in_flight, &mut task_subs).await;
        }
    }

    /// Starts an attempt for every subscription whose oldest pending delivery is due and which
    /// has nothing in flight, up to the limit; returns when the next not-yet-due one is.
    async fn dispatch(
        &mut self,
        in_flight: &mut HashSet<SubscriptionId>,
        task_subs: &mut HashMap<tokio::task::Id, SubscriptionId>,
        tasks: &mut JoinSet<Attempted>,
    ) -> Result<Option<UnixMillis>> {
        let free = self.config.max_in_flight.max(1).saturating_sub(tasks.len());
        let busy = in_flight.clone();
        let store = self.store.clone();
        let (claims, next_due) = blocking(move || plan(&store, &busy, free)).await?;
        for claimed in claims {
            let client = self.client.clone();
            let now = self.store.clock().now();
            let subscription = claimed.subscription_id.clone();
            let handle = tasks.spawn(async move {
                let outcome = attempt::post(&client, &claimed, now).await;
                Attempted { claimed, outcome }
            });
            in_flight.insert(subscription.clone());
            task_subs.insert(handle.id(), subscription);
        }
        self.set_in_flight(tasks.len());
        Ok(next_due)
    }

    async fn finish(
        &mut self,
        joined: std::result::Result<(tokio::task::Id, Attempted), tokio::task::JoinError>,
        in_flight: &mut HashSet<SubscriptionId>,
        task_subs: &mut HashMap<tokio::task::Id, SubscriptionId>,
    ) {
        let attempted = match joined {
            Ok((id, attempted)) => {
                task_subs.remove(&id);
                attempted
            }
            Err(e) => {
                // The attempt task panicked or was cancelled: its row stays pending and is
                // retried; free its subscription.
                if let Some(sub) = task_subs.remove(&e.id()) {
                    in_flight.remove(&sub);
                }
                tracing::warn!("webhook attempt task stopped: {e}");
                return;
            }
        };
        let Attempted { claimed, outcome } = attempted;
        let subscription = claimed.subscription_id.clone();
        if let Err(e) = self.record(&claimed, outcome).await {
            tracing::warn!(delivery = %claimed.id, error = %e, "recording a webhook attempt failed");
        }
        in_flight.remove(&subscription);
        self.set_in_flight(in_flight.len());
    }

    async fn record(&mut self, claimed: &Claimed, outcome: Outcome) -> Result<()> {
        let store = self.store.clone();
        let seq = claimed.seq;
        match outcome {
            Outcome::Delivered(status) => {
                tracing::debug!(delivery = %claimed.id, event = %claimed.event_type, status, "webhook delivered");
                blocking(move || store.record_delivered(seq, status)).await
            }
            Outcome::Failed { status, reason } => {
                let failures = claimed.attempts.saturating_add(1);
                let retry_at = if self.config.retry.exhausted(failures) {
                    None
                } else {
                    let delay = self.config.retry.delay_after(failures, &mut self.jitter);
                    Some(self.store.clock().now().plus(delay))
                };
                tracing::info!(
                    delivery = %claimed.id,
                    subscription = %claimed.subscription_id,
                    attempt = failures,
                    reason = %reason,
                    dead = retry_at.is_none(),
                    "webhook attempt failed"
                );
                blocking(move || store.record_failure(seq, status, &reason, retry_at)).await
            }
        }
    }

    fn set_in_flight(&self, n: usize) {
        let counters: &Counters = self.store.counters();
        counters.in_flight.store(
            u64::try_from(n).unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

/// Chooses what to send now (blocking: reads the queue). Heads are taken oldest-due first.
fn plan(
    store: &WebhookStore,
    busy: &HashSet<SubscriptionId>,
    mut free: usize,
) -> Result<(Vec<Claimed>, Option<UnixMillis>)> {
    let now = store.clock().now();
    let mut heads = store.pending_heads()?;
    heads.sort_by_key(|h| (h.due, h.seq));
    let mut claims = Vec::new();
    let mut next_due: Option<UnixMillis> = None;
    for head in heads {
        if busy.contains(&head.subscription_id) {
            continue;
        }
        if head.due > now {
            next_due = Some(next_due.map_or(head.due, |t| t.min(head.due)));
            continue;
        }
        if free == 0 {
            // Due but no slot: a finishing attempt wakes the loop.
            continue;
        }
        if let Some(claimed) = store.claim(head.seq)? {
            claims.push(claimed);
            free -= 1;
        }
    }
    Ok((claims, next_due))
}

/// Runs a queue operation on tokio's blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Error::TaskStopped)?
}
