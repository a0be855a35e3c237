//! Engine sessions against an in-process simulator on loopback, with their store on disk:
//! what the end-to-end benches ([`crate::send_loop`], [`crate::idle_memory`]) and the crash
//! test set up. A companion is registered on a simulated account and saved in the store as
//! paired (its ADV identity countersigned as pairing does), so no QR round is needed.
//!
//! ```no_run
//! use wa_benches::loopback::{Loopback, ScratchDir};
//!
//! # async fn demo() -> Result<(), wa_benches::loopback::LoopError> {
//! let lo = Loopback::start(7).await?;
//! let dir = ScratchDir::new("demo")?;
//! let store = wa_store::StoreHandle::open(dir.path().join("engine.db")).await?;
//! let me = lo.sim.create_account(Some("15550001111"))?;
//! let device = lo.paired_device(&me, &store).await?;
//! let (session, _events) = lo.start_session(&store, device, 1).await?;
//! # drop(session);
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use rand_core::OsRng;
use tokio::sync::mpsc::UnboundedReceiver;
use wa_noise::CertVerifier;
use wa_session::{save_paired, Credentials, Event, Paired, Session, SessionConfig};
use wa_sim::{unix_now, Account, DeviceRegistration, RunningSimulator, SignedPreKeyPublic};
use wa_store::{DeviceId, StoreHandle};

/// How long set-up waits for a session to log in.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the end-to-end set-up and runs can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopError {
    /// The session engine failed.
    #[error("session engine: {0}")]
    Session(#[from] wa_session::Error),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] wa_store::Error),
    /// The simulator refused.
    #[error("simulator: {0}")]
    Sim(#[from] wa_sim::Error),
    /// A file or directory could not be made.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The set-up did not reach the state the scenario needs.
    #[error("set-up: {0}")]
    Setup(&'static str),
}

/// A simulator serving on `127.0.0.1`, in this process.
#[derive(Debug)]
pub struct Loopback {
    /// The simulator (accounts, phones, what they received).
    pub sim: wa_sim::Simulator,
    /// Its listening socket.
    pub running: RunningSimulator,
}

impl Loopback {
    /// A simulator seeded with `seed`, listening on a free loopback port. Needs a tokio
    /// runtime.
    ///
    /// # Errors
    /// [`LoopError::Sim`] if the port cannot be bound.
    pub async fn start(seed: u64) -> Result<Self, LoopError> {
        let sim = wa_sim::Simulator::new(seed);
        let running = sim.listen("127.0.0.1:0").await?;
        Ok(Self { sim, running })
    }

    /// A session configuration for this simulator (its URL, its root key).
    #[must_use]
    pub fn config(&self, seed: u64) -> SessionConfig {
        session_config(&self.running.url(), &self.running.root_public_key(), seed)
    }

    /// Registers a new companion of `account` and saves it in `store` as paired.
    ///
    /// # Errors
    /// The simulator refusing the registration, the store failing.
    pub async fn paired_device(
        &self,
        account: &Account,
        store: &StoreHandle,
    ) -> Result<DeviceId, LoopError> {
        let creds = Credentials::generate(unix_now(), &mut OsRng);
        let signed = &creds.signed_pre_key;
        let info = self.sim.register_device(
            &account.jid,
            DeviceRegistration {
                noise_key: *creds.noise_key.public_key(),
                identity_key: creds.identity.identity_key(),
                registration_id: creds.registration_id,
                signed_pre_key: SignedPreKeyPublic {
                    id: signed.id(),
                    public_key: *signed.key_pair().public_key(),
                    signature: *signed.signature(),
                },
                pre_keys: Vec::new(),
            },
        )?;
        let adv = self
            .sim
            .countersigned_identity(&info.jid, &creds.identity, &mut OsRng)?;
        let paired = Paired {
            jid: info.jid.clone(),
            lid: Some(info.lid.clone()),
            platform: Some("android".to_owned()),
            business_name: None,
            key_index: u32::from(info.jid.device()),
            server_time: None,
            account: adv,
        };
        let device = store
            .call(move |store| save_paired(store, &creds, &paired))
            .await??;
        Ok(device)
    }

    /// Starts the session of `device` and waits until it is logged in.
    ///
    /// # Errors
    /// The session not starting, or not logging in within [`CONNECT_TIMEOUT`].
    pub async fn start_session(
        &self,
        store: &StoreHandle,
        device: DeviceId,
        seed: u64,
    ) -> Result<(Session, UnboundedReceiver<Event>), LoopError> {
        let (session, mut events) =
            Session::start(self.config(seed), store.clone(), device).await?;
        wait_connected(&mut events).await?;
        Ok((session, events))
    }
}

/// A session configuration for a simulator at `url` with root key `root` (the crash test's
/// engine process builds it from its arguments).
#[must_use]
pub fn session_config(url: &str, root: &wa_noise::PublicKey, seed: u64) -> SessionConfig {
    let mut config = SessionConfig::new(url, CertVerifier::new(*root));
    config.seed = Some(seed);
    config.iq_timeout = Duration::from_secs(20);
    config
}

/// Skips events until `Connected`, within [`CONNECT_TIMEOUT`].
///
/// # Errors
/// [`LoopError::Setup`] when the session ends or does not log in in time.
pub async fn wait_connected(events: &mut UnboundedReceiver<Event>) -> Result<(), LoopError> {
    let wait = async {
        while let Some(event) = events.recv().await {
            if matches!(event, Event::Connected { .. }) {
                return Ok(());
            }
        }
        Err(LoopError::Setup("the session ended before logging in"))
    };
    tokio::time::timeout(CONNECT_TIMEOUT, wait)
        .await
        .map_err(|_| LoopError::Setup("the session did not log in in time"))?
}

/// A fresh directory under the system's temporary directory, removed (with its contents)
/// when dropped.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates `$TMPDIR/wa-<label>-<pid>-<random>`.
    ///
    /// # Errors
    /// [`LoopError::Io`] if it cannot be created.
    pub fn new(label: &str) -> Result<Self, LoopError> {
        let random = rand_core::RngCore::next_u64(&mut OsRng);
        let path =
            std::env::temp_dir().join(format!("wa-{label}-{}-{random:016x}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Self { path })
    }

    /// Its path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
