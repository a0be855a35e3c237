//! The SQLite store's cost per message on the send path, with the batching that keeps keys from
//! ever being reused (`Store::send_batch`: encrypt a batch on in-memory records, commit them in
//! one fsynced transaction, only then hand out the ciphertexts). Each iteration is one message;
//! `encrypt_only` is the same encryption with no store, measured in the same run, so the store's
//! share per message is the difference. The database is a real file (WAL, synchronous=FULL) in
//! the temp directory.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand_core::OsRng;
use wa_curve25519::KeyPair;
use wa_signal::store::{InMemoryStore, SessionStore};
use wa_signal::{
    IdentityKeyPair, PreKeyBundle, ProtocolAddress, RegistrationId, SessionRecord, SignedPreKeyId,
    SignedPreKeyRecord,
};
use wa_store::{NewDevice, Store};

/// 70 bytes, like a padded reaction.
const PLAINTEXT: [u8; 70] = [7; 70];

fn session(peer_address: &ProtocolAddress) -> SessionRecord {
    let peer = IdentityKeyPair::generate(&mut OsRng);
    let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &peer, 0, &mut OsRng);
    let bundle = PreKeyBundle {
        registration_id: RegistrationId(7),
        identity_key: peer.identity_key(),
        signed_pre_key_id: signed.id(),
        signed_pre_key: *signed.key_pair().public_key(),
        signed_pre_key_signature: *signed.signature(),
        pre_key: None,
    };
    let mut me = InMemoryStore::new(IdentityKeyPair::generate(&mut OsRng), RegistrationId(1));
    wa_signal::protocol::process_pre_key_bundle(&mut me, peer_address, &bundle, &mut OsRng)
        .unwrap();
    me.load_session(peer_address).unwrap().unwrap()
}

fn store_send_loop(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("wa-bench-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut store = Store::open(dir.join("bench.db")).unwrap();
    let device = store
        .create_device(&NewDevice {
            noise_key: KeyPair::generate(&mut OsRng),
            identity_key: IdentityKeyPair::generate(&mut OsRng),
            registration_id: RegistrationId(1),
            signed_prekey_id: SignedPreKeyId(1),
        })
        .unwrap();
    let peer: ProtocolAddress = "15550002222:0".parse().unwrap();
    let record = session(&peer);
    store.put_session(device, &peer, &record).unwrap();

    let mut group = c.benchmark_group("store_send_loop_per_message");
    group.measurement_time(Duration::from_secs(4));
    let mut bare = record.clone();
    group.bench_function("encrypt_only", |b| {
        b.iter(|| wa_signal::session::encrypt(&mut bare, &PLAINTEXT).unwrap());
    });
    for batch in [1u64, 16, 64, 256] {
        group.bench_with_input(
            BenchmarkId::new("encrypt_and_commit_batch", batch),
            &batch,
            |b, &batch| {
                b.iter_custom(|messages| {
                    store
                        .run_send_loop(device, &peer, messages, batch, &PLAINTEXT)
                        .unwrap()
                        .elapsed
                });
            },
        );
    }
    group.finish();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, store_send_loop);
criterion_main!(benches);
