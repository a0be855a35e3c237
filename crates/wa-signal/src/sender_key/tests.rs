//! Unit tests across the sender key module: round trips, gaps, ordering, limits, tampering.

use proptest::prelude::*;
use prost::Message as _;
use rand_core::{CryptoRng, RngCore};

use super::*;
use crate::Error;

/// A deterministic RNG for reproducible tests.
struct Counter(u64);
impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        u32::try_from(self.next_u64() >> 32).unwrap()
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            *byte = self.next_u64().to_le_bytes()[0];
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for Counter {}

fn pair(seed: u64) -> (SenderKeyRecord, SenderKeyRecord, Counter) {
    let mut rng = Counter(seed);
    let mut sender = SenderKeyRecord::new();
    let skdm = create_distribution_message(&mut sender, &mut rng);
    let mut receiver = SenderKeyRecord::new();
    let skdm = SenderKeyDistributionMessage::parse(skdm.serialized()).unwrap();
    assert!(process_distribution_message(&mut receiver, &skdm));
    (sender, receiver, rng)
}

fn send(sender: &mut SenderKeyRecord, rng: &mut Counter, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            group_encrypt(sender, format!("message {i}").as_bytes(), rng)
                .unwrap()
                .into_bytes()
        })
        .collect()
}

fn sk_err(result: Result<Vec<u8>, Error>) -> SenderKeyError {
    match result {
        Err(Error::SenderKey(e)) => e,
        other => panic!("expected a sender key error, got {other:?}"),
    }
}

#[test]
fn round_trip_and_record_encoding() {
    let (mut sender, mut receiver, mut rng) = pair(1);
    for (i, wire) in send(&mut sender, &mut rng, 3).iter().enumerate() {
        assert_eq!(
            group_decrypt(&mut receiver, wire).unwrap(),
            format!("message {i}").as_bytes()
        );
        receiver = SenderKeyRecord::decode(&receiver.encode()).unwrap();
    }
    let sender2 = SenderKeyRecord::decode(&sender.encode()).unwrap();
    assert!(sender2
        .latest_state()
        .unwrap()
        .signing_private_key()
        .is_some());
    assert!(receiver
        .latest_state()
        .unwrap()
        .signing_private_key()
        .is_none());
    assert_eq!(sender2.latest_state().unwrap().chain_key().iteration(), 3);
    // Creating again reuses our key.
    let again = create_distribution_message(&mut sender, &mut rng);
    assert_eq!(again.key_id(), sender.latest_state().unwrap().key_id());
    assert_eq!(again.iteration(), 3);
    assert_eq!(sender.states().len(), 1);
}

#[test]
fn gaps_and_out_of_order() {
    let (mut sender, mut receiver, mut rng) = pair(2);
    let wires = send(&mut sender, &mut rng, 10);
    for i in [9usize, 0, 5, 3, 8, 1, 2, 4, 7, 6] {
        assert_eq!(
            group_decrypt(&mut receiver, &wires[i]).unwrap(),
            format!("message {i}").as_bytes()
        );
    }
    let state = receiver.latest_state().unwrap();
    assert_eq!(state.skipped_message_keys().len(), 0);
    assert_eq!(state.chain_key().iteration(), 10);
}

#[test]
fn duplicate_is_refused_and_record_unchanged() {
    let (mut sender, mut receiver, mut rng) = pair(3);
    let wires = send(&mut sender, &mut rng, 3);
    group_decrypt(&mut receiver, &wires[2]).unwrap();
    let before = receiver.encode();
    assert_eq!(
        sk_err(group_decrypt(&mut receiver, &wires[2])),
        SenderKeyError::DuplicateMessage { iteration: 2 }
    );
    assert_eq!(receiver.encode(), before);
    group_decrypt(&mut receiver, &wires[0]).unwrap();
    assert_eq!(
        sk_err(group_decrypt(&mut receiver, &wires[0])),
        SenderKeyError::DuplicateMessage { iteration: 0 }
    );
}

#[test]
fn message_before_the_distribution_message_is_too_old() {
    let mut rng = Counter(4);
    let mut sender = SenderKeyRecord::new();
    let _ = create_distribution_message(&mut sender, &mut rng);
    let early = send(&mut sender, &mut rng, 2);
    let skdm = create_distribution_message(&mut sender, &mut rng);
    assert_eq!(skdm.iteration(), 2);
    let mut receiver = SenderKeyRecord::new();
    process_distribution_message(&mut receiver, &skdm);
    assert_eq!(
        sk_err(group_decrypt(&mut receiver, &early[1])),
        SenderKeyError::MessageTooOld { iteration: 1 }
    );
}

#[test]
fn skipped_limit() {
    let (mut sender, mut receiver, mut rng) = pair(5);
    let limit = u32::try_from(MAX_MESSAGE_KEYS).unwrap();
    // The sender cannot skip further than the bound either.
    assert_eq!(
        group_encrypt_skipping(&mut sender, limit + 1, b"x", &mut rng).unwrap_err(),
        Error::SenderKey(SenderKeyError::TooFarInFuture {
            iteration: limit + 1,
            current: 0
        })
    );
    let _ = group_encrypt_skipping(&mut sender, limit, b"edge", &mut rng).unwrap();
    let far = group_encrypt(&mut sender, b"far", &mut rng).unwrap();
    assert_eq!(far.iteration(), limit + 1);
    let before = receiver.encode();
    assert_eq!(
        sk_err(group_decrypt(&mut receiver, far.serialized())),
        SenderKeyError::TooFarInFuture {
            iteration: limit + 1,
            current: 0
        }
    );
    assert_eq!(receiver.encode(), before);
    // Exactly the limit is fine; the parked keys stay bounded and the oldest fall out.
    let (mut sender, mut receiver, mut rng) = pair(6);
    let first = send(&mut sender, &mut rng, 2);
    let at_limit = group_encrypt_skipping(&mut sender, limit, b"edge", &mut rng).unwrap();
    group_decrypt(&mut receiver, &first[1]).unwrap();
    assert_eq!(
        group_decrypt(&mut receiver, at_limit.serialized()).unwrap(),
        b"edge"
    );
    let state = receiver.latest_state().unwrap();
    assert_eq!(state.skipped_message_keys().len(), MAX_MESSAGE_KEYS);
    let next = group_encrypt_skipping(&mut sender, 1, b"more", &mut rng).unwrap();
    group_decrypt(&mut receiver, next.serialized()).unwrap();
    let state = receiver.latest_state().unwrap();
    assert_eq!(state.skipped_message_keys().len(), MAX_MESSAGE_KEYS);
    // Iteration 0 was parked then evicted: too old now.
    assert_eq!(
        sk_err(group_decrypt(&mut receiver, &first[0])),
        SenderKeyError::MessageTooOld { iteration: 0 }
    );
    // A full record survives the storage encoding; one more key is refused on load.
    let bytes = receiver.encode();
    assert!(SenderKeyRecord::decode(&bytes).is_ok());
    let mut proto =
        wa_proto::sender_key_records::SenderKeyRecordStructure::decode(bytes.as_slice()).unwrap();
    let extra = proto.states[0].skipped_message_keys[0].clone();
    proto.states[0].skipped_message_keys.insert(0, extra);
    assert_eq!(
        SenderKeyRecord::decode(&proto.encode_to_vec()).unwrap_err(),
        InvalidRecord::TooManyMessageKeys.into()
    );
}

#[test]
fn tampering_is_detected() {
    let (mut sender, mut receiver, mut rng) = pair(7);
    let wire = send(&mut sender, &mut rng, 1).remove(0);
    let before = receiver.encode();
    let last = wire.len() - 1;
    for index in [
        last,
        last - 40,
        1,
        wire.len() - 64 - 1,
        wire.len() - 64 - 20,
    ] {
        let mut bad = wire.clone();
        bad[index] ^= 0x01;
        let err = group_decrypt(&mut receiver, &bad).unwrap_err();
        assert!(
            matches!(
                err,
                Error::SenderKey(
                    SenderKeyError::BadSignature
                        | SenderKeyError::UnknownKeyId(_)
                        | SenderKeyError::Malformed(_)
                )
            ),
            "{index}: {err:?}"
        );
    }
    assert_eq!(receiver.encode(), before);
    assert!(group_decrypt(&mut receiver, &wire).is_ok());
}

#[test]
fn signed_but_undecryptable_ciphertext() {
    // A sender (with the key) signing garbage: signature passes, decryption fails cleanly.
    let (mut sender, mut receiver, mut rng) = pair(8);
    let state = sender.latest_state().unwrap();
    let garbage = SenderKeyMessage::new_signed(
        state.key_id(),
        0,
        vec![0u8; 32],
        state.signing_private_key().unwrap(),
        &mut rng,
    );
    let before = receiver.encode();
    assert_eq!(
        sk_err(group_decrypt(&mut receiver, garbage.serialized())),
        SenderKeyError::DecryptionFailed
    );
    assert_eq!(receiver.encode(), before);
    let wire = send(&mut sender, &mut rng, 1).remove(0);
    assert!(group_decrypt(&mut receiver, &wire).is_ok());
}

#[test]
fn unknown_key_id_and_other_sender() {
    let (mut sender, _, mut rng) = pair(9);
    let (_, mut stranger, _) = pair(10);
    let wire = send(&mut sender, &mut rng, 1).remove(0);
    let id = sender.latest_state().unwrap().key_id();
    assert_eq!(
        sk_err(group_decrypt(&mut stranger, &wire)),
        SenderKeyError::UnknownKeyId(id)
    );
    assert_eq!(
        sk_err(group_decrypt(&mut SenderKeyRecord::new(), &wire)),
        SenderKeyError::UnknownKeyId(id)
    );
    // Same id, another signing key: the signature check catches it.
    let state = stranger.latest_state().unwrap();
    let mut forged = SenderKeyRecord::new();
    forged.add_state(SenderKeyState::new_peer(
        id,
        state.chain_key().clone(),
        *state.signing_key(),
    ));
    assert_eq!(
        sk_err(group_decrypt(&mut forged, &wire)),
        SenderKeyError::BadSignature
    );
}

#[test]
fn encrypt_needs_our_own_key() {
    let (_, mut receiver, mut rng) = pair(11);
    assert_eq!(
        group_encrypt(&mut receiver, b"x", &mut rng).unwrap_err(),
        Error::SenderKey(SenderKeyError::NoSenderKey)
    );
    assert_eq!(
        group_encrypt(&mut SenderKeyRecord::new(), b"x", &mut rng).unwrap_err(),
        Error::SenderKey(SenderKeyError::NoSenderKey)
    );
}

#[test]
fn record_keeps_at_most_five_states_and_ignores_repeats() {
    let mut rng = Counter(12);
    let mut record = SenderKeyRecord::new();
    let mut ids = Vec::new();
    for _ in 0..7 {
        let state = generate_own_state(&mut rng);
        ids.push(state.key_id());
        let skdm = state.distribution_message();
        assert!(process_distribution_message(&mut record, &skdm));
        assert!(!process_distribution_message(&mut record, &skdm));
    }
    let kept: Vec<_> = record.states().map(SenderKeyState::key_id).collect();
    assert_eq!(
        kept,
        ids.iter()
            .rev()
            .take(MAX_STATES)
            .copied()
            .collect::<Vec<_>>()
    );
}

#[test]
fn strict_parsing() {
    let (mut sender, _, mut rng) = pair(13);
    let wire = send(&mut sender, &mut rng, 1).remove(0);
    assert_eq!(
        SenderKeyMessage::parse(&[]).unwrap_err(),
        Malformed::TooShort.into()
    );
    assert_eq!(
        SenderKeyMessage::parse(&wire[..64]).unwrap_err(),
        Malformed::TooShort.into()
    );
    let mut v2 = wire;
    v2[0] = 0x22;
    assert_eq!(
        SenderKeyMessage::parse(&v2).unwrap_err(),
        SenderKeyError::UnsupportedVersion(0x22)
    );
    // proto without ciphertext
    let mut no_ct = vec![0x33, 0x08, 0x01, 0x10, 0x00];
    no_ct.extend_from_slice(&[0u8; 64]);
    assert_eq!(
        SenderKeyMessage::parse(&no_ct).unwrap_err(),
        Malformed::MissingField("ciphertext").into()
    );
    let mut odd = vec![0x33, 0x08, 0x01, 0x10, 0x00, 0x1a, 0x03, 1, 2, 3];
    odd.extend_from_slice(&[0u8; 64]);
    assert_eq!(
        SenderKeyMessage::parse(&odd).unwrap_err(),
        Malformed::CiphertextLength.into()
    );

    let skdm = create_distribution_message(&mut sender, &mut rng);
    let bytes = skdm.serialized().to_vec();
    assert!(SenderKeyDistributionMessage::parse(&bytes).is_ok());
    assert!(SenderKeyDistributionMessage::parse(&bytes[..bytes.len() - 1]).is_err());
    let mut raw_key = bytes;
    // signingKey is the last field: 0x22 0x21 0x05 ...; turn 0x05 into 0x06.
    let pos = raw_key.len() - 33;
    raw_key[pos] = 0x06;
    assert_eq!(
        SenderKeyDistributionMessage::parse(&raw_key).unwrap_err(),
        Malformed::SigningKey.into()
    );
    assert!(!format!("{skdm:?}").contains(&format!("{:?}", skdm.chain_key().seed())));
}

#[test]
fn corrupt_records_are_refused() {
    let (sender, _, _) = pair(14);
    let good = sender.encode();
    assert!(SenderKeyRecord::decode(&good[..good.len() - 1]).is_err());
    assert!(SenderKeyRecord::decode(&[0xff, 0xff]).is_err());
    // Six states.
    let one =
        wa_proto::sender_key_records::SenderKeyRecordStructure::decode(good.as_slice()).unwrap();
    let mut six = one.clone();
    for _ in 0..5 {
        six.states.push(one.states[0].clone());
    }
    assert_eq!(
        SenderKeyRecord::decode(&six.encode_to_vec()).unwrap_err(),
        InvalidRecord::TooManyStates.into()
    );
    // A private key that is not the public key's.
    let mut mismatch = one.clone();
    mismatch.states[0].signing_key.as_mut().unwrap().private_key = Some(vec![7u8; 32]);
    assert_eq!(
        SenderKeyRecord::decode(&mismatch.encode_to_vec()).unwrap_err(),
        InvalidRecord::SigningKeyMismatch.into()
    );
    // A skipped key at the chain iteration.
    let mut misplaced = one;
    misplaced.states[0].skipped_message_keys.push(
        wa_proto::sender_key_records::SenderMessageKeyStructure {
            iteration: Some(0),
            seed: Some(vec![0u8; 32]),
        },
    );
    assert_eq!(
        SenderKeyRecord::decode(&misplaced.encode_to_vec()).unwrap_err(),
        InvalidRecord::SkippedKeyOutOfPlace.into()
    );
}

#[test]
fn store_round_trip() {
    let (sender, _, _) = pair(15);
    let name = SenderKeyName::new("1203@g.us", "15550001111:7".parse().unwrap()).unwrap();
    let mut store = InMemorySenderKeyStore::new();
    assert!(store.load_sender_key(&name).unwrap().is_none());
    store.store_sender_key(&name, &sender).unwrap();
    assert_eq!(
        store.load_sender_key(&name).unwrap().unwrap().encode(),
        sender.encode()
    );
    assert_eq!(store.len(), 1);
    assert!(SenderKeyName::new("", "1:0".parse().unwrap()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Any delivery order, with duplicates sprinkled in, decrypts each message exactly once.
    #[test]
    fn random_delivery_orders(
        seed in any::<u64>(),
        order in Just((0..16usize).collect::<Vec<_>>()).prop_shuffle(),
        dups in proptest::collection::vec(0..16usize, 0..6),
    ) {
        let (mut sender, mut receiver, mut rng) = pair(seed);
        let wires = send(&mut sender, &mut rng, 16);
        let mut seen = [false; 16];
        let mut deliveries = order;
        for (k, d) in dups.into_iter().enumerate() {
            deliveries.insert((k * 5) % (deliveries.len() + 1), d);
        }
        for i in deliveries {
            let result = group_decrypt(&mut receiver, &wires[i]);
            if seen[i] {
                let duplicate = matches!(
                    result,
                    Err(Error::SenderKey(SenderKeyError::DuplicateMessage { .. }))
                );
                prop_assert!(duplicate, "delivery {} again: {:?}", i, result);
            } else {
                prop_assert_eq!(result.unwrap(), format!("message {i}").into_bytes());
                seen[i] = true;
            }
        }
        prop_assert!(seen.iter().all(|&s| s));
        prop_assert_eq!(receiver.latest_state().unwrap().skipped_message_keys().len(), 0);
    }
}
