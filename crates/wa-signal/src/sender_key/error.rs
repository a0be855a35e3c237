//! What can go wrong with sender keys.

use super::SenderKeyId;

/// Sender-key failures (carried by [`crate::Error::SenderKey`]).
///
/// Messages name iterations and key ids (public values) but never key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SenderKeyError {
    /// No sender key state for this group and sender (or none we can send with).
    #[error("no sender key for this group and sender")]
    NoSenderKey,
    /// A group id that is empty.
    #[error("invalid sender key name")]
    InvalidName,
    /// A message whose version byte is not 0x33.
    #[error("unsupported sender key message version byte {0:#04x}")]
    UnsupportedVersion(u8),
    /// A message that does not parse.
    #[error("malformed sender key message: {0}")]
    Malformed(Malformed),
    /// The message names a key id none of the record's states has.
    #[error("no sender key state with key id {0}")]
    UnknownKeyId(SenderKeyId),
    /// The signature does not verify with the sender's signing key.
    #[error("sender key message signature does not verify")]
    BadSignature,
    /// The ciphertext does not decrypt (not whole AES blocks, or bad PKCS#7 padding).
    #[error("sender key message does not decrypt")]
    DecryptionFailed,
    /// The message key of this iteration was already used: a duplicate or replayed message.
    #[error("duplicate sender key message (iteration {iteration})")]
    DuplicateMessage {
        /// The message's iteration.
        iteration: u32,
    },
    /// The iteration is older than any message key this state still holds (it predates the
    /// distribution message, or its key was evicted).
    #[error("sender key message too old (iteration {iteration})")]
    MessageTooOld {
        /// The message's iteration.
        iteration: u32,
    },
    /// The iteration is more than [`super::MAX_MESSAGE_KEYS`] ahead of the chain.
    #[error("sender key message too far ahead (iteration {iteration}, chain at {current})")]
    TooFarInFuture {
        /// The message's iteration.
        iteration: u32,
        /// The chain's current iteration.
        current: u32,
    },
    /// The chain iteration would pass `u32::MAX`.
    #[error("sender key iteration overflow")]
    IterationOverflow,
    /// A stored record that does not decode or breaks the bounds.
    #[error("invalid sender key record: {0}")]
    InvalidRecord(InvalidRecord),
}

/// Why a sender key wire message did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// Shorter than the version byte (plus the signature, for a SenderKeyMessage).
    #[error("too short")]
    TooShort,
    /// The protobuf part does not decode.
    #[error("bad protobuf")]
    Protobuf,
    /// A required field is absent.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// The chain key is not 32 bytes.
    #[error("chain key is not 32 bytes")]
    ChainKeyLength,
    /// The signing key is not 0x05 followed by 32 bytes.
    #[error("signing key is not 0x05 || 32 bytes")]
    SigningKey,
    /// The ciphertext is empty or not whole AES blocks.
    #[error("ciphertext is not whole AES blocks")]
    CiphertextLength,
}

/// Why a stored sender key record was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRecord {
    /// The bytes do not decode as a record.
    #[error("bad protobuf")]
    Protobuf,
    /// A required field is absent or has the wrong length.
    #[error("missing or malformed field {0}")]
    Field(&'static str),
    /// More than [`super::MAX_STATES`] states.
    #[error("too many states")]
    TooManyStates,
    /// More than [`super::MAX_MESSAGE_KEYS`] skipped message keys in a state.
    #[error("too many skipped message keys")]
    TooManyMessageKeys,
    /// A skipped message key at or past the chain iteration, or listed twice.
    #[error("skipped message key out of place")]
    SkippedKeyOutOfPlace,
    /// The stored private signing key does not match the public one.
    #[error("signing key pair mismatch")]
    SigningKeyMismatch,
}

impl From<Malformed> for SenderKeyError {
    fn from(reason: Malformed) -> Self {
        Self::Malformed(reason)
    }
}

impl From<InvalidRecord> for SenderKeyError {
    fn from(reason: InvalidRecord) -> Self {
        Self::InvalidRecord(reason)
    }
}

impl From<Malformed> for crate::Error {
    fn from(reason: Malformed) -> Self {
        Self::SenderKey(reason.into())
    }
}

impl From<InvalidRecord> for crate::Error {
    fn from(reason: InvalidRecord) -> Self {
        Self::SenderKey(reason.into())
    }
}
