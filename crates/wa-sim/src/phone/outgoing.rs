//! What a simulated phone can be told to send.

use wa_binary::Jid;

/// The content of a message a simulated phone sends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outgoing {
    /// A plain text message (`conversation`).
    Text(String),
    /// A reaction to an earlier message; an empty `emoji` removes the phone's reaction.
    Reaction {
        /// The message reacted to.
        target: TargetKey,
        /// The emoji, or `""` to remove the reaction.
        emoji: String,
    },
    /// Deletes an earlier message for everyone: the phone's own (`target.from_me`), or, in a
    /// group, someone else's as an admin.
    Revoke {
        /// The message revoked.
        target: TargetKey,
    },
}

/// The key of the message a reaction or revoke is about, as the sending phone sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetKey {
    /// The target message's id.
    pub id: String,
    /// Whether the sending phone's account wrote the target message.
    pub from_me: bool,
    /// In groups, the target's author (user JID, in the group's addressing form) when it is not
    /// the sending account; ignored in one-to-one chats and for `from_me` targets.
    pub participant: Option<Jid>,
}

impl TargetKey {
    /// The key of a message the sending account wrote.
    #[must_use]
    pub fn own(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            from_me: true,
            participant: None,
        }
    }

    /// The key of a message someone else wrote: `author` is their user JID (needed in groups).
    #[must_use]
    pub fn theirs(id: impl Into<String>, author: Jid) -> Self {
        Self {
            id: id.into(),
            from_me: false,
            participant: Some(author),
        }
    }
}
