//! Sender keys: group messages encrypted once with a per-sender chain and signed, the key
//! itself distributed pairwise in a SenderKeyDistributionMessage (PROTOCOL.md section 4).
//!
//! Each sending device in a group owns one sender key: a random [`SenderKeyId`], a chain key
//! ([`SenderChainKey`], stepped by HMAC-SHA256 once per message) and a signing key pair. It
//! sends the key's [`SenderKeyDistributionMessage`] to every member device over pairwise
//! sessions, then encrypts each group message once as a [`SenderKeyMessage`] (`skmsg`):
//! AES-256-CBC under the iteration's message key, signed with XEdDSA. Receivers keep one
//! [`SenderKeyRecord`] per [`SenderKeyName`] (group + sender device) in a [`SenderKeyStore`].
//!
//! Everything here works on records in memory; the caller loads and stores them, so it can
//! persist a batch of records before any frame leaves.
//!
//! ```
//! use wa_signal::padding::{pad_with, unpad};
//! use wa_signal::sender_key::{
//!     create_distribution_message, group_decrypt, group_encrypt, process_distribution_message,
//!     SenderKeyDistributionMessage, SenderKeyRecord,
//! };
//! let mut rng = rand_core::OsRng;
//!
//! // Alice creates her sender key for the group and sends the SKDM to Bob pairwise.
//! let mut alice = SenderKeyRecord::new();
//! let skdm = create_distribution_message(&mut alice, &mut rng);
//! let wire = skdm.serialized().to_vec();
//!
//! // Bob takes it in, under the name (group, Alice's device).
//! let mut bob_view_of_alice = SenderKeyRecord::new();
//! process_distribution_message(&mut bob_view_of_alice, &SenderKeyDistributionMessage::parse(&wire)?);
//!
//! // Alice encrypts once for the whole group; Bob decrypts.
//! let mut padded = b"hello group".to_vec();
//! pad_with(&mut padded, 5);
//! let skmsg = group_encrypt(&mut alice, &padded, &mut rng)?;
//! let plaintext = group_decrypt(&mut bob_view_of_alice, skmsg.serialized())?;
//! assert_eq!(unpad(&plaintext)?, b"hello group");
//!
//! // A replay is refused.
//! assert!(group_decrypt(&mut bob_view_of_alice, skmsg.serialized()).is_err());
//! # Ok::<(), wa_signal::Error>(())
//! ```

mod builder;
mod chain;
mod error;
mod group_cipher;
mod message;
mod name;
mod state;
mod store;

pub use builder::{create_distribution_message, generate_own_state, process_distribution_message};
pub use chain::{SenderChainKey, SenderMessageKey, SEED_LENGTH};
pub use error::{InvalidRecord, Malformed, SenderKeyError};
pub use group_cipher::{group_decrypt, group_encrypt, group_encrypt_skipping};
pub use message::{SenderKeyDistributionMessage, SenderKeyMessage, VERSION_BYTE};
pub use name::{SenderKeyId, SenderKeyName};
pub use state::{SenderKeyRecord, SenderKeyState, MAX_MESSAGE_KEYS, MAX_STATES};
pub use store::{InMemorySenderKeyStore, SenderKeyStore};

#[cfg(test)]
mod tests;
