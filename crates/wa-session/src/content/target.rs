//! The key of the message a reaction or revoke points at, checked against the rules peers
//! apply silently (a group key without its author, or with the author in the wrong
//! addressing form, is accepted by the server and then dropped by every recipient).

use std::fmt;

use wa_binary::{Jid, Server};
use wa_proto::common::MessageKey;

use super::message_id::MessageId;
use crate::error::{Error, TargetError};

/// How a group addresses its members: by phone number or by LID (`addressing_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupAddressing {
    /// Members are `…@s.whatsapp.net` (`addressing_mode="pn"`, or none).
    Pn,
    /// Members are `…@lid` (`addressing_mode="lid"`).
    Lid,
}

impl fmt::Display for GroupAddressing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pn => "pn",
            Self::Lid => "lid",
        })
    }
}

/// The caller's LID <-> phone-number mappings (e.g. from the store), used to put a target's
/// author into the form its group uses. Both take and return account JIDs (no device).
///
/// ```
/// use wa_binary::Jid;
/// use wa_session::content::LidLookup;
///
/// struct OneContact { pn: Jid, lid: Jid }
/// impl LidLookup for OneContact {
///     fn lid_for_pn(&self, pn: &Jid) -> Option<Jid> {
///         (pn == &self.pn).then(|| self.lid.clone())
///     }
///     fn pn_for_lid(&self, lid: &Jid) -> Option<Jid> {
///         (lid == &self.lid).then(|| self.pn.clone())
///     }
/// }
/// ```
pub trait LidLookup {
    /// The LID of a phone-number user, when known.
    fn lid_for_pn(&self, pn: &Jid) -> Option<Jid>;
    /// The phone-number JID of a LID user, when known.
    fn pn_for_lid(&self, lid: &Jid) -> Option<Jid>;
}

/// A [`LidLookup`] that knows no mappings.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLidMappings;

impl LidLookup for NoLidMappings {
    fn lid_for_pn(&self, _pn: &Jid) -> Option<Jid> {
        None
    }
    fn pn_for_lid(&self, _lid: &Jid) -> Option<Jid> {
        None
    }
}

/// Which message a reaction or revoke points at: the chat, the target's id, whether we sent
/// it, and in groups its author in the group's addressing form.
///
/// Built by [`TargetKey::resolve`] (for our sends: every rule checked) or read from a peer's
/// message (kept as the peer wrote it).
///
/// ```
/// use wa_session::content::{GroupAddressing, MessageId, NoLidMappings, TargetKey};
/// use wa_session::Error;
///
/// let group = "120363012345678901@g.us".parse()?;
/// let id = MessageId::parse("3A99887766554433221100")?;
/// // Another member's group message needs its author.
/// let missing = TargetKey::resolve(group, id, false, None, GroupAddressing::Pn, &NoLidMappings);
/// assert!(matches!(missing, Err(Error::MissingParticipant)));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TargetKey {
    chat: Jid,
    id: MessageId,
    from_me: bool,
    participant: Option<Jid>,
}

/// What kind of chat a target lives in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ChatKind {
    Direct,
    Group,
    Newsletter,
}

impl TargetKey {
    /// Checks and normalises a target for one of our sends.
    ///
    /// * `chat`: a user (phone number or LID), a group or a channel, without a device.
    /// * `from_me`: whether the target is our own message. Ours never carry a participant
    ///   (whatsmeow leaves it out; any `participant` given is ignored).
    /// * `participant`: the author of another member's group message (a device suffix is
    ///   dropped). In a one-to-one chat the author is the chat itself and the participant is
    ///   left out.
    /// * `addressing`, `lids`: for group targets, the group's addressing form and the mappings
    ///   that bring an author in the other form into it.
    ///
    /// # Errors
    /// [`Error::UnsupportedTarget`] for a device or non-chat JID, or a non-user author;
    /// [`Error::MissingParticipant`] for another member's group message without author;
    /// [`Error::ParticipantAddressing`] when the author is in the other addressing form and
    /// `lids` has no mapping.
    pub fn resolve(
        chat: Jid,
        id: MessageId,
        from_me: bool,
        participant: Option<Jid>,
        addressing: GroupAddressing,
        lids: &dyn LidLookup,
    ) -> Result<Self, Error> {
        let kind = chat_kind(&chat)?;
        let participant = match (kind, from_me) {
            (ChatKind::Group, false) => {
                let author = participant.ok_or(Error::MissingParticipant)?;
                Some(in_group_form(&author, addressing, lids)?)
            }
            _ => None,
        };
        Ok(Self {
            chat,
            id,
            from_me,
            participant,
        })
    }

    /// A key exactly as a peer wrote it (no rules applied: it describes their view).
    pub(crate) fn from_wire_parts(
        chat: Jid,
        id: MessageId,
        from_me: bool,
        participant: Option<Jid>,
    ) -> Self {
        Self {
            chat,
            id,
            from_me,
            participant,
        }
    }

    /// The chat the target lives in.
    #[must_use]
    pub fn chat(&self) -> &Jid {
        &self.chat
    }

    /// The target's id.
    #[must_use]
    pub fn id(&self) -> &MessageId {
        &self.id
    }

    /// Whether the target is the key writer's own message.
    #[must_use]
    pub fn from_me(&self) -> bool {
        self.from_me
    }

    /// The target's author in groups when it is not the key writer's own message.
    #[must_use]
    pub fn participant(&self) -> Option<&Jid> {
        self.participant.as_ref()
    }

    /// Whether the chat is a group.
    #[must_use]
    pub fn is_group(&self) -> bool {
        self.chat.is_group()
    }

    /// Whether the chat is a channel.
    #[must_use]
    pub fn is_newsletter(&self) -> bool {
        self.chat.is_newsletter()
    }

    /// The `MessageKey` protobuf: `remoteJid`, `fromMe` (written even when false), `id`, and
    /// `participant` when set.
    #[must_use]
    pub fn to_proto(&self) -> MessageKey {
        MessageKey {
            remote_jid: Some(self.chat.to_string()),
            from_me: Some(self.from_me),
            id: Some(self.id.as_str().to_owned()),
            participant: self.participant.as_ref().map(ToString::to_string),
        }
    }
}

/// Classifies a chat JID, refusing devices and servers that are not chats.
fn chat_kind(chat: &Jid) -> Result<ChatKind, Error> {
    if chat.has_device() || chat.agent() != 0 {
        return Err(Error::UnsupportedTarget(TargetError::ChatIsDevice));
    }
    if chat.is_server() {
        return Err(Error::UnsupportedTarget(TargetError::ChatKind));
    }
    match chat.server() {
        Server::User | Server::Lid => Ok(ChatKind::Direct),
        Server::Group => Ok(ChatKind::Group),
        Server::Newsletter => Ok(ChatKind::Newsletter),
        _ => Err(Error::UnsupportedTarget(TargetError::ChatKind)),
    }
}

/// The author as the group addresses it: an account JID on the group's server.
fn in_group_form(
    author: &Jid,
    addressing: GroupAddressing,
    lids: &dyn LidLookup,
) -> Result<Jid, Error> {
    let author = author.to_non_ad();
    let refused = Error::ParticipantAddressing {
        expected: addressing,
    };
    let (is_pn, is_lid) = match author.server() {
        _ if author.is_server() => (false, false),
        Server::User => (true, false),
        Server::Lid => (false, true),
        _ => (false, false),
    };
    match addressing {
        GroupAddressing::Pn if is_pn => Ok(author),
        GroupAddressing::Lid if is_lid => Ok(author),
        GroupAddressing::Lid if is_pn => lids
            .lid_for_pn(&author)
            .map(|lid| lid.to_non_ad())
            .filter(|lid| *lid.server() == Server::Lid && !lid.is_server())
            .ok_or(refused),
        GroupAddressing::Pn if is_lid => lids
            .pn_for_lid(&author)
            .map(|pn| pn.to_non_ad())
            .filter(|pn| *pn.server() == Server::User && !pn.is_server())
            .ok_or(refused),
        _ => Err(Error::UnsupportedTarget(TargetError::ParticipantKind)),
    }
}
