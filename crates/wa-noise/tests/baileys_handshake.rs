//! Replays the real Baileys 6.17.16 handshake (fixtures/baileys-6.17.16/noise_handshake.json)
//! through both roles with the recorded keys, byte for byte, then every transport frame.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use prost::Message as _;
use serde_json::Value;
use wa_noise::{
    frame::write_frame, CertError, CertKind, CertVerifier, ClientHandshake, Error, FrameDecoder,
    FrameEncoder, IntroHeader, KeyPair, PublicKey, ServerHandshake, Transport,
};
use wa_proto::wa6::ClientPayload;

const NOW: u64 = 1_750_000_000;

struct Fixture(Value);

impl Fixture {
    fn load() -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/baileys-6.17.16/noise_handshake.json"
        );
        Self(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
    }

    fn bytes(&self, pointer: &str) -> Vec<u8> {
        let value = self
            .0
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{pointer}"));
        hex::decode(value.as_str().unwrap()).unwrap()
    }

    fn key32(&self, pointer: &str) -> [u8; 32] {
        self.bytes(pointer).try_into().unwrap()
    }

    fn pair(&self, name: &str) -> KeyPair {
        let pair = KeyPair::from_private_bytes(self.key32(&format!("/keys/{name}/private")));
        assert_eq!(
            pair.public_key().as_bytes(),
            &self.key32(&format!("/keys/{name}/public")),
            "{name}"
        );
        pair
    }

    fn trace(&self, step: usize) -> ([u8; 32], [u8; 32], u64) {
        (
            self.key32(&format!("/responderTrace/{step}/h")),
            self.key32(&format!("/responderTrace/{step}/ck")),
            self.0["responderTrace"][step]["n"].as_u64().unwrap(),
        )
    }

    fn wire(&self) -> Vec<(String, Vec<u8>)> {
        self.0["wire"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["dir"].as_str().unwrap().to_owned(),
                    hex::decode(m["hex"].as_str().unwrap()).unwrap(),
                )
            })
            .collect()
    }

    fn header(&self) -> IntroHeader {
        let bytes = self.bytes("/constants/NOISE_WA_HEADER");
        assert_eq!(&bytes[..3], &IntroHeader::MAGIC);
        IntroHeader::new(bytes[3])
    }

    fn verifier(&self) -> CertVerifier {
        CertVerifier::new(PublicKey::from_bytes(
            self.key32("/keys/testCertRoot/public"),
        ))
    }
}

macro_rules! assert_state {
    ($phase:expr, $trace:expr) => {{
        let (h, ck, n) = $trace;
        assert_eq!($phase.handshake_hash_for_testing(), h, "h");
        assert_eq!($phase.chaining_key_for_testing(), ck, "ck");
        assert_eq!($phase.handshake_nonce_for_testing(), n, "n");
    }};
}

/// Both roles replayed; returns (client transport, server transport) after the handshake.
fn replay_handshake(f: &Fixture) -> (Transport, Transport) {
    let header = f.header();
    assert_eq!(
        header,
        IntroHeader::V2,
        "Baileys 6 sends dictionary version 2"
    );
    let wire = f.wire();

    // --- initiator ---
    let client = ClientHandshake::with_fixed_ephemeral_for_testing(
        f.pair("clientStatic"),
        header,
        f.pair("clientEphemeral"),
    );
    assert_state!(client, f.trace(1));
    let (client, hello) = client.write_client_hello();
    assert_state!(client, f.trace(2));
    assert_eq!(hello, f.bytes("/messages/clientHello/handshakeMessageHex"));
    let mut client_out = FrameEncoder::new(header);
    let mut ws = Vec::new();
    client_out.encode(&hello, &mut ws).unwrap();
    assert_eq!(ws, f.bytes("/messages/clientHello/wsMessageHex"));
    assert_eq!(ws, wire[0].1);

    let mut client_in = FrameDecoder::new();
    client_in.push(&wire[1].1).unwrap();
    let server_hello = client_in.next_frame().unwrap().unwrap().to_vec();
    assert_eq!(
        server_hello,
        f.bytes("/messages/serverHello/handshakeMessageHex")
    );
    let client = client
        .read_server_hello(&server_hello, &f.verifier(), NOW)
        .unwrap();
    assert_state!(client, f.trace(7));
    assert_eq!(
        client.server_static().as_bytes(),
        &f.key32("/keys/serverStatic/public")
    );
    let cert = client.certificate();
    assert_eq!(
        (cert.intermediate.serial, cert.intermediate.issuer_serial),
        (1, 0)
    );
    assert_eq!((cert.leaf.serial, cert.leaf.issuer_serial), (2, 1));
    assert_eq!(
        cert.intermediate.key.as_bytes(),
        &f.key32("/keys/testCertIntermediate/public")
    );

    let payload = f.bytes("/messages/clientFinish/decryptedClientPayloadHex");
    let (client_transport, finish) = client.write_client_finish(&payload).unwrap();
    assert_eq!(
        finish,
        f.bytes("/messages/clientFinish/handshakeMessageHex")
    );
    let mut ws = Vec::new();
    client_out.encode(&finish, &mut ws).unwrap();
    assert_eq!(ws, f.bytes("/messages/clientFinish/wsMessageHex"));
    assert_eq!(ws, wire[2].1);
    let c2s = f.key32("/transportKeys/clientToServer");
    let s2c = f.key32("/transportKeys/serverToClient");
    assert_eq!(client_transport.split_keys_for_testing(), (c2s, s2c));

    // --- responder ---
    let mut server_in = FrameDecoder::server();
    server_in.push(&wire[0].1).unwrap();
    let hello = server_in.next_frame().unwrap().unwrap().to_vec();
    assert_eq!(server_in.intro_header(), Some(header));
    assert_eq!(server_in.routing_info(), None);
    let server = ServerHandshake::with_fixed_ephemeral_for_testing(
        f.pair("serverStatic"),
        server_in.intro_header().unwrap(),
        f.pair("serverEphemeral"),
    );
    assert_state!(server, f.trace(1));
    let server = server.read_client_hello(&hello).unwrap();
    assert_state!(server, f.trace(2));
    assert_eq!(
        server.client_ephemeral().as_bytes(),
        &f.key32("/keys/clientEphemeral/public")
    );
    let (server, server_hello) = server
        .write_server_hello(&f.bytes("/certChain/hex"))
        .unwrap();
    assert_state!(server, f.trace(7));
    assert_eq!(
        server_hello,
        f.bytes("/messages/serverHello/handshakeMessageHex")
    );
    let mut ws = Vec::new();
    write_frame(&server_hello, &mut ws).unwrap();
    assert_eq!(ws, f.bytes("/messages/serverHello/wsMessageHex"));
    assert_eq!(ws, wire[1].1);

    server_in.push(&wire[2].1).unwrap();
    let finish = server_in.next_frame().unwrap().unwrap().to_vec();
    let outcome = server.read_client_finish(&finish).unwrap();
    assert_eq!(
        outcome.client_static.as_bytes(),
        &f.key32("/messages/clientFinish/decryptedClientStaticHex")
    );
    assert_eq!(outcome.client_payload, payload);
    let decoded = ClientPayload::decode(outcome.client_payload.as_slice()).unwrap();
    assert_eq!(decoded.username, Some(15_550_001_111));
    assert_eq!(outcome.transport.split_keys_for_testing(), (s2c, c2s));
    assert_eq!(
        outcome.transport.handshake_hash(),
        client_transport.handshake_hash()
    );
    assert_eq!(
        outcome.transport.handshake_hash(),
        &f.trace(11).0,
        "final h"
    );
    (client_transport, outcome.transport)
}

#[test]
fn replay_both_roles_byte_exact() {
    let f = Fixture::load();
    let (_client, _server) = replay_handshake(&f);
}

/// Every transport frame of the session: decrypted by the receiving role, re-encrypted by the
/// sending role to the same bytes, and the first ones checked against `firstTransportFrames`.
#[test]
fn replay_every_transport_frame() {
    let f = Fixture::load();
    let (mut client, mut server) = replay_handshake(&f);
    let mut client_in = FrameDecoder::new();
    let mut server_in = FrameDecoder::server();
    // The server decoder has already seen the intro in the handshake; feed it again here.
    server_in.push(&f.wire()[0].1).unwrap();
    server_in.next_frame().unwrap().unwrap();
    server_in.push(&f.wire()[2].1).unwrap();
    server_in.next_frame().unwrap().unwrap();

    let mut decrypted: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::new();
    let transport_msgs: Vec<_> = f.0["wire"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["phase"] == "transport")
        .collect();
    assert_eq!(transport_msgs.len(), 35);
    for message in transport_msgs {
        let dir = message["dir"].as_str().unwrap();
        let bytes = hex::decode(message["hex"].as_str().unwrap()).unwrap();
        let (receiver, sender, decoder) = match dir {
            "client->server" => (&mut server, &mut client, &mut server_in),
            "server->client" => (&mut client, &mut server, &mut client_in),
            other => panic!("direction {other}"),
        };
        decoder.push(&bytes).unwrap();
        let mut frames = 0;
        while let Some(frame) = decoder.next_frame().unwrap() {
            frames += 1;
            let ciphertext = frame.to_vec();
            let plaintext = receiver.decrypt_in_place(frame).unwrap().to_vec();
            let mut again = Vec::new();
            sender.encrypt_frame(&plaintext, &mut again).unwrap();
            assert_eq!(again, bytes, "re-encryption of a {dir} frame");
            decrypted.push((dir.to_owned(), plaintext, ciphertext));
        }
        assert_eq!(frames, 1);
    }
    assert_eq!(client.send_counter(), server.recv_counter());
    assert_eq!(server.send_counter(), client.recv_counter());

    for expected in f.0["firstTransportFrames"].as_array().unwrap() {
        let dir = expected["dir"].as_str().unwrap();
        let counter = usize::try_from(expected["counter"].as_u64().unwrap()).unwrap();
        let (_, plaintext, ciphertext) = decrypted
            .iter()
            .filter(|(d, _, _)| d == dir)
            .nth(counter)
            .unwrap();
        assert_eq!(
            plaintext,
            &hex::decode(expected["plaintextHex"].as_str().unwrap()).unwrap()
        );
        assert_eq!(
            ciphertext,
            &hex::decode(expected["ciphertextHex"].as_str().unwrap()).unwrap()
        );
        // Every plaintext is a binary node with the uncompressed flag byte.
        assert_eq!(plaintext[0], 0);
    }
}

/// The same frames through a transport made from the recorded split keys alone.
#[test]
fn transport_from_recorded_keys() {
    let f = Fixture::load();
    let c2s = f.key32("/transportKeys/clientToServer");
    let s2c = f.key32("/transportKeys/serverToClient");
    let mut server = Transport::from_split_keys_for_testing(&s2c, &c2s);
    let first = &f.0["firstTransportFrames"][0];
    assert_eq!(first["dir"], "client->server");
    let ciphertext = hex::decode(first["ciphertextHex"].as_str().unwrap()).unwrap();
    assert_eq!(
        server.decrypt(&ciphertext).unwrap(),
        hex::decode(first["plaintextHex"].as_str().unwrap()).unwrap()
    );
    // Wrong direction key fails with the typed error and does not advance.
    let mut wrong = Transport::from_split_keys_for_testing(&c2s, &s2c);
    assert_eq!(wrong.decrypt(&ciphertext), Err(Error::Decrypt));
    assert_eq!(wrong.recv_counter(), 0);
}

#[test]
fn recorded_cert_chain_verifies_with_test_root() {
    let f = Fixture::load();
    let chain = f.bytes("/certChain/hex");
    let server_static = PublicKey::from_bytes(f.key32("/keys/serverStatic/public"));
    let verified = f.verifier().verify(&chain, &server_static, NOW).unwrap();
    for cert in [verified.intermediate, verified.leaf] {
        assert_eq!(
            (cert.not_before, cert.not_after),
            (1_700_000_000, 1_900_000_000)
        );
    }
    // Validity is inclusive at both ends.
    f.verifier()
        .verify(&chain, &server_static, 1_700_000_000)
        .unwrap();
    f.verifier()
        .verify(&chain, &server_static, 1_900_000_000)
        .unwrap();
    assert!(matches!(
        f.verifier().verify(&chain, &server_static, 1_699_999_999),
        Err(CertError::NotYetValid {
            cert: CertKind::Intermediate,
            ..
        })
    ));
    assert!(matches!(
        f.verifier().verify(&chain, &server_static, 1_900_000_001),
        Err(CertError::Expired {
            cert: CertKind::Intermediate,
            ..
        })
    ));
    // WhatsApp's root does not sign the test chain; Baileys 6 would accept it anyway.
    assert_eq!(
        CertVerifier::whatsapp().verify(&chain, &server_static, NOW),
        Err(CertError::IntermediateSignature)
    );
    let other = PublicKey::from_bytes(f.key32("/keys/clientStatic/public"));
    assert_eq!(
        f.verifier().verify(&chain, &other, NOW),
        Err(CertError::LeafKeyMismatch)
    );
}

#[test]
fn routing_info_intro_variant() {
    let f = Fixture::load();
    let routing = f.bytes("/routingInfoIntroVariant/routingInfoHex");
    let hello = f.bytes("/messages/clientHello/handshakeMessageHex");
    let mut encoder = FrameEncoder::with_routing_info(f.header(), &routing).unwrap();
    let mut ws = Vec::new();
    encoder.encode(&hello, &mut ws).unwrap();
    let expected = f.bytes("/routingInfoIntroVariant/firstWsMessageHex");
    assert_eq!(ws, expected);

    // The server side reports the routing info and the header, then the hello.
    for split in 0..=expected.len() {
        let mut decoder = FrameDecoder::server();
        decoder.push(&expected[..split]).unwrap();
        decoder.push(&expected[split..]).unwrap();
        assert_eq!(decoder.routing_info(), Some(routing.as_slice()));
        assert_eq!(decoder.intro_header(), Some(IntroHeader::V2));
        assert_eq!(decoder.next_frame().unwrap().unwrap(), hello.as_slice());
    }
}
