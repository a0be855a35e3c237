//! What a scenario drives: the engine session (the same calls while recording and replaying),
//! the simulator (present only while recording), and checkpoints that keep the order of the
//! engine's frames independent of timing.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use wa_binary::{Jid, Node};
use wa_session::receive::ReceiveEvent;
use wa_session::{Event, Session, SessionConfig};
use wa_sim::{RunningSimulator, Simulator};
use wa_store::{DeviceId, StoreHandle};

use crate::error::{Error, Mismatch, Result};
use crate::recorder::Recorder;
use crate::server::{Failure, ReplayServer};
use crate::transcript::Dir;

/// Every wait of a scenario is bounded.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// While recording, a checkpoint waits until no frame went by for this long (loopback traffic
/// of one step settles in milliseconds).
const QUIET: Duration = Duration::from_millis(400);
/// While replaying, after the frames before a checkpoint reached the engine, the time it gets
/// to finish handling the last ones (those that make it write nothing).
const GRACE: Duration = Duration::from_millis(50);
/// How often waits look again.
const POLL: Duration = Duration::from_millis(5);

/// Where the frames come from.
pub(crate) enum Mode {
    /// Against the simulator, which the scenario also drives.
    Record {
        sim: Simulator,
        _running: RunningSimulator,
    },
    /// Against the scripted server.
    Replay { server: ReplayServer },
}

/// The scenario's handle on the engine (and, while recording, the simulator). A scenario
/// calls the same methods in both modes; only [`simulator`](Self::simulator) differs.
pub struct Driver {
    mode: Mode,
    names: BTreeMap<String, String>,
    config: SessionConfig,
    store: StoreHandle,
    device: Option<DeviceId>,
    tap: Arc<Recorder>,
    session: Option<Session>,
    events: Option<UnboundedReceiver<Event>>,
    checkpoints: u32,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("recording", &self.simulator().is_some())
            .field("checkpoints", &self.checkpoints)
            .finish_non_exhaustive()
    }
}

impl Driver {
    pub(crate) fn new(
        mode: Mode,
        names: BTreeMap<String, String>,
        config: SessionConfig,
        store: StoreHandle,
        device: Option<DeviceId>,
        tap: Arc<Recorder>,
    ) -> Self {
        Self {
            mode,
            names,
            config,
            store,
            device,
            tap,
            session: None,
            events: None,
            checkpoints: 0,
        }
    }

    /// The simulator while recording; `None` while replaying (its steps are in the frames).
    #[must_use]
    pub fn simulator(&self) -> Option<&Simulator> {
        match &self.mode {
            Mode::Record { sim, .. } => Some(sim),
            Mode::Replay { .. } => None,
        }
    }

    /// A JID the scenario's setup named (the same in both modes).
    ///
    /// # Errors
    /// [`Error::Transcript`] for an unknown name.
    pub fn jid(&self, name: &str) -> Result<Jid> {
        let text = self
            .names
            .get(name)
            .ok_or_else(|| Error::Transcript(format!("no JID named {name:?}")))?;
        text.parse()
            .map_err(|_| Error::Transcript(format!("{name:?} is not a JID: {text}")))
    }

    /// The running session.
    ///
    /// # Errors
    /// [`Error::Engine`] before [`login`](Self::login) or [`pair`](Self::pair).
    pub fn session(&self) -> Result<Session> {
        self.session
            .clone()
            .ok_or_else(|| Error::Engine("no session yet: log in or pair first".to_owned()))
    }

    /// Starts the session of the stored device and waits until it is logged in and its
    /// post-login routine (prekeys, `active`) is done; then a checkpoint.
    ///
    /// # Errors
    /// [`Error::Engine`] when the store has no device; a failed or late login.
    pub async fn login(&mut self) -> Result<()> {
        let device = self
            .device
            .ok_or_else(|| Error::Engine("the store starts empty: pair instead".to_owned()))?;
        let (session, events) =
            Session::start(self.config.clone(), self.store.clone(), device).await?;
        self.session = Some(session);
        self.events = Some(events);
        self.event("Connected", |event| {
            matches!(event, Event::Connected { .. })
        })
        .await?;
        self.ready().await
    }

    /// Pairs a new device from the empty store: while recording, the simulated phone of the
    /// account named `phone` scans the first QR code. Waits until the new device is logged in
    /// and ready; then a checkpoint.
    ///
    /// # Errors
    /// A pairing that fails or takes too long.
    pub async fn pair(&mut self, phone: &str) -> Result<()> {
        let phone = self.jid(phone)?;
        let (pairing, events) = Session::pair(self.config.clone(), self.store.clone()).await?;
        self.events = Some(events);
        let Event::Qr { code } = self
            .event("a QR code", |e| matches!(e, Event::Qr { .. }))
            .await?
        else {
            return Err(Error::Engine("no QR code".to_owned()));
        };
        if let Some(sim) = self.simulator() {
            sim.scan(&code, Some(&phone))?;
        }
        self.event("Paired", |e| matches!(e, Event::Paired { .. }))
            .await?;
        self.event("Connected", |e| matches!(e, Event::Connected { .. }))
            .await?;
        self.session = Some(
            self.guard("the paired session", pairing.session())
                .await??,
        );
        self.ready().await
    }

    /// The next received message, reaction or revoke the engine reports.
    ///
    /// # Errors
    /// [`Error::Timeout`] when none comes.
    pub async fn incoming(&mut self) -> Result<ReceiveEvent> {
        match self
            .event("an incoming message", |e| matches!(e, Event::Incoming(_)))
            .await?
        {
            Event::Incoming(event) => Ok(*event),
            _ => Err(Error::Engine("not an incoming event".to_owned())),
        }
    }

    /// Runs an engine call (bounded in time; while replaying, cut short by a mismatch).
    ///
    /// # Errors
    /// The call's error as [`Error::Engine`], a mismatch, or [`Error::Timeout`].
    pub async fn call<T>(
        &self,
        what: &str,
        call: impl Future<Output = wa_session::Result<T>>,
    ) -> Result<T> {
        Ok(self.guard(what, call).await??)
    }

    /// Lets the exchange settle, then marks a checkpoint. While recording: waits until no
    /// frame went by for a moment. While replaying: waits until every frame recorded before
    /// this checkpoint went both ways. Call it between steps whose frames could otherwise
    /// interleave (a step of the simulator and the engine's answer, two engine calls).
    ///
    /// # Errors
    /// A mismatch, or [`Error::Timeout`].
    pub async fn settle(&mut self) -> Result<()> {
        self.checkpoints += 1;
        let number = self.checkpoints;
        match &self.mode {
            Mode::Record { .. } => {
                let tap = self.tap.clone();
                self.guard("the exchange to settle", async move {
                    while tap.quiet_for() < QUIET {
                        tokio::time::sleep(POLL).await;
                    }
                })
                .await?;
            }
            Mode::Replay { server } => {
                let progress = server.progress().clone();
                let tap = self.tap.clone();
                self.guard(&format!("checkpoint {number}"), async move {
                    loop {
                        let connection = tap.connections().saturating_sub(1);
                        if progress.checkpoint() >= number
                            && tap.count(connection, Dir::In) >= progress.sent(connection)
                        {
                            break;
                        }
                        tokio::time::sleep(POLL).await;
                    }
                    tokio::time::sleep(GRACE).await;
                })
                .await?;
            }
        }
        self.tap.checkpoint(number);
        Ok(())
    }

    /// Waits until the post-login IQ that makes the session active was answered, then settles.
    async fn ready(&mut self) -> Result<()> {
        let tap = self.tap.clone();
        self.guard("the post-login routine", async move {
            loop {
                let active = tap.find_node(|dir, node| {
                    dir == Dir::Out && node.attr_str("xmlns") == Some("passive")
                });
                let id = active.as_ref().and_then(|node| node.attr_str("id"));
                if id.is_some_and(|id| tap_answered(&tap, id)) {
                    break;
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await?;
        self.settle().await
    }

    /// Skips events until one matches.
    async fn event(&mut self, what: &str, wanted: impl Fn(&Event) -> bool) -> Result<Event> {
        let mut events = self
            .events
            .take()
            .ok_or_else(|| Error::Engine("no session yet".to_owned()))?;
        let found = self
            .guard(what, async {
                while let Some(event) = events.recv().await {
                    if wanted(&event) {
                        return Some(event);
                    }
                }
                None
            })
            .await;
        self.events = Some(events);
        found?.ok_or_else(|| Error::Engine(format!("the session ended before {what}")))
    }

    /// Runs `future` within [`STEP_TIMEOUT`]; while replaying, a mismatch ends it first.
    async fn guard<F: Future>(&self, what: &str, future: F) -> Result<F::Output> {
        tokio::select! {
            output = future => Ok(output),
            failure = self.failure() => Err(failure),
            () = tokio::time::sleep(STEP_TIMEOUT) => Err(Error::Timeout(what.to_owned())),
        }
    }

    /// Resolves when the replay server reports a failure (never while recording).
    async fn failure(&self) -> Error {
        let Mode::Replay { server } = &self.mode else {
            return std::future::pending().await;
        };
        loop {
            if let Some(failure) = server.progress().failure() {
                return self.explain(failure).into();
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// A server-side failure with the engine's actual frame as a node.
    pub(crate) fn explain(&self, failure: Failure) -> Mismatch {
        let mut mismatch = failure.mismatch;
        if failure.wrote_frame {
            if let Some(actual) = self
                .tap
                .nth(mismatch.connection, Dir::Out, mismatch.client_frame)
            {
                mismatch.actual = match actual.node {
                    Some(node) => node.to_string(),
                    None => format!(
                        "handshake message {}",
                        crate::transcript::abbreviated(&hex::encode(&actual.bytes))
                    ),
                };
            }
        }
        mismatch
    }

    /// The replay's first failure, if any.
    pub(crate) fn replay_failure(&self) -> Option<Mismatch> {
        match &self.mode {
            Mode::Replay { server } => server.progress().failure().map(|f| self.explain(f)),
            Mode::Record { .. } => None,
        }
    }

    /// Stops the session and waits until it ended; while replaying, also until the server saw
    /// every connection closed after its script.
    pub(crate) async fn finish(&mut self) -> Result<()> {
        if let Some(session) = self.session.take() {
            session.stop();
        }
        if let Some(mut events) = self.events.take() {
            self.guard("the session to stop", async move {
                while events.recv().await.is_some() {}
            })
            .await?;
        }
        if let Mode::Replay { server } = &self.mode {
            let progress = server.progress().clone();
            let closed = self
                .guard("the connections to close", async move {
                    while !progress.all_closed() {
                        tokio::time::sleep(POLL).await;
                    }
                })
                .await;
            if let Some(mismatch) = self.replay_failure() {
                return Err(mismatch.into());
            }
            closed?;
        }
        Ok(())
    }

    pub(crate) fn tap(&self) -> &Recorder {
        &self.tap
    }
}

/// Whether the current connection has an IQ result for `id`.
fn tap_answered(tap: &Recorder, id: &str) -> bool {
    let answered = |dir: Dir, node: &Node<'_>| {
        dir == Dir::In
            && node.tag() == "iq"
            && node.attr_str("type") == Some("result")
            && node.attr_str("id") == Some(id)
    };
    tap.any_node(answered)
}
