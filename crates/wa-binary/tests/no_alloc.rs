//! Encoding a reaction stanza into a reused buffer performs no heap allocation.
//!
//! A counting global allocator (`stats_alloc`) observes the whole process, so this file holds
//! a single test: no other test thread can allocate while it measures.

// Test code: a failed expectation is a failed test, so unwrapping and indexing are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::alloc::System;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use wa_binary::{decode_frame, encode_frame, AttrValue, Dictionary, Jid, Node, Text};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The 1:1 reaction stanza of PROTOCOL.md section 5, three devices. The `to` of the message is
/// a string, so the encoder's "string that parses as a JID" path is measured too.
fn reaction(ciphertexts: &[Vec<u8>; 3]) -> Node<'_> {
    let devices = [
        "15550002222@s.whatsapp.net",
        "15550002222:2@s.whatsapp.net",
        "123456789012345:5@lid",
    ];
    let participants = devices
        .iter()
        .zip(ciphertexts)
        .map(|(device, ciphertext)| {
            let jid: Jid = device.parse().unwrap();
            Node::new("to")
                .with_attr("jid", jid)
                .with_children(vec![Node::new("enc")
                    .with_attr("v", "2")
                    .with_attr("type", "msg")
                    .with_attr("decrypt-fail", "hide")
                    .with_bytes(ciphertext.as_slice())])
        })
        .collect();
    Node::new("message")
        .with_attr("id", "3EB06390102BD4BBEB3532")
        .with_attr(
            "to",
            AttrValue::Str(Text::from_static("15550002222@s.whatsapp.net")),
        )
        .with_attr("type", "reaction")
        .with_children(vec![
            Node::new("participants").with_children(participants),
            Node::new("device-identity").with_bytes(&ciphertexts[0][..10]),
        ])
}

#[test]
fn encoding_into_a_reused_buffer_does_not_allocate() {
    let ciphertexts: [Vec<u8>; 3] = std::array::from_fn(|d| vec![u8::try_from(d).unwrap(); 150]);
    let stanza = reaction(&ciphertexts);
    let mut buf = Vec::with_capacity(4096);

    for dict in [Dictionary::V3, Dictionary::V2] {
        buf.clear();
        encode_frame(&stanza, dict, &mut buf).unwrap();
        let expected = buf.clone();

        let region = Region::new(GLOBAL);
        for _ in 0..100 {
            buf.clear();
            encode_frame(&stanza, dict, &mut buf).unwrap();
        }
        let stats = region.change();
        assert_eq!(buf, expected);
        assert_eq!(
            (stats.allocations, stats.reallocations),
            (0, 0),
            "{dict}: encoding allocated"
        );

        // Decoding borrows every string and byte string; it allocates only the attribute and
        // child vectors (one per node with attributes, one per child list).
        let region = Region::new(GLOBAL);
        let decoded = decode_frame(&expected, dict).unwrap();
        let stats = region.change();
        // The string `to` comes back as a JID value; the text form is the same.
        assert_eq!(decoded.to_string(), stanza.to_string());
        assert!(
            stats.allocations <= 12,
            "{dict}: {} allocations",
            stats.allocations
        );
    }
}
