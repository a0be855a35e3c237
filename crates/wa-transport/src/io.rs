//! The two directions of an established connection, and the WebSocket plumbing the handshakes
//! share.

use std::fmt;
use std::pin::Pin;

use futures_util::{FutureExt as _, Sink, SinkExt as _, Stream, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::{self, protocol::WebSocketConfig, Message};
use tokio_tungstenite::WebSocketStream;
use wa_binary::{decode_frame_with, encode_frame, DecodeLimits, Dictionary, Node};
use wa_noise::{
    FrameDecoder, FrameError, IntroHeader, Transport, TransportReceiver, TransportSender,
    MAX_FRAME_LENGTH, TAG_LENGTH,
};

use crate::tap::{self, Direction, SharedTap};
use crate::{Error, ProtocolError, Result};

/// The type-erased write half of a WebSocket, so that both roles share one `NodeSender` type
/// whatever stream (plain TCP now, TLS later) lies beneath.
type WsSink = Pin<Box<dyn Sink<Message, Error = tungstenite::Error> + Send>>;
/// The type-erased read half.
type WsStream = Pin<Box<dyn Stream<Item = Result<Message, tungstenite::Error>> + Send>>;

/// Capacity the sender's plaintext buffer keeps between sends; a larger one (after a big node)
/// is released so that one media-sized stanza does not pin its size for the connection's life.
const RETAINED_PLAINTEXT_CAPACITY: usize = 64 * 1024;

/// The WebSocket limits: a Noise frame is up to 2^24 + 2 bytes with its prefix, which is more
/// than tungstenite's default 16 MiB per WebSocket frame, so a WebSocket frame may be as large
/// as a whole message (64 MiB, the default message limit). Frame lengths themselves are enforced
/// by [`FrameDecoder`].
pub(crate) fn websocket_config() -> WebSocketConfig {
    let mut config = WebSocketConfig::default();
    config.max_frame_size = config.max_message_size;
    config
}

/// The token dictionary an intro header names.
pub(crate) fn dictionary_for(header: IntroHeader) -> Result<Dictionary> {
    Dictionary::from_header_version(header.dict_version())
        .map_err(|_| ProtocolError::UnsupportedDictionary(header.dict_version()).into())
}

/// Reads WebSocket messages into `frames` until one whole handshake frame is there, and returns
/// a copy of it (handshake messages are small). A close during the handshake is
/// [`Error::Closed`].
pub(crate) async fn read_handshake_frame<S>(
    ws: &mut WebSocketStream<S>,
    frames: &mut FrameDecoder,
) -> Result<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        if let Some(frame) = frames.next_frame()? {
            return Ok(frame.to_vec());
        }
        match ws.next().await {
            Some(Ok(Message::Binary(bytes))) => frames.push(&bytes)?,
            Some(Ok(Message::Text(_))) => return Err(ProtocolError::TextMessage.into()),
            Some(Ok(Message::Close(_))) | None => return Err(Error::Closed),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            Some(Err(error)) => return Err(error.into()),
        }
    }
}

/// Sends one binary WebSocket message.
pub(crate) async fn send_binary<S>(ws: &mut WebSocketStream<S>, bytes: Vec<u8>) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ws.send(Message::Binary(bytes)).await.map_err(Error::from)
}

/// Splits a WebSocket whose handshake is complete into the two node directions. `frames` is the
/// decoder that read the handshake: it may already hold the first transport frames.
pub(crate) fn split<S>(
    ws: WebSocketStream<S>,
    transport: Transport,
    frames: FrameDecoder,
    dictionary: Dictionary,
    tap: SharedTap,
) -> (NodeSender, NodeReceiver)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sink, stream) = ws.split();
    let (send, recv) = transport.into_halves();
    let sender = NodeSender {
        sink: Box::pin(sink),
        transport: send,
        dictionary,
        plaintext: Vec::new(),
        ends: Vec::new(),
        tap: tap.clone(),
    };
    let receiver = NodeReceiver {
        stream: Box::pin(stream),
        frames,
        transport: recv,
        dictionary,
        limits: DecodeLimits::DEFAULT,
        tap,
    };
    (sender, receiver)
}

/// The sending direction: encodes nodes with the connection's dictionary, encrypts them and
/// writes each call as one binary WebSocket message.
///
/// `send` and `send_many` are not cancel-safe: a send dropped midway may have used a nonce
/// without delivering its frame, after which the peer cannot decrypt; drop the connection then.
#[must_use]
pub struct NodeSender {
    sink: WsSink,
    transport: TransportSender,
    dictionary: Dictionary,
    /// Encoded nodes of the current call, reused across calls.
    plaintext: Vec<u8>,
    /// End offset in `plaintext` of each node of the current call.
    ends: Vec<usize>,
    /// Sees each frame as it is encrypted.
    tap: SharedTap,
}

impl NodeSender {
    /// Sends one node as one frame in one WebSocket message.
    ///
    /// # Errors
    /// [`Error::Node`] if the node cannot be encoded (nothing is sent and the connection stays
    /// usable); [`Error::Noise`] for a node too large for one frame (likewise) or exhausted
    /// nonces; [`Error::WebSocket`] / [`Error::Closed`] if the write fails.
    pub async fn send(&mut self, node: &Node<'_>) -> Result<()> {
        self.send_many(std::slice::from_ref(node)).await
    }

    /// Sends several nodes, one frame each, in a single WebSocket message (fewer writes and
    /// WebSocket headers than one [`send`](Self::send) per node). Every node is encoded before
    /// any is encrypted, so an unencodable node sends nothing and wastes no nonce. An empty
    /// slice sends nothing.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_many(&mut self, nodes: &[Node<'_>]) -> Result<()> {
        if nodes.is_empty() {
            return Ok(());
        }
        let message = self.encrypt_batch(nodes);
        if self.plaintext.capacity() > RETAINED_PLAINTEXT_CAPACITY {
            self.plaintext = Vec::new();
        } else {
            self.plaintext.clear();
        }
        self.sink.send(Message::Binary(message?)).await?;
        Ok(())
    }

    /// Encodes every node into `plaintext`, checks every frame fits, then encrypts them into
    /// one message.
    fn encrypt_batch(&mut self, nodes: &[Node<'_>]) -> Result<Vec<u8>> {
        self.plaintext.clear();
        self.ends.clear();
        for node in nodes {
            let start = self.plaintext.len();
            encode_frame(node, self.dictionary, &mut self.plaintext)?;
            let frame_len = self.plaintext.len() - start + TAG_LENGTH;
            if frame_len > MAX_FRAME_LENGTH {
                return Err(FrameError::TooLarge {
                    len: frame_len,
                    max: MAX_FRAME_LENGTH,
                }
                .into());
            }
            self.ends.push(self.plaintext.len());
        }
        let overhead = nodes.len() * (wa_noise::frame::FRAME_LENGTH_PREFIX + TAG_LENGTH);
        let mut message = Vec::with_capacity(self.plaintext.len() + overhead);
        let mut start = 0;
        for (&end, node) in self.ends.iter().zip(nodes) {
            let node_bytes = self.plaintext.get(start..end).unwrap_or_default();
            let frame_start = message.len();
            self.transport.encrypt_frame(node_bytes, &mut message)?;
            if let Some(tap) = &self.tap {
                let frame = message.get(frame_start..).unwrap_or_default();
                tap.frame(Direction::Sent, frame, Some(node));
            }
            start = end;
        }
        Ok(message)
    }

    /// The token dictionary nodes are encoded with.
    #[must_use]
    pub const fn dictionary(&self) -> Dictionary {
        self.dictionary
    }

    /// Frames sent so far (the next send nonce).
    #[must_use]
    pub const fn frames_sent(&self) -> u64 {
        self.transport.counter()
    }

    /// Starts the WebSocket closing handshake (sends a close message and flushes).
    ///
    /// # Errors
    /// [`Error::WebSocket`] if the write fails; closing twice is not an error.
    pub async fn close(&mut self) -> Result<()> {
        match self.sink.close().await.map_err(Error::from) {
            Ok(()) | Err(Error::Closed) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

impl fmt::Debug for NodeSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeSender")
            .field("transport", &self.transport)
            .field("dictionary", &self.dictionary)
            .finish_non_exhaustive()
    }
}

/// The receiving direction: reassembles frames across WebSocket messages, decrypts them in
/// place and decodes the nodes (inflating zlib frames).
///
/// [`recv`](Self::recv) is cancel-safe (for `tokio::select!`): bytes read before a
/// cancellation stay buffered and no frame is lost.
#[must_use]
pub struct NodeReceiver {
    stream: WsStream,
    frames: FrameDecoder,
    transport: TransportReceiver,
    dictionary: Dictionary,
    limits: DecodeLimits,
    /// Sees each frame once it is decrypted and decoded.
    tap: SharedTap,
}

impl NodeReceiver {
    /// The next node, or `None` once the peer has closed the connection cleanly (at a frame
    /// boundary). WebSocket pings and pongs are handled underneath and skipped.
    ///
    /// # Errors
    /// [`Error::Noise`] for an oversized frame or one that fails authentication,
    /// [`Error::Node`] for a decrypted frame that is not a valid node,
    /// [`Error::Protocol`] for a text message or a close in the middle of a frame,
    /// [`Error::WebSocket`] for a broken socket. The connection is unusable after any of them.
    pub async fn recv(&mut self) -> Result<Option<Node<'static>>> {
        loop {
            if let Some(node) = self.next_buffered()? {
                return Ok(Some(node));
            }
            match self.stream.next().await {
                Some(Ok(Message::Binary(bytes))) => self.frames.push(&bytes)?,
                Some(Ok(Message::Text(_))) => return Err(ProtocolError::TextMessage.into()),
                Some(Ok(Message::Close(_))) => {
                    // One more poll, without waiting, lets tungstenite flush its close reply. A
                    // client would otherwise wait on until the server drops the TCP connection,
                    // which a hostile server need never do.
                    let _ = self.stream.next().now_or_never();
                    return self.closed();
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                None => return self.closed(),
                Some(Err(error)) => {
                    return match Error::from(error) {
                        Error::Closed => self.closed(),
                        other => Err(other),
                    }
                }
            }
        }
    }

    /// Decrypts and decodes the next complete buffered frame, if any.
    fn next_buffered(&mut self) -> Result<Option<Node<'static>>> {
        let Some(frame) = self.frames.next_frame()? else {
            return Ok(None);
        };
        // The tap wants the ciphertext, which decryption overwrites.
        let ciphertext = self.tap.as_ref().map(|_| frame.to_vec());
        let plaintext = self.transport.decrypt_in_place(frame)?;
        let node = decode_frame_with(plaintext, self.dictionary, &self.limits)?.into_owned();
        if let (Some(tap), Some(ciphertext)) = (&self.tap, ciphertext) {
            tap::report_payload(tap.as_ref(), Direction::Received, &ciphertext, Some(&node));
        }
        Ok(Some(node))
    }

    /// End of stream: clean at a frame boundary, an error inside a frame.
    fn closed(&self) -> Result<Option<Node<'static>>> {
        match self.frames.buffered_len() {
            0 => Ok(None),
            buffered => Err(ProtocolError::TruncatedFrame { buffered }.into()),
        }
    }

    /// Replaces the node decoder's limits (nesting depth, inflated size of zlib frames).
    pub fn set_decode_limits(&mut self, limits: DecodeLimits) {
        self.limits = limits;
    }

    /// The token dictionary nodes are decoded with.
    #[must_use]
    pub const fn dictionary(&self) -> Dictionary {
        self.dictionary
    }

    /// Frames received and decrypted so far (the next receive nonce).
    #[must_use]
    pub const fn frames_received(&self) -> u64 {
        self.transport.counter()
    }
}

impl fmt::Debug for NodeReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeReceiver")
            .field("transport", &self.transport)
            .field("dictionary", &self.dictionary)
            .field("buffered", &self.frames.buffered_len())
            .finish_non_exhaustive()
    }
}
