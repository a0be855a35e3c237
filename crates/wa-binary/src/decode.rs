//! The decoder: binary XML bytes to a [`Node`] that borrows from them.
//!
//! Hostile input cannot make it panic or allocate without bound: every length and list size is
//! checked against the bytes left before anything is read or reserved (a child node takes at
//! least 3 bytes, an attribute at least 2), nesting is limited ([`DecodeLimits::max_depth`]),
//! and compressed frames inflate to at most [`DecodeLimits::max_inflated_len`] bytes.
//!
//! What comes out, matching Baileys' decoder: raw (BINARY_*) content is [`Content::Bytes`]
//! borrowed from the input; token, packed and JID content is [`Content::Str`] /
//! [`Content::Jid`]; LIST_EMPTY content is an empty child list; attribute values are strings
//! (LIST_EMPTY is the empty string) or JIDs. Where this decoder is stricter than Baileys':
//! bytes after the root node are an error (as in whatsmeow), raw strings in tags, keys, values
//! and JID parts must be UTF-8, a JID cannot stand where a plain string is needed, a packed
//! string cannot contain the pad nibble except as its last (dropped) character, and FB/interop
//! JIDs must name their own server. The pad nibble of an odd-length packed string is ignored.

use std::borrow::Cow;

use crate::error::Error;
use crate::frame::unpack_frame;
use crate::jid::{Jid, Server};
use crate::node::{AttrValue, Attrs, Content, Node};
use crate::tag;
use crate::text::Text;
use crate::token::Dictionary;

/// The least bytes a node takes: list header (2) and a one-byte tag.
const MIN_NODE_LEN: usize = 3;
/// The most children or attributes reserved before any of them is parsed.
const MAX_UPFRONT_ITEMS: usize = 16;
/// The least bytes an attribute takes: a one-byte key and a one-byte value.
const MIN_ATTR_LEN: usize = 2;
/// The longest unpacked string: 127 bytes of two characters.
const MAX_PACKED_CHARS: usize = 254;

/// Bounds the decoder puts on hostile input.
///
/// ```
/// use wa_binary::DecodeLimits;
/// let limits = DecodeLimits::default().with_max_depth(16).with_max_inflated_len(1 << 20);
/// assert_eq!(limits.max_depth, 16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Deepest nesting of nodes accepted (the root is depth 1). Default 64; real stanzas
    /// nest fewer than 10 deep. The decoder recurses once per level, so keep this modest.
    pub max_depth: usize,
    /// Largest inflated size of a compressed frame, in bytes. Default 16 MiB (a frame is at
    /// most 2^24 - 1 bytes before inflating).
    pub max_inflated_len: usize,
}

impl DecodeLimits {
    /// 64 levels, 16 MiB.
    pub const DEFAULT: Self = Self {
        max_depth: 64,
        max_inflated_len: 16 << 20,
    };

    /// These limits with another nesting limit.
    #[must_use]
    pub const fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// These limits with another inflate limit.
    #[must_use]
    pub const fn with_max_inflated_len(mut self, max_inflated_len: usize) -> Self {
        self.max_inflated_len = max_inflated_len;
        self
    }
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Decodes a frame payload: the flag byte, then the node (inflated first when the flag has
/// bit `0x02`). An uncompressed frame's node borrows from `frame`; a compressed one's owns its
/// data. Uses [`DecodeLimits::DEFAULT`].
///
/// # Errors
/// Any [`Error`] of decoding; never panics.
pub fn decode_frame(frame: &[u8], dict: Dictionary) -> Result<Node<'_>, Error> {
    decode_frame_with(frame, dict, &DecodeLimits::DEFAULT)
}

/// [`decode_frame`] with explicit limits.
///
/// # Errors
/// Any [`Error`] of decoding; never panics.
pub fn decode_frame_with<'a>(
    frame: &'a [u8],
    dict: Dictionary,
    limits: &DecodeLimits,
) -> Result<Node<'a>, Error> {
    match unpack_frame(frame, limits)? {
        Cow::Borrowed(payload) => decode_node_with(payload, dict, limits),
        Cow::Owned(inflated) => Ok(decode_node_with(&inflated, dict, limits)?.into_owned()),
    }
}

/// Decodes a node with no flag byte in front (the whole input must be one node).
///
/// # Errors
/// Any [`Error`] of decoding; never panics.
pub fn decode_node(payload: &[u8], dict: Dictionary) -> Result<Node<'_>, Error> {
    decode_node_with(payload, dict, &DecodeLimits::DEFAULT)
}

/// [`decode_node`] with explicit limits.
///
/// # Errors
/// Any [`Error`] of decoding; never panics.
pub fn decode_node_with<'a>(
    payload: &'a [u8],
    dict: Dictionary,
    limits: &DecodeLimits,
) -> Result<Node<'a>, Error> {
    let mut reader = Reader {
        data: payload,
        pos: 0,
        dict,
        max_depth: limits.max_depth,
    };
    let node = reader.node(1)?;
    match reader.remaining() {
        0 => Ok(node),
        count => Err(Error::TrailingBytes { count }),
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    dict: Dictionary,
    max_depth: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn byte(&mut self) -> Result<u8, Error> {
        let byte = *self.data.get(self.pos).ok_or(Error::UnexpectedEof)?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(len).ok_or(Error::UnexpectedEof)?;
        let bytes = self.data.get(self.pos..end).ok_or(Error::UnexpectedEof)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.take(N)?.try_into().map_err(|_| Error::UnexpectedEof)
    }

    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn list_size(&mut self, list_tag: u8) -> Result<usize, Error> {
        match list_tag {
            tag::LIST_EMPTY => Ok(0),
            tag::LIST_8 => Ok(usize::from(self.byte()?)),
            tag::LIST_16 => Ok(usize::from(self.u16()?)),
            other => Err(Error::InvalidTag(other)),
        }
    }

    /// Fails unless `count` items of at least `min_len` bytes each can fit in what is left.
    fn check_fits(&self, count: usize, min_len: usize) -> Result<(), Error> {
        if count.saturating_mul(min_len) > self.remaining() {
            return Err(Error::UnexpectedEof);
        }
        Ok(())
    }

    fn node(&mut self, depth: usize) -> Result<Node<'a>, Error> {
        if depth > self.max_depth {
            return Err(Error::TooDeep {
                limit: self.max_depth,
            });
        }
        let list_tag = self.byte()?;
        let size = self.list_size(list_tag)?;
        if size == 0 {
            return Err(Error::InvalidNode);
        }
        let tag_byte = self.byte()?;
        let name = self.text(tag_byte)?;
        if name.is_empty() {
            return Err(Error::InvalidNode);
        }

        let attr_count = (size - 1) / 2;
        self.check_fits(attr_count, MIN_ATTR_LEN)?;
        let mut attrs = Attrs::with_capacity(attr_count.min(MAX_UPFRONT_ITEMS));
        for _ in 0..attr_count {
            let key_byte = self.byte()?;
            let key = self.text(key_byte)?;
            let value_byte = self.byte()?;
            let value = self.value(value_byte)?;
            attrs.push(key, value);
        }

        let content = if size % 2 == 0 {
            let content_byte = self.byte()?;
            self.content(content_byte, depth)?
        } else {
            Content::None
        };
        Ok(Node {
            tag: name,
            attrs,
            content,
        })
    }

    fn content(&mut self, content_tag: u8, depth: usize) -> Result<Content<'a>, Error> {
        match content_tag {
            tag::LIST_EMPTY | tag::LIST_8 | tag::LIST_16 => {
                let count = self.list_size(content_tag)?;
                self.check_fits(count, MIN_NODE_LEN)?;
                // Reserve only a little up front: every nesting level would otherwise reserve
                // for the same remaining bytes again (a few hundred bytes of hostile input could
                // reserve hundreds of megabytes). Growth is paid for by bytes actually parsed.
                let mut children = Vec::with_capacity(count.min(MAX_UPFRONT_ITEMS));
                for _ in 0..count {
                    children.push(self.node(depth + 1)?);
                }
                Ok(Content::Nodes(children))
            }
            tag::BINARY_8 | tag::BINARY_20 | tag::BINARY_32 => {
                Ok(Content::Bytes(Cow::Borrowed(self.binary(content_tag)?)))
            }
            tag::JID_PAIR | tag::AD_JID | tag::FB_JID | tag::INTEROP_JID => {
                Ok(Content::Jid(self.jid(content_tag)?))
            }
            _ => Ok(Content::Str(self.text(content_tag)?)),
        }
    }

    fn value(&mut self, value_tag: u8) -> Result<AttrValue<'a>, Error> {
        match value_tag {
            tag::JID_PAIR | tag::AD_JID | tag::FB_JID | tag::INTEROP_JID => {
                Ok(AttrValue::Jid(self.jid(value_tag)?))
            }
            _ => Ok(AttrValue::Str(self.text(value_tag)?)),
        }
    }

    /// A plain string: token, packed, raw UTF-8, or LIST_EMPTY (the empty string).
    fn text(&mut self, string_tag: u8) -> Result<Text<'a>, Error> {
        match string_tag {
            tag::LIST_EMPTY => Ok(Text::from_static("")),
            tag::DICTIONARY_0..=tag::DICTIONARY_3 => {
                let index = self.byte()?;
                self.dict
                    .double_byte(string_tag - tag::DICTIONARY_0, index)
                    .map(Text::from_static)
                    .ok_or(Error::InvalidTag(string_tag))
            }
            tag::BINARY_8 | tag::BINARY_20 | tag::BINARY_32 => {
                let bytes = self.binary(string_tag)?;
                std::str::from_utf8(bytes)
                    .map(Text::borrowed)
                    .map_err(|_| Error::InvalidUtf8)
            }
            tag::NIBBLE_8 | tag::HEX_8 => self.packed(string_tag),
            tag::JID_PAIR | tag::AD_JID | tag::FB_JID | tag::INTEROP_JID => {
                Err(Error::UnexpectedJid)
            }
            single => self
                .dict
                .single_byte(single)
                .map(Text::from_static)
                .ok_or(Error::InvalidTag(single)),
        }
    }

    fn binary(&mut self, binary_tag: u8) -> Result<&'a [u8], Error> {
        let len = match binary_tag {
            tag::BINARY_8 => usize::from(self.byte()?),
            tag::BINARY_20 => {
                // 20 bits: the high nibble of the first byte is ignored, as by Baileys and
                // whatsmeow.
                let [high, mid, low] = self.array()?;
                usize::from(high & 0x0f) << 16 | usize::from(mid) << 8 | usize::from(low)
            }
            tag::BINARY_32 => {
                let len = u32::from_be_bytes(self.array()?);
                usize::try_from(len).map_err(|_| Error::UnexpectedEof)?
            }
            other => return Err(Error::InvalidTag(other)),
        };
        self.take(len)
    }

    fn packed(&mut self, packed_tag: u8) -> Result<Text<'a>, Error> {
        let header = self.byte()?;
        let odd = header & 0x80 != 0;
        let bytes = self.take(usize::from(header & 0x7f))?;
        if odd && bytes.is_empty() {
            return Err(Error::InvalidPackedLength);
        }
        let chars = bytes.len() * 2 - usize::from(odd);
        let mut buf = [0u8; MAX_PACKED_CHARS];
        let nibbles = bytes.iter().flat_map(|&b| [b >> 4, b & 0x0f]);
        for (slot, nibble) in buf.iter_mut().zip(nibbles).take(chars) {
            *slot = unpack(packed_tag, nibble).ok_or(Error::InvalidNibble {
                tag: packed_tag,
                nibble,
            })?;
        }
        let unpacked = buf.get(..chars).ok_or(Error::InvalidPackedLength)?;
        // Every unpacked byte is ASCII.
        let s = std::str::from_utf8(unpacked).map_err(|_| Error::InvalidUtf8)?;
        Ok(Text::copied(s))
    }

    fn jid(&mut self, jid_tag: u8) -> Result<Jid, Error> {
        match jid_tag {
            tag::JID_PAIR => {
                let user_byte = self.byte()?;
                let user = self.text(user_byte)?;
                check_jid_user(jid_tag, &user)?;
                let server_byte = self.byte()?;
                let server = self.text(server_byte)?;
                if server.is_empty() {
                    return Err(Error::InvalidJidServer { tag: jid_tag });
                }
                Ok(Jid::from_parts_unchecked(&user, Server::from_wire(&server)))
            }
            tag::AD_JID => {
                let [domain, device] = self.array()?;
                let user_byte = self.byte()?;
                let user = self.text(user_byte)?;
                check_jid_user(jid_tag, &user)?;
                Ok(Jid::from_ad_wire(&user, domain, device))
            }
            tag::FB_JID => {
                let user_byte = self.byte()?;
                let user = self.text(user_byte)?;
                check_jid_user(jid_tag, &user)?;
                let device = self.u16()?;
                self.expect_server(jid_tag, &Server::Messenger)?;
                Ok(Jid::from_device_wire(&user, Server::Messenger, device, 0))
            }
            tag::INTEROP_JID => {
                let user_byte = self.byte()?;
                let user = self.text(user_byte)?;
                check_jid_user(jid_tag, &user)?;
                let device = self.u16()?;
                let integrator = self.u16()?;
                self.expect_server(jid_tag, &Server::Interop)?;
                Ok(Jid::from_device_wire(
                    &user,
                    Server::Interop,
                    device,
                    integrator,
                ))
            }
            other => Err(Error::InvalidTag(other)),
        }
    }

    fn expect_server(&mut self, jid_tag: u8, server: &Server) -> Result<(), Error> {
        let server_byte = self.byte()?;
        if self.text(server_byte)?.as_str() == server.as_str() {
            Ok(())
        } else {
            Err(Error::InvalidJidServer { tag: jid_tag })
        }
    }
}

/// A nibble as a character of a NIBBLE_8 (`0-9 - .`) or HEX_8 (`0-9 A-F`) string.
fn unpack(packed_tag: u8, nibble: u8) -> Option<u8> {
    match (packed_tag, nibble) {
        (_, 0..=9) => Some(b'0' + nibble),
        (tag::NIBBLE_8, 10) => Some(b'-'),
        (tag::NIBBLE_8, 11) => Some(b'.'),
        (tag::HEX_8, 10..=15) => Some(b'A' + nibble - 10),
        _ => None,
    }
}

/// Rejects user parts that the text form `user[.agent][:device]@server` cannot carry.
fn check_jid_user(jid_tag: u8, user: &str) -> Result<(), Error> {
    if user.bytes().any(|b| matches!(b, b'.' | b':' | b'@')) {
        Err(Error::InvalidJidUser { tag: jid_tag })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_hex(hex_frame: &str) -> Result<Node<'static>, Error> {
        let bytes = hex::decode(hex_frame).unwrap();
        decode_frame(&bytes, Dictionary::V2).map(Node::into_owned)
    }

    #[test]
    fn borrows_raw_content() {
        let frame = hex::decode("00f80216fc0568656c6c6f").unwrap();
        let node = decode_frame(&frame, Dictionary::V2).unwrap();
        assert!(matches!(
            node.content,
            Content::Bytes(Cow::Borrowed(b"hello"))
        ));
    }

    /// Regression (review finding): a peer-sent user `123.4` or `12:34` used to decode into a
    /// JID whose text form re-parses as another JID (agent 4, device 34).
    #[test]
    fn jid_users_that_text_cannot_carry_are_refused() {
        // <to jid=JID_PAIR(nibble "123.4", s.whatsapp.net)/>
        assert_eq!(
            decode_hex("00f8030e0ffaff83123b4f03"),
            Err(Error::InvalidJidUser { tag: 0xfa })
        );
        // <to jid=AD_JID(0, 3, raw "12:34")/>
        assert_eq!(
            decode_hex("00f8030e0ff70003fc0531323a3334"),
            Err(Error::InvalidJidUser { tag: 0xf7 })
        );
        // A well-formed user still decodes.
        assert!(decode_hex("00f8030e0ffaff8312345f03").is_ok());
    }

    #[test]
    fn malformed_inputs_are_typed_errors() {
        let cases = [
            ("", Error::UnexpectedEof),
            ("00", Error::UnexpectedEof),
            ("0000", Error::InvalidNode),
            ("00f802fc05", Error::UnexpectedEof),
            ("00f8051e0835", Error::UnexpectedEof),
            ("00f801f0", Error::InvalidTag(0xf0)),
            ("00f80100", Error::InvalidNode),
            ("00f801fa0003", Error::UnexpectedJid),
            ("00f8011e00", Error::TrailingBytes { count: 1 }),
            ("00fa", Error::InvalidTag(0xfa)),
            ("00f8031e08ff81", Error::UnexpectedEof),
            ("00f8031e08ff80", Error::InvalidPackedLength),
            (
                "00f8031e08ff01c0",
                Error::InvalidNibble {
                    tag: 0xff,
                    nibble: 0xc,
                },
            ),
            (
                "00f8031e08ff01f1",
                Error::InvalidNibble {
                    tag: 0xff,
                    nibble: 0xf,
                },
            ),
            ("00f8031e08fc01ff", Error::InvalidUtf8),
            (
                "00f8031e08fa0000",
                Error::InvalidJidServer { tag: tag::JID_PAIR },
            ),
            ("00f8031e08f6ff811f0001f0", Error::InvalidTag(0xf0)),
            (
                "00f8031e08f6ff81120001fc0378797a",
                Error::InvalidJidServer { tag: tag::FB_JID },
            ),
            ("00f8021ef9ffff", Error::UnexpectedEof),
            ("00f9ffff1e", Error::UnexpectedEof),
            ("00f8031efe", Error::UnexpectedEof),
            ("00f8021efeffffffff", Error::UnexpectedEof),
        ];
        for (input, expected) in cases {
            assert_eq!(decode_hex(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn odd_pad_nibble_is_dropped_and_packed_strings_unpack() {
        let node = decode_hex("00f8031e08ff8312345f").unwrap();
        assert_eq!(node.attr_str("id"), Some("12345"));
        let node = decode_hex("00f8030b08fb843eb0abcf").unwrap();
        assert_eq!(node.attr_str("id"), Some("3EB0ABC"));
    }

    #[test]
    fn depth_limit() {
        // Nested <iq> 3 deep: f8 02 1e f8 01 (list of 1) ...
        let mut frame = vec![0u8];
        for _ in 0..2 {
            frame.extend_from_slice(&[0xf8, 0x02, 0x1e, 0xf8, 0x01]);
        }
        frame.extend_from_slice(&[0xf8, 0x01, 0x1e]);
        let limits = DecodeLimits::default().with_max_depth(3);
        assert!(decode_frame_with(&frame, Dictionary::V2, &limits).is_ok());
        let limits = limits.with_max_depth(2);
        assert_eq!(
            decode_frame_with(&frame, Dictionary::V2, &limits),
            Err(Error::TooDeep { limit: 2 })
        );
    }

    #[test]
    fn unknown_ad_domain_and_empty_content_list() {
        let node = decode_hex("00f8030e0ff70702ff8615550002222f").unwrap();
        assert_eq!(
            node.attr_jid("jid").map(|j| j.to_string()),
            Some("15550002222.7:2@s.whatsapp.net".to_owned())
        );
        let node = decode_hex("00f8026e00").unwrap();
        assert_eq!(node.content, Content::Nodes(Vec::new()));
    }
}
