//! Replays the whole stanzas Baileys 6.17.16 put on the wire (`stanzas_send.json`, dictionary
//! v2): every `<message>` (real and placeholder ciphertexts) is encoded from its JSON node and
//! compared byte for byte, and every captured stanza (messages, pre-key iqs, receipts, acks)
//! is decoded and re-encoded to the same bytes.

// Test code: a failed expectation is a failed test, so unwrapping and indexing are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use serde_json::Value;
use wa_binary::json::{node_from_json, node_to_json};
use wa_binary::{decode_frame, encode_frame_to_vec, Dictionary};

fn stanzas() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/baileys-6.17.16/stanzas_send.json");
    let text = std::fs::read_to_string(&path).expect("stanzas_send.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Encodes `node` and compares with `hex`; decodes `hex` and compares with `node` as JSON.
fn check_node_and_bytes(what: &str, node_json: &Value, hex_frame: &str) {
    let node = node_from_json(node_json).expect("fixture node");
    let ours = encode_frame_to_vec(&node, Dictionary::V2).expect("encodes");
    assert_eq!(hex::encode(&ours), hex_frame, "{what}: encoding");
    let frame = hex::decode(hex_frame).expect("hex");
    let decoded = decode_frame(&frame, Dictionary::V2).expect("decodes");
    assert_eq!(
        node_to_json(&decoded),
        node_to_json(&node),
        "{what}: decoding"
    );
}

/// Decodes and re-encodes `hex`.
fn check_reencode(what: &str, hex_frame: &str) -> usize {
    let frame = hex::decode(hex_frame).expect("hex");
    let decoded = decode_frame(&frame, Dictionary::V2).expect("decodes");
    let reencoded = encode_frame_to_vec(&decoded, Dictionary::V2).expect("re-encodes");
    assert_eq!(hex::encode(reencoded), hex_frame, "{what}: re-encoding");
    1
}

#[test]
fn message_stanzas_are_byte_exact() {
    let doc = stanzas();
    let scenarios = doc["scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 11);
    for scenario in scenarios {
        let name = scenario["name"].as_str().expect("name");
        let captured = scenario["capturedHex"].as_str().expect("capturedHex");
        check_node_and_bytes(name, &scenario["node"], captured);
        let placeholder = &scenario["placeholder"];
        check_node_and_bytes(
            &format!("{name} (placeholder)"),
            &placeholder["node"],
            placeholder["hex"].as_str().expect("placeholder hex"),
        );
    }
}

#[test]
fn every_captured_stanza_reencodes() {
    let doc = stanzas();
    let mut count = 0;
    for scenario in doc["scenarios"].as_array().expect("scenarios") {
        for stanza in scenario["precedingClientStanzas"]
            .as_array()
            .expect("preceding")
        {
            count += check_reencode("preceding", stanza["hex"].as_str().expect("hex"));
        }
    }
    for stanza in doc["otherClientStanzas"].as_array().expect("other stanzas") {
        let tag = stanza["tag"].as_str().unwrap_or("?");
        count += check_reencode(tag, stanza["hex"].as_str().expect("hex"));
    }
    assert!(count >= 10, "only {count} stanzas");
}
