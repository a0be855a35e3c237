//! What the receive path reports: plain messages, reactions and revokes, in our view of the
//! chat (a message from one of our own other devices belongs to its destination chat).

use std::fmt;

use wa_binary::{Jid, Node};

use crate::content::{MessageId, TargetKey, UnixMillis};

/// Something a received message means for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiveEvent {
    /// A message that is neither a reaction nor a revoke.
    Message(MessageReceived),
    /// A reaction added, changed or removed.
    Reaction(ReactionEvent),
    /// A message deleted for everyone.
    Revoke(RevokeEvent),
}

/// A plain message: enough to react to it or revoke it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageReceived {
    /// The message id.
    pub id: MessageId,
    /// The chat: the group, the other user, or for our own devices' sends the destination.
    pub chat: Jid,
    /// The device that wrote it.
    pub author: Jid,
    /// Whether one of our own devices wrote it.
    pub from_me: bool,
    /// The server's timestamp (`t`).
    pub timestamp: UnixMillis,
    /// The text, for text messages; `None` for content this engine does not model.
    pub text: Option<String>,
}

impl MessageReceived {
    /// The key to react to or revoke this message with, in our view.
    #[must_use]
    pub fn key(&self) -> TargetKey {
        let participant = (self.chat.is_group() && !self.from_me).then(|| self.author.to_non_ad());
        TargetKey::from_wire_parts(
            self.chat.clone(),
            self.id.clone(),
            self.from_me,
            participant,
        )
    }
}

impl fmt::Debug for MessageReceived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageReceived")
            .field("id", &self.id)
            .field("chat", &self.chat)
            .field("author", &self.author)
            .field("from_me", &self.from_me)
            .field("timestamp", &self.timestamp)
            .field("text", &self.text.as_ref().map(|text| text.len()))
            .finish()
    }
}

/// How a reaction changed what `actor` shows on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionChange {
    /// The actor had no (remembered) reaction on the target.
    Added,
    /// The actor replaced its reaction.
    Changed,
    /// The actor took its reaction back.
    Removed,
}

/// A reaction to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReactionEvent {
    /// The reaction message's own id.
    pub id: MessageId,
    /// The chat, in our view.
    pub chat: Jid,
    /// The message reacted to, in our view.
    pub target: TargetKey,
    /// The reacting account (no device).
    pub actor: Jid,
    /// The emoji, `None` when removed.
    pub emoji: Option<String>,
    /// The server's timestamp (`t`).
    pub timestamp: UnixMillis,
    /// Added, changed or removed.
    pub change: ReactionChange,
}

/// A revoke ("delete for everyone").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevokeEvent {
    /// The revoke message's own id.
    pub id: MessageId,
    /// The chat, in our view.
    pub chat: Jid,
    /// The message revoked, in our view.
    pub target: TargetKey,
    /// The revoking account (no device).
    pub revoker: Jid,
    /// Whether the revoker deleted another member's message (as a group admin).
    pub admin: bool,
    /// The server's timestamp (`t`).
    pub timestamp: UnixMillis,
}

/// What handling one `<message>` gives: events for the application and stanzas to send.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Received {
    /// Events, in order (at most one per message).
    pub events: Vec<ReceiveEvent>,
    /// Stanzas to send, in order: the delivery or retry receipt, then the `<ack>`.
    pub replies: Vec<Node<'static>>,
    /// Set when the message failed to decrypt (a retry receipt is among the replies unless
    /// the retries for it are used up).
    pub decrypt_failure: Option<DecryptFailure>,
}

/// A received message that did not decrypt: who sent it and how often we asked for it again.
/// It holds no ciphertext and no key material.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecryptFailure {
    /// The chat, in our view.
    pub chat: Jid,
    /// The message's id.
    pub id: MessageId,
    /// The sending device.
    pub sender: Jid,
    /// Which retry receipt this failure answered with (1 for the first), counting the ones
    /// the sender's resends report.
    pub retry_count: u32,
    /// Whether a retry receipt was sent (false once the retries for it are used up).
    pub retry_sent: bool,
}
