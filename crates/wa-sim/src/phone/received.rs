//! What a simulated phone saw: the messages it decrypted and the receipts it was sent.

use wa_binary::Jid;

/// A message a simulated phone decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The phone's own device JID (phone-number form) that decrypted it.
    pub device: Jid,
    /// The device that sent it, as the stanza named it.
    pub sender: Jid,
    /// The message id.
    pub id: String,
    /// The author's user JID (no device part).
    pub from: Jid,
    /// The chat: the group, the other user of a one-to-one chat, or, for a message the
    /// account's own other device sent, that message's destination.
    pub chat: Jid,
    /// The stanza's timestamp (unix seconds).
    pub timestamp: u64,
    /// What it was.
    pub kind: ReceivedKind,
    /// For reactions and revokes: the chat their target key names (`remoteJid`), as written.
    pub target_chat: Option<Jid>,
}

/// The content of a decrypted message, as far as the simulator models it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceivedKind {
    /// A text (`conversation` or `extendedTextMessage.text`).
    Text {
        /// The text.
        text: String,
    },
    /// A reaction; an empty `emoji` is a removal.
    Reaction {
        /// The id of the message reacted to.
        target: String,
        /// The emoji, `""` when the reaction was removed.
        emoji: String,
    },
    /// A revoke (delete for everyone).
    Revoke {
        /// The id of the revoked message.
        target: String,
        /// Whether someone revoked another participant's message (a group admin's revoke).
        admin: bool,
    },
    /// Anything else.
    Other,
}

/// A delivery, read or other non-retry receipt a simulated phone was sent for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenReceipt {
    /// The message id.
    pub id: String,
    /// The device that sent the receipt.
    pub device: Jid,
    /// The chat (a group, or the receipt sender's user).
    pub chat: Jid,
    /// What kind of receipt.
    pub kind: ReceiptKind,
}

/// The `type` of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiptKind {
    /// No type (or `inactive`): delivered.
    Delivery,
    /// `read` or `read-self`.
    Read,
    /// `played` or `played-self`.
    Played,
    /// Any other type (`sender`, `peer_msg`, ...), as written.
    Other(String),
}

impl ReceiptKind {
    /// The kind named by a `type` attribute (absent = delivery).
    #[must_use]
    pub fn from_type(receipt_type: Option<&str>) -> Self {
        match receipt_type {
            None | Some("" | "inactive") => Self::Delivery,
            Some("read" | "read-self") => Self::Read,
            Some("played" | "played-self") => Self::Played,
            Some(other) => Self::Other(other.to_owned()),
        }
    }
}
