//! The Signal layer: established 1:1 encrypt/decrypt, sender-key group encrypt/decrypt, X3DH.
//!
//! `primitives/*` is the floor measured in the same run: the work a send cannot avoid, on the
//! bare RustCrypto/curve25519 primitives. An established 1:1 `msg` costs one chain step (two
//! HMAC-SHA256 over one byte), HKDF to 80 bytes (message keys), AES-256-CBC of the 70-byte
//! padded plaintext (80 bytes of ciphertext) and the HMAC over ~190 bytes (MAC); a group
//! `skmsg` costs about the same plus one XEdDSA signature. Report `signal_1to1/encrypt_*` as a
//! ratio to the sum of the first four, `signal_group/encrypt_*` to that sum plus the signature.
//!
//! Decrypt benches use `iter_batched`: the sender encrypts a batch of fresh, consecutive
//! messages outside the timing, then the receiver decrypts them in order (from wire bytes, so
//! parsing is included), so every timed call decrypts a new message on the live record.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand_core::OsRng;
use sha2::Sha256;
use wa_signal::{
    padding,
    sender_key::{
        create_distribution_message, group_decrypt, group_encrypt, process_distribution_message,
        SenderKeyDistributionMessage, SenderKeyRecord,
    },
    session::{self, ResponderKeys},
    x3dh, CiphertextMessage, IdentityKeyPair, PreKeyBundle, PreKeyId, PreKeyRecord,
    PreKeySignalMessage, RegistrationId, SessionRecord, SignedPreKeyId, SignedPreKeyRecord,
};

type HmacSha256 = Hmac<Sha256>;

/// Padded plaintext length: a reaction message (~62 bytes of protobuf) plus 8 pad bytes.
const PLAINTEXT_LEN: usize = 70;

/// A 70-byte padded plaintext, shaped like a reaction.
fn reaction_plaintext() -> Vec<u8> {
    let mut plaintext = vec![0x2au8; PLAINTEXT_LEN - 8];
    padding::pad_with(&mut plaintext, 8);
    assert_eq!(plaintext.len(), PLAINTEXT_LEN);
    plaintext
}

/// Bob's published keys.
struct Responder {
    identity: IdentityKeyPair,
    registration_id: RegistrationId,
    signed: SignedPreKeyRecord,
    one_time: PreKeyRecord,
}

impl Responder {
    fn generate() -> Self {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &identity, 0, &mut OsRng);
        Self {
            identity,
            registration_id: RegistrationId(158),
            signed,
            one_time: PreKeyRecord::generate(PreKeyId(101), &mut OsRng),
        }
    }

    /// The bundle the server hands out, with the one-time prekey.
    fn bundle(&self) -> PreKeyBundle {
        PreKeyBundle {
            registration_id: self.registration_id,
            identity_key: self.identity.identity_key(),
            signed_pre_key_id: self.signed.id(),
            signed_pre_key: *self.signed.key_pair().public_key(),
            signed_pre_key_signature: *self.signed.signature(),
            pre_key: Some((self.one_time.id(), *self.one_time.key_pair().public_key())),
        }
    }

    fn keys(&self) -> ResponderKeys<'_> {
        ResponderKeys {
            identity: &self.identity,
            registration_id: self.registration_id,
            signed_pre_key: Some(&self.signed),
            pre_key: Some(&self.one_time),
        }
    }
}

/// Alice's first `pkmsg` to Bob, with Alice's record.
fn first_message(bob: &Responder, plaintext: &[u8]) -> (SessionRecord, PreKeySignalMessage) {
    let alice_identity = IdentityKeyPair::generate(&mut OsRng);
    let state = x3dh::initiate(
        &alice_identity,
        RegistrationId(159),
        &bob.bundle(),
        &mut OsRng,
    )
    .unwrap();
    let mut alice = SessionRecord::from_state(state);
    let CiphertextMessage::PreKey(pkmsg) = session::encrypt(&mut alice, plaintext).unwrap() else {
        panic!("first message is a pkmsg");
    };
    (alice, pkmsg)
}

/// An established session (both sides past the round trip): (Alice's record, Bob's record).
/// Alice's sends are `msg`, and Bob has already taken in Alice's current ratchet key.
fn established(plaintext: &[u8]) -> (SessionRecord, SessionRecord) {
    let bob_keys = Responder::generate();
    let (mut alice, pkmsg) = first_message(&bob_keys, plaintext);
    let mut bob = SessionRecord::new();
    let got =
        session::decrypt_pre_key_message(&mut bob, &pkmsg, &bob_keys.keys(), &mut OsRng).unwrap();
    assert_eq!(got.plaintext, plaintext);
    let CiphertextMessage::Signal(reply) = session::encrypt(&mut bob, plaintext).unwrap() else {
        panic!("Bob's reply is a msg");
    };
    session::decrypt_signal_message(&mut alice, &reply, &mut OsRng).unwrap();
    // One more Alice -> Bob so Bob's DH ratchet step is behind us.
    let CiphertextMessage::Signal(next) = session::encrypt(&mut alice, plaintext).unwrap() else {
        panic!("Alice's sends are msg after the round trip");
    };
    session::decrypt_signal_message(&mut bob, &next, &mut OsRng).unwrap();
    (alice, bob)
}

fn primitives(c: &mut Criterion) {
    let key = [0x11u8; 32];
    let plaintext = reaction_plaintext();
    let mac_input = [0x33u8; 190];
    let sign_input = [0x44u8; 100];

    let mut group = c.benchmark_group("primitives");
    group.bench_function("chain_step_2_hmac", |b| {
        b.iter(|| {
            let mut mac = HmacSha256::new_from_slice(black_box(&key)).unwrap();
            mac.update(&[0x01]);
            let seed = mac.finalize().into_bytes();
            let mut mac = HmacSha256::new_from_slice(black_box(&key)).unwrap();
            mac.update(&[0x02]);
            let next = mac.finalize().into_bytes();
            black_box((seed, next));
        });
    });
    group.bench_function("hkdf_80B", |b| {
        b.iter(|| {
            let mut okm = [0u8; 80];
            Hkdf::<Sha256>::new(None, black_box(&key))
                .expand(b"WhisperMessageKeys", &mut okm)
                .unwrap();
            black_box(okm);
        });
    });
    // The 70-byte padded plaintext: 80 bytes (5 blocks) of ciphertext, as the send produces.
    group.bench_function("aes256_cbc_80B", |b| {
        let iv = [0x22u8; 16];
        b.iter(|| {
            black_box(
                cbc::Encryptor::<aes::Aes256>::new(black_box(&key).into(), (&iv).into())
                    .encrypt_padded_vec_mut::<Pkcs7>(black_box(&plaintext)),
            )
        });
    });
    group.bench_function("hmac_190B", |b| {
        b.iter(|| {
            let mut mac = HmacSha256::new_from_slice(black_box(&key)).unwrap();
            mac.update(black_box(&mac_input));
            black_box(mac.finalize().into_bytes());
        });
    });
    group.bench_function("xeddsa_sign", |b| {
        b.iter(|| wa_curve25519::sign(black_box(&key), black_box(&sign_input), &[9u8; 64]));
    });
    group.finish();
}

fn one_to_one(c: &mut Criterion) {
    let plaintext = reaction_plaintext();

    let mut group = c.benchmark_group("signal_1to1");
    group.bench_function("encrypt_established_70B", |b| {
        let (mut alice, _) = established(&plaintext);
        b.iter(|| {
            let message = session::encrypt(&mut alice, black_box(&plaintext)).unwrap();
            debug_assert_eq!(message.enc_type(), "msg");
            black_box(message)
        });
    });
    group.bench_function("decrypt_established_70B", |b| {
        let (mut alice, mut bob) = established(&plaintext);
        b.iter_batched(
            || {
                session::encrypt(&mut alice, &plaintext)
                    .unwrap()
                    .serialized()
                    .to_vec()
            },
            |wire| {
                let CiphertextMessage::Signal(message) =
                    CiphertextMessage::parse("msg", &wire).unwrap()
                else {
                    unreachable!()
                };
                session::decrypt_signal_message(&mut bob, &message, &mut OsRng).unwrap()
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn group(c: &mut Criterion) {
    let plaintext = reaction_plaintext();
    let sender_and_receiver = || {
        let mut sender = SenderKeyRecord::new();
        let skdm = create_distribution_message(&mut sender, &mut OsRng);
        let mut receiver = SenderKeyRecord::new();
        let skdm = SenderKeyDistributionMessage::parse(skdm.serialized()).unwrap();
        assert!(process_distribution_message(&mut receiver, &skdm));
        (sender, receiver)
    };

    let mut group = c.benchmark_group("signal_group");
    group.bench_function("encrypt_70B", |b| {
        let (mut sender, _) = sender_and_receiver();
        b.iter(|| group_encrypt(&mut sender, black_box(&plaintext), &mut OsRng).unwrap());
    });
    group.bench_function("decrypt_70B", |b| {
        let (mut sender, mut receiver) = sender_and_receiver();
        b.iter_batched(
            || {
                group_encrypt(&mut sender, &plaintext, &mut OsRng)
                    .unwrap()
                    .into_bytes()
            },
            |skmsg| group_decrypt(&mut receiver, &skmsg).unwrap(),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn x3dh_setup(c: &mut Criterion) {
    let plaintext = reaction_plaintext();
    let bob = Responder::generate();
    let bundle = bob.bundle();
    let alice_identity = IdentityKeyPair::generate(&mut OsRng);

    let mut group = c.benchmark_group("signal_x3dh");
    // Signed prekey signature check, two key pairs, four DH, HKDF, and the first sending chain
    // (a fifth DH).
    group.bench_function("initiate", |b| {
        b.iter(|| {
            x3dh::initiate(
                &alice_identity,
                RegistrationId(159),
                black_box(&bundle),
                &mut OsRng,
            )
            .unwrap()
        });
    });
    // Four DH and HKDF; pure, so one pkmsg serves every iteration.
    group.bench_function("respond", |b| {
        let (_, pkmsg) = first_message(&bob, &plaintext);
        b.iter(|| {
            x3dh::respond(
                &bob.identity,
                bob.registration_id,
                &bob.signed,
                Some(&bob.one_time),
                black_box(&pkmsg),
            )
            .unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, primitives, one_to_one, group, x3dh_setup);
criterion_main!(benches);
