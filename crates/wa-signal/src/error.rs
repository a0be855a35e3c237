//! The crate's one error type.

/// Everything that can go wrong in the Signal layer. Bad input from a peer is always one of
/// these, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A protocol address that is not `user[_domain]:device` with a numeric user.
    #[error("invalid protocol address")]
    InvalidAddress,
    /// Padding that is not 1..=16 bytes of its own length.
    #[error("invalid padding")]
    InvalidPadding,
    /// A sender-key (group) failure.
    #[error(transparent)]
    SenderKey(#[from] crate::sender_key::SenderKeyError),
}
