//! Why a pairing stanza was refused. Messages never carry key material.

/// A `pair-device` or `pair-success` stanza that cannot be acted on. None of these leads to a
/// `pair-device-sign` answer: the server never registers a device we did not countersign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PairingError {
    /// Not an `<iq>` from `s.whatsapp.net` with an `id` and exactly one child of the expected
    /// tag.
    #[error("not a {0} request from the server")]
    NotARequest(&'static str),
    /// A required child, attribute or content is missing or malformed.
    #[error("pairing stanza without a valid {0}")]
    Missing(&'static str),
    /// `pair-device` carried no usable ref.
    #[error("pair-device without refs")]
    NoRefs,
    /// A protobuf inside `pair-success` does not decode.
    #[error("pair-success carries a malformed {0}")]
    Malformed(&'static str),
    /// The device identity's HMAC does not match our ADV secret: it was not made for the QR
    /// we showed.
    #[error("device identity HMAC mismatch")]
    HmacMismatch,
    /// The account signature is missing, of the wrong size, or does not verify over our
    /// identity key.
    #[error("account signature mismatch")]
    AccountSignatureMismatch,
    /// The identity is for a hosted account (`[6, 5]` prefixes), which this engine does not
    /// support.
    #[error("hosted accounts are not supported")]
    HostedAccount,
    /// The details carry no key index, or the primary device's (0).
    #[error("device identity without a companion key index")]
    KeyIndex,
    /// The device JID is not a companion device of a phone-number account, or the LID is not
    /// a LID of the same device.
    #[error("pair-success names an invalid device JID")]
    DeviceJid,
}

impl PairingError {
    /// The `<error code text>` whatsmeow answers this failure with (`401 hmac-mismatch`,
    /// `401 signature-mismatch`, otherwise `500 internal-error`).
    ///
    /// ```
    /// use wa_session::PairingError;
    ///
    /// assert_eq!(PairingError::HmacMismatch.reply_code(), (401, "hmac-mismatch"));
    /// ```
    #[must_use]
    pub const fn reply_code(&self) -> (u16, &'static str) {
        match self {
            Self::HmacMismatch => (401, "hmac-mismatch"),
            Self::AccountSignatureMismatch => (401, "signature-mismatch"),
            _ => (500, "internal-error"),
        }
    }
}
