//! WhatsApp binary XML nodes: [`Node`], [`Jid`], token dictionaries v2 and v3, encoder and
//! decoder. Sans-IO: bytes in, bytes out.
//!
//! The format (PROTOCOL.md section 2): a frame payload is a flag byte (`0x02` = zlib) and one
//! node; a node is a list header, a tag string, attribute pairs and optional content (bytes, a
//! string, a JID or child nodes). Strings are dictionary tokens, packed digits/hex, JIDs or raw
//! UTF-8. The dictionary ([`Dictionary::V2`] for Baileys 6, [`Dictionary::V3`] for WhatsApp Web)
//! is chosen per connection from the intro header.
//!
//! - Encoding ([`encode_frame`], [`encode_node_into`]) appends to a caller's buffer and does not
//!   allocate.
//! - Decoding ([`decode_frame`], [`decode_node`]) borrows from the input: `Node<'a>` holds
//!   slices of it, tokens as `&'static str`; [`Node::into_owned`] detaches it. Hostile input
//!   yields an [`Error`], never a panic or an unbounded allocation ([`DecodeLimits`]).
//!
//! # Example
//!
//! ```
//! use wa_binary::{decode_frame, encode_frame, Dictionary, Jid, Node};
//!
//! let to: Jid = "15550002222@s.whatsapp.net".parse()?;
//! let device: Jid = "15550002222:2@s.whatsapp.net".parse()?;
//! let ciphertext = [0x33u8, 0x08, 0x01];
//! let stanza = Node::new("message")
//!     .with_attr("id", "3EB0A1B2C3D4E5F6A7B8C9")
//!     .with_attr("to", to)
//!     .with_attr("type", "reaction")
//!     .with_children(vec![Node::new("participants").with_children(vec![
//!         Node::new("to").with_attr("jid", device).with_children(vec![
//!             Node::new("enc")
//!                 .with_attr("v", "2")
//!                 .with_attr("type", "msg")
//!                 .with_attr("decrypt-fail", "hide")
//!                 .with_bytes(&ciphertext[..]),
//!         ]),
//!     ])]);
//!
//! let mut frame = Vec::with_capacity(256);
//! encode_frame(&stanza, Dictionary::V3, &mut frame)?;
//! assert_eq!(frame.first(), Some(&0x00)); // the flag byte: not compressed
//!
//! let decoded = decode_frame(&frame, Dictionary::V3)?;
//! assert_eq!(decoded, stanza);
//! assert_eq!(
//!     decoded.to_string(),
//!     "<message id=\"3EB0A1B2C3D4E5F6A7B8C9\" to=\"15550002222@s.whatsapp.net\" type=\"reaction\">\
//!      <participants><to jid=\"15550002222:2@s.whatsapp.net\">\
//!      <enc v=\"2\" type=\"msg\" decrypt-fail=\"hide\">0x330801</enc></to></participants></message>"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where the dictionaries differ in more than tokens
//!
//! The empty string is `00` (LIST_EMPTY) in v2, as Baileys 6 writes it, and `FC 00` (BINARY_8
//! of length 0) in v3, as Baileys 7 writes it. Empty attribute values are written in both (the
//! caller decides which attributes a node has); whatsmeow leaves them out.
//!
//! # Features
//!
//! - `json`: `json::node_from_json` / `json::node_to_json` for the fixture JSON
//!   convention.

mod decode;
mod encode;
mod error;
mod frame;
mod jid;
#[cfg(feature = "json")]
pub mod json;
mod node;
pub mod tag;
mod text;
mod token;
mod token_hash;
mod xml;

pub use decode::{decode_frame, decode_frame_with, decode_node, decode_node_with, DecodeLimits};
pub use encode::{encode_frame, encode_frame_to_vec, encode_node_into};
pub use error::{Error, JidError};
pub use frame::unpack_frame;
pub use jid::{Jid, OtherServer, Server, SignalAddress};
pub use node::{AttrValue, Attrs, Content, Node};
pub use text::Text;
pub use token::{Dictionary, Token, DOUBLE_BYTE_COUNT, DOUBLE_BYTE_DICTS, SINGLE_BYTE_COUNT};
