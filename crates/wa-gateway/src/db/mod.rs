//! The gateway's database: its own connection to the engine's SQLite file (WAL, so the
//! engine's store thread and this one work side by side), on a dedicated thread so blocking
//! SQLite calls never run on the async runtime. One module per table.

pub(crate) mod idempotency;
pub(crate) mod keys;
pub(crate) mod messages;
pub(crate) mod reactions;
mod schema;
pub(crate) mod sessions;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{Error, Result};

pub use keys::ApiKeyRecord;
pub use messages::{MessageRecord, MessageStatus, NewMessage};
pub use reactions::{Actor, ReactionRecord};
pub use sessions::{SessionRecord, SessionStatus};

/// How long a writer waits for the engine's lock on the shared file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The file inside a data directory that holds the engine's keys and the gateway's tables.
pub const DB_FILE_NAME: &str = "wa.db";

/// The database file of a data directory.
#[must_use]
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE_NAME)
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A cloneable handle to the gateway's connection, run on its own thread.
#[derive(Debug, Clone)]
pub struct Db {
    jobs: mpsc::Sender<Job>,
}

impl Db {
    /// Opens the gateway tables in `path` (created by wa-store before: open the engine's
    /// [`wa_store::StoreHandle`] on the same path first) and migrates them.
    ///
    /// # Errors
    /// SQLite errors; [`Error::Corrupt`] when the tables are newer than this binary.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        thread::Builder::new()
            .name("wa-gateway-db".into())
            .spawn(move || {
                let mut conn = match open_connection(&path) {
                    Ok(conn) => {
                        let _ = ready_tx.send(Ok(()));
                        conn
                    }
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                        return;
                    }
                };
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })?;
        ready_rx.await.map_err(|_| Error::Closed)??;
        Ok(Self { jobs })
    }

    /// Runs `f` on the database thread.
    ///
    /// # Errors
    /// What `f` returns; [`Error::Closed`] when the thread has stopped.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |conn| {
                let _ = tx.send(f(conn));
            }))
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }
}

/// Opens and migrates the gateway tables synchronously (for the CLI's `wa keys create`).
///
/// # Errors
/// As [`Db::open`].
pub fn open_connection(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // The engine's store already put the file in WAL mode; NORMAL is durable against a
    // process crash in WAL mode (a power loss may drop the last gateway rows, never the
    // engine's: its own connection commits with FULL).
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// The current unix time in seconds.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
