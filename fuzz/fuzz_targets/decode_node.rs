//! Arbitrary bytes as a frame payload (flag byte, then a node, zlib-inflated when the flag says
//! so), decoded with both token dictionaries.
//!
//! Oracle, for every input that decodes (`n1`):
//! * `n1` re-encodes (`b1`) and `b1` decodes again (`n2`);
//! * `n2` equals `n1` up to the encoder's documented normalisations: a string that parses as a
//!   JID is written as that JID (`AttrValue` docs); a JID's agent is never written
//!   (`Jid::with_agent` docs); string content written raw (a packed string too long to pack
//!   again, or v3's empty string) reads back as bytes, and v2's empty string content is
//!   LIST_EMPTY, which reads back as an empty child list (`Content` docs);
//! * re-encoding is then stable: `encode(n2) == b1` byte for byte;
//! * `into_owned` keeps the node equal.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_binary::{decode_frame, encode_frame_to_vec, AttrValue, Content, Dictionary, Jid, Node};

fuzz_target!(|data: &[u8]| {
    for dict in [Dictionary::V2, Dictionary::V3] {
        if let Ok(first) = decode_frame(data, dict) {
            round_trip(&first, dict);
        }
    }
});

fn round_trip(first: &Node<'_>, dict: Dictionary) {
    assert_eq!(&first.clone().into_owned(), first, "into_owned changed the node");
    let encoded = encode_frame_to_vec(first, dict)
        .unwrap_or_else(|e| panic!("{dict:?}: a decoded node does not encode: {e}\n{first:?}"));
    let second = decode_frame(&encoded, dict)
        .unwrap_or_else(|e| panic!("{dict:?}: re-encoded node does not decode: {e}\n{first:?}"));
    assert!(
        same_node(first, &second, dict),
        "{dict:?}: round trip changed the node\nfirst:  {first:?}\nsecond: {second:?}"
    );
    let again = encode_frame_to_vec(&second, dict)
        .unwrap_or_else(|e| panic!("{dict:?}: second encoding failed: {e}"));
    assert_eq!(again, encoded, "{dict:?}: re-encoding is not stable");
}

/// Equality of what the wire carries (see the module docs for the two differences allowed).
fn same_node(a: &Node<'_>, b: &Node<'_>, dict: Dictionary) -> bool {
    a.tag == b.tag
        && a.attrs.len() == b.attrs.len()
        && a
            .attrs
            .iter()
            .zip(b.attrs.iter())
            .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        && same_content(&a.content, &b.content, dict)
}

fn same_value(a: &AttrValue<'_>, b: &AttrValue<'_>) -> bool {
    match (a, b) {
        (AttrValue::Str(x), AttrValue::Str(y)) => x == y,
        (AttrValue::Jid(x), AttrValue::Jid(y)) => same_jid(x, y),
        (AttrValue::Str(s), AttrValue::Jid(j)) => string_written_as_jid(s, j),
        (AttrValue::Jid(_), AttrValue::Str(_)) => false,
    }
}

fn same_content(a: &Content<'_>, b: &Content<'_>, dict: Dictionary) -> bool {
    match (a, b) {
        (Content::None, Content::None) => true,
        (Content::Bytes(x), Content::Bytes(y)) => x == y,
        (Content::Str(x), Content::Str(y)) => x == y,
        (Content::Str(s), Content::Bytes(bytes)) => s.as_bytes() == bytes.as_ref(),
        (Content::Str(s), Content::Nodes(nodes)) => {
            dict == Dictionary::V2 && s.is_empty() && nodes.is_empty()
        }
        (Content::Str(s), Content::Jid(j)) => string_written_as_jid(s, j),
        (Content::Jid(x), Content::Jid(y)) => same_jid(x, y),
        (Content::Nodes(x), Content::Nodes(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_node(p, q, dict))
        }
        _ => false,
    }
}

/// A string containing `@` that parses as a JID is encoded as that JID.
fn string_written_as_jid(s: &str, jid: &Jid) -> bool {
    s.contains('@') && s.parse::<Jid>().is_ok_and(|parsed| same_jid(&parsed, jid))
}

/// JID equality without the agent, which never goes on the wire.
fn same_jid(a: &Jid, b: &Jid) -> bool {
    a.user() == b.user()
        && a.server() == b.server()
        && a.device() == b.device()
        && a.integrator() == b.integrator()
}
