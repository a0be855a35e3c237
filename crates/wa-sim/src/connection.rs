//! One client connection: the Noise handshake, login or rejection, then the stanza loop.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use wa_binary::{Jid, Node, Server};
use wa_transport::ServerConnection;

use crate::iq::handle_iq;
use crate::registry::{DeviceRef, LoginRejection};
use crate::simulator::{unix_now, Shared};

/// A client that has not finished the handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

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
    let accept = wa_transport::accept(stream, shared.server_static.clone(), &shared.cert_chain);
    let mut conn = tokio::time::timeout(HANDSHAKE_TIMEOUT, accept)
        .await
        .map_err(|_| ConnectionError::HandshakeTimeout)??;
    let payload = conn.client_payload();
    if payload.device_pairing_data.is_some() {
        // Pairing (pair-device refs, QR scan, pair-success) is not implemented yet: say so with
        // a stream error instead of leaving the client waiting.
        tracing::debug!("registration attempt refused: pairing not implemented yet");
        let error = Node::new("stream:error").with_attr("code", "501");
        return reject(conn, &error).await;
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
                .with_attr("t", unix_now().to_string())
                .with_attr("lid", info.lid);
            conn.send(&success).await?;
            serve_stanzas(shared, conn, &device).await
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

/// The stanza loop of a logged-in device, until it disconnects.
async fn serve_stanzas(
    shared: &Shared,
    mut conn: ServerConnection,
    device: &DeviceRef,
) -> Result<(), ConnectionError> {
    while let Some(stanza) = conn.recv().await? {
        let reply = match stanza.tag() {
            "iq" => {
                let mut state = shared.lock();
                let state = &mut *state;
                handle_iq(&stanza, device, &mut state.registry, &state.groups)
            }
            // Clients ack what the server sent; nothing answers an ack.
            "ack" => None,
            _ => unsupported_stanza(&stanza),
        };
        if let Some(reply) = reply {
            conn.send(&reply).await?;
        }
    }
    tracing::debug!("client closed the connection");
    Ok(())
}

/// Stanzas the simulator does not handle yet (message, receipt, presence, ...) get a negative
/// `<ack class error="501">` so the client does not wait for an answer forever.
fn unsupported_stanza(stanza: &Node<'_>) -> Option<Node<'static>> {
    let id = stanza.attr("id")?.clone().into_owned();
    tracing::debug!(tag = stanza.tag(), "unsupported stanza");
    Some(
        Node::new("ack")
            .with_attr("id", id)
            .with_attr("class", stanza.tag().to_owned())
            .with_attr("from", Jid::server_only(Server::User))
            .with_attr("error", "501"),
    )
}
