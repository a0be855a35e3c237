//! The webhook tables in the gateway's SQLite file: subscriptions and the delivery queue.
//!
//! Tables are prefixed `webhook_`; their version lives in `webhook_schema_version`, never in
//! `PRAGMA user_version` (the engine's store owns that). Methods are synchronous and short (one
//! transaction each); the worker runs them on tokio's blocking pool.

mod queue;
mod schema;
mod subscriptions;

use std::fs::OpenOptions;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Notify;

pub(crate) use queue::Claimed;
pub use queue::{DeliveryRecord, DeliveryState, Enqueued};
pub use subscriptions::{CreatedSubscription, Subscription};

use crate::metrics::Counters;
use crate::{Clock, Result, SystemClock, WebhookMetrics};

/// How long a write waits for another connection (the engine's store) to release the file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Owner read/write only: the file holds signing secrets (and the engine's keys).
const FILE_MODE: u32 = 0o600;

/// Subscriptions and the durable delivery queue. Cheap to clone; clones share one connection,
/// the counters and the worker's wake-up signal.
///
/// ```
/// # fn main() -> Result<(), wa_webhooks::Error> {
/// use wa_webhooks::{EventType, OrgId, WebhookStore};
/// let store = WebhookStore::open_in_memory()?;
/// let org = OrgId::new("acme");
/// let created = store.create_subscription(&org, "https://example.com/hook", &[EventType::SessionStatus])?;
/// println!("secret, shown once: {}", created.secret.expose());
/// assert_eq!(store.list_subscriptions(&org)?.len(), 1);
/// assert!(store.delete_subscription(&org, &created.subscription.id)?);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct WebhookStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    conn: Mutex<Connection>,
    clock: Arc<dyn Clock>,
    counters: Counters,
    wake: Notify,
}

impl WebhookStore {
    /// Opens (creating if needed, mode 0600) the database file at `path` and creates or
    /// migrates the webhook tables, with the system clock.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    /// [`WebhookStore::open`] with the given clock (tests pass a [`crate::ManualClock`]).
    pub fn open_with_clock(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        drop(file);
        let conn = Connection::open(path)?;
        // WAL persists in the file and is what the engine's store uses too; the webhook worker
        // and the gateway's other connections then read while one writes.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(crate::Error::Corrupt("journal_mode"));
        }
        Self::from_connection(conn, clock)
    }

    /// A private in-memory database (examples, unit tests).
    pub fn open_in_memory() -> Result<Self> {
        Self::from_connection(Connection::open_in_memory()?, Arc::new(SystemClock))
    }

    /// Uses an already open connection (e.g. one the gateway opened on its database file),
    /// setting per-connection options and creating or migrating the webhook tables.
    pub fn from_connection(mut conn: Connection, clock: Arc<dyn Clock>) -> Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // A returned commit survives power loss: an acknowledged enqueue is not lost.
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Deleted subscriptions' secrets are overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        let depth = queue::count_pending(&conn)?;
        let counters = Counters::default();
        Counters::add(&counters.queue_depth, depth);
        Ok(Self {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                clock,
                counters,
                wake: Notify::new(),
            }),
        })
    }

    /// The counters: delivered, failed attempts, dead, queue depth, in flight.
    pub fn metrics(&self) -> WebhookMetrics {
        self.inner.counters.snapshot()
    }

    /// The schema version of the webhook tables in the file.
    pub fn schema_version(&self) -> Result<i64> {
        schema::version(&self.conn())
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Completes when something was queued since the last wait (a stored permit is not lost).
    pub(crate) async fn queued(&self) {
        self.inner.wake.notified().await;
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock rolled its transaction back on drop; the connection
        // itself is still usable.
        self.inner
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
