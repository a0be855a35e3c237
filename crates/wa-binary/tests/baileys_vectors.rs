//! Replays `fixtures/baileys-6.17.16/binary_nodes.json` (Baileys 6.17.16, dictionary v2):
//! every case is encoded from its input and compared with Baileys' bytes, Baileys' bytes are
//! decoded and compared with Baileys' decoding, and our decoding is re-encoded.
//!
//! Where we differ from Baileys, on purpose (each asserted below, case by case):
//! - `ad_jid_agent_dropped`: the input `15550002222_1:3@s.whatsapp.net` is not a JID for us
//!   (`_1` is a Signal-address suffix, see `Jid`), so it is written as a raw string instead of
//!   Baileys' AD_JID for device 3 of `15550002222` (which silently addresses someone else).
//! - `ad_jid_device_zero`: we decode AD_JID device 0 as `15550002222:0@s.whatsapp.net` (Baileys
//!   drops `:0`), so our decoding re-encodes to the same bytes (Baileys' does not).
//!   `Jid` equality treats `:0` and no device alike, so the node still equals Baileys' node.

// Test code: a failed expectation is a failed test, so unwrapping and indexing are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use serde_json::Value;
use sha2::{Digest, Sha256};
use wa_binary::json::{node_from_json, node_to_json};
use wa_binary::{decode_frame, encode_frame_to_vec, Content, Dictionary, Error, Jid, Node};

fn vectors() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/baileys-6.17.16/binary_nodes.json");
    let text = std::fs::read_to_string(&path).expect("binary_nodes.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn name(case: &Value) -> &str {
    case["name"].as_str().expect("case name")
}

/// Baileys' bytes for a case: the hex when given, else rebuilt from our encoding after
/// checking its length, SHA-256, head and tail against the recorded ones.
fn baileys_bytes(case: &Value, ours: &[u8]) -> Vec<u8> {
    let encoded = &case["encoded"];
    if let Some(hex) = encoded["hex"].as_str() {
        return hex::decode(hex).expect("hex");
    }
    let len = usize::try_from(encoded["length"].as_u64().expect("length")).unwrap();
    assert_eq!(ours.len(), len, "{}: length", name(case));
    assert_eq!(
        hex::encode(Sha256::digest(ours)),
        encoded["sha256"].as_str().expect("sha256"),
        "{}: sha256",
        name(case)
    );
    let head = hex::decode(encoded["headHex"].as_str().expect("headHex")).unwrap();
    let tail = hex::decode(encoded["tailHex"].as_str().expect("tailHex")).unwrap();
    assert!(
        ours.starts_with(&head) && ours.ends_with(&tail),
        "{}",
        name(case)
    );
    ours.to_vec()
}

/// A node's JSON form, normalised through our reader (`$pattern` becomes `$bytes`).
fn normalised(json: &Value) -> Value {
    node_to_json(&node_from_json(json).expect("fixture node"))
}

#[test]
fn all_44_encode_cases() {
    let doc = vectors();
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 44);
    for case in cases {
        let name = name(case);
        let input = node_from_json(&case["input"]).expect("input node");
        let ours = encode_frame_to_vec(&input, Dictionary::V2).expect("encodes");
        let theirs = baileys_bytes(case, &ours);

        // 1. Encoding: byte-exact, except where Baileys addresses a different JID.
        if name == "ad_jid_agent_dropped" {
            let raw = "15550002222_1:3@s.whatsapp.net";
            assert_eq!(raw.parse::<Jid>(), Err(wa_binary::JidError::InvalidUser));
            let expected = format!("00f8030e0ffc1e{}", hex::encode(raw));
            assert_eq!(
                hex::encode(&ours),
                expected,
                "{name}: raw string, not AD_JID"
            );
        } else {
            assert_eq!(hex::encode(&ours), hex::encode(&theirs), "{name}: encoding");
        }

        // 2. Decoding Baileys' bytes: the same node as Baileys' decoder (as JSON), except the
        //    explicit `:0` we keep.
        let decoded = decode_frame(&theirs, Dictionary::V2).expect("decodes");
        let decoded_json = node_to_json(&decoded);
        let baileys_decoded = normalised(&case["decoded"]);
        if name == "ad_jid_device_zero" {
            assert_eq!(
                decoded_json["attrs"]["jid"], "15550002222:0@s.whatsapp.net",
                "{name}: we keep the explicit device 0"
            );
            assert_eq!(
                baileys_decoded["attrs"]["jid"],
                "15550002222@s.whatsapp.net"
            );
            let ours_jid = decoded.attr_jid("jid").unwrap();
            let theirs_jid: Jid = "15550002222@s.whatsapp.net".parse().unwrap();
            assert_eq!(ours_jid, theirs_jid, "{name}: still the same device");
        } else {
            assert_eq!(decoded_json, baileys_decoded, "{name}: decoding");
        }

        // 3. Re-encoding our decoding gives Baileys' bytes back, in every case (Baileys
        //    itself fails this for `ad_jid_device_zero`).
        let reencoded = encode_frame_to_vec(&decoded, Dictionary::V2).expect("re-encodes");
        assert_eq!(
            hex::encode(&reencoded),
            hex::encode(&theirs),
            "{name}: re-encoding"
        );
        let baileys_reencode_equal = case["reencodeBytesEqual"].as_bool().unwrap();
        assert_eq!(
            baileys_reencode_equal,
            name != "ad_jid_device_zero",
            "{name}: the vector's own flag"
        );

        // 4. Round trip of the node through our codec: equal to the input (as JSON, where a
        //    JID attribute is its text) except raw string content, which comes back as bytes
        //    (the wire cannot tell them apart; Baileys does the same).
        let ours_decoded = decode_frame(&ours, Dictionary::V2).expect("decodes ours");
        let round_trip_equal = node_to_json(&ours_decoded) == node_to_json(&input);
        assert_eq!(
            round_trip_equal,
            name != "content_raw_string",
            "{name}: round trip"
        );
        if name == "content_raw_string" {
            assert_eq!(ours_decoded.content, Content::Bytes(b"hello"[..].into()));
        }
        let baileys_round_trip = case["roundTripNodeEqual"].as_bool().unwrap();
        let baileys_lossy = [
            "undefined_attr_skipped",
            "ad_jid_device_zero",
            "ad_jid_agent_dropped",
            "content_raw_string",
        ];
        assert_eq!(baileys_round_trip, !baileys_lossy.contains(&name), "{name}");
    }
}

#[test]
fn zlib_frame_decodes() {
    let doc = vectors();
    let case = &doc["decodeOnly"][0];
    assert_eq!(name(case), "zlib_compressed_frame");
    let frame = hex::decode(case["input"]["hex"].as_str().unwrap()).unwrap();
    assert_eq!(frame.first(), Some(&0x02));
    let node = decode_frame(&frame, Dictionary::V2).expect("inflates and decodes");
    assert_eq!(node_to_json(&node), normalised(&case["decoded"]));
    assert_eq!(node.attr_str("id"), Some("1799.1799-3"));
    assert_eq!(
        node.child("count").and_then(|c| c.attr_str("value")),
        Some("42")
    );
}

#[test]
fn malformed_inputs_are_typed_errors() {
    let doc = vectors();
    let expectations = [
        ("invalid_empty_list_header", Error::InvalidNode),
        ("truncated_binary8", Error::UnexpectedEof),
    ];
    let cases = doc["decodeOnly"].as_array().unwrap();
    for (case_name, expected) in expectations {
        let case = cases
            .iter()
            .find(|c| name(c) == case_name)
            .expect(case_name);
        assert_eq!(case["error"], "end of stream", "Baileys' message");
        let frame = hex::decode(case["input"]["hex"].as_str().unwrap()).unwrap();
        assert_eq!(
            decode_frame(&frame, Dictionary::V2),
            Err(expected),
            "{case_name}"
        );
    }
}

#[test]
fn numeric_attribute_quirk_is_a_typed_error() {
    let doc = vectors();
    let case = &doc["quirks"][0];
    assert_eq!(name(case), "quirk_numeric_attr_value");
    let frame = hex::decode(case["encoded"]["hex"].as_str().unwrap()).unwrap();
    // List size 5 announces two attributes; only one is there.
    assert_eq!(
        decode_frame(&frame, Dictionary::V2),
        Err(Error::UnexpectedEof)
    );
    // We cannot produce that frame: every attribute we count, we write.
    let node: Node<'_> = Node::new("iq").with_attr("id", "1").with_attr("count", "5");
    let ours = encode_frame_to_vec(&node, Dictionary::V2).unwrap();
    assert_eq!(decode_frame(&ours, Dictionary::V2), Ok(node));
}
