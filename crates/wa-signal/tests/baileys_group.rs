//! Sender keys against Baileys 6.17.16 (`fixtures/baileys-6.17.16/signal_group.json`): every
//! member device takes in the SKDM it received and decrypts every skmsg; as the sender we rebuild
//! Alice's key from the recorded material and reproduce every skmsg byte for byte up to the
//! signature (ours verifies; XEdDSA signatures are compared by verification only), including
//! Baileys' 0, 2, 4, ... iteration pattern and its final stored record.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use serde_json::Value;
use wa_curve25519::{KeyPair, PublicKey};
use wa_signal::padding::unpad;
use wa_signal::sender_key::{
    group_decrypt, group_encrypt, group_encrypt_skipping, process_distribution_message,
    InMemorySenderKeyStore, SenderChainKey, SenderKeyDistributionMessage, SenderKeyId,
    SenderKeyMessage, SenderKeyName, SenderKeyRecord, SenderKeyState, SenderKeyStore,
};
use wa_signal::ProtocolAddress;

const GROUP: &str = "120363012345678901@g.us";

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/baileys-6.17.16/signal_group.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex_of(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap()).unwrap()
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn arr32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().unwrap()
}

/// The group skmsgs in send order.
fn skmsgs(v: &Value) -> Vec<&Value> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["recipients"].as_array().unwrap())
        .filter(|r| r["encType"] == "skmsg")
        .collect()
}

/// (recipient, SKDM wire bytes, decoded) for every pairwise recipient of the first send.
fn skdms(v: &Value) -> Vec<(String, Vec<u8>, &Value)> {
    v["messages"][0]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["encType"] != "skmsg")
        .map(|r| {
            let skdm = &r["senderKeyDistributionMessage"];
            assert_eq!(skdm["groupId"], GROUP);
            (
                r["recipient"].as_str().unwrap().to_owned(),
                hex_of(&skdm["hex"]),
                &skdm["decoded"],
            )
        })
        .collect()
}

fn alice_name() -> SenderKeyName {
    SenderKeyName::new(GROUP, ProtocolAddress::new("15550001111", 0, 7).unwrap()).unwrap()
}

#[test]
fn sender_key_name_matches_baileys() {
    let v = vectors();
    assert_eq!(
        alice_name().to_string(),
        v["alice"]["senderKeyName"].as_str().unwrap()
    );
}

#[test]
fn every_skdm_parses_and_travels_in_the_pairwise_message() {
    let v = vectors();
    let recipients = skdms(&v);
    assert_eq!(recipients.len(), 4);
    for (recipient, wire, decoded) in &recipients {
        let skdm = SenderKeyDistributionMessage::parse(wire).unwrap();
        assert_eq!(
            u64::from(skdm.key_id().get()),
            decoded["id"].as_u64().unwrap(),
            "{recipient}"
        );
        assert_eq!(
            u64::from(skdm.iteration()),
            decoded["iteration"].as_u64().unwrap()
        );
        assert_eq!(
            skdm.chain_key().seed().as_slice(),
            hex_of(&decoded["chainKey"])
        );
        let mut signing = vec![0x05];
        signing.extend_from_slice(skdm.signing_key().as_bytes());
        assert_eq!(signing, hex_of(&decoded["signingKey"]));
        assert_eq!(skdm.serialized(), wire.as_slice());

        // Inside the pairwise Message, after padding.
        let r = v["messages"][0]["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["recipient"] == recipient.as_str())
            .unwrap();
        let padded = hex_of(&r["paddedPlaintextHex"]);
        let message = unpad(&padded).unwrap();
        assert_eq!(message, hex_of(&r["messageHex"]));
        let parsed = wa_proto::e2e::Message::decode(message).unwrap();
        let inner = parsed.sender_key_distribution_message.unwrap();
        assert_eq!(inner.group_id.as_deref(), Some(GROUP));
        assert_eq!(
            inner.axolotl_sender_key_distribution_message.as_deref(),
            Some(wire.as_slice())
        );
    }
}

#[test]
fn every_member_device_decrypts_every_skmsg() {
    let v = vectors();
    let messages = skmsgs(&v);
    assert_eq!(messages.len(), 5);
    let mut store = InMemorySenderKeyStore::new();
    let name = alice_name();
    for (recipient, wire, _) in skdms(&v) {
        // Each device has its own store; the name is the same on each.
        let mut record = SenderKeyRecord::new();
        assert!(process_distribution_message(
            &mut record,
            &SenderKeyDistributionMessage::parse(&wire).unwrap()
        ));
        // Through the storage encoding, as a device would between messages.
        record = SenderKeyRecord::decode(&record.encode()).unwrap();
        let mut iterations = Vec::new();
        for m in &messages {
            let decrypted_by: Vec<&str> = m["decryptedBy"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap())
                .collect();
            assert!(decrypted_by.contains(&recipient.as_str()));
            let wire = hex_of(&m["ciphertextHex"]);
            let padded = group_decrypt(&mut record, &wire).unwrap();
            assert_eq!(padded, hex_of(&m["paddedPlaintextHex"]), "{recipient}");
            let body = unpad(&padded).unwrap();
            assert_eq!(body, hex_of(&m["messageHex"]));
            assert_eq!(
                padded.len() - body.len(),
                usize::try_from(m["padLen"].as_u64().unwrap()).unwrap()
            );
            wa_proto::e2e::Message::decode(body).unwrap();
            iterations.push(SenderKeyMessage::parse(&wire).unwrap().iteration());
            // A second delivery is refused.
            assert!(group_decrypt(&mut record, &wire).is_err());
            store.store_sender_key(&name, &record).unwrap();
            record = store.load_sender_key(&name).unwrap().unwrap();
        }
        assert_eq!(iterations, [0, 2, 4, 6, 8]);
        // The gaps are parked: 1, 3, 5, 7.
        let state = record.latest_state().unwrap();
        let parked: Vec<u32> = state
            .skipped_message_keys()
            .map(|k| k.iteration())
            .collect();
        assert_eq!(parked, [1, 3, 5, 7]);
        assert_eq!(state.chain_key().iteration(), 9);
    }
}

#[test]
fn every_skmsg_parses_and_its_signature_verifies() {
    let v = vectors();
    let signing_key = PublicKey::from_slice(&hex_of(&v["generatedKeyPairs"][0]["public"])).unwrap();
    let other_key = PublicKey::from_slice(&hex_of(&v["generatedKeyPairs"][1]["public"])).unwrap();
    for m in skmsgs(&v) {
        let wire = hex_of(&m["ciphertextHex"]);
        let decoded = &m["senderKeyMessage"];
        assert_eq!(decoded["versionByte"], 0x33);
        let message = SenderKeyMessage::parse(&wire).unwrap();
        assert_eq!(
            u64::from(message.key_id().get()),
            decoded["id"].as_u64().unwrap()
        );
        assert_eq!(
            u64::from(message.iteration()),
            decoded["iteration"].as_u64().unwrap()
        );
        assert_eq!(message.ciphertext(), hex_of(&decoded["ciphertextHex"]));
        assert_eq!(
            message.signature().as_slice(),
            hex_of(&decoded["signatureHex"])
        );
        assert!(message.verify_signature(&signing_key));
        assert!(!message.verify_signature(&other_key));
        assert_eq!(message.serialized(), wire.as_slice());
    }
}

/// A deterministic RNG (signature randomness only).
struct Fixed(u8);
impl RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        u32::from(self.0)
    }
    fn next_u64(&mut self) -> u64 {
        u64::from(self.0)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(self.0);
        self.0 = self.0.wrapping_add(1);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for Fixed {}

/// Alice's own sender key rebuilt from the recorded id, chain seed and signing key.
fn alice_record(v: &Value) -> SenderKeyRecord {
    let randomness = v["senderKeyRandomness"].as_array().unwrap();
    let key_id = u32::try_from(randomness[0]["value"].as_u64().unwrap()).unwrap();
    let seed = arr32(&hex_of(&randomness[1]["hex"]));
    let pair = &v["generatedKeyPairs"][0];
    assert!(pair["roles"][0]
        .as_str()
        .unwrap()
        .starts_with("senderKey signingKey"));
    let signing = KeyPair::from_private_bytes(arr32(&hex_of(&pair["private"])));
    assert_eq!(
        signing.public_key().as_bytes().as_slice(),
        hex_of(&pair["public"])
    );
    let mut record = SenderKeyRecord::new();
    record.add_state(SenderKeyState::new_own(
        SenderKeyId::new(key_id),
        SenderChainKey::new(0, seed),
        signing,
    ));
    record
}

#[test]
fn sender_reproduces_skdm_and_every_skmsg_and_the_final_record() {
    let v = vectors();
    let mut record = alice_record(&v);
    let signing_key = *record.latest_state().unwrap().signing_key();

    // The SKDM is byte-identical (no randomness in it).
    let skdm = record.latest_state().unwrap().distribution_message();
    for (_, wire, _) in skdms(&v) {
        assert_eq!(skdm.serialized(), wire.as_slice());
    }

    let mut rng = Fixed(1);
    for (n, m) in skmsgs(&v).into_iter().enumerate() {
        let padded = hex_of(&m["paddedPlaintextHex"]);
        let recorded = hex_of(&m["ciphertextHex"]);
        // Baileys: iteration 0 first, then it skips one iteration before every message.
        let ours = if n == 0 {
            group_encrypt(&mut record, &padded, &mut rng).unwrap()
        } else {
            group_encrypt_skipping(&mut record, 1, &padded, &mut rng).unwrap()
        };
        let recorded_signed = &recorded[..recorded.len() - 64];
        assert_eq!(ours.signed_part(), recorded_signed, "skmsg {n}");
        assert_eq!(
            ours.ciphertext(),
            hex_of(&m["senderKeyMessage"]["ciphertextHex"])
        );
        assert!(ours.verify_signature(&signing_key));
        assert_eq!(ours.serialized().len(), recorded.len());
    }

    // Alice's record as Baileys stored it at the end.
    let stored =
        &v["alice"]["storedSenderKeyRecord"][v["alice"]["senderKeyName"].as_str().unwrap()];
    assert_eq!(stored.as_array().unwrap().len(), 1);
    let stored = &stored[0];
    let state = record.latest_state().unwrap();
    assert_eq!(
        u64::from(state.key_id().get()),
        stored["senderKeyId"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(state.chain_key().iteration()),
        stored["senderChainKey"]["iteration"].as_u64().unwrap()
    );
    assert_eq!(
        state.chain_key().seed().as_slice(),
        base64(stored["senderChainKey"]["seed"].as_str().unwrap())
    );
    let mut public = vec![0x05];
    public.extend_from_slice(state.signing_key().as_bytes());
    assert_eq!(
        public,
        base64(stored["senderSigningKey"]["public"].as_str().unwrap())
    );
    assert_eq!(
        state.signing_private_key().unwrap().to_bytes().as_slice(),
        base64(stored["senderSigningKey"]["private"].as_str().unwrap())
    );
    let parked: Vec<(u64, Vec<u8>)> = state
        .skipped_message_keys()
        .map(|k| (u64::from(k.iteration()), k.seed().to_vec()))
        .collect();
    let expected: Vec<(u64, Vec<u8>)> = stored["senderMessageKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["iteration"].as_u64().unwrap(),
                base64(k["seed"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(parked, expected);

    // Our storage encoding keeps all of it, and the record still sends.
    let mut reloaded = SenderKeyRecord::decode(&record.encode()).unwrap();
    assert_eq!(
        reloaded.latest_state().unwrap().chain_key().seed(),
        record.latest_state().unwrap().chain_key().seed()
    );
    let next = group_encrypt(&mut reloaded, b"after reload\x04\x04\x04\x04", &mut rng).unwrap();
    assert_eq!(next.iteration(), 9);
}

#[test]
fn our_skmsgs_decrypt_at_baileys_receivers_state() {
    // What we send with Alice's key decrypts with the SKDM Baileys distributed.
    let v = vectors();
    let mut sender = alice_record(&v);
    let (_, wire, _) = &skdms(&v)[1];
    let mut receiver = SenderKeyRecord::new();
    process_distribution_message(
        &mut receiver,
        &SenderKeyDistributionMessage::parse(wire).unwrap(),
    );
    let mut rng = Fixed(9);
    for text in [&b"one\x01"[..], b"two\x01", b"three\x01"] {
        let skmsg = group_encrypt(&mut sender, text, &mut rng).unwrap();
        assert_eq!(
            group_decrypt(&mut receiver, skmsg.serialized()).unwrap(),
            text
        );
    }
}
