//! The encoder: a [`Node`] to binary XML bytes, appended to a caller's buffer.
//!
//! Nothing here allocates: tokens are found by perfect hash, packed strings are packed byte by
//! byte, and a string that looks like a JID is parsed into an inline [`Jid`] (users and server
//! names of up to 22 bytes need no heap). With a buffer that already has the capacity, encoding
//! a stanza performs no allocation at all.

use crate::error::Error;
use crate::jid::{Jid, JidWire};
use crate::node::{AttrValue, Content, Node};
use crate::tag;
use crate::token::Dictionary;

/// Appends a frame payload: the flag byte `0x00` (uncompressed), then the node.
///
/// On error `out` is left as it was.
///
/// # Errors
/// [`Error::InvalidNode`] for an empty tag, [`Error::ListTooLong`] for more than 32,767
/// attributes or 65,535 children, [`Error::BytesTooLong`] for content of 4 GiB or more,
/// [`Error::DeviceOutOfRange`] for a device the JID's wire form cannot carry.
pub fn encode_frame(node: &Node<'_>, dict: Dictionary, out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    out.push(0x00);
    encode_node_into(node, dict, out).inspect_err(|_| out.truncate(start))
}

/// Appends the node's bytes with no flag byte (the inner payload of a frame).
///
/// On error `out` is left as it was.
///
/// # Errors
/// As [`encode_frame`].
pub fn encode_node_into(node: &Node<'_>, dict: Dictionary, out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    Writer { out, dict }
        .node(node)
        .inspect_err(|_| out.truncate(start))
}

/// A new buffer holding the frame payload (flag byte `0x00`, then the node).
///
/// # Errors
/// As [`encode_frame`].
pub fn encode_frame_to_vec(node: &Node<'_>, dict: Dictionary) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    encode_frame(node, dict, &mut out)?;
    Ok(out)
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    dict: Dictionary,
}

impl Writer<'_> {
    fn node(&mut self, node: &Node<'_>) -> Result<(), Error> {
        if node.tag.is_empty() {
            return Err(Error::InvalidNode);
        }
        let content = usize::from(!node.content.is_none());
        let size = node
            .attrs
            .len()
            .checked_mul(2)
            .and_then(|n| n.checked_add(1 + content))
            .ok_or(Error::ListTooLong { len: usize::MAX })?;
        self.list_start(size)?;
        self.string(&node.tag)?;
        for (key, value) in node.attrs.iter() {
            self.string(key)?;
            match value {
                AttrValue::Str(s) => self.value_string(s)?,
                AttrValue::Jid(jid) => self.jid(jid)?,
            }
        }
        match &node.content {
            Content::None => Ok(()),
            Content::Bytes(bytes) => self.raw(bytes),
            Content::Str(s) => self.value_string(s),
            Content::Jid(jid) => self.jid(jid),
            Content::Nodes(children) => {
                self.list_start(children.len())?;
                children.iter().try_for_each(|child| self.node(child))
            }
        }
    }

    fn list_start(&mut self, len: usize) -> Result<(), Error> {
        if len == 0 {
            self.out.push(tag::LIST_EMPTY);
        } else if let Ok(small) = u8::try_from(len) {
            self.out.extend_from_slice(&[tag::LIST_8, small]);
        } else if let Ok(medium) = u16::try_from(len) {
            self.out.push(tag::LIST_16);
            self.out.extend_from_slice(&medium.to_be_bytes());
        } else {
            return Err(Error::ListTooLong { len });
        }
        Ok(())
    }

    /// An attribute value or string content: a string that contains `@` and parses as a JID
    /// is written as that JID (no token, nibble or hex string contains `@`, so this keeps
    /// Baileys' order token > nibble > hex > JID > raw).
    fn value_string(&mut self, s: &str) -> Result<(), Error> {
        if s.contains('@') {
            if let Ok(jid) = Jid::parse(s) {
                return self.jid(&jid);
            }
        }
        self.string(s)
    }

    /// A string by the string rules (no JID rule: tags, keys and JID parts).
    fn string(&mut self, s: &str) -> Result<(), Error> {
        if s.is_empty() {
            match self.dict {
                Dictionary::V2 => self.out.push(tag::LIST_EMPTY),
                Dictionary::V3 => self.out.extend_from_slice(&[tag::BINARY_8, 0]),
            }
            return Ok(());
        }
        if let Some(token) = self.dict.lookup(s) {
            token.write_to(self.out);
            return Ok(());
        }
        let bytes = s.as_bytes();
        if bytes.len() <= tag::PACKED_MAX {
            if bytes.iter().all(|&b| nibble_of(b).is_some()) {
                self.packed(tag::NIBBLE_8, bytes, nibble_of);
                return Ok(());
            }
            if bytes.iter().all(|&b| hex_of(b).is_some()) {
                self.packed(tag::HEX_8, bytes, hex_of);
                return Ok(());
            }
        }
        self.raw(bytes)
    }

    /// NIBBLE_8 / HEX_8: a length byte (pairs, bit 7 = odd), then two characters per byte,
    /// high nibble first, an odd tail padded with 0xF. `bytes` is at most 127 long and every
    /// byte maps (checked by the caller).
    fn packed(&mut self, packed_tag: u8, bytes: &[u8], pack: fn(u8) -> Option<u8>) {
        let pairs = u8::try_from(bytes.len().div_ceil(2)).unwrap_or(u8::MAX);
        let odd = if bytes.len() % 2 == 1 { 0x80 } else { 0 };
        self.out.extend_from_slice(&[packed_tag, pairs | odd]);
        for pair in bytes.chunks(2) {
            let mut nibbles = pair.iter().map(|&b| pack(b).unwrap_or(0x0f));
            let high = nibbles.next().unwrap_or(0x0f);
            let low = nibbles.next().unwrap_or(0x0f);
            self.out.push(high << 4 | low);
        }
    }

    /// BINARY_8 (< 256), BINARY_20 (< 2^20) or BINARY_32, then the bytes.
    fn raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let len = bytes.len();
        let long = u32::try_from(len).map_err(|_| Error::BytesTooLong { len })?;
        let [b3, b2, b1, b0] = long.to_be_bytes();
        if len < 1 << 8 {
            self.out.extend_from_slice(&[tag::BINARY_8, b0]);
        } else if len < 1 << 20 {
            self.out.extend_from_slice(&[tag::BINARY_20, b2, b1, b0]);
        } else {
            self.out
                .extend_from_slice(&[tag::BINARY_32, b3, b2, b1, b0]);
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn jid(&mut self, jid: &Jid) -> Result<(), Error> {
        let device = jid.device();
        match jid.wire() {
            JidWire::Ad { domain } => {
                let device =
                    u8::try_from(device).map_err(|_| Error::DeviceOutOfRange { device })?;
                self.out.extend_from_slice(&[tag::AD_JID, domain, device]);
                self.string(jid.user())
            }
            JidWire::Fb => {
                self.out.push(tag::FB_JID);
                self.string(jid.user())?;
                self.out.extend_from_slice(&device.to_be_bytes());
                self.string(jid.server().as_str())
            }
            JidWire::Interop => {
                self.out.push(tag::INTEROP_JID);
                self.string(jid.user())?;
                self.out.extend_from_slice(&device.to_be_bytes());
                self.out.extend_from_slice(&jid.integrator().to_be_bytes());
                self.string(jid.server().as_str())
            }
            JidWire::Pair => {
                self.out.push(tag::JID_PAIR);
                if jid.user().is_empty() {
                    self.out.push(tag::LIST_EMPTY);
                } else {
                    self.string(jid.user())?;
                }
                self.string(jid.server().as_str())
            }
        }
    }
}

/// `0-9` -> 0..=9, `-` -> 10, `.` -> 11.
fn nibble_of(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'-' => Some(10),
        b'.' => Some(11),
        _ => None,
    }
}

/// `0-9` -> 0..=9, `A-F` -> 10..=15 (upper case only, as Baileys and whatsmeow).
fn hex_of(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(node: &Node<'_>, dict: Dictionary) -> String {
        hex::encode(encode_frame_to_vec(node, dict).unwrap())
    }

    #[test]
    fn protocol_example_ad_jid() {
        // PROTOCOL.md: `123:5@s.whatsapp.net` -> F7 00 05 FF 82 12 3F.
        let jid: Jid = "123:5@s.whatsapp.net".parse().unwrap();
        let mut out = Vec::new();
        Writer {
            out: &mut out,
            dict: Dictionary::V3,
        }
        .jid(&jid)
        .unwrap();
        assert_eq!(hex::encode(out), "f70005ff82123f");
    }

    #[test]
    fn empty_string_per_dictionary() {
        let node = Node::new("iq").with_attr("id", "");
        assert_eq!(encode(&node, Dictionary::V2), "00f8031e0800");
        // v3 "iq" is 0x19, "id" is 0x08; the empty string is BINARY_8 length 0.
        assert_eq!(encode(&node, Dictionary::V3), "00f8031908fc00");
    }

    #[test]
    fn packing() {
        let node = Node::new("iq").with_attr("id", "12.345-678");
        assert_eq!(encode(&node, Dictionary::V2), "00f8031e08ff0512b345a678");
        let node = Node::new("message").with_attr("id", "3EB0ABC");
        assert_eq!(encode(&node, Dictionary::V2), "00f8030b08fb843eb0abcf");
    }

    #[test]
    fn jid_forms() {
        let cases = [
            ("100012345:3@msgr", "f6ff85100012345f0003"),
            ("7-100012345:1@interop", "f5ff85100012345f00010007"),
            ("15550002222@hosted", "f78000ff8615550002222f"),
            ("12345:2@hosted.lid", "f78102ff8312345f"),
        ];
        for (text, wire_prefix) in cases {
            let jid: Jid = text.parse().unwrap();
            let mut out = Vec::new();
            Writer {
                out: &mut out,
                dict: Dictionary::V2,
            }
            .jid(&jid)
            .unwrap();
            assert!(
                hex::encode(&out).starts_with(wire_prefix),
                "{text}: {}",
                hex::encode(&out)
            );
        }
    }

    #[test]
    fn failures_leave_the_buffer_alone() {
        let mut out = vec![1, 2, 3];
        assert_eq!(
            encode_frame(&Node::new(""), Dictionary::V2, &mut out),
            Err(Error::InvalidNode)
        );
        let deep = Node::new("a").with_children(vec![Node::new("b"), Node::new("")]);
        assert_eq!(
            encode_frame(&deep, Dictionary::V2, &mut out),
            Err(Error::InvalidNode)
        );
        assert_eq!(out, [1, 2, 3]);
        let wide = Node::new("list").with_children(vec![Node::new("item"); 65_536]);
        assert_eq!(
            encode_frame(&wide, Dictionary::V2, &mut out),
            Err(Error::ListTooLong { len: 65_536 })
        );
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn strings_with_at_that_are_not_jids_stay_strings() {
        let node = Node::new("iq").with_attr("id", "a@b@c");
        assert_eq!(encode(&node, Dictionary::V2), "00f8031e08fc056140624063");
    }
}
