//! The crate's error type. Messages never contain key material or message text.

/// Everything the session engine can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JID could not be parsed or is of the wrong kind.
    #[error("invalid JID: {0}")]
    Jid(#[from] wa_binary::JidError),
}

/// This crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
