//! The crate's error type. Messages never contain key material or message text.

use wa_binary::Jid;

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
    /// A message id that is empty, too long or not ASCII letters and digits.
    #[error("invalid message id: {0}")]
    InvalidMessageId(MessageIdError),
    /// A reaction text that is neither empty nor exactly one emoji.
    #[error("a reaction must be empty or exactly one emoji")]
    InvalidEmoji,
    /// A text message with no text.
    #[error("a text message must not be empty")]
    EmptyText,
    /// Reacting to, or revoking as an admin, another member's group message without naming
    /// its author: peers would drop the message silently.
    #[error(
        "the target is another member's group message but its author (participant) is missing"
    )]
    MissingParticipant,
    /// The target's author is in the other addressing form than the group uses (a phone
    /// number in a LID group or the reverse) and no mapping to the group's form is known.
    #[error("the target's author is not in the group's addressing form ({expected}) and no mapping is known")]
    ParticipantAddressing {
        /// The form the group uses.
        expected: crate::content::GroupAddressing,
    },
    /// A target that this kind of message cannot address.
    #[error("unsupported target: {0}")]
    UnsupportedTarget(TargetError),
    /// A decrypted message whose reaction, revoke, device-sent or sender-key part is not
    /// well formed.
    #[error("malformed message content: {0}")]
    MalformedContent(ContentError),
    /// A JID given where a user's device was expected (`s.whatsapp.net` or `lid`, with a user).
    #[error("not a user device: {0}")]
    NotADevice(Jid),
    /// A device listed for a chat that is not in the chat's addressing form (a phone-number
    /// device in a LID chat or group, or the other way round).
    #[error("device {0} is not in the chat's addressing form")]
    WrongAddressing(Jid),
    /// A stanza from the server or a peer that lacks a field or has one of the wrong size.
    #[error("malformed stanza: {0}")]
    MalformedStanza(&'static str),
    /// The session is not connected (or stopped) and cannot send.
    #[error("disconnected")]
    Disconnected,
    /// The server refused a message (the `error` of its `<ack>`, e.g. 403 for a group we are
    /// not in), or the group metadata it needs.
    #[error("the server refused the message ({code})")]
    ServerError {
        /// The error code.
        code: u16,
        /// The id the refused message had (it is `failed` in the outbox), when one was drawn.
        message_id: Option<crate::content::MessageId>,
    },
    /// Revoking another member's group message needs us to be a group admin.
    #[error("only a group admin can revoke another member's message")]
    NotGroupAdmin,
    /// Pairing ended without a device (see [`Event::PairingFailed`](crate::Event)).
    #[error("pairing failed: {0}")]
    PairingFailed(String),
    /// No answer came in time.
    #[error("timed out waiting for the server")]
    Timeout,
    /// The server answered an IQ with an error.
    #[error("the server answered {code} ({text})")]
    Iq {
        /// The error code (e.g. 404).
        code: u16,
        /// The error text (e.g. `item-not-found`).
        text: String,
    },
}

impl Error {
    /// The id of the message this error is about: the refused send's for
    /// [`Error::ServerError`], so that callers can record it as failed.
    ///
    /// ```
    /// use wa_session::{content::MessageId, Error};
    /// let id = MessageId::parse("3EB0AA")?;
    /// let refused = Error::ServerError { code: 479, message_id: Some(id.clone()) };
    /// assert_eq!(refused.message_id(), Some(&id));
    /// assert_eq!(Error::Timeout.message_id(), None);
    /// # Ok::<(), wa_session::Error>(())
    /// ```
    #[must_use]
    pub fn message_id(&self) -> Option<&crate::content::MessageId> {
        match self {
            Self::ServerError { message_id, .. } => message_id.as_ref(),
            _ => None,
        }
    }
}

/// Why a message id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageIdError {
    /// The empty string.
    #[error("empty")]
    Empty,
    /// Longer than [`crate::content::MAX_MESSAGE_ID_LEN`] bytes.
    #[error("too long")]
    TooLong,
    /// A character other than an ASCII letter or digit.
    #[error("not ASCII letters and digits")]
    InvalidCharacter,
}

/// Why a target (chat plus message) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The chat JID names a device (`user:N@…`); chats are accounts or groups.
    #[error("the chat JID names a device")]
    ChatIsDevice,
    /// The chat is not a user (phone number or LID), a group or a channel.
    #[error("the chat is not a user, group or channel")]
    ChatKind,
    /// The author (participant) is not a phone-number or LID user.
    #[error("the author is not a user JID")]
    ParticipantKind,
    /// Channel (newsletter) posts take reactions only.
    #[error("channel posts cannot be revoked this way")]
    NewsletterRevoke,
    /// The other side's message in a one-to-one chat cannot be revoked by us.
    #[error("the other side's message in a one-to-one chat cannot be revoked")]
    PeerDirectMessageRevoke,
    /// Channel reactions are sent unencrypted by server id, not as a `Message`.
    #[error("channel reactions are not end-to-end encrypted messages")]
    NewsletterReaction,
}

/// What is wrong with a decrypted message's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContentError {
    /// The protobuf does not decode.
    #[error("not a valid Message protobuf")]
    Protobuf,
    /// A reaction or revoke without its message key.
    #[error("the target message key is missing")]
    MissingKey,
    /// A message key without its chat (`remoteJid`).
    #[error("the target message key has no chat")]
    MissingChat,
    /// A message key whose chat or participant is not a valid JID.
    #[error("the target message key has an invalid JID")]
    KeyJid,
    /// A message key whose id is missing or invalid.
    #[error("the target message key has no valid id")]
    KeyId,
    /// A device-sent message without a valid destination chat, or without a message.
    #[error("the device-sent message has no valid destination or message")]
    DeviceSent,
    /// A device-sent message inside a device-sent message.
    #[error("nested device-sent message")]
    NestedDeviceSent,
    /// A sender key distribution without a valid group id or without key bytes.
    #[error("the sender key distribution has no valid group or no key")]
    SenderKeyDistribution,
}

/// This crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
