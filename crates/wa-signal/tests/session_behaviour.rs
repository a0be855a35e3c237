//! Two in-memory parties: both directions, out-of-order delivery across DH ratchet steps, the
//! skipped-key limit, duplicates, tampering, identities, prekeys, archived states, strict
//! parsing, and random interleavings (proptest).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity
)] // test helpers outside #[test] functions

use proptest::prelude::*;
use rand_core::OsRng;
use wa_signal::{
    protocol,
    session::{self, MAX_SKIPPED_KEYS},
    store::{IdentityKeyStore, InMemoryStore, PreKeyStore, SessionStore, SignedPreKeyStore},
    CiphertextMessage, Error, IdentityKeyPair, PreKeyBundle, PreKeyId, PreKeyRecord,
    PreKeySignalMessage, ProtocolAddress, RegistrationId, SessionRecord, SignalMessage,
    SignedPreKeyId, SignedPreKeyRecord, WireError,
};

struct Party {
    address: ProtocolAddress,
    store: InMemoryStore,
}

fn party(address: &str, registration: u32) -> Party {
    Party {
        address: address.parse().unwrap(),
        store: InMemoryStore::new(
            IdentityKeyPair::generate(&mut OsRng),
            RegistrationId(registration),
        ),
    }
}

/// Publishes a signed prekey and (optionally) one-time prekey `pre_key_id`; returns the bundle.
fn publish(p: &mut Party, pre_key_id: Option<u32>) -> PreKeyBundle {
    let identity = p.store.identity_key_pair().unwrap();
    let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &identity, 0, &mut OsRng);
    p.store.store_signed_pre_key(&signed).unwrap();
    let pre_key = pre_key_id.map(|id| {
        let record = PreKeyRecord::generate(PreKeyId(id), &mut OsRng);
        p.store.store_pre_key(&record).unwrap();
        (record.id(), *record.key_pair().public_key())
    });
    PreKeyBundle {
        registration_id: p.store.local_registration_id().unwrap(),
        identity_key: identity.identity_key(),
        signed_pre_key_id: signed.id(),
        signed_pre_key: *signed.key_pair().public_key(),
        signed_pre_key_signature: *signed.signature(),
        pre_key,
    }
}

fn pair_with(pre_key_id: Option<u32>) -> (Party, Party) {
    let mut alice = party("15550001111:7", 1);
    let mut bob = party("15550002222:0", 2);
    let bundle = publish(&mut bob, pre_key_id);
    protocol::process_pre_key_bundle(&mut alice.store, &bob.address, &bundle, &mut OsRng).unwrap();
    (alice, bob)
}

fn pair() -> (Party, Party) {
    pair_with(Some(7))
}

fn send(from: &mut Party, to: &Party, text: &[u8]) -> CiphertextMessage {
    let message = protocol::encrypt(&mut from.store, &to.address, text).unwrap();
    // Always through the wire form.
    CiphertextMessage::parse(message.enc_type(), message.serialized()).unwrap()
}

fn recv(to: &mut Party, from: &Party, message: &CiphertextMessage) -> Result<Vec<u8>, Error> {
    protocol::decrypt(&mut to.store, &from.address, message, &mut OsRng)
}

#[test]
fn both_directions_with_and_without_one_time_prekey() {
    for pre_key in [Some(7), None] {
        let (mut alice, mut bob) = pair_with(pre_key);
        let m1 = send(&mut alice, &bob, b"a1");
        let m2 = send(&mut alice, &bob, b"a2");
        assert_eq!(m2.enc_type(), "pkmsg");
        if let CiphertextMessage::PreKey(p) = &m1 {
            assert_eq!(p.pre_key_id(), pre_key.map(PreKeyId));
        }
        assert_eq!(recv(&mut bob, &alice, &m1).unwrap(), b"a1");
        assert_eq!(recv(&mut bob, &alice, &m2).unwrap(), b"a2");
        let r1 = send(&mut bob, &alice, b"b1");
        assert_eq!(r1.enc_type(), "msg");
        assert_eq!(recv(&mut alice, &bob, &r1).unwrap(), b"b1");
        for round in 0..5u8 {
            let a = send(&mut alice, &bob, &[round]);
            assert_eq!(a.enc_type(), "msg");
            assert_eq!(recv(&mut bob, &alice, &a).unwrap(), [round]);
            let b = send(&mut bob, &alice, &[round, round]);
            assert_eq!(recv(&mut alice, &bob, &b).unwrap(), [round, round]);
        }
    }
}

#[test]
fn out_of_order_across_dh_ratchet_steps() {
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    assert_eq!(recv(&mut bob, &alice, &first).unwrap(), b"0");
    // Alice chain 1: three messages, held back.
    let held: Vec<_> = (1..=3u8).map(|i| send(&mut alice, &bob, &[i])).collect();
    // Bob answers; Alice steps her ratchet and sends on a new chain.
    let reply = send(&mut bob, &alice, b"r");
    assert_eq!(recv(&mut alice, &bob, &reply).unwrap(), b"r");
    let new_chain: Vec<_> = (4..=6u8).map(|i| send(&mut alice, &bob, &[i])).collect();
    // Bob gets the new chain first, backwards, then the old chain out of order.
    for (i, m) in new_chain.iter().enumerate().rev() {
        assert_eq!(
            recv(&mut bob, &alice, m).unwrap(),
            [u8::try_from(i).unwrap() + 4]
        );
    }
    for i in [2usize, 0, 1] {
        assert_eq!(
            recv(&mut bob, &alice, &held[i]).unwrap(),
            [u8::try_from(i).unwrap() + 1]
        );
    }
    // And each of them is now a duplicate.
    for m in held.iter().chain(&new_chain) {
        assert!(matches!(
            recv(&mut bob, &alice, m),
            Err(Error::DuplicateMessage { .. })
        ));
    }
}

#[test]
fn skipped_key_limit() {
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    recv(&mut bob, &alice, &first).unwrap();
    // Counter 1 is next; skipping exactly MAX_SKIPPED_KEYS is fine, one more is not.
    let mut messages = Vec::new();
    for _ in 0..=MAX_SKIPPED_KEYS + 1 {
        messages.push(send(&mut alice, &bob, b"x"));
    }
    let too_far = messages.last().unwrap();
    assert_eq!(
        recv(&mut bob, &alice, too_far),
        Err(Error::TooManySkippedMessages {
            skipped: MAX_SKIPPED_KEYS + 1
        })
    );
    let at_limit = &messages[usize::try_from(MAX_SKIPPED_KEYS).unwrap()];
    assert_eq!(recv(&mut bob, &alice, at_limit).unwrap(), b"x");
    // The skipped ones are all still decryptable (kept keys), and the record stays bounded.
    assert_eq!(recv(&mut bob, &alice, &messages[0]).unwrap(), b"x");
    assert_eq!(recv(&mut bob, &alice, &messages[1000]).unwrap(), b"x");
    let record = bob.store.load_session(&alice.address).unwrap().unwrap();
    let restored = SessionRecord::deserialize(&record.serialize()).unwrap();
    assert_eq!(restored.serialize(), record.serialize());
}

#[test]
fn duplicate_message_is_a_typed_error() {
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    recv(&mut bob, &alice, &first).unwrap();
    // The pkmsg again: the session exists, its key is used.
    assert_eq!(
        recv(&mut bob, &alice, &first),
        Err(Error::DuplicateMessage { counter: 0 })
    );
    let reply = send(&mut bob, &alice, b"r");
    recv(&mut alice, &bob, &reply).unwrap();
    assert_eq!(
        recv(&mut alice, &bob, &reply),
        Err(Error::DuplicateMessage { counter: 0 })
    );
}

#[test]
fn tampered_messages_are_rejected_without_state_change() {
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    recv(&mut bob, &alice, &first).unwrap();
    let reply = send(&mut bob, &alice, b"r");
    let mut bytes = reply.serialized().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1; // the MAC
    let bad_mac = CiphertextMessage::parse("msg", &bytes).unwrap();
    assert_eq!(recv(&mut alice, &bob, &bad_mac), Err(Error::BadMac));
    bytes[last] ^= 1;
    bytes[last - 10] ^= 1; // the ciphertext, so the MAC no longer matches
    let bad_body = CiphertextMessage::parse("msg", &bytes).unwrap();
    assert_eq!(recv(&mut alice, &bob, &bad_body), Err(Error::BadMac));
    // The genuine message still decrypts: failures changed nothing.
    assert_eq!(recv(&mut alice, &bob, &reply).unwrap(), b"r");
}

#[test]
fn wrong_identity_is_untrusted() {
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    recv(&mut bob, &alice, &first).unwrap();
    // An impostor with another identity claims Alice's address.
    let mut mallory = party("15550001111:7", 1);
    let bundle = publish(&mut bob, Some(8));
    protocol::process_pre_key_bundle(&mut mallory.store, &bob.address, &bundle, &mut OsRng)
        .unwrap();
    let forged = send(&mut mallory, &bob, b"m");
    assert_eq!(
        recv(&mut bob, &mallory, &forged),
        Err(Error::UntrustedIdentity)
    );
    // A bundle with a changed identity for a known address is refused too.
    let mut other_bob = party("15550002222:0", 2);
    let other_bundle = publish(&mut other_bob, None);
    assert_eq!(
        protocol::process_pre_key_bundle(&mut alice.store, &bob.address, &other_bundle, &mut OsRng),
        Err(Error::UntrustedIdentity)
    );
    // A message MACed for another identity fails the MAC.
    let mut carol = party("15550003333:0", 3);
    let bob_bundle = publish(&mut bob, Some(9));
    protocol::process_pre_key_bundle(&mut carol.store, &bob.address, &bob_bundle, &mut OsRng)
        .unwrap();
    let from_carol = send(&mut carol, &bob, b"c");
    let CiphertextMessage::PreKey(pk) = &from_carol else {
        panic!()
    };
    let inner = CiphertextMessage::Signal(pk.message().clone());
    assert!(recv(&mut bob, &alice, &inner).is_err());
}

#[test]
fn unknown_prekeys() {
    let (mut alice, mut bob) = pair();
    bob.store.remove_pre_key(PreKeyId(7)).unwrap();
    let first = send(&mut alice, &bob, b"0");
    assert_eq!(
        recv(&mut bob, &alice, &first),
        Err(Error::UnknownPreKey(PreKeyId(7)))
    );
    let (mut alice, mut bob) = pair();
    let mut fresh = party("15550002222:0", 2);
    // Bob's store without the signed prekey the bundle named.
    std::mem::swap(&mut bob.store, &mut fresh.store);
    let first = send(&mut alice, &bob, b"0");
    assert_eq!(
        recv(&mut bob, &alice, &first),
        Err(Error::UnknownSignedPreKey(SignedPreKeyId(1)))
    );
    // A one-time prekey is consumed by its first session.
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    recv(&mut bob, &alice, &first).unwrap();
    assert!(bob.store.load_pre_key(PreKeyId(7)).unwrap().is_none());
}

#[test]
fn archived_state_fallback() {
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    recv(&mut bob, &alice, &first).unwrap();
    let reply = send(&mut bob, &alice, b"r");
    recv(&mut alice, &bob, &reply).unwrap();
    // Bob sends on the old session but Alice has meanwhile started a new one (archiving the old).
    let late = send(&mut bob, &alice, b"late");
    let bundle = publish(&mut bob, Some(8));
    protocol::process_pre_key_bundle(&mut alice.store, &bob.address, &bundle, &mut OsRng).unwrap();
    let record = alice.store.load_session(&bob.address).unwrap().unwrap();
    assert_eq!(record.previous().count(), 1);
    assert_eq!(recv(&mut alice, &bob, &late).unwrap(), b"late");
    // The archived state that decrypted is current again.
    let record = alice.store.load_session(&bob.address).unwrap().unwrap();
    assert!(!record.current().unwrap().has_pending_pre_key());
    // Bob receiving a new pkmsg archives his old state and still reads late messages on it.
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    recv(&mut bob, &alice, &first).unwrap();
    let reply = send(&mut bob, &alice, b"r");
    recv(&mut alice, &bob, &reply).unwrap();
    let old_chain = send(&mut alice, &bob, b"old");
    let bundle = publish(&mut bob, Some(8));
    protocol::process_pre_key_bundle(&mut alice.store, &bob.address, &bundle, &mut OsRng).unwrap();
    let restart = send(&mut alice, &bob, b"new");
    assert_eq!(recv(&mut bob, &alice, &restart).unwrap(), b"new");
    assert_eq!(recv(&mut bob, &alice, &old_chain).unwrap(), b"old");
}

#[test]
fn archive_is_bounded() {
    let mut record = SessionRecord::new();
    let (alice, bob) = pair();
    let state = alice
        .store
        .load_session(&bob.address)
        .unwrap()
        .unwrap()
        .current()
        .unwrap()
        .clone();
    for _ in 0..50 {
        record.promote_state(state.clone());
    }
    assert_eq!(record.previous().count(), session::MAX_ARCHIVED_STATES);
    let restored = SessionRecord::deserialize(&record.serialize()).unwrap();
    assert_eq!(restored.previous().count(), 40);
}

#[test]
fn strict_parsing() {
    let (mut alice, bob) = pair();
    let pk = send(&mut alice, &bob, b"0");
    let CiphertextMessage::PreKey(p) = &pk else {
        panic!()
    };
    let msg = p.message().serialized().to_vec();
    let err = |r: Result<SignalMessage, Error>| r.unwrap_err();
    assert_eq!(
        err(SignalMessage::parse(&[])),
        Error::InvalidMessage(WireError::Truncated)
    );
    assert_eq!(
        err(SignalMessage::parse(&msg[..8])),
        Error::InvalidMessage(WireError::Truncated)
    );
    let mut v2 = msg.clone();
    v2[0] = 0x22;
    assert_eq!(
        err(SignalMessage::parse(&v2)),
        Error::InvalidMessage(WireError::BadVersion(0x22))
    );
    // A ratchet key with the wrong type byte.
    let mut bad_key = msg;
    bad_key[3] = 0x06;
    assert_eq!(
        err(SignalMessage::parse(&bad_key)),
        Error::InvalidMessage(WireError::BadKey)
    );
    // Garbage protobuf.
    assert_eq!(
        err(SignalMessage::parse(&[
            0x33, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0
        ])),
        Error::InvalidMessage(WireError::Protobuf)
    );
    // Missing fields: an empty proto.
    assert_eq!(
        err(SignalMessage::parse(&[0x33, 0, 0, 0, 0, 0, 0, 0, 0])),
        Error::InvalidMessage(WireError::MissingField("ratchetKey"))
    );
    assert_eq!(
        PreKeySignalMessage::parse(&[0x33]).unwrap_err(),
        Error::InvalidMessage(WireError::MissingField("baseKey"))
    );
    assert!(CiphertextMessage::parse("skmsg", pk.serialized()).is_err());
    // Every truncation of a pkmsg is an error, never a panic.
    for len in 0..pk.serialized().len() {
        assert!(PreKeySignalMessage::parse(&pk.serialized()[..len]).is_err());
    }
    // A stored record with the wrong version is refused, not half-read.
    assert_eq!(
        SessionRecord::deserialize(b"\x0a\x02\x08\x02").unwrap_err(),
        Error::InvalidRecord("session version")
    );
}

#[test]
fn debug_output_redacts_secrets() {
    let (alice, bob) = pair();
    let record = alice.store.load_session(&bob.address).unwrap().unwrap();
    let text = format!("{record:?} {:?}", alice.store.identity_key_pair().unwrap());
    assert!(text.contains("RootKey([redacted])"));
    assert!(text.contains("PrivateKey([redacted])"));
    let private = alice
        .store
        .identity_key_pair()
        .unwrap()
        .private_key()
        .to_bytes();
    assert!(!text.contains(&format!("{:?}", private.as_slice())));
}

#[derive(Debug, Clone)]
enum Step {
    AliceSends,
    BobSends,
    /// Deliver the queued message at this (wrapped) position to Bob.
    DeliverToBob(usize),
    DeliverToAlice(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::AliceSends),
        Just(Step::BobSends),
        any::<usize>().prop_map(Step::DeliverToBob),
        any::<usize>().prop_map(Step::DeliverToAlice),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_interleavings_always_decrypt(steps in proptest::collection::vec(step(), 1..60)) {
        let (mut alice, mut bob) = pair();
        // Bob can only talk once he has heard from Alice.
        let hello = send(&mut alice, &bob, b"hello");
        prop_assert_eq!(recv(&mut bob, &alice, &hello).unwrap(), b"hello".to_vec());
        let mut to_bob: Vec<(CiphertextMessage, Vec<u8>)> = Vec::new();
        let mut to_alice: Vec<(CiphertextMessage, Vec<u8>)> = Vec::new();
        let mut n = 0u32;
        for s in steps {
            n += 1;
            let text = n.to_be_bytes().to_vec();
            match s {
                Step::AliceSends => to_bob.push((send(&mut alice, &bob, &text), text)),
                Step::BobSends => to_alice.push((send(&mut bob, &alice, &text), text)),
                Step::DeliverToBob(i) if !to_bob.is_empty() => {
                    let (m, t) = to_bob.remove(i % to_bob.len());
                    prop_assert_eq!(recv(&mut bob, &alice, &m).unwrap(), t);
                }
                Step::DeliverToAlice(i) if !to_alice.is_empty() => {
                    let (m, t) = to_alice.remove(i % to_alice.len());
                    prop_assert_eq!(recv(&mut alice, &bob, &m).unwrap(), t);
                }
                _ => {}
            }
        }
        for (m, t) in to_bob {
            prop_assert_eq!(recv(&mut bob, &alice, &m).unwrap(), t);
        }
        for (m, t) in to_alice {
            prop_assert_eq!(recv(&mut alice, &bob, &m).unwrap(), t);
        }
    }
}

/// Regression (review finding): the outer identity key of a repeated pkmsg is not covered by
/// the MAC, so a relay could rewrite it; the session layer must refuse a pkmsg whose identity
/// differs from the one its (known) base key's session was made with, even when the store
/// above trusts any identity (WhatsApp's policy, as in wa-store).
#[test]
fn repeated_pkmsg_with_a_rewritten_identity_is_refused() {
    use prost::Message as _;
    let (mut alice, mut bob) = pair();
    let first = send(&mut alice, &bob, b"0");
    let second = send(&mut alice, &bob, b"1");
    recv(&mut bob, &alice, &first).unwrap();
    let CiphertextMessage::PreKey(second) = second else {
        panic!("Alice keeps sending pkmsg until Bob replies")
    };
    // Rewrite the outer identity key of the second pkmsg.
    let bytes = second.serialized();
    let mut proto = wa_proto::signal_wire::PreKeySignalMessage::decode(&bytes[1..]).unwrap();
    let mallory = IdentityKeyPair::generate(&mut OsRng);
    proto.identity_key = Some(mallory.identity_key().serialize().to_vec());
    let mut forged = vec![0x33];
    forged.extend_from_slice(&proto.encode_to_vec());
    let forged = PreKeySignalMessage::parse(&forged).unwrap();

    let mut record = bob.store.load_session(&alice.address).unwrap().unwrap();
    let before = record.serialize();
    let identity = bob.store.identity_key_pair().unwrap();
    let signed = bob
        .store
        .load_signed_pre_key(SignedPreKeyId(1))
        .unwrap()
        .unwrap();
    let keys = session::ResponderKeys {
        identity: &identity,
        registration_id: RegistrationId(2),
        signed_pre_key: Some(&signed),
        pre_key: None,
    };
    assert_eq!(
        session::decrypt_pre_key_message(&mut record, &forged, &keys, &mut OsRng).err(),
        Some(Error::UntrustedIdentity)
    );
    assert_eq!(record.serialize(), before, "the record is untouched");
    // The genuine second pkmsg still decrypts on the same session.
    let plaintext = session::decrypt_pre_key_message(&mut record, &second, &keys, &mut OsRng)
        .unwrap()
        .plaintext;
    assert_eq!(plaintext, b"1");
}
