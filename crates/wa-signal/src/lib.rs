//! The Signal protocol as WhatsApp uses it, sans-IO (PROTOCOL.md section 4).
//!
//! Modules follow the protocol's objects: [`address`] (who a session belongs to), [`padding`]
//! (inside every plaintext), and, as they land, keys and prekeys, X3DH, the Double Ratchet and
//! its session records, the wire messages, sender keys, and typed store traits with an in-memory
//! implementation. No I/O, no clock, no global randomness: callers pass an RNG.

pub mod address;
mod error;
pub mod padding;
pub mod sender_key;

pub use address::ProtocolAddress;
pub use error::Error;
