//! The actor's task: connect, log in, serve the connection, and reconnect with jittered
//! exponential backoff until stopped, replaced or logged out.

use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng as _};
use tokio::sync::{mpsc, oneshot};
use wa_binary::{Jid, Node, Server};
use wa_store::StoreHandle;
use wa_transport::{ClientConnection, NodeSender};

use super::acks::PendingAcks;
use super::inbox::Inbox;
use super::iq::PendingIqs;
use super::outbox::write_marks;
use super::send_state::SendState;
use super::{notify, prekeys, retry, Command, Event, Session, SessionConfig, Written};
use crate::pairing::PairedDevice;

/// Mixed into the configured seed for the Noise ephemeral keys.
const EPHEMERAL_SALT: u64 = 0x0e9e_3e4a;

/// How a connection ended, and so what the session does next.
#[derive(Debug)]
enum Ending {
    /// `stop()` was called, or every handle was dropped.
    Stopped,
    /// `<conflict type="replaced">`.
    Replaced,
    /// The device is no longer registered.
    LoggedOut,
    /// Anything else: reconnect. `logged_in` resets the backoff.
    Lost { reason: String, logged_in: bool },
}

pub(super) async fn run(
    config: SessionConfig,
    store: StoreHandle,
    paired: PairedDevice,
    handle: Session,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
) {
    // The actor keeps only a weak link to its own command channel, so dropping every
    // user-held handle stops it.
    let weak = handle.commands.downgrade();
    let iq_timeout = handle.iq_timeout;
    let send = handle.send.clone();
    drop(handle);
    let mut rng = match config.seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed),
        None => ChaCha20Rng::seed_from_u64(OsRng.next_u64()),
    };
    let mut pending = PendingIqs::new(format!("{:08x}", rng.next_u32()));
    let mut acks = PendingAcks::default();
    let inbox = match Inbox::new(store.clone(), &paired, config.clock.clone()) {
        Ok(inbox) => inbox,
        Err(error) => {
            tracing::debug!(%error, "cannot receive with these credentials");
            return;
        }
    };
    // Apart from `rng`, so that the other numbers a seeded session draws stay as they were.
    let mut ephemeral = ChaCha20Rng::seed_from_u64(config.seed.unwrap_or(0) ^ EPHEMERAL_SALT);
    let mut failures: u32 = 0;
    loop {
        let ending = match connect(&config, &paired, &mut ephemeral).await {
            Ok(conn) => {
                let context = Context {
                    config: &config,
                    store: &store,
                    paired: &paired,
                    events: &events,
                    weak: &weak,
                    iq_timeout,
                    send: &send,
                    inbox: &inbox,
                };
                serve(
                    conn,
                    &context,
                    &mut commands,
                    (&mut pending, &mut acks),
                    &mut rng,
                )
                .await
            }
            Err(reason) => Ending::Lost {
                reason,
                logged_in: false,
            },
        };
        pending.clear();
        acks.clear();
        if !matches!(ending, Ending::Lost { .. }) {
            // The session ends: ack outcomes still queued are written now.
            write_marks(&send, send.marks.take()).await;
        }
        match ending {
            Ending::Stopped => return,
            Ending::Replaced => {
                let _ = events.send(Event::Replaced);
                return;
            }
            Ending::LoggedOut => {
                let _ = events.send(Event::LoggedOut);
                return;
            }
            Ending::Lost { reason, logged_in } => {
                tracing::debug!(%reason, "connection lost");
                let _ = events.send(Event::Disconnected {
                    reason,
                    reconnecting: true,
                });
                failures = if logged_in {
                    1
                } else {
                    failures.saturating_add(1)
                };
            }
        }
        let delay = backoff(&config, failures, &mut rng);
        if wait_or_stop(delay, &mut commands).await {
            return;
        }
    }
}

/// What `serve` needs besides the connection.
struct Context<'a> {
    config: &'a SessionConfig,
    store: &'a StoreHandle,
    paired: &'a PairedDevice,
    events: &'a mpsc::UnboundedSender<Event>,
    weak: &'a mpsc::WeakUnboundedSender<Command>,
    iq_timeout: Duration,
    send: &'a std::sync::Arc<SendState>,
    inbox: &'a Inbox,
}

async fn connect(
    config: &SessionConfig,
    paired: &PairedDevice,
    ephemeral: &mut ChaCha20Rng,
) -> Result<ClientConnection, String> {
    let payload = config
        .client
        .login_payload(&paired.jid)
        .map_err(|error| error.to_string())?;
    let options = config.connect_options(ephemeral);
    let connect =
        wa_transport::connect_with(&config.url, paired.noise_key.clone(), &payload, &options);
    match tokio::time::timeout(config.iq_timeout, connect).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(error)) => Err(format!("connect failed: {error}")),
        Err(_) => Err("connect timed out".to_owned()),
    }
}

/// `min_backoff · 2^(failures-1)`, capped at `max_backoff`, then a uniform jitter of ±25%.
fn backoff(config: &SessionConfig, failures: u32, rng: &mut ChaCha20Rng) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    let base = config
        .min_backoff
        .saturating_mul(1 << exponent)
        .min(config.max_backoff);
    let jitter_per_mille = 750 + u64::from(rng.next_u32() % 501);
    let millis = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(millis.saturating_mul(jitter_per_mille) / 1000)
}

/// Sleeps `delay` while refusing commands (the connection is down). Returns true if the
/// session must stop.
async fn wait_or_stop(delay: Duration, commands: &mut mpsc::UnboundedReceiver<Command>) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return false,
            command = commands.recv() => match command {
                None | Some(Command::Stop) => return true,
                // Dropping the answer channel tells the caller it is disconnected.
                Some(
                    Command::Iq { .. }
                    | Command::Send { .. }
                    | Command::Message { .. }
                    | Command::Messages { .. },
                ) => {}
            },
        }
    }
}

/// Serves one connection from login to its end.
async fn serve(
    conn: ClientConnection,
    context: &Context<'_>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    (pending, acks): (&mut PendingIqs, &mut PendingAcks),
    rng: &mut ChaCha20Rng,
) -> Ending {
    let (mut sender, mut receiver) = conn.into_split();
    let first = match tokio::time::timeout(context.iq_timeout, receiver.recv()).await {
        Ok(Ok(Some(node))) => node,
        Ok(Ok(None)) => return lost("closed before login", false),
        Ok(Err(error)) => return lost(&format!("login failed: {error}"), false),
        Err(_) => return lost("no answer to the login", false),
    };
    match first.tag() {
        "success" => {}
        "failure" if first.attr_str("reason") == Some("401") => return Ending::LoggedOut,
        "failure" => {
            let reason = first.attr_str("reason").unwrap_or("unknown");
            return lost(&format!("login refused ({reason})"), false);
        }
        "stream:error" => return stream_error(&first, false),
        other => return lost(&format!("unexpected <{other}> instead of <success>"), false),
    }
    let _ = context.events.send(Event::Connected {
        jid: context.paired.jid.clone(),
        lid: first.attr_jid("lid"),
    });
    spawn_after_login(context, rng.next_u64());

    let mut keepalive = tokio::time::interval(context.config.keepalive);
    keepalive.reset();
    let mut last_heard = Instant::now();
    let silence_limit = context.config.keepalive * 2 + context.iq_timeout;
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else {
                    let _ = sender.close().await;
                    return Ending::Stopped;
                };
                // Everything already queued goes out in the same socket write.
                let mut writes = Writes::default();
                let mut stop = writes.take(command, pending, acks);
                while !stop && writes.nodes.len() < MAX_WRITE_BATCH {
                    match commands.try_recv() {
                        Ok(command) => stop = writes.take(command, pending, acks),
                        Err(_) => break,
                    }
                }
                if let Err(error) = sender.send_many(&writes.nodes).await {
                    return lost(&format!("send failed: {error}"), true);
                }
                for (node, waiter) in writes.nodes.into_iter().zip(writes.waiters) {
                    if let Some((answer, ack)) = waiter {
                        let _ = answer.send((ack, node));
                    }
                }
                if stop {
                    let _ = sender.close().await;
                    return Ending::Stopped;
                }
            },
            received = receiver.recv() => match received {
                Ok(Some(node)) => {
                    last_heard = Instant::now();
                    if node.tag() == "message" {
                        if let Some(ending) = on_message(node, &mut sender, context, rng).await {
                            return ending;
                        }
                    } else if node.tag() == "receipt" {
                        if let Some(event) = context.inbox.receipt(&node) {
                            let _ = context.events.send(event);
                        }
                        let replies = retry::answer_receipt(context.send, node, rng.next_u64()).await;
                        if let Err(error) = sender.send_many(&replies).await {
                            return lost(&format!("send failed: {error}"), true);
                        }
                    } else if node.tag() == "notification" {
                        let replies = notify::answer_notification(context.send, &node).await;
                        if let Err(error) = sender.send_many(&replies).await {
                            return lost(&format!("send failed: {error}"), true);
                        }
                    } else if let Some(ending) = on_stanza(node, &mut sender, pending, acks).await {
                        return ending;
                    }
                }
                Ok(None) => return lost("the server closed the connection", true),
                Err(error) => return lost(&format!("receive failed: {error}"), true),
            },
            _ = keepalive.tick() => {
                if last_heard.elapsed() > silence_limit {
                    return lost("keepalive: the server went silent", true);
                }
                let ping = Node::new("iq")
                    .with_attr("xmlns", "w:p")
                    .with_attr("type", "get")
                    .with_attr("to", Jid::server_only(Server::User))
                    .with_children(vec![Node::new("ping")]);
                // The pong resolves a pending entry nobody waits for; what matters is that
                // the server is heard from.
                let (id, _reply) = pending.register();
                if let Err(error) = sender.send(&ping.with_attr("id", id)).await {
                    return lost(&format!("send failed: {error}"), true);
                }
            }
        }
    }
}

/// The most stanzas one socket write carries.
const MAX_WRITE_BATCH: usize = 1024;

/// Commands drained from the queue for one socket write.
#[derive(Default)]
struct Writes {
    nodes: Vec<Node<'static>>,
    /// Beside each node, for a message, its waiter, answered with the ack receiver (and the
    /// stanza) once the write succeeded.
    waiters: Vec<Option<(oneshot::Sender<Written>, oneshot::Receiver<Node<'static>>)>>,
}

impl Writes {
    /// Adds a command's stanzas. Returns true for `Stop` (what came before it is written,
    /// then the session stops).
    fn take(&mut self, command: Command, pending: &mut PendingIqs, acks: &mut PendingAcks) -> bool {
        match command {
            Command::Stop => return true,
            Command::Iq { node, answer } => {
                let (id, reply) = pending.register();
                let _ = answer.send(reply);
                self.push(node.with_attr("id", id), None);
            }
            Command::Send { node } => self.push(node, None),
            Command::Message { node, id, answer } => {
                self.push(node, Some((answer, acks.register(id))));
            }
            Command::Messages { batch } => {
                for message in batch {
                    let waiter = (message.answer, acks.register(message.id));
                    self.push(message.node, Some(waiter));
                }
            }
        }
        false
    }

    fn push(
        &mut self,
        node: Node<'static>,
        waiter: Option<(oneshot::Sender<Written>, oneshot::Receiver<Node<'static>>)>,
    ) {
        self.nodes.push(node);
        self.waiters.push(waiter);
    }
}

/// Handles one stanza from the server. Returns how the connection ends, if it does.
async fn on_stanza(
    node: Node<'static>,
    sender: &mut NodeSender,
    pending: &mut PendingIqs,
    acks: &mut PendingAcks,
) -> Option<Ending> {
    match node.tag() {
        "ack" if node.attr_str("class") == Some("message") => {
            acks.resolve(node);
        }
        "iq" => match node.attr_str("type") {
            Some("result" | "error") => {
                pending.resolve(node);
            }
            // The server's own pings (`xmlns="urn:xmpp:ping"`) want an empty result.
            Some("get")
                if node.child("ping").is_some()
                    || node.attr_str("xmlns") == Some("urn:xmpp:ping") =>
            {
                let mut pong = Node::new("iq")
                    .with_attr("type", "result")
                    .with_attr("to", Jid::server_only(Server::User));
                if let Some(id) = node.attr_str("id") {
                    pong = pong.with_attr("id", id.to_owned());
                }
                if let Err(error) = sender.send(&pong).await {
                    return Some(lost(&format!("send failed: {error}"), true));
                }
            }
            _ => tracing::debug!("server IQ not handled"),
        },
        "stream:error" => return Some(stream_error(&node, true)),
        "failure" => return Some(lost("failure from the server", true)),
        other => tracing::debug!(tag = other, "stanza not handled yet"),
    }
    None
}

/// Decrypts a `<message>`, hands its events to the owner and sends its receipt and ack.
async fn on_message(
    node: Node<'static>,
    sender: &mut NodeSender,
    context: &Context<'_>,
    rng: &mut ChaCha20Rng,
) -> Option<Ending> {
    let received = match context.inbox.message(node, rng.next_u64()).await {
        Ok(received) => received,
        Err(error) => {
            tracing::debug!(%error, "message dropped");
            return None;
        }
    };
    for event in received.events {
        let _ = context.events.send(Event::Incoming(Box::new(event)));
    }
    if let Err(error) = sender.send_many(&received.replies).await {
        return Some(lost(&format!("send failed: {error}"), true));
    }
    if let Some(failure) = received.decrypt_failure {
        let _ = context.events.send(Event::DecryptFailed {
            chat: failure.chat,
            id: failure.id,
            sender: failure.sender,
            retry_count: failure.retry_count,
            retry_sent: failure.retry_sent,
        });
    }
    None
}

/// What a `<stream:error>` means for the session.
fn stream_error(node: &Node<'_>, logged_in: bool) -> Ending {
    let conflict = node.child("conflict").and_then(|c| c.attr_str("type"));
    match (node.attr_str("code"), conflict) {
        (_, Some("replaced")) => Ending::Replaced,
        (Some("401"), _) | (_, Some("device_removed")) => Ending::LoggedOut,
        (Some("515"), _) => lost("restart required (515)", logged_in),
        (Some(code), _) => lost(&format!("stream error {code}"), logged_in),
        (None, _) => lost("stream error", logged_in),
    }
}

fn lost(reason: &str, logged_in: bool) -> Ending {
    Ending::Lost {
        reason: reason.to_owned(),
        logged_in,
    }
}

/// Runs the post-login routine on its own task (it makes IQs, which this task answers).
fn spawn_after_login(context: &Context<'_>, seed: u64) {
    let Some(commands) = context.weak.upgrade() else {
        return;
    };
    let session = Session {
        commands,
        iq_timeout: context.iq_timeout,
        send: context.send.clone(),
    };
    let store = context.store.clone();
    let config = context.config.clone();
    let events = context.events.clone();
    let paired = context.paired.clone();
    tokio::spawn(async move {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        if let Err(error) =
            prekeys::after_login(&session, &store, &config, &paired, &events, &mut rng).await
        {
            tracing::debug!(%error, "post-login routine failed");
        }
    });
}
