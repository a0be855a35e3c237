//! The session actor: one tokio task per WhatsApp session that owns the connection, logs in
//! with the stored credentials, keeps the link alive, answers IQs by id, uploads prekeys, and
//! reconnects with jittered backoff; a cheap, cloneable [`Session`] handle talks to it.
//!
//! What it does today: login, IQs with timeouts, keepalive pings, prekey refill, stream
//! errors (`conflict` → [`Event::Replaced`] and stop, `device_removed` / `<failure 401>` →
//! [`Event::LoggedOut`] and stop, 515/503/network loss → reconnect), raw stanza sends,
//! logout (`logout`: the server unlinks the device, then the session stops), undecryptable
//! messages reported as [`Event::DecryptFailed`] after their retry receipt, and the send path (`send_text`, `react`, `unreact`, `revoke`: acks resolved by message id, many
//! in flight), durable through the store's outbox (idempotency keys, resend of unacked
//! messages at start, retry receipts answered from it). The receive path is built on top of
//! it.

mod acks;
mod config;
mod events;
mod group_commit;
mod inbox;
mod iq;
mod lids;
mod logout;
mod marks;
mod newsletter;
mod notify;
mod outbox;
mod pair;
mod prekeys;
mod retry;
mod run;
mod send;
mod send_round;
mod send_state;

use std::sync::Arc;
use std::time::Duration;

use rand_core::{OsRng, RngCore as _};

use tokio::sync::{mpsc, oneshot};
use wa_binary::Node;
use wa_store::{DeviceId, StoreHandle};

pub use config::{Clock, SessionConfig, SystemClock};
pub use events::Event;
pub use pair::{Pairing, QrCode};
pub use send::SendOptions;

use crate::error::{Error, Result};
use iq::IqAnswer;

/// What the handle asks of the actor.
#[derive(Debug)]
enum Command {
    /// Send an IQ (the actor gives it an id) and hand back its answer.
    Iq {
        node: Node<'static>,
        answer: oneshot::Sender<oneshot::Receiver<IqAnswer>>,
    },
    /// Send a stanza as is.
    Send { node: Node<'static> },
    /// Send a message stanza and hand back the receiver of its `<ack>`, once written.
    Message {
        node: Node<'static>,
        id: String,
        answer: oneshot::Sender<Written>,
    },
    /// Message stanzas of one send round, written together in this order.
    Messages { batch: Vec<OutgoingMessage> },
    /// Close the connection and stop.
    Stop,
}

/// One message stanza for the actor to write; `answer` gets the receiver of its `<ack>`.
#[derive(Debug)]
struct OutgoingMessage {
    node: Node<'static>,
    id: String,
    answer: oneshot::Sender<Written>,
}

/// A message stanza the actor wrote: the receiver of its `<ack>`, and the stanza handed back
/// (to be written again if the connection drops before the ack), so it is never copied.
type Written = (oneshot::Receiver<Node<'static>>, Node<'static>);

/// A handle to a running session. Cloning it is cheap; the session stops when
/// [`stop`](Self::stop) is called or every handle is dropped.
#[derive(Debug, Clone)]
pub struct Session {
    commands: mpsc::UnboundedSender<Command>,
    iq_timeout: Duration,
    send: Arc<send_state::SendState>,
}

impl Session {
    /// Starts the session of the paired device `device` in `store`: it connects, logs in and
    /// keeps doing so until stopped, logged out or replaced. Returns the handle and the
    /// session's events.
    ///
    /// # Errors
    /// [`Error::UnknownDevice`] / [`Error::NotPaired`] when the store has no paired device
    /// with this id; [`Error::Store`] when the store fails.
    pub async fn start(
        config: SessionConfig,
        store: StoreHandle,
        device: DeviceId,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Event>)> {
        let paired = store
            .call(move |store| crate::pairing::load_paired(store, device))
            .await??;
        let seed = config
            .seed
            .map_or_else(|| OsRng.next_u64(), |seed| seed ^ 0x5e4d);
        let send = send_state::SendState::new(
            store.clone(),
            &paired,
            config.clock.clone(),
            seed,
            config.outbox_retention,
        )?;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (events, event_rx) = mpsc::unbounded_channel();
        let session = Self {
            commands,
            iq_timeout: config.iq_timeout,
            send: Arc::new(send),
        };
        // Sends a previous run left unacknowledged go first, with their ids.
        let pending = store
            .call(move |store| store.outbox_pending(device))
            .await??;
        if !pending.is_empty() {
            let order = Arc::clone(&session.send.order).lock_owned().await;
            tokio::spawn(session.clone().resend_pending(pending, order));
        }
        tokio::spawn(run::run(
            config,
            store,
            paired,
            session.clone(),
            command_rx,
            events,
        ));
        Ok((session, event_rx))
    }

    /// Pairs a new device and then runs its session: fresh credentials (from `config.seed`
    /// when set, so use a seed only in tests), a registration connection, an [`Event::Qr`]
    /// for each pairing ref in turn (the first shown `qr_first_timeout`, the next ones
    /// `qr_next_timeout`), and once the phone scanned one: [`Event::Paired`] (the device is
    /// in `store` by then), the server's restart, and the new device's session with the same
    /// events [`Session::start`] gives. [`Event::PairingFailed`] ends the events when every
    /// code expired or the server or phone refused. [`Pairing::session`] hands over the
    /// session once it runs; dropping the [`Pairing`] before that abandons the pairing.
    ///
    /// ```no_run
    /// use wa_noise::CertVerifier;
    /// use wa_session::{Event, Session, SessionConfig};
    /// use wa_store::StoreHandle;
    ///
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = SessionConfig::new("wss://web.whatsapp.com/ws/chat", CertVerifier::whatsapp());
    /// let store = StoreHandle::open("whatsapp.db").await?;
    /// let (pairing, mut events) = Session::pair(config, store).await?;
    /// while let Some(event) = events.recv().await {
    ///     match event {
    ///         Event::Qr { code } => { /* render `code.as_str()` as a QR code */ }
    ///         Event::Paired { device, .. } => { /* keep `device` for `Session::start` */ }
    ///         Event::PairingFailed { reason } => return Err(reason.into()),
    ///         Event::Connected { .. } => break,
    ///         _ => {}
    ///     }
    /// }
    /// let session = pairing.session().await?;
    /// # drop(session);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Store`] when the store has stopped.
    pub async fn pair(
        config: SessionConfig,
        store: StoreHandle,
    ) -> Result<(Pairing, mpsc::UnboundedReceiver<Event>)> {
        pair::start(config, store).await
    }

    /// Sends an IQ and waits for its answer (the `id` attribute is set by the session).
    ///
    /// # Errors
    /// [`Error::Iq`] for an `<iq type="error">` answer, [`Error::Timeout`] when no answer
    /// comes within the configured IQ timeout, [`Error::Disconnected`] when the connection is
    /// down or drops before the answer.
    pub async fn iq(&self, node: Node<'static>) -> Result<Node<'static>> {
        let (answer_tx, answer_rx) = oneshot::channel();
        self.commands
            .send(Command::Iq {
                node,
                answer: answer_tx,
            })
            .map_err(|_| Error::Disconnected)?;
        let reply = answer_rx.await.map_err(|_| Error::Disconnected)?;
        match tokio::time::timeout(self.iq_timeout, reply).await {
            Err(_) => Err(Error::Timeout),
            Ok(Err(_)) => Err(Error::Disconnected),
            Ok(Ok(Ok(node))) => Ok(node),
            Ok(Ok(Err((code, text)))) => Err(Error::Iq { code, text }),
        }
    }

    /// Sends a stanza as is, when connected.
    ///
    /// # Errors
    /// [`Error::Disconnected`] when the session has stopped.
    pub fn send(&self, node: Node<'static>) -> Result<()> {
        self.commands
            .send(Command::Send { node })
            .map_err(|_| Error::Disconnected)
    }

    /// Closes the connection and stops the session.
    pub fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }
}
