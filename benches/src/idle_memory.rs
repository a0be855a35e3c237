//! Idle memory per session (issue 5, benchmark 3): many engine sessions logged in to the
//! simulator and idle, in one process; the growth of that process's memory per session.
//!
//! The simulator must not be counted, so it runs in another process: [`prepare`] registers
//! the devices in the simulator's process and saves them in a store file, and
//! [`measure`] runs in the engine's process (`wa bench idle-memory` starts itself again for
//! it). Memory is the process's resident anonymous memory (`/proc/self/statm`: resident
//! minus file-backed pages, so code pages touched while warming up do not count), read once
//! one session is running (the warm-up, which also pays for the runtime and the store) and
//! again once every other session has logged in, uploaded its prekeys and gone idle. It is
//! what the allocator holds from the system, fragmentation included, plus thread stacks.
//!
//! ```no_run
//! # async fn demo(spec: wa_benches::idle_memory::IdleSpec) -> Result<(), wa_benches::loopback::LoopError> {
//! let report = wa_benches::idle_memory::measure(&spec).await?;
//! println!("{} bytes per session", report.per_session());
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use wa_session::{Event, Session};
use wa_store::{DeviceId, StoreHandle};

use crate::loopback::{session_config, wait_connected, LoopError, Loopback};

/// Companions registered per simulated account (the simulator allows device ids up to 99).
const DEVICES_PER_ACCOUNT: usize = 50;

/// How long the sessions are left idle before the second reading.
const SETTLE: Duration = Duration::from_secs(2);

/// How long a session may take to upload its prekeys after login.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Registers `count` companions (on accounts of [`DEVICES_PER_ACCOUNT`] each) and saves them
/// in `store` as paired devices.
///
/// # Errors
/// The simulator or the store failing.
pub async fn prepare(
    lo: &Loopback,
    store: &StoreHandle,
    count: usize,
) -> Result<Vec<DeviceId>, LoopError> {
    let mut devices = Vec::with_capacity(count);
    let mut account = None;
    for i in 0..count {
        if i % DEVICES_PER_ACCOUNT == 0 {
            account = Some(lo.sim.create_account(None)?);
        }
        let account = account.as_ref().ok_or(LoopError::Setup("no account"))?;
        devices.push(lo.paired_device(account, store).await?);
    }
    Ok(devices)
}

/// What the engine's process runs: the simulator, the store file, the devices in it.
#[derive(Debug, Clone)]
pub struct IdleSpec {
    /// The simulator's WebSocket URL.
    pub url: String,
    /// The simulator's root public key.
    pub root: wa_noise::PublicKey,
    /// The store file.
    pub store: PathBuf,
    /// The paired devices to run (the first one is the warm-up).
    pub devices: Vec<DeviceId>,
}

/// The two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleReport {
    /// Sessions started after the first reading.
    pub sessions: usize,
    /// Resident anonymous bytes with the warm-up session running.
    pub before: u64,
    /// Resident anonymous bytes with every session idle.
    pub after: u64,
}

impl IdleReport {
    /// Bytes per session: the growth over the sessions started after the first reading.
    #[must_use]
    pub fn per_session(&self) -> u64 {
        self.after.saturating_sub(self.before) / (self.sessions.max(1) as u64)
    }
}

/// A session kept alive with its events.
type Running = (Session, UnboundedReceiver<Event>);

/// Starts the sessions, waits until each has logged in and uploaded its prekeys, and reads
/// the process's memory before (one session running) and after.
///
/// # Errors
/// A session not starting or not logging in, `/proc/self/statm` unreadable.
pub async fn measure(spec: &IdleSpec) -> Result<IdleReport, LoopError> {
    let store = StoreHandle::open(&spec.store).await?;
    let (first, rest) = spec
        .devices
        .split_first()
        .ok_or(LoopError::Setup("no device to run"))?;
    let warm_up = start(spec, &store, *first, 0).await?;
    tokio::time::sleep(SETTLE).await;
    let before = resident_anonymous_bytes()?;
    let mut running: Vec<Running> = Vec::with_capacity(rest.len());
    for (i, device) in rest.iter().enumerate() {
        running.push(start(spec, &store, *device, i as u64 + 1).await?);
    }
    tokio::time::sleep(SETTLE).await;
    let after = resident_anonymous_bytes()?;
    drop((warm_up, running));
    Ok(IdleReport {
        sessions: rest.len(),
        before,
        after,
    })
}

async fn start(
    spec: &IdleSpec,
    store: &StoreHandle,
    device: DeviceId,
    seed: u64,
) -> Result<Running, LoopError> {
    let config = session_config(&spec.url, &spec.root, seed);
    let (session, mut events) = Session::start(config, store.clone(), device).await?;
    wait_connected(&mut events).await?;
    let uploaded = async {
        while let Some(event) = events.recv().await {
            if matches!(event, Event::PreKeysUploaded { .. }) {
                return Ok(());
            }
        }
        Err(LoopError::Setup(
            "a session ended before uploading its prekeys",
        ))
    };
    tokio::time::timeout(UPLOAD_TIMEOUT, uploaded)
        .await
        .map_err(|_| LoopError::Setup("a session did not upload its prekeys"))??;
    Ok((session, events))
}

/// Resident minus file-backed resident memory of this process, in bytes (`/proc/self/statm`
/// fields 2 and 3, in 4 KiB pages).
///
/// # Errors
/// [`LoopError::Io`] when the file cannot be read, [`LoopError::Setup`] when it does not
/// parse.
pub fn resident_anonymous_bytes() -> Result<u64, LoopError> {
    const PAGE: u64 = 4096;
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let mut fields = statm.split_whitespace().skip(1).map(str::parse::<u64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(resident)), Some(Ok(shared))) => Ok(resident.saturating_sub(shared) * PAGE),
        _ => Err(LoopError::Setup("/proc/self/statm does not parse")),
    }
}
