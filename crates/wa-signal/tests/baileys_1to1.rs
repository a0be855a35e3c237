//! Replays `fixtures/baileys-6.17.16/signal_1to1.json` (Baileys 6.17.16 with libsignal-node
//! 6.0.0, every random source seeded): as the receiving peers with their private keys, as Alice
//! reproducing her ciphertexts byte for byte with the recorded key pairs injected through the
//! RNG, and Alice decrypting the peers' replies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity
)] // test helpers outside #[test] functions

use std::collections::VecDeque;

use rand_core::{CryptoRng, RngCore};
use serde_json::Value;
use wa_curve25519::{KeyPair, PrivateKey, PublicKey};
use wa_signal::{
    padding::unpad,
    prekey::verify_signed_pre_key,
    session::{self, ResponderKeys},
    x3dh, CiphertextMessage, IdentityKey, IdentityKeyPair, PreKeyBundle, PreKeyId, PreKeyRecord,
    RegistrationId, SessionRecord, SignedPreKeyId, SignedPreKeyRecord,
};

const ALICE_JID: &str = "15550001111:7@s.whatsapp.net";

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/baileys-6.17.16/signal_1to1.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn key32(v: &Value) -> [u8; 32] {
    bytes(v).try_into().unwrap()
}

fn u32_of(v: &Value) -> u32 {
    u32::try_from(v.as_u64().unwrap()).unwrap()
}

/// Hands out recorded private keys, 32 bytes per draw, and fails loudly on anything else.
struct RecordedKeys(VecDeque<[u8; 32]>);

impl RngCore for RecordedKeys {
    fn next_u32(&mut self) -> u32 {
        panic!("only key draws expected")
    }
    fn next_u64(&mut self) -> u64 {
        panic!("only key draws expected")
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert_eq!(dest.len(), 32, "only key draws expected");
        dest.copy_from_slice(&self.0.pop_front().expect("no recorded key left"));
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for RecordedKeys {}

/// The recorded key pair matching `pred`, checked against its public key.
fn generated(f: &Value, pred: impl Fn(&str, &[String]) -> bool) -> [u8; 32] {
    let found: Vec<&Value> = f["generatedKeyPairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| {
            let roles: Vec<String> = g["roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            pred(g["label"].as_str().unwrap(), &roles)
        })
        .collect();
    assert_eq!(found.len(), 1);
    let private = key32(&found[0]["private"]);
    assert_eq!(
        KeyPair::from_private_bytes(private).public_key().as_bytes(),
        &key32(&found[0]["public"])
    );
    private
}

fn identity_pair(v: &Value) -> IdentityKeyPair {
    let pair = IdentityKeyPair::from_private_key(PrivateKey::from_bytes(key32(&v["private"])));
    assert_eq!(
        pair.identity_key().public_key().as_bytes(),
        &key32(&v["public"])
    );
    pair
}

fn identity_public(v: &Value) -> IdentityKey {
    IdentityKey::new(PublicKey::from_bytes(key32(&v["public"])))
}

fn bundle(peer: &Value) -> PreKeyBundle {
    PreKeyBundle {
        registration_id: RegistrationId(u32_of(&peer["registrationId"])),
        identity_key: identity_public(&peer["identityKey"]),
        signed_pre_key_id: SignedPreKeyId(u32_of(&peer["signedPreKey"]["keyId"])),
        signed_pre_key: PublicKey::from_bytes(key32(&peer["signedPreKey"]["public"])),
        signed_pre_key_signature: bytes(&peer["signedPreKey"]["signature"])
            .try_into()
            .unwrap(),
        pre_key: Some((
            PreKeyId(u32_of(&peer["preKey"]["keyId"])),
            PublicKey::from_bytes(key32(&peer["preKey"]["public"])),
        )),
    }
}

/// Every message Alice sent to `jid`, in order: (enc type, bytes, padded plaintext, message).
fn sent_to(f: &Value, jid: &str) -> Vec<(String, Vec<u8>, Vec<u8>, Vec<u8>)> {
    f["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let r = m["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["recipient"] == jid)
                .unwrap();
            (
                r["encType"].as_str().unwrap().to_owned(),
                bytes(&r["ciphertextHex"]),
                bytes(&r["paddedPlaintextHex"]),
                bytes(&r["messageHex"]),
            )
        })
        .collect()
}

fn reply_from<'a>(f: &'a Value, jid: &str) -> &'a Value {
    f["repliesToAlice"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from"] == jid)
        .unwrap()
}

fn peers(f: &Value) -> &Vec<Value> {
    f["peers"].as_array().unwrap()
}

#[test]
fn signed_prekey_signatures_verify() {
    let f = fixture();
    let mut all = vec![&f["alice"]];
    all.extend(peers(&f));
    for party in all {
        let identity = identity_public(&party["identityKey"]);
        let spk = PublicKey::from_bytes(key32(&party["signedPreKey"]["public"]));
        let mut signature: [u8; 64] = bytes(&party["signedPreKey"]["signature"])
            .try_into()
            .unwrap();
        assert!(verify_signed_pre_key(&identity, &spk, &signature));
        signature[5] ^= 1;
        assert!(!verify_signed_pre_key(&identity, &spk, &signature));
    }
    // A bundle whose signature does not verify is refused (libsignal-node would accept it).
    let mut bad = bundle(&peers(&f)[0]);
    bad.signed_pre_key_signature[0] ^= 1;
    let alice = identity_pair(&f["alice"]["identityKey"]);
    let result = x3dh::initiate(
        &alice,
        RegistrationId(159),
        &bad,
        &mut RecordedKeys(VecDeque::new()),
    );
    assert_eq!(result.err(), Some(wa_signal::Error::InvalidSignature));
}

/// Each peer decrypts everything Alice sent it, replies (reproducing the recorded reply bytes),
/// and keeps decrypting across Alice's DH ratchet step.
#[test]
fn peers_decrypt_everything_alice_sent() {
    let f = fixture();
    for peer in peers(&f) {
        let jid = peer["jid"].as_str().unwrap();
        let identity = identity_pair(&peer["identityKey"]);
        let registration_id = RegistrationId(u32_of(&peer["registrationId"]));
        let spk = SignedPreKeyRecord::new(
            SignedPreKeyId(u32_of(&peer["signedPreKey"]["keyId"])),
            KeyPair::from_private_bytes(key32(&peer["signedPreKey"]["private"])),
            bytes(&peer["signedPreKey"]["signature"])
                .try_into()
                .unwrap(),
            0,
        );
        assert!(spk.verify(&identity.identity_key()));
        let opk = PreKeyRecord::new(
            PreKeyId(u32_of(&peer["preKey"]["keyId"])),
            KeyPair::from_private_bytes(key32(&peer["preKey"]["private"])),
        );
        let keys = ResponderKeys {
            identity: &identity,
            registration_id,
            signed_pre_key: Some(&spk),
            pre_key: Some(&opk),
        };
        let decrypt_label = |scenario: &str| format!("peer[{jid}].decrypt:{scenario}");
        let first_ratchet = generated(&f, |label, _| {
            label == decrypt_label("dm_react_thumbsup_first_message")
        });
        let second_ratchet = generated(&f, |label, _| {
            label == decrypt_label("dm_react_heart_to_own_msg")
        });
        let mut rng = RecordedKeys(VecDeque::from([first_ratchet, second_ratchet]));

        let mut record = SessionRecord::new();
        let messages = sent_to(&f, jid);
        for (i, (enc_type, wire, padded, message)) in messages.iter().enumerate() {
            let parsed = CiphertextMessage::parse(enc_type, wire).unwrap();
            assert_eq!(parsed.serialized(), wire.as_slice());
            let plaintext = match &parsed {
                CiphertextMessage::PreKey(pkmsg) => {
                    assert_eq!(pkmsg.pre_key_id(), Some(opk.id()));
                    let out = session::decrypt_pre_key_message(&mut record, pkmsg, &keys, &mut rng)
                        .unwrap();
                    // Only the first pkmsg sets the session up (and consumes the prekey).
                    assert_eq!(out.used_pre_key, (i == 0).then_some(opk.id()));
                    out.plaintext
                }
                CiphertextMessage::Signal(msg) => {
                    session::decrypt_signal_message(&mut record, msg, &mut rng).unwrap()
                }
            };
            assert_eq!(&plaintext, padded, "{jid} message {i}");
            assert_eq!(unpad(&plaintext).unwrap(), message.as_slice());
            // The record survives storage at every step.
            record = SessionRecord::deserialize(&record.serialize()).unwrap();

            if i == 1 {
                // Now the peer replies; its ciphertext reproduces the recorded reply.
                let reply = reply_from(&f, jid);
                let sent =
                    session::encrypt(&mut record, &bytes(&reply["paddedPlaintextHex"])).unwrap();
                assert_eq!(sent.enc_type(), "msg");
                assert_eq!(
                    hex::encode(sent.serialized()),
                    reply["ciphertextHex"].as_str().unwrap(),
                    "{jid} reply"
                );
            }
        }
        assert!(rng.0.is_empty());
        // A replay of the last message is a typed error, and leaves the record usable.
        let (enc_type, wire, _, _) = messages.last().unwrap();
        let CiphertextMessage::Signal(last) = CiphertextMessage::parse(enc_type, wire).unwrap()
        else {
            panic!("last is a msg")
        };
        assert!(matches!(
            session::decrypt_signal_message(&mut record, &last, &mut rng),
            Err(wa_signal::Error::DuplicateMessage { counter: 3 })
        ));
    }
}

/// Alice, fed the recorded base and ratchet keys in order, reproduces every ciphertext.
#[test]
fn alice_reproduces_her_ciphertexts_and_decrypts_replies() {
    let f = fixture();
    let alice = identity_pair(&f["alice"]["identityKey"]);
    let alice_registration = RegistrationId(u32_of(&f["alice"]["registrationId"]));
    for peer in peers(&f) {
        let jid = peer["jid"].as_str().unwrap();
        let to = format!("{ALICE_JID} -> {jid}");
        let base = generated(&f, |_, roles| roles == [format!("baseKey {to}")]);
        let ratchet = generated(&f, |label, roles| {
            label.starts_with("send:") && roles == [format!("ratchetKey {to}")]
        });
        let after_reply = generated(&f, |label, _| label == format!("deliver-reply[{jid}]"));

        let state = x3dh::initiate(
            &alice,
            alice_registration,
            &bundle(peer),
            &mut RecordedKeys(VecDeque::from([base, ratchet])),
        )
        .unwrap();
        let mut record = SessionRecord::from_state(state);
        let messages = sent_to(&f, jid);
        for (i, (enc_type, wire, padded, _)) in messages.iter().enumerate() {
            let sent = session::encrypt(&mut record, padded).unwrap();
            assert_eq!(sent.enc_type(), enc_type, "{jid} message {i}");
            assert_eq!(
                hex::encode(sent.serialized()),
                hex::encode(wire),
                "{jid} message {i}"
            );
            record = SessionRecord::deserialize(&record.serialize()).unwrap();

            if i == 1 {
                let reply = reply_from(&f, jid);
                assert_eq!(reply["to"], ALICE_JID);
                let parsed = CiphertextMessage::parse(
                    reply["type"].as_str().unwrap(),
                    &bytes(&reply["ciphertextHex"]),
                )
                .unwrap();
                let CiphertextMessage::Signal(msg) = parsed else {
                    panic!("reply is a msg")
                };
                let mut rng = RecordedKeys(VecDeque::from([after_reply]));
                let plaintext =
                    session::decrypt_signal_message(&mut record, &msg, &mut rng).unwrap();
                assert_eq!(plaintext, bytes(&reply["paddedPlaintextHex"]));
                assert!(!record.current().unwrap().has_pending_pre_key());
            }
        }
    }
}
