//! Noise transport send/receive path and XEdDSA.
//!
//! `aes_gcm_raw/encrypt_200B` is the baseline measured in the same run: bare AES-256-GCM over
//! a preallocated buffer. `noise_transport/*` adds what the engine does per frame (nonce,
//! length prefix, appending to the caller's buffer); report them as ratios to the baseline.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use aes_gcm::{
    aead::{AeadInPlace, KeyInit},
    Aes256Gcm, Nonce,
};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand_core::OsRng;
use wa_noise::{
    CertChainBuilder, CertVerifier, ClientHandshake, IntroHeader, KeyPair, ServerHandshake,
    Transport,
};

const PAYLOAD_LEN: usize = 200;

/// A real handshake with random keys: (client transport, server transport).
fn transports() -> (Transport, Transport) {
    let root = KeyPair::generate(&mut OsRng);
    let server_static = KeyPair::generate(&mut OsRng);
    let chain = CertChainBuilder::new(root.private_key().clone(), KeyPair::generate(&mut OsRng))
        .build(server_static.public_key(), &mut OsRng);
    let (client, hello) =
        ClientHandshake::new(KeyPair::generate(&mut OsRng), IntroHeader::V3, &mut OsRng)
            .write_client_hello();
    let (server, server_hello) = ServerHandshake::new(server_static, IntroHeader::V3, &mut OsRng)
        .read_client_hello(&hello)
        .unwrap()
        .write_server_hello(&chain)
        .unwrap();
    let (client, finish) = client
        .read_server_hello(&server_hello, &CertVerifier::new(*root.public_key()), 0)
        .unwrap()
        .write_client_finish(b"payload")
        .unwrap();
    let outcome = server.read_client_finish(&finish).unwrap();
    (client, outcome.transport)
}

fn transport(c: &mut Criterion) {
    let payload = [0x5au8; PAYLOAD_LEN];

    let mut group = c.benchmark_group("aes_gcm_raw");
    group.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    group.bench_function("encrypt_200B", |b| {
        let cipher = Aes256Gcm::new(&[7u8; 32].into());
        let mut buf = payload;
        let mut n = 0u64;
        b.iter(|| {
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&n.to_be_bytes());
            n += 1;
            let tag = cipher
                .encrypt_in_place_detached(Nonce::from_slice(&nonce), &[], &mut buf)
                .unwrap();
            black_box(tag);
        });
    });
    group.finish();

    let mut group = c.benchmark_group("noise_transport");
    group.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    group.bench_function("encrypt_frame_200B", |b| {
        let (mut client, _) = transports();
        let mut out = Vec::with_capacity(PAYLOAD_LEN + 3 + 16);
        b.iter(|| {
            out.clear();
            client.encrypt_frame(black_box(&payload), &mut out).unwrap();
            black_box(&out);
        });
    });
    group.bench_function("decrypt_in_place_200B", |b| {
        let (mut client, mut server) = transports();
        b.iter_batched_ref(
            || {
                let mut frame = Vec::with_capacity(PAYLOAD_LEN + 16);
                client.encrypt(&payload, &mut frame).unwrap();
                frame
            },
            |frame| {
                black_box(server.decrypt_in_place(frame).unwrap());
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("decrypt_to_vec_200B", |b| {
        let (mut client, mut server) = transports();
        b.iter_batched_ref(
            || {
                let mut frame = Vec::with_capacity(PAYLOAD_LEN + 16);
                client.encrypt(&payload, &mut frame).unwrap();
                frame
            },
            |frame| black_box(server.decrypt(frame).unwrap()),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn xeddsa(c: &mut Criterion) {
    let private = [0x42u8; 32];
    let public = wa_curve25519::public_key(&private);
    // A signed pre-key signature covers 0x05 || 32-byte key.
    let mut message = vec![0x05];
    message.extend_from_slice(&[0x24u8; 32]);
    let signature = wa_curve25519::sign(&private, &message, &[9u8; 64]);

    let mut group = c.benchmark_group("xeddsa");
    group.bench_function("sign_33B", |b| {
        b.iter(|| wa_curve25519::sign(black_box(&private), black_box(&message), &[9u8; 64]));
    });
    group.bench_function("verify_33B", |b| {
        b.iter(|| {
            assert!(wa_curve25519::verify(
                black_box(&public),
                black_box(&message),
                black_box(&signature)
            ));
        });
    });
    group.finish();
}

criterion_group!(benches, transport, xeddsa);
criterion_main!(benches);
