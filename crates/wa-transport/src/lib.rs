//! The async I/O edge of the engine: a WebSocket (tokio-tungstenite) carrying WhatsApp's Noise
//! XX handshake and encrypted frames of binary XML nodes, in both roles.
//!
//! The protocol logic lives in the sans-IO crates; this crate only moves their bytes:
//!
//! * [`connect`] (client, for the session actor): dials with `Origin: https://web.whatsapp.com`,
//!   writes the intro header, runs the Noise initiator, checks the server's certificate chain
//!   with a [`CertVerifier`](wa_noise::CertVerifier) and sends the
//!   [`ClientPayload`](wa_proto::wa6::ClientPayload) in the client finish;
//! * [`accept`] (server, for the simulator and tests): upgrades a TCP stream, reads the intro
//!   header (dictionary v2 or v3, optional edge-routing prefix), runs the Noise responder and
//!   returns the client's decoded `ClientPayload` and static key;
//! * both give a connection that splits into a [`NodeSender`] (encode with the connection's
//!   dictionary, encrypt, frame; one WebSocket message per call, [`NodeSender::send_many`]
//!   batching several frames into one) and a [`NodeReceiver`] (reassemble frames across
//!   WebSocket messages, decrypt in place, decode, inflating zlib frames).
//!
//! Frames are limited to 2^24 - 1 bytes by [`wa_noise::FrameDecoder`]; anything malformed from
//! the peer is an [`Error`], never a panic. Only `ws://` is supported for now (the simulator runs
//! on loopback): reaching WhatsApp itself over `wss://` needs a TLS feature of
//! tokio-tungstenite, not enabled yet. Nothing is logged beyond `debug` events without keys or
//! node contents.
//!
//! ```
//! use rand_core::OsRng;
//! use wa_binary::Node;
//! use wa_noise::{CertChainBuilder, CertVerifier, IntroHeader, KeyPair, PrivateKey};
//! use wa_proto::wa6::ClientPayload;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! // A server with a test root and a chain certifying its static key.
//! let root = PrivateKey::generate(&mut OsRng);
//! let server_static = KeyPair::generate(&mut OsRng);
//! let chain = CertChainBuilder::new(root.clone(), KeyPair::generate(&mut OsRng))
//!     .validity(1_700_000_000, 1_900_000_000)
//!     .build(server_static.public_key(), &mut OsRng);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("ws://{}/ws/chat", listener.local_addr()?);
//! let server = tokio::spawn(async move {
//!     let (stream, _) = listener.accept().await?;
//!     let mut conn = wa_transport::accept(stream, server_static, &chain).await?;
//!     assert_eq!(conn.client_payload().passive, Some(true));
//!     let iq = conn.recv().await?.expect("a node");
//!     conn.send(&Node::new("iq").with_attr("id", iq.attr_str("id").unwrap_or_default())).await?;
//!     Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
//! });
//!
//! // A client that trusts the test root.
//! let payload = ClientPayload { passive: Some(true), ..ClientPayload::default() };
//! let mut conn = wa_transport::connect(
//!     &url,
//!     KeyPair::generate(&mut OsRng),
//!     IntroHeader::V3,
//!     &CertVerifier::new(root.public_key()),
//!     &payload,
//!     1_750_000_000,
//! )
//! .await?;
//! conn.send(&Node::new("iq").with_attr("id", "1").with_attr("type", "get")).await?;
//! let reply = conn.recv().await?.expect("a reply");
//! assert_eq!(reply.attr_str("id"), Some("1"));
//! server.await??;
//! # Ok(())
//! # }
//! ```

mod client;
mod error;
mod io;
mod link;
mod server;
mod tap;

pub use client::{
    client_handshake, client_handshake_with, connect, connect_with, ClientConnection,
    WHATSAPP_WEB_ORIGIN, WHATSAPP_WEB_URL,
};
pub use error::{Error, ProtocolError, Result};
pub use io::{NodeReceiver, NodeSender};
pub use link::NodeLink;
pub use server::{accept, accept_seeded, server_handshake, ServerConnection};
pub use tap::{ConnectOptions, Direction, FrameTap};
