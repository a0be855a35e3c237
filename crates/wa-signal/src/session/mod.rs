//! Sessions: the state of the Double Ratchet with one remote device ([`SessionState`]), the
//! record holding the current and archived states ([`SessionRecord`]), and encryption and
//! decryption on a record in memory ([`encrypt`], [`decrypt_signal_message`],
//! [`decrypt_pre_key_message`]). [`crate::protocol`] wraps these with store I/O.

mod cipher;
mod record;
pub(crate) mod state;

pub use cipher::{
    decrypt_pre_key_message, decrypt_signal_message, encrypt, PreKeyDecrypted, ResponderKeys,
};
pub use record::{SessionRecord, MAX_ARCHIVED_STATES};
pub use state::{SessionState, MAX_RECEIVER_CHAINS, MAX_SKIPPED_KEYS};
