//! The crate's error type. Messages never contain key material, node contents or payload bytes.

use tokio_tungstenite::tungstenite;

/// Everything that can go wrong on a connection.
///
/// After any error the connection is unusable (drop it and reconnect), except an
/// [`Error::Node`] or a too-large frame from `send`/`send_many`: those are found before anything
/// is encrypted, so nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The WebSocket failed: connect, upgrade, I/O, or a WebSocket protocol violation.
    #[error("websocket error: {0}")]
    WebSocket(#[source] Box<tungstenite::Error>),
    /// The Noise layer failed: framing (bad intro, oversized frame), the handshake, the server's
    /// certificate chain ([`wa_noise::Error::Cert`]), or a frame that failed authentication.
    #[error("noise error: {0}")]
    Noise(#[from] wa_noise::Error),
    /// A node could not be encoded, or a decrypted frame is not a valid node.
    #[error("node error: {0}")]
    Node(#[from] wa_binary::Error),
    /// The client's `ClientPayload` (server side) is not a valid protobuf.
    #[error("malformed ClientPayload: {0}")]
    ClientPayload(#[source] prost::DecodeError),
    /// The connection is closed (by the peer during the handshake, or already closed locally).
    #[error("connection closed")]
    Closed,
    /// The peer broke the rules of this transport.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
}

/// Violations of the transport's own rules by the peer (or by the caller's arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A WebSocket text message: the protocol uses binary messages only.
    #[error("text message received; only binary messages are allowed")]
    TextMessage,
    /// The peer closed the connection in the middle of a frame.
    #[error("connection closed with {buffered} bytes of an incomplete frame")]
    TruncatedFrame {
        /// Bytes buffered when the connection closed.
        buffered: usize,
    },
    /// The intro header names a token dictionary this engine does not have.
    #[error("unsupported token dictionary version {0}")]
    UnsupportedDictionary(u8),
}

impl From<tungstenite::Error> for Error {
    fn from(error: tungstenite::Error) -> Self {
        match error {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                Self::Closed
            }
            other => Self::WebSocket(Box::new(other)),
        }
    }
}

impl From<wa_noise::FrameError> for Error {
    fn from(error: wa_noise::FrameError) -> Self {
        Self::Noise(error.into())
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
