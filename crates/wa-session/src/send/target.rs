//! The message a reaction or revoke points at, as the caller names it: its id, whether we
//! sent it, and in groups its author.

use wa_binary::Jid;

use crate::content::{GroupAddressing, MessageId, NoLidMappings, TargetKey};
use crate::error::Result;

/// A target message within a chat the caller names separately.
///
/// ```
/// use wa_session::content::MessageId;
/// use wa_session::send::TargetRef;
///
/// let mine = TargetRef::mine(MessageId::parse("3EB0AA")?);
/// assert!(mine.from_me());
/// assert_eq!(mine.participant(), None);
/// # Ok::<(), wa_session::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TargetRef {
    id: MessageId,
    from_me: bool,
    participant: Option<Jid>,
}

impl TargetRef {
    /// One of our own messages.
    #[must_use]
    pub const fn mine(id: MessageId) -> Self {
        Self {
            id,
            from_me: true,
            participant: None,
        }
    }

    /// Someone else's message; in a group `participant` is its author (either addressing
    /// form: it is brought into the group's form from the group's member list).
    #[must_use]
    pub const fn theirs(id: MessageId, participant: Option<Jid>) -> Self {
        Self {
            id,
            from_me: false,
            participant,
        }
    }

    /// The target's id.
    #[must_use]
    pub const fn id(&self) -> &MessageId {
        &self.id
    }

    /// Whether we sent it.
    #[must_use]
    pub const fn from_me(&self) -> bool {
        self.from_me
    }

    /// The author, when given.
    #[must_use]
    pub const fn participant(&self) -> Option<&Jid> {
        self.participant.as_ref()
    }

    /// Checks every rule that needs no group metadata (chat kind, the author present for
    /// another member's group message): the addressing is taken from the author itself.
    pub(crate) fn precheck(&self, chat: &Jid) -> Result<TargetKey> {
        let form = match &self.participant {
            Some(author) if author.is_lid() => GroupAddressing::Lid,
            _ => GroupAddressing::Pn,
        };
        self.resolve(chat, form, &NoLidMappings)
    }

    /// The checked key in the chat's addressing form.
    pub(crate) fn resolve(
        &self,
        chat: &Jid,
        addressing: GroupAddressing,
        lids: &dyn crate::content::LidLookup,
    ) -> Result<TargetKey> {
        TargetKey::resolve(
            chat.clone(),
            self.id.clone(),
            self.from_me,
            self.participant.clone(),
            addressing,
            lids,
        )
    }
}
