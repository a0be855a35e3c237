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
    /// The device id chosen for a new device is in use already.
    #[error("device id taken")]
    DeviceIdTaken,
    /// A pairing QR string could not be parsed (see [`QrError`]).
    #[error("invalid pairing QR: {0}")]
    InvalidQr(#[from] QrError),
    /// No connection is waiting to pair with this QR's ref: it was never issued, or the
    /// connection that received it has closed (refs expire with their connection).
    #[error("unknown or expired pairing ref")]
    UnknownPairingRef,
    /// The connection this QR belongs to was already scanned (it is paired or pairing).
    #[error("this pairing QR was already scanned")]
    PairingRefUsed,
    /// The QR's Noise or identity key is not the one its connection presented.
    #[error("the QR's keys do not match its connection")]
    QrKeyMismatch,
    /// The server refused a simulated device's message (the `error` code of its `<ack>`).
    #[error("message refused by the server (code {0})")]
    Refused(String),
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
    /// A field of the registration payload (`devicePairingData`) is missing.
    #[error("registration field {0} missing")]
    MissingField(&'static str),
    /// A field of the registration payload has the wrong length.
    #[error("registration field {field} must be {expected} bytes")]
    FieldLength {
        /// The field's name in `devicePairingData`.
        field: &'static str,
        /// Its required length.
        expected: usize,
    },
    /// The key type is not 5 (Curve25519).
    #[error("key type must be 5 (Curve25519)")]
    KeyType,
}

/// Why a pairing QR string was refused. The expected form is
/// `[https://wa.me/settings/linked_devices#]REF,NOISE,IDENTITY,ADV[,CLIENT_TYPE]`, the keys in
/// standard base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// Not 4 or 5 comma-separated fields.
    #[error("expected 4 or 5 comma-separated fields, got {0}")]
    FieldCount(usize),
    /// The ref is empty.
    #[error("empty ref")]
    EmptyRef,
    /// A key field is not valid standard base64.
    #[error("{0} is not valid base64")]
    Base64(QrField),
    /// A key field does not decode to 32 bytes.
    #[error("{0} must be 32 bytes")]
    KeyLength(QrField),
    /// The client type (fifth field) is not 1 or 2 ASCII letters or digits.
    #[error("invalid client type")]
    ClientType,
}

/// A base64 field of a pairing QR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrField {
    /// The client's Noise static public key.
    #[error("the noise key")]
    NoiseKey,
    /// The client's Signal identity public key.
    #[error("the identity key")]
    IdentityKey,
    /// The client's ADV secret (the HMAC key of `pair-success`).
    #[error("the ADV secret")]
    AdvSecret,
}

/// This crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
