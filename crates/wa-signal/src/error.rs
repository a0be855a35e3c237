//! The crate's one error type.

use crate::keys::{PreKeyId, SignedPreKeyId};

/// Everything that can go wrong in the Signal layer. Bad input from a peer is always one of
/// these, never a panic. No variant carries secret material or message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A protocol address that is not `user[_domain]:device` with a numeric user.
    #[error("invalid protocol address")]
    InvalidAddress,
    /// Padding that is not 1..=16 bytes of its own length.
    #[error("invalid padding")]
    InvalidPadding,
    /// A Signal wire message that does not parse.
    #[error("invalid message: {0}")]
    InvalidMessage(#[from] WireError),
    /// The message's MAC does not match (tampered, or not for this session).
    #[error("bad message MAC")]
    BadMac,
    /// The ciphertext does not decrypt (AES-CBC length or PKCS#7 padding).
    #[error("ciphertext does not decrypt")]
    DecryptionFailed,
    /// A message whose key was already used: a replay or a duplicate delivery.
    #[error("duplicate message (chain counter {counter})")]
    DuplicateMessage {
        /// The counter of the duplicated message.
        counter: u32,
    },
    /// A message more than [`crate::session::MAX_SKIPPED_KEYS`] ahead of its chain.
    #[error("message too far ahead of its chain ({skipped} skipped keys)")]
    TooManySkippedMessages {
        /// How many keys would have to be skipped.
        skipped: u32,
    },
    /// No session with this address (or none that can decrypt the message).
    #[error("no session")]
    NoSession,
    /// A normal message that none of the session's states could decrypt.
    #[error("no session state decrypts this message")]
    NoMatchingSession,
    /// The remote identity key is not the trusted one.
    #[error("untrusted identity key")]
    UntrustedIdentity,
    /// A prekey message naming a one-time prekey we do not have (used or never issued).
    #[error("unknown prekey {0:?}")]
    UnknownPreKey(PreKeyId),
    /// A prekey message naming a signed prekey we do not have.
    #[error("unknown signed prekey {0:?}")]
    UnknownSignedPreKey(SignedPreKeyId),
    /// A bundle whose signed prekey signature does not verify against its identity key.
    #[error("invalid signed prekey signature")]
    InvalidSignature,
    /// A stored record that does not decode.
    #[error("invalid stored record: {0}")]
    InvalidRecord(&'static str),
    /// A Diffie-Hellman result of all zeros (a low-order public key).
    #[error("non-contributory key agreement")]
    WeakKey,
    /// A storage backend failure (the backend's description, no secrets).
    #[error("store: {0}")]
    Store(String),
    /// A sender-key (group) failure.
    #[error(transparent)]
    SenderKey(#[from] crate::sender_key::SenderKeyError),
}

/// Why a Signal wire message did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Empty, or shorter than its version byte and MAC.
    #[error("truncated")]
    Truncated,
    /// A version byte other than 0x33.
    #[error("unsupported version byte {0:#04x}")]
    BadVersion(u8),
    /// The protobuf part does not decode.
    #[error("protobuf does not decode")]
    Protobuf,
    /// A required field is absent.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// A public key that is not 0x05 followed by 32 bytes.
    #[error("bad public key encoding")]
    BadKey,
}
