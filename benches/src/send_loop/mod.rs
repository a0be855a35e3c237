//! The end-to-end send loop (issue 5, benchmark 2): one engine [`Session`] whose SQLite store
//! is a file on disk, logged in to an in-process simulator over loopback, sending reactions
//! through the actor to a simulated contact and waiting for each ack.
//!
//! The simulator runs in the same process and on the same runtime: its routing, and, when the
//! recipient decrypts ([`Recipient::Decrypting`]), the simulated phones' Signal decryption of
//! every copy (the contact's phone, and our own phone's DeviceSentMessage), compete with the
//! engine for the same cores. [`Recipient::Offline`] takes both phones offline: the server
//! acks and queues the copies without decrypting them, so what is left is the engine's own
//! cost plus the server's routing.
//!
//! ```no_run
//! use std::time::Duration;
//! use wa_benches::send_loop::{Load, Recipient, SendLoop};
//!
//! # async fn demo() -> Result<(), wa_benches::loopback::LoopError> {
//! let bench = SendLoop::start(1).await?;
//! bench.set_recipient(Recipient::Offline)?;
//! let report = bench.run(Load::Rate(1000), Duration::from_secs(1)).await?;
//! println!("{:.0} acked/s, p50 {:?}", report.acked_per_second(), report.percentile(50));
//! # Ok(()) }
//! ```

mod cpu;
mod drive;

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use wa_binary::Jid;
use wa_session::content::MessageId;
use wa_session::send::TargetRef;
use wa_session::{Event, Session};
use wa_sim::Account;
use wa_store::StoreHandle;

use crate::loopback::{LoopError, Loopback, ScratchDir};

pub use drive::LoadReport;

/// The emoji every reaction of the loop carries.
const EMOJI: &str = "\u{1f44d}";

/// How sends are offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// Open loop: this many calls started per second, whatever the acks do.
    Rate(u32),
    /// Closed loop: this many calls in flight, each started as soon as one returns.
    InFlight(usize),
}

impl Load {
    /// The form the bench prints: `rate=5000/s` or `unlimited inflight=256`.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Rate(rate) => format!("rate={rate}/s"),
            Self::InFlight(n) => format!("unlimited inflight={n}"),
        }
    }
}

/// What the simulated recipient does with the reactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The contact's phone (and our own phone, for its DeviceSentMessage copy) decrypts every
    /// message, in this process, and answers with a delivery receipt.
    Decrypting,
    /// Both phones are offline: the server acks each message and queues its copies.
    Offline,
}

impl Recipient {
    /// `decrypting` or `offline`, as printed.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Decrypting => "decrypting",
            Self::Offline => "offline",
        }
    }
}

/// A logged-in engine session with its on-disk store, and the contact it reacts to.
#[derive(Debug)]
pub struct SendLoop {
    lo: Loopback,
    me: Account,
    contact: Account,
    session: Session,
    target: TargetRef,
    store: StoreHandle,
    _dir: ScratchDir,
}

impl SendLoop {
    /// Starts a simulator, pairs a companion of a new account with a store in a fresh
    /// temporary directory, logs it in, and sends one reaction (which sets up the Signal
    /// sessions with the contact's phone and our own), outside any measurement.
    ///
    /// # Errors
    /// Any set-up step failing.
    pub async fn start(seed: u64) -> Result<Self, LoopError> {
        let lo = Loopback::start(seed).await?;
        let dir = ScratchDir::new("send-loop")?;
        let store = StoreHandle::open(dir.path().join("engine.db")).await?;
        let me = lo.sim.create_account(Some("15550001111"))?;
        let contact = lo.sim.create_account(Some("15550002222"))?;
        let device = lo.paired_device(&me, &store).await?;
        let (session, events) = lo.start_session(&store, device, seed).await?;
        tokio::spawn(drain(events));
        let target = TargetRef::theirs(MessageId::parse("3A0000000000000000B1")?, None);
        let bench = Self {
            lo,
            me,
            contact,
            session,
            target,
            store,
            _dir: dir,
        };
        bench.react_once().await?;
        Ok(bench)
    }

    /// Chooses what the simulated phones do with what they receive from now on.
    ///
    /// # Errors
    /// [`LoopError::Sim`] (unknown account: not expected).
    pub fn set_recipient(&self, recipient: Recipient) -> Result<(), LoopError> {
        let online = recipient == Recipient::Decrypting;
        self.lo.sim.set_phone_online(&self.contact.jid, online)?;
        self.lo.sim.set_phone_online(&self.me.jid, online)?;
        Ok(())
    }

    /// Offers reactions under `load` for `duration`, then waits for every call still in
    /// flight to return.
    ///
    /// # Errors
    /// [`LoopError::Setup`] when calls are still unanswered long after the end.
    pub async fn run(&self, load: Load, duration: Duration) -> Result<LoadReport, LoopError> {
        drive::run(self, load, duration).await
    }

    /// The engine's store (to count outbox rows after a run).
    #[must_use]
    pub const fn store(&self) -> &StoreHandle {
        &self.store
    }

    /// How many reactions the contact's phone has decrypted so far.
    ///
    /// # Errors
    /// [`LoopError::Sim`].
    pub fn contact_received(&self) -> Result<usize, LoopError> {
        Ok(self.lo.sim.received(&self.contact.jid)?.len())
    }

    /// One reaction to the contact, through the session.
    async fn react_once(&self) -> Result<(), LoopError> {
        self.session
            .react(&self.contact_jid(), &self.target, EMOJI)
            .await?;
        Ok(())
    }

    fn contact_jid(&self) -> Jid {
        self.contact.jid.clone()
    }
}

/// Reads and drops the session's events (nobody consumes them in the bench).
async fn drain(mut events: UnboundedReceiver<Event>) {
    while events.recv().await.is_some() {}
}
