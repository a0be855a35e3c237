//! The generated token tables against their JSON sources (and the SHA-256 recorded there),
//! every token through the codec in both dictionaries, and v3 stanzas in whatsmeow's shape.

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
use wa_binary::{decode_frame, encode_frame_to_vec, tag, Content, Dictionary, Jid, Node, Token};

fn fixture(path: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect()
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[test]
fn v2_table_matches_baileys_dump_and_its_sha256() {
    let doc = fixture("baileys-6.17.16/tokens.json");
    assert_eq!(doc["dictVersion"], 2);
    let single = strings(&doc["singleByte"]["tokens"]);
    // Baileys recorded SHA-256 over JSON.stringify(list).
    let json = serde_json::to_string(&single).unwrap();
    assert_eq!(
        sha256_hex(&json),
        doc["singleByte"]["sha256"].as_str().unwrap()
    );
    assert_eq!(Dictionary::V2.single_byte_tokens().to_vec(), single);
    for (d, dict) in doc["doubleByte"].as_array().unwrap().iter().enumerate() {
        let tokens = strings(&dict["tokens"]);
        let json = serde_json::to_string(&tokens).unwrap();
        assert_eq!(sha256_hex(&json), dict["sha256"].as_str().unwrap());
        assert_eq!(Dictionary::V2.double_byte_tokens()[d].to_vec(), tokens);
    }
}

#[test]
fn v3_table_matches_tokens_v3_json_and_its_sha256() {
    let doc = fixture("tokens_v3.json");
    assert_eq!(doc["dict_version"], 3);
    let single = strings(&doc["single_byte"]);
    // tokens_v3.json records SHA-256 over the newline-joined list.
    assert_eq!(
        sha256_hex(&single.join("\n")),
        doc["sha256_single"].as_str().unwrap()
    );
    assert_eq!(Dictionary::V3.single_byte_tokens().to_vec(), single);
    for (d, dict) in doc["double_byte"].as_array().unwrap().iter().enumerate() {
        let tokens = strings(dict);
        assert_eq!(
            sha256_hex(&tokens.join("\n")),
            doc["sha256_double"][d].as_str().unwrap()
        );
        assert_eq!(Dictionary::V3.double_byte_tokens()[d].to_vec(), tokens);
    }
}

/// Every token as a tag and as an attribute value: written as its byte(s), read back.
fn every_token_through_the_codec(dict: Dictionary) -> usize {
    let mut tokens: Vec<(&str, Vec<u8>)> = Vec::new();
    for (byte, s) in dict.single_byte_tokens().iter().enumerate().skip(1) {
        tokens.push((s, vec![u8::try_from(byte).unwrap()]));
    }
    for (d, table) in dict.double_byte_tokens().iter().enumerate() {
        for (i, s) in table.iter().enumerate() {
            let d = u8::try_from(d).unwrap();
            tokens.push((s, vec![tag::DICTIONARY_0 + d, u8::try_from(i).unwrap()]));
        }
    }
    for (s, bytes) in &tokens {
        let mut expected = vec![0x00, tag::LIST_8, 1];
        expected.extend_from_slice(bytes);
        let node = Node::new(*s);
        let frame = encode_frame_to_vec(&node, dict).unwrap();
        assert_eq!(frame, expected, "{dict} tag {s:?}");
        assert_eq!(decode_frame(&frame, dict).unwrap(), node, "{dict} {s:?}");

        let node = Node::new("x-not-a-token").with_attr("k-not-a-token", *s);
        let frame = encode_frame_to_vec(&node, dict).unwrap();
        assert!(frame.ends_with(bytes), "{dict} value {s:?}");
        assert_eq!(
            decode_frame(&frame, dict).unwrap(),
            node,
            "{dict} value {s:?}"
        );
    }
    tokens.len()
}

#[test]
fn every_v3_token_encodes_to_its_bytes_and_back() {
    assert_eq!(every_token_through_the_codec(Dictionary::V3), 235 + 4 * 256);
}

#[test]
fn every_v2_token_encodes_to_its_bytes_and_back() {
    assert_eq!(every_token_through_the_codec(Dictionary::V2), 235 + 4 * 256);
}

#[test]
fn v3_bytes_pinned_by_hand_from_the_table() {
    // single_byte: iq 0x19, id 0x08, type 0x04, get 0x29, xmlns 0x16, encrypt 0xcb, to 0x11,
    // s.whatsapp.net 0x03.
    let iq = Node::new("iq")
        .with_attr("id", "1")
        .with_attr("type", "get")
        .with_attr("xmlns", "encrypt")
        .with_attr("to", "s.whatsapp.net");
    let frame = encode_frame_to_vec(&iq, Dictionary::V3).unwrap();
    assert_eq!(hex::encode(frame), "00f809190855042916cb1103");

    // message 0x13, reaction = double_byte[0][4] -> ec 04; "to" a JID_PAIR with a packed user.
    let message = Node::new("message")
        .with_attr("id", "3EB0A1B2C3D4E5F6A7B8C9")
        .with_attr("to", "15550002222@s.whatsapp.net")
        .with_attr("type", "reaction");
    let frame = encode_frame_to_vec(&message, Dictionary::V3).unwrap();
    assert_eq!(
        hex::encode(frame),
        "00f80713 08fb0b3eb0a1b2c3d4e5f6a7b8c9 11faff8615550002222f03 04ec04".replace(' ', "")
    );
    assert_eq!(
        Dictionary::V3.lookup("reaction"),
        Some(Token::Double { dict: 0, index: 4 })
    );
}

fn jid(s: &str) -> Jid {
    s.parse().unwrap()
}

/// Stanzas in the shapes whatsmeow sends and receives, with JIDs of every wire form.
fn whatsmeow_style_stanzas() -> Vec<Node<'static>> {
    let enc = |kind: &'static str| {
        Node::new("enc")
            .with_attr("v", "2")
            .with_attr("type", kind)
            .with_attr("decrypt-fail", "hide")
            .with_bytes(vec![0x33; 150])
    };
    vec![
        Node::new("message")
            .with_attr("id", "3EB0A1B2C3D4E5F6A7B8C9")
            .with_attr("to", jid("15550002222@s.whatsapp.net"))
            .with_attr("type", "reaction")
            .with_children(vec![
                Node::new("participants").with_children(vec![
                    Node::new("to")
                        .with_attr("jid", jid("15550002222@s.whatsapp.net"))
                        .with_children(vec![enc("pkmsg")]),
                    Node::new("to")
                        .with_attr("jid", jid("15550002222:2@s.whatsapp.net"))
                        .with_children(vec![enc("msg")]),
                    Node::new("to")
                        .with_attr("jid", jid("123456789012345:5@lid"))
                        .with_children(vec![enc("msg")]),
                ]),
                Node::new("device-identity").with_bytes(vec![1, 2, 3]),
            ]),
        Node::new("iq")
            .with_attr("id", "1799.1799-3")
            .with_attr("xmlns", "usync")
            .with_attr("type", "get")
            .with_attr("to", Jid::server_only(wa_binary::Server::User))
            .with_children(vec![Node::new("usync")
                .with_attr("sid", "1799.1799-4")
                .with_attr("mode", "query")
                .with_attr("last", "true")
                .with_attr("index", "0")
                .with_attr("context", "message")
                .with_children(vec![
                    Node::new("query")
                        .with_children(vec![Node::new("devices").with_attr("version", "2")]),
                    Node::new("list").with_children(vec![
                        Node::new("user").with_attr("jid", jid("15550002222@s.whatsapp.net")),
                        Node::new("user").with_attr("jid", jid("15550003333@s.whatsapp.net")),
                    ]),
                ])]),
        Node::new("receipt")
            .with_attr("id", "3A8ECCB11B55847902C2")
            .with_attr("from", jid("120363012345678901@g.us"))
            .with_attr("participant", jid("15550002222:0@s.whatsapp.net"))
            .with_attr("recipient", jid("100012345:3@msgr"))
            .with_attr("peer", jid("7-100012345:1@interop"))
            .with_attr("hosted", jid("15550004444:99@hosted"))
            .with_attr("hosted-lid", jid("123:1@hosted.lid"))
            .with_attr("bot", jid("867051314767696@bot"))
            .with_attr("channel", jid("120363123456789012@newsletter"))
            .with_attr("status", jid("status@broadcast"))
            .with_attr("legacy", jid("16505361212@c.us"))
            .with_attr("t", "1700000000")
            .with_attr("empty", ""),
        Node::new("ack")
            .with_attr("class", "message")
            .with_attr("id", "3EB0FEDCBA98765432100F")
            .with_content(Content::Jid(
                jid("15550002222.1:3@s.whatsapp.net").to_non_ad(),
            )),
        Node::new("count").with_content("42"),
    ]
}

#[test]
fn whatsmeow_style_stanzas_round_trip_in_v3() {
    for stanza in whatsmeow_style_stanzas() {
        let frame = encode_frame_to_vec(&stanza, Dictionary::V3).unwrap();
        let decoded = decode_frame(&frame, Dictionary::V3).unwrap();
        assert_eq!(decoded, stanza, "{stanza}");
        let again = encode_frame_to_vec(&decoded, Dictionary::V3).unwrap();
        assert_eq!(again, frame, "{stanza}");
        // The same tree in v2 is different bytes but the same node.
        let v2 = encode_frame_to_vec(&stanza, Dictionary::V2).unwrap();
        assert_ne!(v2, frame);
        assert_eq!(decode_frame(&v2, Dictionary::V2).unwrap(), stanza);
    }
}
