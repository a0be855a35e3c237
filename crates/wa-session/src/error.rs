//! The crate's error type. Messages never contain key material or message text.

/// Everything the session engine can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JID could not be parsed or is of the wrong kind.
    #[error("invalid JID: {0}")]
    Jid(#[from] wa_binary::JidError),
    /// A pairing stanza was refused.
    #[error("pairing: {0}")]
    Pairing(#[from] crate::pairing::PairingError),
    /// The key store failed.
    #[error("store: {0}")]
    Store(#[from] wa_store::Error),
    /// A Signal-level value (address, key, record) was refused.
    #[error("signal: {0}")]
    Signal(#[from] wa_signal::Error),
    /// The store has no device with this id.
    #[error("no such device in the store")]
    UnknownDevice,
    /// The stored device has not finished pairing (no JID, signed identity or signed prekey).
    #[error("the device is not paired")]
    NotPaired,
}

/// This crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
