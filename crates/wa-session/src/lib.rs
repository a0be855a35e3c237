//! The session engine (issue 5, being built in steps): the sans-IO pieces of a WhatsApp
//! multi-device client that the tokio session actor is assembled from.
//!
//! * the session actor ([`Session`]): login with stored credentials, IQs with timeouts,
//!   keepalive, prekey refill, stream errors and reconnects, with [`Event`]s;
//! * `pairing`: new-device credentials, the registration and login payloads, `pair-device`,
//!   the QR string, `pair-success`, and keeping the paired device in the store;
//! * [`content`]: message ids, reaction emoji, target keys, building and reading messages;
//! * [`send`]: the send path's targets, IQs and acks (the session's `send_text`, `react`,
//!   `unreact`, `revoke` run them);
//! * [`fanout`]: encrypting a message for every device of a chat (pairwise, sender keys,
//!   retries) and building the `<message>` stanza;
//! * [`receive`]: decrypting a received `<message>` into events, with its delivery or retry
//!   receipt.

mod actor;
pub mod content;
mod error;
pub mod fanout;
mod pairing;
pub mod receive;
pub mod send;

pub use actor::{Clock, Event, Pairing, QrCode, SendOptions, Session, SessionConfig, SystemClock};
pub use error::{ContentError, Error, MessageIdError, Result, TargetError};
pub use pairing::{
    load_paired, on_pair_device, on_pair_success, pair_error_reply, qr_string, save_paired,
    AdvSecret, ClientConfig, Credentials, PairDevice, PairSuccess, Paired, PairedDevice,
    PairingError, PairingRef, QrClientType, ADV_SECRET_LENGTH,
};
pub use wa_store::IdempotencyKey;
