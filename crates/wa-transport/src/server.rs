//! The server side (simulator, tests): WebSocket accept, intro header, Noise responder.

use prost::Message as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::WebSocketStream;
use wa_noise::{FrameDecoder, FrameEncoder, IntroHeader, KeyPair, PublicKey, ServerHandshake};
use wa_proto::wa6::ClientPayload;

use crate::io::{self, NodeReceiver, NodeSender};
use crate::link::NodeLink;
use crate::tap::EphemeralRng;
use crate::{Error, Result};

/// Accepts a WebSocket on `stream` and runs the Noise handshake as the responder: reads the
/// client's intro header (dictionary v2 or v3, optional edge-routing prefix), proves
/// `server_static` with `cert_chain` (a serialized `CertChain` whose leaf certifies
/// `server_static`, see [`wa_noise::CertChainBuilder`]), and decodes the client's
/// `ClientPayload`.
///
/// The request's path and `Origin` are not checked. There is no timeout here: wrap the call in
/// `tokio::time::timeout`.
///
/// # Errors
/// [`Error::WebSocket`] for a failed upgrade, and those of [`server_handshake`].
pub async fn accept(
    stream: TcpStream,
    server_static: KeyPair,
    cert_chain: &[u8],
) -> Result<ServerConnection> {
    // Stanzas are small and latency matters more than packet count.
    stream
        .set_nodelay(true)
        .map_err(|error| Error::WebSocket(Box::new(tungstenite::Error::Io(error))))?;
    let ws =
        tokio_tungstenite::accept_async_with_config(stream, Some(io::websocket_config())).await?;
    handshake(ws, server_static, cert_chain, None).await
}

/// As [`accept`], with the Noise ephemeral key derived from `ephemeral_seed` instead of the OS
/// generator: for a test server whose handshakes must be reproducible (the simulator, when
/// recording sessions). Never use a seed twice on a real server.
///
/// # Errors
/// As [`accept`].
pub async fn accept_seeded(
    stream: TcpStream,
    server_static: KeyPair,
    cert_chain: &[u8],
    ephemeral_seed: [u8; 32],
) -> Result<ServerConnection> {
    stream
        .set_nodelay(true)
        .map_err(|error| Error::WebSocket(Box::new(tungstenite::Error::Io(error))))?;
    let ws =
        tokio_tungstenite::accept_async_with_config(stream, Some(io::websocket_config())).await?;
    handshake(ws, server_static, cert_chain, Some(ephemeral_seed)).await
}

/// Runs the server side of the Noise handshake on an already accepted WebSocket.
///
/// # Errors
/// [`Error::Noise`] for a bad intro header or a malformed client message,
/// [`Error::Protocol`] for an unknown dictionary or a text message,
/// [`Error::ClientPayload`] for a payload that is not a `ClientPayload`,
/// [`Error::Closed`] if the client closes first, [`Error::WebSocket`] for a broken socket.
pub async fn server_handshake<S>(
    ws: WebSocketStream<S>,
    server_static: KeyPair,
    cert_chain: &[u8],
) -> Result<ServerConnection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    handshake(ws, server_static, cert_chain, None).await
}

async fn handshake<S>(
    mut ws: WebSocketStream<S>,
    server_static: KeyPair,
    cert_chain: &[u8],
    ephemeral_seed: Option<[u8; 32]>,
) -> Result<ServerConnection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut frames = FrameDecoder::server();
    let client_hello = io::read_handshake_frame(&mut ws, &mut frames).await?;
    // A frame is only returned after the intro, so the header is known here.
    let header = frames
        .intro_header()
        .ok_or(wa_noise::FrameError::InvalidIntroHeader)?;
    let dictionary = io::dictionary_for(header)?;
    let routing_info = frames.routing_info().map(<[u8]>::to_vec);

    let handshake = ServerHandshake::new(
        server_static,
        header,
        &mut EphemeralRng::new(ephemeral_seed),
    )
    .read_client_hello(&client_hello)?;
    let (handshake, server_hello) = handshake.write_server_hello(cert_chain)?;
    let mut message = Vec::new();
    FrameEncoder::without_intro().encode(&server_hello, &mut message)?;
    io::send_binary(&mut ws, message).await?;

    let client_finish = io::read_handshake_frame(&mut ws, &mut frames).await?;
    let outcome = handshake.read_client_finish(&client_finish)?;
    let client_payload =
        ClientPayload::decode(outcome.client_payload.as_slice()).map_err(Error::ClientPayload)?;
    let handshake_hash = *outcome.transport.handshake_hash();
    tracing::debug!(
        dict_version = header.dict_version(),
        routed = routing_info.is_some(),
        "noise handshake complete (server)"
    );
    let (sender, receiver) = io::split(ws, outcome.transport, frames, dictionary, None);
    Ok(ServerConnection {
        link: NodeLink::new(sender, receiver, handshake_hash),
        header,
        routing_info,
        client_static: outcome.client_static,
        client_payload,
    })
}

/// A server connection after a complete handshake, with what the client said in it.
#[derive(Debug)]
#[must_use]
pub struct ServerConnection {
    link: NodeLink,
    header: IntroHeader,
    routing_info: Option<Vec<u8>>,
    client_static: PublicKey,
    client_payload: ClientPayload,
}

impl ServerConnection {
    /// The client's `ClientPayload` (login or registration).
    #[must_use]
    pub const fn client_payload(&self) -> &ClientPayload {
        &self.client_payload
    }

    /// The client's static (noise) public key, authenticated by the handshake.
    #[must_use]
    pub const fn client_static(&self) -> &PublicKey {
        &self.client_static
    }

    /// The intro header the client sent.
    #[must_use]
    pub const fn intro_header(&self) -> IntroHeader {
        self.header
    }

    /// The client's edge-routing info, if it sent any.
    #[must_use]
    pub fn routing_info(&self) -> Option<&[u8]> {
        self.routing_info.as_deref()
    }

    /// Separates the directions, e.g. for a writer task and a reader task.
    pub fn into_split(self) -> (NodeSender, NodeReceiver) {
        self.link.into_split()
    }
}

impl std::ops::Deref for ServerConnection {
    type Target = NodeLink;

    fn deref(&self) -> &NodeLink {
        &self.link
    }
}

impl std::ops::DerefMut for ServerConnection {
    fn deref_mut(&mut self) -> &mut NodeLink {
        &mut self.link
    }
}
