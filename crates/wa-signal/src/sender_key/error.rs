//! What can go wrong with sender keys.

/// Sender-key failures (carried by [`crate::Error::SenderKey`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SenderKeyError {
    /// No sender key state for this group and sender.
    #[error("no sender key for this group and sender")]
    NoSenderKey,
}
