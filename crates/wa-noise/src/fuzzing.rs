//! Entry points for the cargo-fuzz targets: not a stable API, hidden from the docs.
//!
//! Each function sets up a deterministic handshake state with fixed keys and feeds it the
//! fuzzer's bytes. The `crafted_*` variants encrypt fuzzer-chosen plaintexts correctly, so the
//! fuzzer gets past AES-GCM and reaches the key checks, the certificate parser and verifier.

use prost::Message as _;
use wa_proto::wa6::{
    handshake_message::{ClientFinish, ServerHello},
    HandshakeMessage,
};

use crate::{
    handshake::mix_dh, symmetric_state::SymmetricState, CertVerifier, ClientHandshake, Error,
    FrameDecoder, FrameError, IntroHeader, KeyPair, PublicKey, ServerHandshake,
};

const HEADER: IntroHeader = IntroHeader::V3;
const CLIENT_STATIC: [u8; 32] = [0x11; 32];
const CLIENT_EPHEMERAL: [u8; 32] = [0x22; 32];
const SERVER_STATIC: [u8; 32] = [0x33; 32];
const SERVER_EPHEMERAL: [u8; 32] = [0x44; 32];
const ROOT: [u8; 32] = [0x55; 32];

fn pair(bytes: [u8; 32]) -> KeyPair {
    KeyPair::from_private_bytes(bytes)
}

fn verifier() -> CertVerifier {
    CertVerifier::new(pair(ROOT).public_key().to_owned())
}

/// Pushes `chunks` into a decoder (the server's when `server`), draining frames after each, and
/// checks the decoder's invariants. Returns the number of frames.
pub fn frame_decoder<C: AsRef<[u8]>>(
    server: bool,
    max_frame_length: usize,
    chunks: &[C],
) -> Result<usize, FrameError> {
    let mut decoder = if server {
        FrameDecoder::server()
    } else {
        FrameDecoder::new()
    }
    .with_max_frame_length(max_frame_length);
    let max = decoder.max_frame_length();
    let mut pushed = 0usize;
    let mut frames = 0usize;
    for chunk in chunks {
        let chunk = chunk.as_ref();
        pushed += chunk.len();
        decoder.push(chunk)?;
        while let Some(frame) = decoder.next_frame()? {
            assert!(frame.len() <= max, "frame above the limit");
            frames += 1;
        }
        assert!(decoder.buffered_len() <= pushed, "buffer grew beyond input");
    }
    Ok(frames)
}

/// A client that sent its hello reads `message` as the server hello.
pub fn client_read_server_hello(message: &[u8], now: u64) -> Result<(), Error> {
    let (client, _) =
        ClientHandshake::with_ephemeral(pair(CLIENT_STATIC), HEADER, pair(CLIENT_EPHEMERAL))
            .write_client_hello();
    client
        .read_server_hello(message, &verifier(), now)
        .map(drop)
}

/// A client reads a server hello that correctly encrypts `server_static` and `cert_chain`
/// (arbitrary bytes), verified against a fixed test root at `now`.
pub fn client_read_crafted_server_hello(
    server_static: &[u8],
    cert_chain: &[u8],
    now: u64,
) -> Result<(), Error> {
    let client_ephemeral = pair(CLIENT_EPHEMERAL);
    let server_ephemeral = pair(SERVER_EPHEMERAL);
    let (client, _) =
        ClientHandshake::with_ephemeral(pair(CLIENT_STATIC), HEADER, client_ephemeral.clone())
            .write_client_hello();

    // The responder's side, with a free choice of plaintexts.
    let mut symmetric = SymmetricState::new(&HEADER.to_bytes());
    symmetric.mix_hash(client_ephemeral.public_key().as_bytes());
    symmetric.mix_hash(server_ephemeral.public_key().as_bytes());
    mix_dh(
        &mut symmetric,
        server_ephemeral.private_key(),
        client_ephemeral.public_key(),
    )?;
    let static_ciphertext = symmetric.encrypt_and_hash(server_static)?;
    // es from the client's side (same value): works for any 32-byte "server key".
    if let Some(key) = PublicKey::from_slice(server_static) {
        // A low-order key makes the client fail first; the payload then does not matter.
        let _ = mix_dh(&mut symmetric, client_ephemeral.private_key(), &key);
    }
    let payload_ciphertext = symmetric.encrypt_and_hash(cert_chain)?;
    let message = HandshakeMessage {
        server_hello: Some(ServerHello {
            ephemeral: Some(server_ephemeral.public_key().as_bytes().to_vec()),
            r#static: Some(static_ciphertext),
            payload: Some(payload_ciphertext),
        }),
        ..HandshakeMessage::default()
    };
    client
        .read_server_hello(&message.encode_to_vec(), &verifier(), now)
        .map(drop)
}

/// A fresh server reads `message` as the client hello, then writes its hello.
pub fn server_read_client_hello(message: &[u8]) -> Result<(), Error> {
    let server =
        ServerHandshake::with_ephemeral(pair(SERVER_STATIC), HEADER, pair(SERVER_EPHEMERAL));
    server
        .read_client_hello(message)?
        .write_server_hello(b"chain")
        .map(drop)
}

/// A server that completed the first two messages with a real client reads `message` as the
/// client finish.
pub fn server_read_client_finish(message: &[u8]) -> Result<(), Error> {
    let (_, server) = first_two_messages()?;
    server.read_client_finish(message).map(drop)
}

/// A server reads a client finish that correctly encrypts `client_static` and `client_payload`
/// (arbitrary bytes).
pub fn server_read_crafted_client_finish(
    client_static: &[u8],
    client_payload: &[u8],
) -> Result<(), Error> {
    let (mut symmetric, server) = first_two_messages()?;
    let static_ciphertext = symmetric.encrypt_and_hash(client_static)?;
    if let Some(key) = PublicKey::from_slice(client_static) {
        // se from the server's side (same value as the client's DH(s, re)).
        let _ = mix_dh(&mut symmetric, pair(SERVER_EPHEMERAL).private_key(), &key);
    }
    let payload_ciphertext = symmetric.encrypt_and_hash(client_payload)?;
    let message = HandshakeMessage {
        client_finish: Some(ClientFinish {
            r#static: Some(static_ciphertext),
            payload: Some(payload_ciphertext),
        }),
        ..HandshakeMessage::default()
    };
    server
        .read_client_finish(&message.encode_to_vec())
        .map(drop)
}

/// Runs hello and server hello between a real server and a mirrored client, returning the
/// client's symmetric state (to craft a finish) and the server awaiting it.
fn first_two_messages() -> Result<(SymmetricState, crate::ServerAwaitingClientFinish), Error> {
    let client_ephemeral = pair(CLIENT_EPHEMERAL);
    let server_static = pair(SERVER_STATIC);
    let (_, hello) =
        ClientHandshake::with_ephemeral(pair(CLIENT_STATIC), HEADER, client_ephemeral.clone())
            .write_client_hello();
    let (server, server_hello) =
        ServerHandshake::with_ephemeral(server_static.clone(), HEADER, pair(SERVER_EPHEMERAL))
            .read_client_hello(&hello)?
            .write_server_hello(b"chain")?;
    let hello = HandshakeMessage::decode(server_hello.as_slice())
        .ok()
        .and_then(|m| m.server_hello)
        .unwrap_or_default();

    let mut symmetric = SymmetricState::new(&HEADER.to_bytes());
    symmetric.mix_hash(client_ephemeral.public_key().as_bytes());
    symmetric.mix_hash(pair(SERVER_EPHEMERAL).public_key().as_bytes());
    mix_dh(
        &mut symmetric,
        client_ephemeral.private_key(),
        pair(SERVER_EPHEMERAL).public_key(),
    )?;
    symmetric.decrypt_and_hash(hello.r#static.as_deref().unwrap_or_default())?;
    mix_dh(
        &mut symmetric,
        client_ephemeral.private_key(),
        server_static.public_key(),
    )?;
    symmetric.decrypt_and_hash(hello.payload.as_deref().unwrap_or_default())?;
    Ok((symmetric, server))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{CertChainBuilder, CertError, HandshakeError, HandshakeField};

    #[test]
    fn entry_points_reach_deep_checks() {
        assert_eq!(
            frame_decoder(true, 100, &[b"WA\x06\x03\x00\x00\x01x"]),
            Ok(1)
        );
        assert!(matches!(
            client_read_server_hello(b"\x1a\x00", 0),
            Err(Error::Handshake(HandshakeError::MissingField(
                HandshakeField::ServerHelloEphemeral
            )))
        ));
        // The crafted hello gets through AES-GCM to the certificate parser.
        let server_key = pair(SERVER_STATIC).public_key().to_owned();
        assert!(matches!(
            client_read_crafted_server_hello(server_key.as_bytes(), b"\xff", 0),
            Err(Error::Cert(CertError::Decode(_)))
        ));
        // ... and all the way through with a valid chain.
        let chain = CertChainBuilder::new(pair(ROOT).private_key().clone(), pair([0x66; 32]))
            .build(&server_key, &mut rand_core::OsRng);
        client_read_crafted_server_hello(server_key.as_bytes(), &chain, 5).unwrap();
        assert!(matches!(
            client_read_crafted_server_hello(&[1, 2, 3], &chain, 5),
            Err(Error::Handshake(HandshakeError::InvalidLength {
                len: 3,
                ..
            }))
        ));
        server_read_client_hello(&HandshakeMessage::default().encode_to_vec()).unwrap_err();
        assert!(matches!(
            server_read_client_finish(b"\x22\x04\x0a\x00\x12\x00"),
            Err(Error::Handshake(HandshakeError::DecryptFailed(
                HandshakeField::ClientFinishStatic
            )))
        ));
        server_read_crafted_client_finish(pair(CLIENT_STATIC).public_key().as_bytes(), b"payload")
            .unwrap();
        assert!(matches!(
            server_read_crafted_client_finish(&[0u8; 32], b""),
            Err(Error::Handshake(HandshakeError::NonContributoryDh))
        ));
    }
}
