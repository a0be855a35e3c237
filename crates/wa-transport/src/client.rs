//! The client side: dial, Noise initiator, certificate check.

use prost::Message as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::{header::ORIGIN, HeaderValue};
use tokio_tungstenite::WebSocketStream;
use wa_noise::{
    CertVerifier, ClientHandshake, FrameDecoder, FrameEncoder, IntroHeader, KeyPair, PublicKey,
    VerifiedCertChain,
};
use wa_proto::wa6::ClientPayload;

use crate::io::{self, NodeReceiver, NodeSender};
use crate::link::NodeLink;
use crate::tap::{self, ConnectOptions, Direction, EphemeralRng};
use crate::Result;

/// The `Origin` header WhatsApp's WebSocket endpoint expects (as WhatsApp Web sends it).
pub const WHATSAPP_WEB_ORIGIN: &str = "https://web.whatsapp.com";

/// WhatsApp's WebSocket endpoint. Needs TLS, which this crate does not enable yet: connecting
/// to it fails with [`Error::WebSocket`](crate::Error::WebSocket) until a TLS feature of
/// tokio-tungstenite is turned on.
pub const WHATSAPP_WEB_URL: &str = "wss://web.whatsapp.com/ws/chat";

/// Connects to `url` (`ws://` only for now), sending `Origin: https://web.whatsapp.com`, and runs
/// the Noise handshake as the initiator: `header` opens the connection and picks the token
/// dictionary, the server's certificate chain is checked by `verifier` at `now` (unix seconds),
/// and `payload` is sent in the client finish.
///
/// There is no timeout here: wrap the call in `tokio::time::timeout`.
///
/// # Errors
/// [`Error::Protocol`](crate::Error::Protocol) for a header naming an unknown dictionary,
/// [`Error::WebSocket`](crate::Error::WebSocket) for a bad URL or a failed dial or upgrade, and
/// those of [`client_handshake`]; a rejected certificate chain is
/// `Error::Noise(wa_noise::Error::Cert(_))`.
pub async fn connect(
    url: &str,
    client_static: KeyPair,
    header: IntroHeader,
    verifier: &CertVerifier,
    payload: &ClientPayload,
    now: u64,
) -> Result<ClientConnection> {
    let options = ConnectOptions::new(header, *verifier, now);
    connect_with(url, client_static, payload, &options).await
}

/// As [`connect`], with [`ConnectOptions`]: a seeded ephemeral key and a
/// [`FrameTap`](crate::FrameTap) for recording and replaying sessions.
///
/// # Errors
/// As [`connect`].
pub async fn connect_with(
    url: &str,
    client_static: KeyPair,
    payload: &ClientPayload,
    options: &ConnectOptions,
) -> Result<ClientConnection> {
    io::dictionary_for(options.header)?;
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert(ORIGIN, HeaderValue::from_static(WHATSAPP_WEB_ORIGIN));
    let (ws, _response) =
        tokio_tungstenite::connect_async_with_config(request, Some(io::websocket_config()), true)
            .await?;
    client_handshake_with(ws, client_static, payload, options).await
}

/// Runs the client side of the Noise handshake on an already open WebSocket (e.g. one over a
/// stream [`connect`] cannot dial).
///
/// # Errors
/// [`Error::Noise`](crate::Error::Noise) for a malformed server hello or a rejected
/// certificate chain, [`Error::Closed`](crate::Error::Closed) if the server closes first,
/// [`Error::Protocol`](crate::Error::Protocol) for a text message or an unknown dictionary,
/// [`Error::WebSocket`](crate::Error::WebSocket) for a broken socket.
pub async fn client_handshake<S>(
    ws: WebSocketStream<S>,
    client_static: KeyPair,
    header: IntroHeader,
    verifier: &CertVerifier,
    payload: &ClientPayload,
    now: u64,
) -> Result<ClientConnection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let options = ConnectOptions::new(header, *verifier, now);
    client_handshake_with(ws, client_static, payload, &options).await
}

/// As [`client_handshake`], with [`ConnectOptions`].
///
/// # Errors
/// As [`client_handshake`].
pub async fn client_handshake_with<S>(
    mut ws: WebSocketStream<S>,
    client_static: KeyPair,
    payload: &ClientPayload,
    options: &ConnectOptions,
) -> Result<ClientConnection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header = options.header;
    let tap = options.tap.clone();
    let dictionary = io::dictionary_for(header)?;
    // One encoder for both client messages: the intro header goes before the first only.
    let mut encoder = FrameEncoder::new(header);
    if let Some(tap) = &tap {
        tap.connection_started();
    }
    let mut ephemeral = EphemeralRng::new(options.ephemeral_seed);
    let (handshake, hello) =
        ClientHandshake::new(client_static, header, &mut ephemeral).write_client_hello();
    let mut message = Vec::new();
    encoder.encode(&hello, &mut message)?;
    if let Some(tap) = &tap {
        // The tap sees frames: the intro header before the first one is left out.
        let intro = message.len().saturating_sub(hello.len() + 3);
        tap.frame(
            Direction::Sent,
            message.get(intro..).unwrap_or_default(),
            None,
        );
    }
    io::send_binary(&mut ws, message).await?;

    let mut frames = FrameDecoder::new();
    let server_hello = io::read_handshake_frame(&mut ws, &mut frames).await?;
    if let Some(tap) = &tap {
        tap::report_payload(tap.as_ref(), Direction::Received, &server_hello, None);
    }
    let handshake = handshake.read_server_hello(&server_hello, &options.verifier, options.now)?;
    let server_static = *handshake.server_static();
    let certificate = *handshake.certificate();

    let (transport, finish) = handshake.write_client_finish(&payload.encode_to_vec())?;
    let mut message = Vec::new();
    encoder.encode(&finish, &mut message)?;
    if let Some(tap) = &tap {
        tap.frame(Direction::Sent, &message, None);
    }
    io::send_binary(&mut ws, message).await?;

    let handshake_hash = *transport.handshake_hash();
    tracing::debug!(
        dict_version = header.dict_version(),
        "noise handshake complete (client)"
    );
    let (sender, receiver) = io::split(ws, transport, frames, dictionary, tap);
    Ok(ClientConnection {
        link: NodeLink::new(sender, receiver, handshake_hash),
        server_static,
        certificate,
    })
}

/// A client connection after a complete handshake.
#[derive(Debug)]
#[must_use]
pub struct ClientConnection {
    link: NodeLink,
    server_static: PublicKey,
    certificate: VerifiedCertChain,
}

impl ClientConnection {
    /// The server's static key, certified by the chain.
    #[must_use]
    pub const fn server_static(&self) -> &PublicKey {
        &self.server_static
    }

    /// The server's verified certificate chain.
    #[must_use]
    pub const fn certificate(&self) -> &VerifiedCertChain {
        &self.certificate
    }

    /// Separates the directions, e.g. for a writer task and a reader task.
    pub fn into_split(self) -> (NodeSender, NodeReceiver) {
        self.link.into_split()
    }
}

impl std::ops::Deref for ClientConnection {
    type Target = NodeLink;

    fn deref(&self) -> &NodeLink {
        &self.link
    }
}

impl std::ops::DerefMut for ClientConnection {
    fn deref_mut(&mut self) -> &mut NodeLink {
        &mut self.link
    }
}
