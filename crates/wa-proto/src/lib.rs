//! WAProto protobuf messages used by the engine.
//!
//! The `.proto` files in the workspace's `proto/` directory are written by this project for the
//! subset of WAProto the engine needs; `build.rs` compiles them with `protox` (no `protoc`
//! needed) and `prost` generates the Rust types below. Every field is proto2 `optional`, so zero
//! values that peers write explicitly (`fromMe = false`, `text = ""`, `type = REVOKE`) are kept
//! on the wire: the encodings are byte-identical to Baileys' (see `tests/baileys_vectors.rs`).
//!
//! ```
//! use prost::Message as _;
//! use wa_proto::{common::MessageKey, e2e::{Message, ReactionMessage}};
//!
//! let reaction = Message {
//!     reaction_message: Some(ReactionMessage {
//!         key: Some(MessageKey {
//!             remote_jid: Some("15550002222@s.whatsapp.net".into()),
//!             from_me: Some(false),
//!             id: Some("3A1B2C3D4E5F60718293".into()),
//!             participant: None,
//!         }),
//!         text: Some("👍".into()),
//!         grouping_key: None,
//!         sender_timestamp_ms: Some(1_700_000_000_000),
//!     }),
//!     ..Default::default()
//! };
//! let bytes = reaction.encode_to_vec();
//! // `fromMe = false` is present on the wire as `10 00`.
//! assert!(bytes.windows(2).any(|w| w == [0x10, 0x00]));
//! assert_eq!(Message::decode(bytes.as_slice()).unwrap(), reaction);
//! ```

#![allow(missing_docs, unreachable_pub)] // generated code carries the .proto comments only

/// Types shared by several messages (`MessageKey`).
pub mod common {
    include!(concat!(env!("OUT_DIR"), "/common.rs"));
}

/// The end-to-end encrypted `Message` and its parts (reactions, revokes, SKDM, DSM).
pub mod e2e {
    include!(concat!(env!("OUT_DIR"), "/e2e.rs"));
}

/// Noise handshake messages and the `ClientPayload` sent when registering or logging in.
pub mod wa6 {
    include!(concat!(env!("OUT_DIR"), "/wa6.rs"));
}

/// The server's Noise certificate chain.
pub mod cert {
    include!(concat!(env!("OUT_DIR"), "/cert.rs"));
}

/// Account/device verification (ADV) identities.
pub mod adv {
    include!(concat!(env!("OUT_DIR"), "/adv.rs"));
}

/// Companion registration (`DeviceProps`).
pub mod companion_reg {
    include!(concat!(env!("OUT_DIR"), "/companion_reg.rs"));
}

/// Signal protocol wire messages (the protobuf part, without version byte, MAC or signature).
pub mod signal_wire {
    include!(concat!(env!("OUT_DIR"), "/signal_wire.rs"));
}

/// Our storage records for Signal sessions, identities and prekeys.
pub mod signal_records {
    include!(concat!(env!("OUT_DIR"), "/signal_records.rs"));
}

/// Our storage records for Signal sender keys.
pub mod sender_key_records {
    include!(concat!(env!("OUT_DIR"), "/sender_key_records.rs"));
}

pub use prost;
