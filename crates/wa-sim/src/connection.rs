//! One client connection: the Noise handshake, login or rejection, then the stanza loop.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::mpsc;
use wa_binary::{Jid, Node, Server};
use wa_transport::{NodeSender, ServerConnection};

use crate::faults::{MessageFault, StreamErrorKind};
use crate::hub::{Outbound, OutboundTx};
use crate::registry::{DeviceRef, LoginRejection};
use crate::simulator::Shared;

/// A client that has not finished the handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the server waits after the handshake before its first stanza. Baileys 6 switches
/// to transport keys without awaiting the (asynchronous, thread-pool) key derivation, and
/// drops a stanza that arrives before it is done; on a real network latency covers that gap,
/// on loopback this pause does.
const FIRST_STANZA_DELAY: Duration = Duration::from_millis(100);
/// How long a closing connection's writer gets to send its last stanza.
const WRITER_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a connection ended abnormally (logged at debug, never returned to API callers).
#[derive(Debug, thiserror::Error)]
enum ConnectionError {
    #[error("handshake timed out")]
    HandshakeTimeout,
    #[error(transparent)]
    Transport(#[from] wa_transport::Error),
}

/// Serves one TCP connection to the end; errors are logged, not propagated.
pub(crate) async fn serve(shared: Arc<Shared>, stream: TcpStream) {
    if let Err(error) = run(&shared, stream).await {
        tracing::debug!(%error, "connection ended with an error");
    }
}

async fn run(shared: &Shared, stream: TcpStream) -> Result<(), ConnectionError> {
    let accept = wa_transport::accept_seeded(
        stream,
        shared.server_static.clone(),
        &shared.cert_chain,
        shared.next_handshake_seed(),
    );
    let conn = tokio::time::timeout(HANDSHAKE_TIMEOUT, accept)
        .await
        .map_err(|_| ConnectionError::HandshakeTimeout)??;
    tokio::time::sleep(FIRST_STANZA_DELAY).await;
    let payload = conn.client_payload();
    if payload.device_pairing_data.is_some() {
        return Ok(crate::pairing::serve_registration(shared, conn).await?);
    }
    let Some(username) = payload.username else {
        tracing::debug!("login without username refused");
        return reject(conn, &failure("400")).await;
    };
    let device_id = payload.device.unwrap_or(0);
    let login = shared
        .lock()
        .registry
        .authenticate(username, device_id, conn.client_static());
    match login {
        Err(rejection) => {
            // whatsmeow reads reason 401 as "logged out" for both cases and deletes its
            // session, which is what a removed or unknown device must do.
            tracing::debug!(?rejection, "login refused");
            let reason = match rejection {
                LoginRejection::Unknown | LoginRejection::Removed => "401",
            };
            reject(conn, &failure(reason)).await
        }
        Ok((device, info)) => {
            tracing::debug!(device = %info.jid, "login accepted");
            let success = Node::new("success")
                .with_attr("t", shared.clock.now().to_string())
                .with_attr("lid", info.lid);
            serve_device(shared, conn, &device, success).await
        }
    }
}

/// `<failure reason/>`, the connect failure whatsmeow and Baileys read at login.
fn failure(reason: &'static str) -> Node<'static> {
    Node::new("failure").with_attr("reason", reason)
}

/// Sends a final node and closes the WebSocket.
async fn reject(conn: ServerConnection, node: &Node<'_>) -> Result<(), ConnectionError> {
    let (mut sender, _receiver) = conn.into_split();
    sender.send(node).await?;
    sender.close().await?;
    Ok(())
}

/// A logged-in device: a writer task drains the connection's outbound channel (replies,
/// routed stanzas, stream errors), this task reads stanzas until either side closes.
async fn serve_device(
    shared: &Shared,
    conn: ServerConnection,
    device: &DeviceRef,
    success: Node<'static>,
) -> Result<(), ConnectionError> {
    let (sender, mut receiver) = conn.into_split();
    let (tx, rx) = mpsc::unbounded_channel();
    // `<success>` goes first; whatever waited for the device follows it.
    let _ = tx.send(Outbound::Node(success));
    let (connection_id, waited) = {
        let replaced = StreamErrorKind::Conflict.to_node();
        shared.lock().hub.attach(device, tx.clone(), replaced)
    };
    // After what waited, `<ib><offline count/></ib>` says the backlog is over: Baileys holds
    // its events until it arrives.
    let _ = tx.send(Outbound::Node(offline_done(waited)));
    let mut writer = tokio::spawn(write_loop(sender, rx));
    let outcome = loop {
        tokio::select! {
            // The writer stops after a close (stream error, fault, replaced) or a write error.
            _ = &mut writer => break Ok(()),
            received = receiver.recv() => match received {
                Ok(Some(stanza)) => {
                    if !handle(shared, device, &stanza, &tx) {
                        break Ok(());
                    }
                }
                Ok(None) => {
                    tracing::debug!("client closed the connection");
                    break Ok(());
                }
                Err(error) => break Err(error.into()),
            }
        }
    };
    shared.lock().hub.detach(device, connection_id);
    drop(tx);
    // Let the writer flush a final stanza it was told to send, then stop.
    if !writer.is_finished() {
        let _ = tokio::time::timeout(WRITER_FLUSH_TIMEOUT, &mut writer).await;
        writer.abort();
    }
    outcome
}

/// `<ib from="s.whatsapp.net"><offline count=N/></ib>`.
fn offline_done(count: usize) -> Node<'static> {
    Node::new("ib")
        .with_attr("from", Jid::server_only(Server::User))
        .with_children(vec![
            Node::new("offline").with_attr("count", count.to_string())
        ])
}

/// Handles one stanza; returns false when the connection must stop reading (a fault closed
/// it).
fn handle(shared: &Shared, device: &DeviceRef, stanza: &Node<'_>, tx: &OutboundTx) -> bool {
    let now = shared.clock.now();
    let mut state = shared.lock();
    let fault = if stanza.tag() == "message" {
        state.faults.next_message(device)
    } else {
        MessageFault::None
    };
    if fault == MessageFault::DropBefore {
        tracing::debug!("fault: connection dropped before routing");
        state.hub.close(device, None);
        return false;
    }
    if let MessageFault::Refuse(code) = fault {
        tracing::debug!(code, "fault: message refused");
        if let Some(ack) = refusal(stanza, code) {
            let _ = tx.send(Outbound::Node(ack));
        }
        return true;
    }
    let routed = state.route_stanza(device, stanza, now);
    let keep_reading = match (fault, routed.reply) {
        (MessageFault::DropAfter, _) => {
            tracing::debug!("fault: connection dropped after routing, before the ack");
            state.hub.close(device, None);
            false
        }
        (MessageFault::WithholdAck, _) => {
            tracing::debug!("fault: ack withheld");
            true
        }
        (MessageFault::DelayAck(delay), Some(reply)) => {
            let tx = tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = tx.send(Outbound::Node(reply));
            });
            true
        }
        (_, Some(reply)) => {
            let _ = tx.send(Outbound::Node(reply));
            true
        }
        (_, None) => true,
    };
    state.dispatch(routed.deliveries, now);
    keep_reading
}

/// `<ack class="message" id from error="CODE"/>` for a message the server refuses.
fn refusal(stanza: &Node<'_>, code: u16) -> Option<Node<'static>> {
    let id = stanza.attr_str("id")?.to_owned();
    let mut ack = Node::new("ack")
        .with_attr("class", "message")
        .with_attr("id", id)
        .with_attr("error", code.to_string());
    if let Some(to) = stanza.attr_jid("to") {
        ack = ack.with_attr("from", to);
    }
    Some(ack)
}

/// Writes what the hub and the reader queue, batching what is already waiting into one
/// socket write, until told to close or the channel ends.
async fn write_loop(mut sender: NodeSender, mut rx: mpsc::UnboundedReceiver<Outbound>) {
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut close = false;
        let mut next = Some(first);
        while let Some(outbound) = next {
            match outbound {
                Outbound::Node(node) => batch.push(node),
                Outbound::Close(last) => {
                    batch.extend(last);
                    close = true;
                    break;
                }
            }
            next = rx.try_recv().ok();
        }
        let written = sender.send_many(&batch).await;
        batch.clear();
        if close || written.is_err() {
            let _ = sender.close().await;
            return;
        }
    }
    let _ = sender.close().await;
}
