//! The crate's error type. Messages never contain key material or message text.

use wa_binary::Jid;

/// Everything the session engine can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JID could not be parsed or is of the wrong kind.
    #[error("invalid JID: {0}")]
    Jid(#[from] wa_binary::JidError),
    /// A Signal operation (session setup, encryption, sender keys) or the store under it failed.
    #[error("signal: {0}")]
    Signal(#[from] wa_signal::Error),
    /// A JID given where a user's device was expected (`s.whatsapp.net` or `lid`, with a user).
    #[error("not a user device: {0}")]
    NotADevice(Jid),
    /// A device listed for a chat that is not in the chat's addressing form (a phone-number
    /// device in a LID chat or group, or the other way round).
    #[error("device {0} is not in the chat's addressing form")]
    WrongAddressing(Jid),
    /// A message id that is empty, too long or not printable ASCII.
    #[error("invalid message id")]
    InvalidMessageId,
    /// A stanza from the server or a peer that lacks a field or has one of the wrong size.
    #[error("malformed stanza: {0}")]
    MalformedStanza(&'static str),
}

/// This crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
