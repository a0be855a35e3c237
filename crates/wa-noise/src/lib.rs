//! Sans-IO `Noise_XX_25519_AESGCM_SHA256` for WhatsApp: the handshake in both roles, the server
//! certificate chain, the transport ciphers and the frame codec.
//!
//! Nothing here touches a socket or a clock: every step takes bytes (and the time, where
//! certificates are checked) and returns bytes. The modules follow the protocol's objects:
//!
//! * [`frame`]: intro header `57 41 06 VV`, optional edge-routing prefix, 3-byte length framing,
//!   and a [`FrameDecoder`] that reassembles frames from arbitrary WebSocket messages;
//! * `cipher_state` / `symmetric_state` (internal): Noise's `CipherState` and `SymmetricState`;
//! * [`handshake`]: the initiator ([`ClientHandshake`] → … → [`Transport`]) and the responder
//!   ([`ServerHandshake`] → … → [`ServerHandshakeOutcome`]), one type per phase;
//! * [`cert`]: [`CertVerifier`] (every check whatsmeow makes, trusted root configurable) and
//!   [`CertChainBuilder`] to issue chains for tests and the simulator;
//! * [`transport`]: [`Transport`], one AES-256-GCM cipher per direction.
//!
//! Secrets (private keys, chaining key, cipher keys) are zeroized on drop and print as
//! `[redacted]`.
//!
//! ```
//! use rand_core::OsRng;
//! use wa_noise::{
//!     CertChainBuilder, CertVerifier, ClientHandshake, FrameDecoder, FrameEncoder, IntroHeader,
//!     KeyPair, PrivateKey, ServerHandshake,
//! };
//!
//! # fn main() -> Result<(), wa_noise::Error> {
//! let mut rng = OsRng;
//! // A test root, and a server whose static key it certifies.
//! let root = PrivateKey::generate(&mut rng);
//! let server_static = KeyPair::generate(&mut rng);
//! let chain = CertChainBuilder::new(root.clone(), KeyPair::generate(&mut rng))
//!     .validity(1_700_000_000, 1_900_000_000)
//!     .build(server_static.public_key(), &mut rng);
//! let now = 1_750_000_000;
//!
//! // Client: hello, framed behind the intro header.
//! let header = IntroHeader::V3;
//! let client = ClientHandshake::new(KeyPair::generate(&mut rng), header, &mut rng);
//! let (client, hello) = client.write_client_hello();
//! let mut wire = Vec::new();
//! let mut client_frames = FrameEncoder::new(header);
//! client_frames.encode(&hello, &mut wire)?;
//!
//! // Server: the decoder reports the intro header, which is the prologue.
//! let mut server_in = FrameDecoder::server();
//! server_in.push(&wire)?;
//! let hello = server_in.next_frame()?.expect("one frame").to_vec();
//! let header = server_in.intro_header().expect("intro received");
//! let server = ServerHandshake::new(server_static, header, &mut rng).read_client_hello(&hello)?;
//! let (server, server_hello) = server.write_server_hello(&chain)?;
//!
//! // Client: verify the chain against the test root, then finish.
//! let client = client.read_server_hello(&server_hello, &CertVerifier::new(root.public_key()), now)?;
//! let (mut client_transport, finish) = client.write_client_finish(b"ClientPayload bytes")?;
//! let outcome = server.read_client_finish(&finish)?;
//! assert_eq!(outcome.client_payload, b"ClientPayload bytes");
//! let mut server_transport = outcome.transport;
//!
//! // Transport: one frame each way.
//! let mut frame = Vec::new();
//! client_transport.encrypt_frame(b"<iq/>", &mut frame)?;
//! let mut server_frames = FrameDecoder::new();
//! server_frames.push(&frame)?;
//! let payload = server_frames.next_frame()?.expect("one frame");
//! assert_eq!(server_transport.decrypt_in_place(payload)?, b"<iq/>");
//! let mut reply = Vec::new();
//! server_transport.encrypt(b"<ack/>", &mut reply)?;
//! assert_eq!(client_transport.decrypt(&reply)?, b"<ack/>");
//! # Ok(())
//! # }
//! ```
//!
//! The `test-util` feature adds loudly named entry points for replaying recorded handshakes
//! (fixed ephemeral keys, access to `h`/`ck` and the split keys). Never enable it in production.

pub mod cert;
mod cipher_state;
mod error;
pub mod frame;
pub mod handshake;
mod symmetric_state;
pub mod transport;

#[doc(hidden)]
pub mod fuzzing;

pub use cert::{
    CertChainBuilder, CertDetails, CertVerifier, VerifiedCertChain, FAR_FUTURE, WHATSAPP_ROOT_KEY,
};
pub use cipher_state::TAG_LENGTH;
pub use error::{CertError, CertKind, Error, FrameError, HandshakeError, HandshakeField};
pub use frame::{FrameDecoder, FrameEncoder, IntroHeader, MAX_FRAME_LENGTH};
pub use handshake::{
    ClientAwaitingServerHello, ClientFinishPending, ClientHandshake, ServerAwaitingClientFinish,
    ServerHandshake, ServerHandshakeOutcome, ServerHelloPending,
};
pub use symmetric_state::PROTOCOL_NAME;
pub use transport::{Transport, TransportReceiver, TransportSender};
pub use wa_curve25519::{KeyPair, PrivateKey, PublicKey, KEY_LENGTH};
