//! The protobuf encodings must be byte-identical to what Baileys 6.17.16 (protobufjs) wrote.
//! Vectors: fixtures/baileys-6.17.16/proto_reaction.json, proto_revoke.json, noise_handshake.json.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use prost::Message as _;
use serde_json::Value;
use wa_proto::{
    common::MessageKey,
    e2e::{protocol_message::Type as ProtocolType, Message, ProtocolMessage, ReactionMessage},
    wa6::ClientPayload,
};

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../../fixtures/baileys-6.17.16/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn key_from_json(k: &Value) -> MessageKey {
    MessageKey {
        remote_jid: k["remoteJid"].as_str().map(Into::into),
        from_me: k["fromMe"].as_bool(),
        id: k["id"].as_str().map(Into::into),
        participant: k["participant"].as_str().map(Into::into),
    }
}

#[test]
fn reaction_messages_are_byte_exact() {
    let doc = load("proto_reaction.json");
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 12);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let r = &case["messageJson"]["reactionMessage"];
        let built = Message {
            reaction_message: Some(ReactionMessage {
                key: Some(key_from_json(&r["key"])),
                text: r["text"].as_str().map(Into::into),
                grouping_key: None,
                sender_timestamp_ms: r["senderTimestampMs"].as_str().map(|s| s.parse().unwrap()),
            }),
            ..Default::default()
        };
        let expected = unhex(&case["messageHex"]);
        assert_eq!(built.encode_to_vec(), expected, "{name}: built from JSON");
        let decoded = Message::decode(expected.as_slice()).unwrap();
        assert_eq!(decoded, built, "{name}: decoded");
        assert_eq!(decoded.encode_to_vec(), expected, "{name}: re-encoded");
        let reaction = decoded.reaction_message.unwrap();
        assert_eq!(
            reaction.encode_to_vec(),
            unhex(&case["reactionMessageHex"]),
            "{name}: ReactionMessage"
        );
        assert_eq!(
            reaction.key.unwrap().encode_to_vec(),
            unhex(&case["messageKeyHex"]),
            "{name}: MessageKey"
        );
        assert_eq!(
            reaction.text.unwrap().as_bytes(),
            unhex(&case["emoji"]["utf8"]).as_slice(),
            "{name}: emoji bytes"
        );
    }
}

#[test]
fn revoke_messages_are_byte_exact_with_explicit_revoke_type() {
    let doc = load("proto_revoke.json");
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let p = &case["messageJson"]["protocolMessage"];
        assert_eq!(p["type"], "REVOKE");
        let built = Message {
            protocol_message: Some(Box::new(ProtocolMessage {
                key: Some(key_from_json(&p["key"])),
                r#type: Some(ProtocolType::Revoke as i32),
                edited_message: None,
                timestamp_ms: None,
            })),
            ..Default::default()
        };
        let expected = unhex(&case["messageHex"]);
        let encoded = built.encode_to_vec();
        assert_eq!(encoded, expected, "{name}");
        // REVOKE is the zero value and must still be on the wire.
        assert!(
            encoded.ends_with(&[0x10, 0x00]),
            "{name}: type field present"
        );
        let decoded = Message::decode(expected.as_slice()).unwrap();
        assert_eq!(decoded, built, "{name}: decoded");
        assert_eq!(
            decoded.protocol_message.unwrap().encode_to_vec(),
            unhex(&case["protocolMessageHex"]),
            "{name}: ProtocolMessage"
        );
    }
}

#[test]
fn client_payload_from_the_handshake_round_trips_byte_exact() {
    let doc = load("noise_handshake.json");
    let bytes = unhex(&doc["messages"]["clientFinish"]["decryptedClientPayloadHex"]);
    let payload = ClientPayload::decode(bytes.as_slice()).unwrap();
    assert_eq!(payload.username, Some(15_550_001_111));
    assert_eq!(payload.device, Some(7));
    assert_eq!(payload.passive, Some(false));
    assert_eq!(payload.pull, Some(true));
    let agent = payload.user_agent.clone().unwrap();
    assert_eq!(agent.platform, Some(14)); // WEB
    assert_eq!(agent.mcc.as_deref(), Some("000"));
    assert_eq!(payload.encode_to_vec(), bytes);
}
