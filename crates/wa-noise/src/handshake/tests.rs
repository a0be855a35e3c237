#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use prost::Message as _;
use rand_core::OsRng;
use serde_json::Value;
use wa_proto::wa6::HandshakeMessage;

use super::*;
use crate::{
    symmetric_state::{hkdf2, PROTOCOL_NAME},
    CertChainBuilder, CertError, CertVerifier, ClientAwaitingServerHello, ClientHandshake,
    IntroHeader, KeyPair, ServerAwaitingClientFinish, ServerHandshake, Transport,
};

const NOW: u64 = 1_750_000_000;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/baileys-6.17.16/noise_handshake.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn hexv(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// Replays the responder trace step by step on the raw symmetric state: h, ck, k and n after
/// every Noise operation.
#[test]
fn symmetric_state_matches_recorded_trace() {
    let v = fixture();
    let keys = &v["keys"];
    let trace = v["responderTrace"].as_array().unwrap();
    let pair = |name: &str| KeyPair::from_private_bytes(hex32(&keys[name]["private"]));
    let (ce, cs, se, ss) = (
        pair("clientEphemeral"),
        pair("clientStatic"),
        pair("serverEphemeral"),
        pair("serverStatic"),
    );
    assert_eq!(&hex32(&trace[0]["h"]), PROTOCOL_NAME);
    assert_eq!(&hex32(&trace[0]["ck"]), PROTOCOL_NAME);

    let mut sym = SymmetricState::new(&hexv(&v["constants"]["NOISE_WA_HEADER"]));
    let mut k = [0u8; 32];
    let check = |sym: &SymmetricState, k: &[u8; 32], step: usize| {
        let t = &trace[step];
        let label = t["step"].as_str().unwrap();
        assert_eq!(sym.handshake_hash(), &hex32(&t["h"]), "h after {label}");
        assert_eq!(sym.chaining_key(), hex32(&t["ck"]), "ck after {label}");
        assert_eq!(sym.nonce(), t["n"].as_u64().unwrap(), "n after {label}");
        if !t["k"].is_null() {
            assert_eq!(k, &hex32(&t["k"]), "k after {label}");
        }
    };
    let mix = |sym: &mut SymmetricState, k: &mut [u8; 32], dh: &[u8]| {
        *k = *hkdf2(&sym.chaining_key(), dh).1;
        sym.mix_key(dh);
    };
    check(&sym, &k, 1);
    sym.mix_hash(ce.public_key().as_bytes());
    check(&sym, &k, 2);
    sym.mix_hash(se.public_key().as_bytes());
    check(&sym, &k, 3);
    let dh = se.private_key().diffie_hellman(ce.public_key());
    assert_eq!(dh.as_bytes(), &hex32(&trace[4]["dh"]));
    mix(&mut sym, &mut k, dh.as_bytes());
    check(&sym, &k, 4);
    let ct = sym.encrypt_and_hash(ss.public_key().as_bytes()).unwrap();
    assert_eq!(ct, hexv(&trace[5]["ciphertext"]));
    check(&sym, &k, 5);
    let dh = ss.private_key().diffie_hellman(ce.public_key());
    assert_eq!(dh.as_bytes(), &hex32(&trace[6]["dh"]));
    mix(&mut sym, &mut k, dh.as_bytes());
    check(&sym, &k, 6);
    let ct = sym.encrypt_and_hash(&hexv(&v["certChain"]["hex"])).unwrap();
    assert_eq!(ct, hexv(&trace[7]["ciphertext"]));
    check(&sym, &k, 7);
    let finish = &v["messages"]["clientFinish"]["decoded"]["clientFinish"];
    let static_pt = sym
        .decrypt_and_hash(&hexv(&finish["static"]["$bytes"]))
        .unwrap();
    assert_eq!(static_pt, cs.public_key().as_bytes());
    assert_eq!(static_pt, hexv(&trace[8]["clientStatic"]));
    check(&sym, &k, 8);
    let dh = se.private_key().diffie_hellman(cs.public_key());
    assert_eq!(dh.as_bytes(), &hex32(&trace[9]["dh"]));
    mix(&mut sym, &mut k, dh.as_bytes());
    check(&sym, &k, 9);
    let payload = sym
        .decrypt_and_hash(&hexv(&finish["payload"]["$bytes"]))
        .unwrap();
    assert_eq!(payload, hexv(&trace[10]["plaintext"]));
    check(&sym, &k, 10);
    let (c2s, s2c) = sym.split();
    assert_eq!(*c2s, hex32(&trace[11]["clientToServerKey"]));
    assert_eq!(*s2c, hex32(&trace[11]["serverToClientKey"]));
    check(&sym, &k, 11);
}

struct Setup {
    root: KeyPair,
    chain: Vec<u8>,
    client_static: KeyPair,
    server_static: KeyPair,
}

fn setup() -> Setup {
    let root = KeyPair::generate(&mut OsRng);
    let server_static = KeyPair::generate(&mut OsRng);
    let chain = CertChainBuilder::new(root.private_key().clone(), KeyPair::generate(&mut OsRng))
        .validity(NOW - 10, NOW + 10)
        .build(server_static.public_key(), &mut OsRng);
    Setup {
        root,
        chain,
        client_static: KeyPair::generate(&mut OsRng),
        server_static,
    }
}

impl Setup {
    fn verifier(&self) -> CertVerifier {
        CertVerifier::new(*self.root.public_key())
    }

    /// Client hello and server hello; returns the client awaiting it, the server awaiting the
    /// finish, and the server hello bytes.
    fn start(
        &self,
    ) -> (
        ClientAwaitingServerHello,
        ServerAwaitingClientFinish,
        Vec<u8>,
    ) {
        let (client, hello) =
            ClientHandshake::new(self.client_static.clone(), IntroHeader::V3, &mut OsRng)
                .write_client_hello();
        let (server, server_hello) =
            ServerHandshake::new(self.server_static.clone(), IntroHeader::V3, &mut OsRng)
                .read_client_hello(&hello)
                .unwrap()
                .write_server_hello(&self.chain)
                .unwrap();
        (client, server, server_hello)
    }
}

fn exchange(a: &mut Transport, b: &mut Transport, rounds: usize) {
    for i in 0..rounds {
        let plaintext = vec![u8::try_from(i % 256).unwrap(); i * 7];
        let mut frame = Vec::new();
        a.encrypt(&plaintext, &mut frame).unwrap();
        assert_eq!(frame.len(), plaintext.len() + crate::TAG_LENGTH);
        assert_eq!(b.decrypt(&frame).unwrap(), plaintext);
        let mut reply = Vec::new();
        b.encrypt_frame(&plaintext, &mut reply).unwrap();
        let mut body = reply[3..].to_vec();
        assert_eq!(a.decrypt_in_place(&mut body).unwrap(), plaintext.as_slice());
    }
}

#[test]
fn both_roles_complete_and_talk() {
    let s = setup();
    let (client, server, server_hello) = s.start();
    let client = client
        .read_server_hello(&server_hello, &s.verifier(), NOW)
        .unwrap();
    assert_eq!(client.server_static(), s.server_static.public_key());
    assert_eq!(&client.certificate().leaf.key, s.server_static.public_key());
    let (mut client_transport, finish) = client.write_client_finish(b"payload").unwrap();
    let outcome = server.read_client_finish(&finish).unwrap();
    assert_eq!(&outcome.client_static, s.client_static.public_key());
    assert_eq!(outcome.client_payload, b"payload");
    let mut server_transport = outcome.transport;
    assert_eq!(
        client_transport.handshake_hash(),
        server_transport.handshake_hash()
    );
    let (c_send, c_recv) = client_transport.split_keys_for_testing();
    let (s_send, s_recv) = server_transport.split_keys_for_testing();
    assert_eq!((c_send, c_recv), (s_recv, s_send));
    assert_ne!(c_send, c_recv);
    exchange(&mut client_transport, &mut server_transport, 20);
    exchange(&mut server_transport, &mut client_transport, 5);
    assert_eq!(client_transport.send_counter(), 25);
    assert_eq!(server_transport.recv_counter(), 25);
    assert_eq!(server_transport.send_counter(), 25);

    // Replayed or reordered frames fail.
    let mut frame = Vec::new();
    client_transport.encrypt(b"one", &mut frame).unwrap();
    let mut frame2 = Vec::new();
    client_transport.encrypt(b"two", &mut frame2).unwrap();
    assert_eq!(server_transport.decrypt(&frame2), Err(Error::Decrypt));
    assert_eq!(server_transport.decrypt(&frame).unwrap(), b"one");
    assert_eq!(server_transport.decrypt(&frame), Err(Error::Decrypt));
    assert_eq!(server_transport.decrypt(&frame2).unwrap(), b"two");
}

fn flip(message: &[u8], at: usize) -> Vec<u8> {
    let mut m = message.to_vec();
    m[at] ^= 0x01;
    m
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

fn handshake_err(result: Result<impl Sized, Error>) -> HandshakeError {
    match result {
        Err(Error::Handshake(e)) => e,
        Err(other) => panic!("expected a handshake error, got {other:?}"),
        Ok(_) => panic!("expected a handshake error, got success"),
    }
}

#[test]
fn tampered_server_hello_fails_typed() {
    let s = setup();
    // (which part, offset inside it, expected failure)
    let cases = [
        // A different ephemeral changes ee, so the static key no longer decrypts.
        (0, 5, HandshakeField::ServerHelloStatic),
        (1, 3, HandshakeField::ServerHelloStatic),
        (1, 40, HandshakeField::ServerHelloStatic),
        (2, 0, HandshakeField::ServerHelloPayload),
        (2, usize::MAX, HandshakeField::ServerHelloPayload),
    ];
    for (part, offset, field) in cases {
        let (client, _, server_hello) = s.start();
        let decoded = HandshakeMessage::decode(server_hello.as_slice())
            .unwrap()
            .server_hello
            .unwrap();
        let bytes = [decoded.ephemeral, decoded.r#static, decoded.payload][part]
            .clone()
            .unwrap();
        let at = find(&server_hello, &bytes) + offset.min(bytes.len() - 1);
        let err =
            handshake_err(client.read_server_hello(&flip(&server_hello, at), &s.verifier(), NOW));
        assert_eq!(
            err,
            HandshakeError::DecryptFailed(field),
            "part {part} at {at}"
        );
    }
    // Each handshake uses fresh ephemerals: a server hello from another run fails too.
    let (_, _, server_hello) = s.start();
    let (client, _, _) = s.start();
    assert_eq!(
        handshake_err(client.read_server_hello(&server_hello, &s.verifier(), NOW)),
        HandshakeError::DecryptFailed(HandshakeField::ServerHelloStatic)
    );
}

#[test]
fn malformed_server_hello_fails_typed() {
    let s = setup();
    let (_, _, server_hello) = s.start();
    let good = HandshakeMessage::decode(server_hello.as_slice()).unwrap();
    let with = |edit: &dyn Fn(&mut wa_proto::wa6::handshake_message::ServerHello)| {
        let mut m = good.clone();
        edit(m.server_hello.as_mut().unwrap());
        m.encode_to_vec()
    };
    let cases: Vec<(Vec<u8>, HandshakeError)> = vec![
        (
            vec![0xff, 0xff],
            HandshakeError::Decode(HandshakeMessage::decode(&[0xffu8, 0xff][..]).unwrap_err()),
        ),
        (
            HandshakeMessage::default().encode_to_vec(),
            HandshakeError::MissingField(HandshakeField::ServerHello),
        ),
        (
            with(&|h| h.ephemeral = None),
            HandshakeError::MissingField(HandshakeField::ServerHelloEphemeral),
        ),
        (
            with(&|h| h.r#static = None),
            HandshakeError::MissingField(HandshakeField::ServerHelloStatic),
        ),
        (
            with(&|h| h.payload = None),
            HandshakeError::MissingField(HandshakeField::ServerHelloPayload),
        ),
        (
            with(&|h| h.ephemeral = Some(vec![9; 31])),
            HandshakeError::InvalidLength {
                field: HandshakeField::ServerHelloEphemeral,
                len: 31,
                expected: 32,
            },
        ),
        (
            // A low-order point (u = 0) as the server ephemeral.
            with(&|h| h.ephemeral = Some(vec![0; 32])),
            HandshakeError::NonContributoryDh,
        ),
        (
            with(&|h| h.r#static = Some(vec![1; 10])),
            HandshakeError::DecryptFailed(HandshakeField::ServerHelloStatic),
        ),
    ];
    for (message, expected) in cases {
        let (client, _, _) = s.start();
        assert_eq!(
            handshake_err(client.read_server_hello(&message, &s.verifier(), NOW)),
            expected
        );
    }
}

#[test]
fn server_hello_with_bad_chain_fails_with_cert_error() {
    let s = setup();
    let (client, _, server_hello) = s.start();
    let other_root = CertVerifier::new(*KeyPair::generate(&mut OsRng).public_key());
    assert!(matches!(
        client.read_server_hello(&server_hello, &other_root, NOW),
        Err(Error::Cert(CertError::IntermediateSignature))
    ));
    let (client, _, server_hello) = s.start();
    assert!(matches!(
        client.read_server_hello(&server_hello, &s.verifier(), NOW + 11),
        Err(Error::Cert(CertError::Expired { .. }))
    ));
    // WhatsApp's real root rejects a test chain.
    let (client, _, server_hello) = s.start();
    assert!(matches!(
        client.read_server_hello(&server_hello, &CertVerifier::default(), NOW),
        Err(Error::Cert(CertError::IntermediateSignature))
    ));
}

#[test]
fn chain_for_another_server_key_is_rejected() {
    let s = setup();
    let impostor = Setup {
        server_static: KeyPair::generate(&mut OsRng),
        ..setup()
    };
    // Impostor server presents the real server's (root-signed) chain with its own key.
    let impostor = Setup {
        chain: s.chain.clone(),
        root: s.root.clone(),
        ..impostor
    };
    let (client, _, server_hello) = impostor.start();
    assert!(matches!(
        client.read_server_hello(&server_hello, &s.verifier(), NOW),
        Err(Error::Cert(CertError::LeafKeyMismatch))
    ));
}

#[test]
fn tampered_client_finish_fails_typed() {
    let s = setup();
    let run = |edit: &dyn Fn(Vec<u8>) -> Vec<u8>| {
        let (client, server, server_hello) = s.start();
        let client = client
            .read_server_hello(&server_hello, &s.verifier(), NOW)
            .unwrap();
        let (_, finish) = client.write_client_finish(b"hello payload").unwrap();
        server.read_client_finish(&edit(finish))
    };
    assert!(run(&|m| m).is_ok());
    let decoded = |m: &[u8]| HandshakeMessage::decode(m).unwrap().client_finish.unwrap();
    assert_eq!(
        handshake_err(run(&|m| {
            let at = find(&m, decoded(&m).r#static.as_ref().unwrap());
            flip(&m, at + 1)
        })),
        HandshakeError::DecryptFailed(HandshakeField::ClientFinishStatic)
    );
    assert_eq!(
        handshake_err(run(&|m| {
            let at = m.len() - 2;
            flip(&m, at)
        })),
        HandshakeError::DecryptFailed(HandshakeField::ClientFinishPayload)
    );
    assert_eq!(
        handshake_err(run(&|_| HandshakeMessage::default().encode_to_vec())),
        HandshakeError::MissingField(HandshakeField::ClientFinish)
    );
    assert_eq!(
        handshake_err(run(&|m| {
            let mut d = HandshakeMessage::decode(m.as_slice()).unwrap();
            d.client_finish.as_mut().unwrap().payload = None;
            d.encode_to_vec()
        })),
        HandshakeError::MissingField(HandshakeField::ClientFinishPayload)
    );
    assert_eq!(
        handshake_err(run(&|m| {
            let mut d = HandshakeMessage::decode(m.as_slice()).unwrap();
            d.client_finish.as_mut().unwrap().r#static = None;
            d.encode_to_vec()
        })),
        HandshakeError::MissingField(HandshakeField::ClientFinishStatic)
    );
    assert!(matches!(
        handshake_err(run(&|_| vec![0x22, 0x05])),
        HandshakeError::Decode(_)
    ));
}

#[test]
fn malformed_client_hello_fails_typed() {
    let server =
        || ServerHandshake::new(KeyPair::generate(&mut OsRng), IntroHeader::V3, &mut OsRng);
    assert_eq!(
        handshake_err(server().read_client_hello(&HandshakeMessage::default().encode_to_vec())),
        HandshakeError::MissingField(HandshakeField::ClientHello)
    );
    assert_eq!(
        handshake_err(server().read_client_hello(&[0x12, 0x00])),
        HandshakeError::MissingField(HandshakeField::ClientHelloEphemeral)
    );
    assert_eq!(
        handshake_err(server().read_client_hello(&[0x12, 0x03, 0x0a, 0x01, 0x07])),
        HandshakeError::InvalidLength {
            field: HandshakeField::ClientHelloEphemeral,
            len: 1,
            expected: 32
        }
    );
    // A low-order client ephemeral is caught when the server computes ee.
    let mut hello = vec![0x12, 0x22, 0x0a, 0x20];
    hello.extend([0u8; 32]);
    let pending = server().read_client_hello(&hello).unwrap();
    assert_eq!(
        handshake_err(pending.write_server_hello(b"chain")),
        HandshakeError::NonContributoryDh
    );
}

#[test]
fn prologue_mismatch_fails() {
    let s = setup();
    let (client, hello) =
        ClientHandshake::new(s.client_static.clone(), IntroHeader::V2, &mut OsRng)
            .write_client_hello();
    let (_, server_hello) =
        ServerHandshake::new(s.server_static.clone(), IntroHeader::V3, &mut OsRng)
            .read_client_hello(&hello)
            .unwrap()
            .write_server_hello(&s.chain)
            .unwrap();
    assert_eq!(
        handshake_err(client.read_server_hello(&server_hello, &s.verifier(), NOW)),
        HandshakeError::DecryptFailed(HandshakeField::ServerHelloStatic)
    );
}

#[test]
fn debug_output_redacts_secrets() {
    let s = setup();
    let (client, server, _) = s.start();
    for text in [format!("{client:?}"), format!("{server:?}")] {
        assert!(text.contains("[redacted]"), "{text}");
        assert!(!text.contains("ck: ["), "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_arbitrary_handshake_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400), static_len in 0usize..40) {
        let _ = crate::fuzzing::client_read_server_hello(&data, NOW);
        let _ = crate::fuzzing::server_read_client_hello(&data);
        let _ = crate::fuzzing::server_read_client_finish(&data);
        let key: Vec<u8> = data.iter().copied().cycle().take(static_len).collect();
        let _ = crate::fuzzing::client_read_crafted_server_hello(&key, &data, NOW);
        let _ = crate::fuzzing::server_read_crafted_client_finish(&key, &data);
    }
}
