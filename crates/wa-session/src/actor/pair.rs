//! Pairing a new device through the actor: fresh credentials, the registration connection,
//! one [`Event::Qr`] per ref (each shown for its timeout, then the next), `pair-success`
//! checked and stored before it is countersigned, [`Event::Paired`], the server's 515, and
//! then the session of the new device, exactly as [`Session::start`] runs it.

use core::fmt;
use core::ops::Deref;

use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore as _, SeedableRng as _};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Instant};
use wa_binary::{Jid, Node, Server};
use wa_store::{DeviceId, StoreHandle};
use wa_transport::{NodeReceiver, NodeSender};
use zeroize::Zeroizing;

use super::{Event, Session, SessionConfig};
use crate::error::{Error, Result};
use crate::pairing::{
    on_pair_device, on_pair_success, pair_error_reply, qr_string, save_paired, Credentials,
    PairingRef, QrClientType,
};

/// Mixed into the configured seed so pairing draws other numbers than the actor does.
const SEED_SALT: u64 = 0x9a12_0c0d;

/// The text of a pairing QR code. It holds the ADV secret, so `Debug` does not show it and
/// it is wiped when dropped; read it with [`as_str`](Self::as_str) (or through `Deref`).
/// [`Event::Qr`] carries it; [`Session::pair`] shows how to use it.
#[derive(Clone, PartialEq, Eq)]
pub struct QrCode(Zeroizing<String>);

impl QrCode {
    /// The text to render.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for QrCode {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QrCode([redacted])")
    }
}

/// A pairing in progress, from [`Session::pair`] (which shows how to use it). Dropping it
/// before the device is paired abandons the pairing: the connection closes.
#[derive(Debug)]
#[must_use]
pub struct Pairing {
    session: oneshot::Receiver<Result<Session>>,
}

impl Pairing {
    /// Waits until the device is paired and its session started, and returns the session.
    ///
    /// # Errors
    /// [`Error::PairingFailed`] when pairing ended without a device (the same reason as
    /// [`Event::PairingFailed`]); what [`Session::start`] fails with otherwise.
    pub async fn session(self) -> Result<Session> {
        self.session
            .await
            .map_err(|_| Error::PairingFailed("the pairing task stopped".to_owned()))?
    }
}

/// Starts pairing: see [`Session::pair`].
pub(super) async fn start(
    config: SessionConfig,
    store: StoreHandle,
) -> Result<(Pairing, mpsc::UnboundedReceiver<Event>)> {
    // Fail now, not after the scan, if the store is gone.
    store.call(|_| ()).await?;
    let (events, event_rx) = mpsc::unbounded_channel();
    let (session_tx, session) = oneshot::channel();
    tokio::spawn(drive(config, store, events, session_tx));
    Ok((Pairing { session }, event_rx))
}

/// Pairs, then runs the new device's session and passes its events on.
async fn drive(
    config: SessionConfig,
    store: StoreHandle,
    events: mpsc::UnboundedSender<Event>,
    mut session_tx: oneshot::Sender<Result<Session>>,
) {
    let paired = tokio::select! {
        paired = pair(&config, &store, &events) => paired,
        // Nobody waits for this pairing any more.
        () = session_tx.closed() => return,
    };
    let device = match paired {
        Ok(device) => device,
        Err(reason) => {
            tracing::debug!(%reason, "pairing failed");
            let _ = events.send(Event::PairingFailed {
                reason: reason.clone(),
            });
            let _ = session_tx.send(Err(Error::PairingFailed(reason)));
            return;
        }
    };
    let (session, mut inner) = match Session::start(config, store, device).await {
        Ok(started) => started,
        Err(error) => {
            let _ = session_tx.send(Err(error));
            return;
        }
    };
    if session_tx.send(Ok(session)).is_err() {
        return;
    }
    while let Some(event) = inner.recv().await {
        if events.send(event).is_err() {
            return;
        }
    }
}

/// Which QR is shown, and for how long (sans-IO).
#[derive(Debug)]
struct QrRotation {
    refs: Vec<PairingRef>,
    shown: usize,
}

impl QrRotation {
    fn new(refs: Vec<PairingRef>) -> Self {
        Self { refs, shown: 0 }
    }

    /// The next ref to show and how long to show it, or `None` once every ref was shown.
    fn next(&mut self, config: &SessionConfig) -> Option<(&PairingRef, std::time::Duration)> {
        let timeout = if self.shown == 0 {
            config.qr_first_timeout
        } else {
            config.qr_next_timeout
        };
        let reference = self.refs.get(self.shown)?;
        self.shown += 1;
        Some((reference, timeout))
    }
}

/// Where the registration connection is.
#[derive(Debug)]
enum Phase {
    /// Waiting for `pair-device`.
    Refs,
    /// Showing QR codes, waiting for a scan.
    Scan(QrRotation),
    /// Stored and countersigned: waiting for the 515.
    Signed(DeviceId),
}

/// What a stanza leads to.
#[derive(Debug)]
enum Step {
    /// Keep the current deadline.
    Continue,
    /// A new phase began: its deadline is this far from now.
    Deadline(std::time::Duration),
    /// The server asked for the restart: pairing is done.
    Done(DeviceId),
}

/// What the pairing connection has to work with.
struct Pairer<'a> {
    config: &'a SessionConfig,
    store: &'a StoreHandle,
    events: &'a mpsc::UnboundedSender<Event>,
    creds: Credentials,
    rng: ChaCha20Rng,
    sender: NodeSender,
}

/// Connects with a registration payload and pairs. Returns the stored device once the
/// server asked for the restart (515), or why pairing failed; a device stored but not
/// confirmed by the server is deleted again.
async fn pair(
    config: &SessionConfig,
    store: &StoreHandle,
    events: &mpsc::UnboundedSender<Event>,
) -> Result<DeviceId, String> {
    let seed = config
        .seed
        .map_or_else(|| OsRng.next_u64(), |s| s ^ SEED_SALT);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let creds = Credentials::generate(config.clock.now(), &mut rng);
    let payload = config.client.registration_payload(&creds);
    let options = config.connect_options(&mut rng);
    let connect =
        wa_transport::connect_with(&config.url, creds.noise_key.clone(), &payload, &options);
    let conn = match tokio::time::timeout(config.iq_timeout, connect).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(error)) => return Err(format!("connect failed: {error}")),
        Err(_) => return Err("connect timed out".to_owned()),
    };
    let (sender, receiver) = conn.into_split();
    let mut pairer = Pairer {
        config,
        store,
        events,
        creds,
        rng,
        sender,
    };
    let mut phase = Phase::Refs;
    let outcome = pairer.serve(receiver, &mut phase).await;
    let _ = pairer.sender.close().await;
    if let (Err(_), Phase::Signed(device)) = (&outcome, phase) {
        // The server never confirmed: the stored credentials are of no use.
        let _ = store.call(move |store| store.delete_device(device)).await;
    }
    outcome
}

impl Pairer<'_> {
    /// Serves the registration connection until the 515 or a failure.
    async fn serve(
        &mut self,
        mut receiver: NodeReceiver,
        phase: &mut Phase,
    ) -> Result<DeviceId, String> {
        let deadline = sleep_until(Instant::now() + self.config.iq_timeout);
        tokio::pin!(deadline);
        let mut keepalive = tokio::time::interval(self.config.keepalive);
        keepalive.reset();
        loop {
            tokio::select! {
                () = &mut deadline => {
                    let Phase::Scan(rotation) = phase else {
                        return Err("no answer from the server".to_owned());
                    };
                    let Some((reference, timeout)) = rotation.next(self.config) else {
                        return Err("every QR code expired".to_owned());
                    };
                    self.show(reference);
                    deadline.as_mut().reset(Instant::now() + timeout);
                }
                received = receiver.recv() => {
                    let node = match received {
                        Ok(Some(node)) => node,
                        Ok(None) => return Err("the server closed the connection".to_owned()),
                        Err(error) => return Err(format!("receive failed: {error}")),
                    };
                    match self.on_stanza(&node, phase).await? {
                        Step::Continue => {}
                        Step::Deadline(timeout) => deadline.as_mut().reset(Instant::now() + timeout),
                        Step::Done(device) => return Ok(device),
                    }
                }
                _ = keepalive.tick() => {
                    let ping = Node::new("iq")
                        .with_attr("id", format!("pair-{:08x}", self.rng.next_u32()))
                        .with_attr("xmlns", "w:p")
                        .with_attr("type", "get")
                        .with_attr("to", Jid::server_only(Server::User))
                        .with_children(vec![Node::new("ping")]);
                    self.send(&ping).await?;
                }
            }
        }
    }

    /// Handles one stanza.
    async fn on_stanza(&mut self, node: &Node<'static>, phase: &mut Phase) -> Result<Step, String> {
        match (node.tag(), &*phase) {
            ("stream:error", Phase::Signed(device)) if node.attr_str("code") == Some("515") => {
                return Ok(Step::Done(*device));
            }
            ("stream:error", _) => {
                let code = node.attr_str("code").unwrap_or("none");
                return Err(format!("stream error {code}"));
            }
            ("failure", _) => {
                let reason = node.attr_str("reason").unwrap_or("unknown");
                return Err(format!("the server refused the pairing ({reason})"));
            }
            ("iq", _) => {}
            (other, _) => {
                tracing::debug!(tag = other, "stanza ignored while pairing");
                return Ok(Step::Continue);
            }
        }
        let first = node.children().first().map(Node::tag);
        match (first, node.attr_str("type")) {
            (Some("pair-device"), _) => {
                let request = on_pair_device(node).map_err(|error| error.to_string())?;
                self.send(&request.reply).await?;
                let mut rotation = QrRotation::new(request.refs);
                if let Some((reference, _)) = rotation.next(self.config) {
                    self.show(reference);
                }
                *phase = Phase::Scan(rotation);
                return Ok(Step::Deadline(self.config.qr_first_timeout));
            }
            (Some("pair-success"), _) => {
                if !matches!(phase, Phase::Scan(_)) {
                    return Err("pair-success while not waiting for a scan".to_owned());
                }
                *phase = Phase::Signed(self.on_pair_success(node).await?);
                return Ok(Step::Deadline(self.config.iq_timeout));
            }
            // A server ping: `<ping>` inside, or `xmlns="urn:xmpp:ping"`.
            (child, Some("get"))
                if child == Some("ping") || node.attr_str("xmlns") == Some("urn:xmpp:ping") =>
            {
                let mut pong = Node::new("iq")
                    .with_attr("type", "result")
                    .with_attr("to", Jid::server_only(Server::User));
                if let Some(id) = node.attr_str("id") {
                    pong = pong.with_attr("id", id.to_owned());
                }
                self.send(&pong).await?;
            }
            _ => tracing::debug!("IQ ignored while pairing"),
        }
        Ok(Step::Continue)
    }

    /// Checks `pair-success`, stores the device, then countersigns; on any error answers
    /// with an error (when the stanza can be answered) and stores nothing.
    async fn on_pair_success(&mut self, node: &Node<'static>) -> Result<DeviceId, String> {
        let success = match on_pair_success(node, &self.creds, &mut self.rng) {
            Ok(success) => success,
            Err(error) => {
                if let Some(reply) = pair_error_reply(node, &error) {
                    self.send(&reply).await?;
                }
                return Err(format!("pair-success refused: {error}"));
            }
        };
        let creds = self.creds.clone();
        let paired = success.paired.clone();
        let device = match self
            .store
            .call(move |store| save_paired(store, &creds, &paired))
            .await
        {
            Ok(Ok(device)) => device,
            Ok(Err(error)) => return Err(format!("cannot store the device: {error}")),
            Err(error) => return Err(format!("cannot store the device: {error}")),
        };
        if let Err(reason) = self.send(&success.reply).await {
            let _ = self
                .store
                .call(move |store| store.delete_device(device))
                .await;
            return Err(reason);
        }
        let _ = self.events.send(Event::Paired {
            jid: success.paired.jid,
            lid: success.paired.lid,
            device,
        });
        Ok(device)
    }

    /// Emits the QR code for `reference`.
    fn show(&self, reference: &PairingRef) {
        let client_type = QrClientType::for_platform(self.config.client.platform_type);
        let code = QrCode(Zeroizing::new(qr_string(
            reference,
            &self.creds,
            client_type,
        )));
        let _ = self.events.send(Event::Qr { code });
    }

    async fn send(&mut self, node: &Node<'_>) -> Result<(), String> {
        self.sender
            .send(node)
            .await
            .map_err(|error| format!("send failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use wa_binary::{Jid, Node, Server};
    use wa_noise::CertVerifier;

    use super::*;

    fn refs(names: &[&str]) -> Vec<PairingRef> {
        let request = Node::new("iq")
            .with_attr("from", Jid::server_only(Server::User))
            .with_attr("id", "1")
            .with_children(vec![Node::new("pair-device").with_children(
                names
                    .iter()
                    .map(|name| Node::new("ref").with_bytes(name.as_bytes().to_vec()))
                    .collect(),
            )]);
        on_pair_device(&request).unwrap().refs
    }

    #[test]
    fn the_first_code_is_shown_longer_and_the_refs_run_out() {
        let mut config = SessionConfig::new("ws://x", CertVerifier::whatsapp());
        config.qr_first_timeout = Duration::from_secs(60);
        config.qr_next_timeout = Duration::from_secs(20);
        let mut rotation = QrRotation::new(refs(&["a", "b", "c"]));
        let shown: Vec<(String, u64)> = std::iter::from_fn(|| {
            rotation
                .next(&config)
                .map(|(reference, timeout)| (reference.as_str().to_owned(), timeout.as_secs()))
        })
        .collect();
        assert_eq!(
            shown,
            [("a".into(), 60), ("b".into(), 20), ("c".into(), 20)]
        );
        assert!(rotation.next(&config).is_none());
    }

    #[test]
    fn qr_codes_are_redacted() {
        let code = QrCode(Zeroizing::new("https://wa.me/secret".to_owned()));
        assert_eq!(format!("{code:?}"), "QrCode([redacted])");
        assert_eq!(code.as_str(), "https://wa.me/secret");
        assert!(code.starts_with("https://"));
    }
}
