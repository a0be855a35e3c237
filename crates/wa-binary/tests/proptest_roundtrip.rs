//! Property tests: arbitrary node trees survive encode -> decode in both dictionaries (up to
//! the documented normalisations), arbitrary valid JIDs survive display -> parse, and no byte
//! string makes the decoder panic.

// Test code: a failed expectation is a failed test, so unwrapping and indexing are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use wa_binary::{
    decode_frame, decode_node, encode_frame_to_vec, tag, AttrValue, Attrs, Content, Dictionary,
    Jid, Node, Server, Text,
};

// ---------------------------------------------------------------------------------------------
// Strings

fn token(dict: Dictionary) -> impl Strategy<Value = String> {
    let singles = dict.single_byte_tokens();
    let doubles = dict.double_byte_tokens();
    prop_oneof![
        (1usize..singles.len()).prop_map(move |i| singles[i].to_owned()),
        (0usize..4, 0usize..256).prop_map(move |(d, i)| doubles[d][i].to_owned()),
    ]
}

/// Tokens of either dictionary, packable strings, raw text of any script (no `@`, so never a
/// JID), and long raw text (BINARY_20).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => token(Dictionary::V2),
        3 => token(Dictionary::V3),
        2 => "[0-9.-]{1,130}",
        2 => "[0-9A-F]{1,130}",
        1 => "[0-9a-f]{1,40}",
        3 => "[^@]{1,40}",
        1 => "[a-z]{250,300}",
    ]
}

// ---------------------------------------------------------------------------------------------
// JIDs

/// Valid JIDs of every server; `agents` allows an agent on `s.whatsapp.net` (never written to
/// the wire, so off for codec round trips).
fn jid(agents: bool) -> impl Strategy<Value = Jid> {
    let digits = "[1-9][0-9]{0,19}";
    let ad_server = prop_oneof![
        Just(Server::User),
        Just(Server::Lid),
        Just(Server::Hosted),
        Just(Server::HostedLid),
    ];
    let plain_server = prop_oneof![Just(Server::Newsletter), Just(Server::Bot)];
    prop_oneof![
        // AD servers: optional device 0..=255, optional agent on s.whatsapp.net.
        (
            digits,
            ad_server,
            proptest::option::of(any::<u8>()),
            any::<u8>()
        )
            .prop_map(move |(user, server, device, agent)| {
                let is_user_server = server == Server::User;
                let mut jid = Jid::new(&user, server).unwrap();
                if let Some(device) = device {
                    jid = jid.with_device(u16::from(device)).unwrap();
                }
                if agents && is_user_server {
                    jid = jid.with_agent(agent).unwrap();
                }
                jid
            }),
        (digits, plain_server).prop_map(|(user, server)| Jid::new(&user, server).unwrap()),
        ("[0-9]{1,18}(-[0-9]{1,10})?").prop_map(|user| Jid::new(&user, Server::Group).unwrap()),
        (
            "status|[0-9]{1,15}|[a-zA-Z0-9-]{1,20}",
            prop_oneof![Just(Server::Broadcast), Just(Server::LegacyUser)]
        )
            .prop_map(|(user, server)| Jid::new(&user, server).unwrap()),
        (digits, any::<u16>()).prop_map(|(user, device)| {
            Jid::new(&user, Server::Messenger)
                .unwrap()
                .with_device(device)
                .unwrap()
        }),
        (digits, any::<u16>(), any::<u16>()).prop_map(|(user, device, integrator)| {
            Jid::new(&user, Server::Interop)
                .unwrap()
                .with_device(device)
                .unwrap()
                .with_integrator(integrator)
                .unwrap()
        }),
        (
            "[0-9a-z]{1,10}",
            "[a-z][a-z0-9-]{0,8}(\\.[a-z0-9]{1,5}){0,2}"
        )
            .prop_filter_map("a known server", |(user, server)| {
                let server = Server::from_name(&server).ok()?;
                matches!(server, Server::Other(_)).then(|| Jid::new(&user, server).ok())?
            }),
        prop_oneof![Just(Server::User), Just(Server::Group), Just(Server::Lid)]
            .prop_map(Jid::server_only),
    ]
}

// ---------------------------------------------------------------------------------------------
// Nodes

fn attr_value() -> impl Strategy<Value = AttrValue<'static>> {
    prop_oneof![
        6 => text().prop_map(|s| AttrValue::Str(Text::from(s))),
        1 => Just(AttrValue::Str(Text::from_static(""))),
        2 => jid(false).prop_map(AttrValue::Jid),
        1 => jid(false).prop_map(|j| AttrValue::Str(Text::from(j.to_string()))),
    ]
}

fn leaf_node() -> impl Strategy<Value = Node<'static>> {
    let content = prop_oneof![
        4 => Just(Content::None),
        3 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Content::from),
        2 => text().prop_map(|s| Content::Str(Text::from(s))),
        1 => jid(false).prop_map(Content::Jid),
        1 => Just(Content::Nodes(Vec::new())),
    ];
    (
        text(),
        proptest::collection::vec((text(), attr_value()), 0..6),
        content,
    )
        .prop_map(|(tag, attrs, content)| Node {
            tag: Text::from(tag),
            attrs: attrs.into_iter().collect::<Attrs<'_>>(),
            content,
        })
}

fn node_tree() -> impl Strategy<Value = Node<'static>> {
    leaf_node().prop_recursive(4, 48, 6, |inner| {
        (leaf_node(), proptest::collection::vec(inner, 1..6))
            .prop_map(|(node, children)| node.with_children(children))
    })
}

/// What a node becomes after a trip through the wire (see `Node`, `Content` and `AttrValue`):
/// strings that parse as JIDs become JIDs; raw string content becomes bytes; empty string
/// content becomes an empty child list in v2 (`00`) and empty bytes in v3 (`FC 00`).
fn after_round_trip(node: &Node<'static>, dict: Dictionary) -> Node<'static> {
    let as_jid = |s: &str| s.contains('@').then(|| Jid::parse(s).ok()).flatten();
    let attrs = node
        .attrs
        .iter()
        .map(|(key, value)| {
            let value = match value {
                AttrValue::Str(s) => as_jid(s).map_or_else(|| value.clone(), AttrValue::Jid),
                AttrValue::Jid(_) => value.clone(),
            };
            (Text::from(key.to_owned()), value)
        })
        .collect();
    let content = match &node.content {
        Content::Str(s) => {
            let packable = s.len() <= tag::PACKED_MAX
                && (s
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
                    || s.bytes()
                        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
            if let Some(jid) = as_jid(s) {
                Content::Jid(jid)
            } else if s.is_empty() {
                match dict {
                    Dictionary::V2 => Content::Nodes(Vec::new()),
                    Dictionary::V3 => Content::Bytes(Vec::new().into()),
                }
            } else if dict.lookup(s).is_some() || packable {
                node.content.clone()
            } else {
                Content::Bytes(s.as_bytes().to_vec().into())
            }
        }
        Content::Nodes(children) => {
            Content::Nodes(children.iter().map(|c| after_round_trip(c, dict)).collect())
        }
        other => other.clone(),
    };
    Node {
        tag: node.tag.clone(),
        attrs,
        content,
    }
}

fn dictionary() -> impl Strategy<Value = Dictionary> {
    prop_oneof![Just(Dictionary::V2), Just(Dictionary::V3)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn nodes_round_trip(node in node_tree(), dict in dictionary()) {
        let frame = encode_frame_to_vec(&node, dict).unwrap();
        let decoded = decode_frame(&frame, dict).unwrap();
        prop_assert_eq!(&decoded, &after_round_trip(&node, dict));
        // What we decoded encodes to the very same bytes.
        prop_assert_eq!(encode_frame_to_vec(&decoded, dict).unwrap(), frame);
    }

    #[test]
    fn jids_round_trip_through_text(jid in jid(true)) {
        let text = jid.to_string();
        let parsed: Jid = text.parse().unwrap();
        prop_assert_eq!(&parsed, &jid);
        prop_assert_eq!(parsed.to_string(), text);
        prop_assert!(jid.validate().is_ok());
    }

    #[test]
    fn jids_round_trip_through_the_wire(jid in jid(false), dict in dictionary()) {
        let node = Node::new("to").with_attr("jid", jid.clone());
        let frame = encode_frame_to_vec(&node, dict).unwrap();
        let decoded = decode_frame(&frame, dict).unwrap();
        prop_assert_eq!(decoded.attr_jid("jid"), Some(jid));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        dict in dictionary(),
    ) {
        let _ = decode_frame(&bytes, dict);
        let _ = decode_node(&bytes, dict);
    }

    #[test]
    fn decoding_mutated_frames_never_panics(
        node in node_tree(),
        dict in dictionary(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut frame = encode_frame_to_vec(&node, dict).unwrap();
        for (at, byte) in edits {
            let i = at.index(frame.len());
            frame[i] = byte;
        }
        let _ = decode_frame(&frame, dict);
        let cut = cut.index(frame.len() + 1);
        let _ = decode_frame(&frame[..cut], dict);
    }
}
