//! The crate's error type. Messages never contain key material or node contents.

/// Everything the simulator's API can refuse, and what can stop it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A phone number must be 5 to 15 ASCII digits, not starting with 0.
    #[error("invalid phone number (expected 5 to 15 digits, not starting with 0)")]
    InvalidPhone,
    /// An account with this phone number exists already.
    #[error("an account with this phone number exists already")]
    PhoneTaken,
    /// No account has this JID (phone number or LID).
    #[error("unknown account")]
    UnknownAccount,
    /// The account has no device with this id.
    #[error("unknown device")]
    UnknownDevice,
    /// The account has no free companion device id left.
    #[error("no free device id on this account")]
    TooManyDevices,
    /// A group participant is not an existing account's PN or LID JID.
    #[error("unknown group participant {0}")]
    UnknownParticipant(wa_binary::Jid),
    /// No group has this JID.
    #[error("unknown group")]
    UnknownGroup,
    /// The account is not a member of the group.
    #[error("not a member of the group")]
    NotInGroup,
    /// A group subject must not be empty.
    #[error("empty group subject")]
    InvalidSubject,
    /// A device registration was refused (see [`RegistrationError`]).
    #[error("device registration refused: {0}")]
    Registration(#[from] RegistrationError),
    /// A JID could not be built (a bug: the simulator makes its own users).
    #[error("invalid JID: {0}")]
    Jid(#[from] wa_binary::JidError),
    /// A stanza given to a simulated phone could not be read (says what was wrong, never the
    /// contents).
    #[error("malformed stanza for a simulated phone: {0}")]
    MalformedStanza(&'static str),
    /// A simulated phone can only send to a user (PN or LID JID) or a group.
    #[error("a simulated phone can only send to a user or a group")]
    UnsupportedChat,
    /// A simulated phone could not encrypt a message for any device of the recipient.
    #[error("no device of the recipient could be reached")]
    NoReachableDevice,
    /// A Signal operation of a simulated phone failed (the error names no key material).
    #[error("signal: {0}")]
    Signal(#[from] wa_signal::Error),
    /// Binding or accepting on the listening socket failed.
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
}

/// Why a device's public keys were refused (at registration or in a prekey upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The signed prekey's signature does not verify with the identity key.
    #[error("signed prekey signature does not verify with the identity key")]
    BadSignature,
    /// A prekey id does not fit in 3 bytes.
    #[error("prekey id out of range (3 bytes)")]
    PreKeyIdRange,
}

/// This crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
