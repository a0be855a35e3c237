//! [`StoreHandle`]: the store on its own thread, for async callers.
//!
//! SQLite calls block (disk, fsync on commit), so they never run on the async runtime: one
//! dedicated thread owns the [`Store`] and runs closures sent to it in order; answers come
//! back over a oneshot channel. Running everything on one thread also serialises batches, so
//! two send batches can never advance the same session from the same starting state.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;

use tokio::sync::oneshot;

use crate::{Error, Result, Store};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// A cloneable handle to a [`Store`] running on a dedicated thread. The thread ends (and the
/// database closes) when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    jobs: mpsc::Sender<Job>,
}

impl StoreHandle {
    /// Opens the database file on a new thread (see [`Store::open`]).
    ///
    /// # Errors
    /// Whatever [`Store::open`] fails with; [`Error::Io`] if the thread cannot start.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        Self::spawn(move || Store::open(path)).await
    }

    /// An in-memory store on a new thread.
    ///
    /// # Errors
    /// SQLite errors.
    pub async fn open_in_memory() -> Result<Self> {
        Self::spawn(Store::open_in_memory).await
    }

    async fn spawn(open: impl FnOnce() -> Result<Store> + Send + 'static) -> Result<Self> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        thread::Builder::new()
            .name("wa-store".into())
            .spawn(move || {
                let mut store = match open() {
                    Ok(store) => {
                        let _ = ready_tx.send(Ok(()));
                        store
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = rx.recv() {
                    job(&mut store);
                }
            })?;
        ready_rx.await.map_err(|_| Error::Closed)??;
        Ok(Self { jobs })
    }

    /// Runs `f` on the store thread and returns its result, without blocking the runtime.
    ///
    /// # Errors
    /// [`Error::Closed`] if the store thread has stopped.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> R + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |store| {
                let _ = tx.send(f(store));
            }))
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)
    }

    /// [`StoreHandle::call`] for synchronous callers outside any async runtime (it blocks).
    ///
    /// # Errors
    /// [`Error::Closed`] if the store thread has stopped.
    pub fn call_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> R + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |store| {
                let _ = tx.send(f(store));
            }))
            .map_err(|_| Error::Closed)?;
        rx.recv().map_err(|_| Error::Closed)
    }
}
