//! The `<message>` and `<enc>` attributes that depend on what a message contains (whatsmeow's
//! choices, PROTOCOL.md section 5).

/// The `type` attribute of a `<message>` stanza.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `text`: plain text and protocol messages (revokes).
    Text,
    /// `reaction`: reactions, including their removal (Baileys 6 wrongly sends `text`).
    Reaction,
}

impl MessageType {
    /// The attribute value.
    ///
    /// ```
    /// assert_eq!(wa_session::content::MessageType::Reaction.as_str(), "reaction");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Reaction => "reaction",
        }
    }
}

/// The `edit` attribute of a `<message>` stanza.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EditAttribute {
    /// `7`: the sender takes back its own message or reaction (revoke of our message, removal
    /// of our reaction).
    SenderRevoke,
    /// `8`: a group admin revokes another member's message.
    AdminRevoke,
}

impl EditAttribute {
    /// The attribute value.
    ///
    /// ```
    /// assert_eq!(wa_session::content::EditAttribute::AdminRevoke.as_str(), "8");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SenderRevoke => "7",
            Self::AdminRevoke => "8",
        }
    }
}

/// The content-dependent attributes of the stanza that carries a message.
///
/// ```
/// use wa_session::content::{build_text, MessageType};
///
/// let attrs = build_text("hello")?.attrs();
/// assert_eq!(attrs.message_type(), MessageType::Text);
/// assert_eq!(attrs.edit(), None);
/// assert!(!attrs.decrypt_fail_hide());
/// # Ok::<(), wa_session::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StanzaAttrs {
    message_type: MessageType,
    edit: Option<EditAttribute>,
    decrypt_fail_hide: bool,
}

impl StanzaAttrs {
    /// Attributes for a message of this type with this `edit`. `decrypt-fail="hide"` goes on
    /// the pairwise `<enc>` nodes of reactions and of every message with an `edit` attribute
    /// (whatsmeow), so a recipient that cannot decrypt it shows no "waiting for this message".
    pub(crate) fn new(message_type: MessageType, edit: Option<EditAttribute>) -> Self {
        Self {
            message_type,
            edit,
            decrypt_fail_hide: message_type == MessageType::Reaction || edit.is_some(),
        }
    }

    /// `<message type=…>`.
    #[must_use]
    pub fn message_type(self) -> MessageType {
        self.message_type
    }

    /// `<message edit=…>`, when the stanza has one.
    #[must_use]
    pub fn edit(self) -> Option<EditAttribute> {
        self.edit
    }

    /// Whether the pairwise `<enc>` nodes carry `decrypt-fail="hide"` (whatsmeow puts it on
    /// pairwise `<enc>` only, never on the group `skmsg`).
    #[must_use]
    pub fn decrypt_fail_hide(self) -> bool {
        self.decrypt_fail_hide
    }
}
