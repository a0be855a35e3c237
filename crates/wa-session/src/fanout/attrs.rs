//! The attributes of a `<message>` stanza that its content decides: the id, `type`, `edit`,
//! and whether receivers hide a failure to decrypt it (`decrypt-fail="hide"` on `<enc>`).

use wa_proto::e2e::{protocol_message, Message};

pub use crate::content::MessageId;

/// The stanza's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StanzaType {
    /// `type="text"`: texts, revokes and other protocol messages.
    Text,
    /// `type="reaction"` (whatsmeow and Baileys 7).
    Reaction,
}

impl StanzaType {
    /// The attribute value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Reaction => "reaction",
        }
    }
}

/// The stanza's `edit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edit {
    /// `edit="7"`: revoking our own message, or removing our reaction (as whatsmeow does).
    SenderRevoke,
    /// `edit="8"`: a group admin revoking another member's message.
    AdminRevoke,
}

impl Edit {
    /// The attribute value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SenderRevoke => "7",
            Self::AdminRevoke => "8",
        }
    }
}

/// What the `<message>` and its pairwise `<enc>` nodes carry besides the recipients.
///
/// ```
/// use wa_proto::e2e::{Message, ReactionMessage};
/// use wa_session::fanout::{Edit, MessageId, StanzaAttrs, StanzaType};
/// let removal = Message {
///     reaction_message: Some(ReactionMessage { text: Some(String::new()), ..Default::default() }),
///     ..Default::default()
/// };
/// let attrs = StanzaAttrs::for_message(MessageId::parse("3EB0AA")?, &removal);
/// assert_eq!(attrs.stanza_type(), StanzaType::Reaction);
/// assert_eq!(attrs.edit(), Some(Edit::SenderRevoke));
/// assert!(attrs.hides_decrypt_failure());
/// # Ok::<(), wa_session::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanzaAttrs {
    id: MessageId,
    stanza_type: StanzaType,
    edit: Option<Edit>,
    hide_decrypt_failure: bool,
}

impl StanzaAttrs {
    /// Attributes set by hand: no `edit`, failures not hidden.
    #[must_use]
    pub const fn new(id: MessageId, stanza_type: StanzaType) -> Self {
        Self {
            id,
            stanza_type,
            edit: None,
            hide_decrypt_failure: false,
        }
    }

    /// The attributes whatsmeow derives from the content: `type="reaction"` for reactions;
    /// `edit="7"` for a reaction removal or a revoke of our own message, `"8"` for a revoke of
    /// someone else's; `decrypt-fail="hide"` for reactions and anything with an `edit`.
    #[must_use]
    pub fn for_message(id: MessageId, message: &Message) -> Self {
        let reaction = message.reaction_message.as_ref();
        let stanza_type = if reaction.is_some() {
            StanzaType::Reaction
        } else {
            StanzaType::Text
        };
        let revoke = message
            .protocol_message
            .as_ref()
            .filter(|p| p.r#type == Some(protocol_message::Type::Revoke as i32))
            .and_then(|p| p.key.as_ref());
        let edit = match (revoke, reaction) {
            (Some(key), _) if key.from_me == Some(true) => Some(Edit::SenderRevoke),
            (Some(_), _) => Some(Edit::AdminRevoke),
            (None, Some(r)) if r.text.as_deref().unwrap_or_default().is_empty() => {
                Some(Edit::SenderRevoke)
            }
            _ => None,
        };
        Self {
            id,
            stanza_type,
            edit,
            hide_decrypt_failure: stanza_type == StanzaType::Reaction || edit.is_some(),
        }
    }

    /// The same with `edit` set.
    #[must_use]
    pub fn with_edit(mut self, edit: Edit) -> Self {
        self.edit = Some(edit);
        self
    }

    /// The same with `decrypt-fail="hide"` on the pairwise `<enc>` nodes.
    #[must_use]
    pub fn with_hidden_decrypt_failure(mut self) -> Self {
        self.hide_decrypt_failure = true;
        self
    }

    /// The message id.
    #[must_use]
    pub const fn id(&self) -> &MessageId {
        &self.id
    }

    /// The stanza `type`.
    #[must_use]
    pub const fn stanza_type(&self) -> StanzaType {
        self.stanza_type
    }

    /// The stanza `edit`, if any.
    #[must_use]
    pub const fn edit(&self) -> Option<Edit> {
        self.edit
    }

    /// Whether pairwise `<enc>` nodes get `decrypt-fail="hide"`.
    #[must_use]
    pub const fn hides_decrypt_failure(&self) -> bool {
        self.hide_decrypt_failure
    }
}
