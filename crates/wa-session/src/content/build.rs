//! Builders for the messages we send: reaction, revoke, text, and the device-sent wrapper
//! our own other devices receive.

use prost::Message as _;
use wa_binary::Jid;
use wa_proto::e2e::{
    protocol_message, DeviceSentMessage, Message, ProtocolMessage, ReactionMessage,
};

use super::emoji::ReactionEmoji;
use super::stanza_attrs::{EditAttribute, MessageType, StanzaAttrs};
use super::target::TargetKey;
use super::time::UnixMillis;
use crate::error::{Error, TargetError};

/// A message ready to be padded and encrypted, with the stanza attributes it needs.
///
/// ```
/// use wa_session::content::{build_reaction, GroupAddressing, MessageId, MessageType,
///     NoLidMappings, ReactionEmoji, TargetKey, UnixMillis};
///
/// let target = TargetKey::resolve(
///     "15550002222@s.whatsapp.net".parse()?,
///     MessageId::parse("3A1B2C3D4E5F60718293")?,
///     false,
///     None,
///     GroupAddressing::Pn,
///     &NoLidMappings,
/// )?;
/// let out = build_reaction(&target, &ReactionEmoji::parse("👍")?, UnixMillis::new(1_700_000_000_000))?;
/// assert_eq!(out.attrs().message_type(), MessageType::Reaction);
/// assert!(out.attrs().decrypt_fail_hide());
/// assert_eq!(out.message().reaction_message.as_ref().and_then(|r| r.text.as_deref()), Some("👍"));
/// # Ok::<(), wa_session::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct Outgoing {
    message: Message,
    attrs: StanzaAttrs,
}

impl Outgoing {
    /// The message.
    #[must_use]
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The stanza attributes.
    #[must_use]
    pub fn attrs(&self) -> StanzaAttrs {
        self.attrs
    }

    /// The message's protobuf bytes (to be padded, then encrypted for the recipients).
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        self.message.encode_to_vec()
    }

    /// The protobuf bytes our own other devices receive for a one-to-one send to `chat`.
    #[must_use]
    pub fn encode_device_sent(&self, chat: &Jid) -> Vec<u8> {
        device_sent(chat, &self.message).encode_to_vec()
    }

    /// Splits into the message and the attributes.
    #[must_use]
    pub fn into_parts(self) -> (Message, StanzaAttrs) {
        (self.message, self.attrs)
    }
}

/// A reaction to `target` (the removal of ours when `emoji` is empty), stamped `now`.
///
/// Stanza: `type="reaction"`, `edit="7"` on removal, `decrypt-fail="hide"` on pairwise
/// `<enc>` (whatsmeow).
///
/// # Errors
/// [`Error::UnsupportedTarget`] for a channel post: channel reactions are plain
/// `<reaction code=…>` stanzas addressed by server id, not encrypted messages.
pub fn build_reaction(
    target: &TargetKey,
    emoji: &ReactionEmoji,
    now: UnixMillis,
) -> Result<Outgoing, Error> {
    if target.is_newsletter() {
        return Err(Error::UnsupportedTarget(TargetError::NewsletterReaction));
    }
    let message = Message {
        reaction_message: Some(ReactionMessage {
            key: Some(target.to_proto()),
            text: Some(emoji.as_str().to_owned()),
            grouping_key: None,
            sender_timestamp_ms: Some(now.as_proto_millis()),
        }),
        ..Message::default()
    };
    let edit = emoji.is_removal().then_some(EditAttribute::SenderRevoke);
    Ok(Outgoing {
        message,
        attrs: StanzaAttrs::new(MessageType::Reaction, edit),
    })
}

/// A revoke ("delete for everyone") of `target`: ours (`edit="7"`), or as a group admin
/// another member's (`edit="8"`). Stanza `type="text"`; `decrypt-fail="hide"` on pairwise
/// `<enc>`, as whatsmeow does for every message with an `edit` attribute.
///
/// Whether we are an admin of the group is not known here; the caller checks it.
///
/// # Errors
/// [`Error::UnsupportedTarget`] for a channel post, or for the other side's message in a
/// one-to-one chat (nobody can revoke it; peers would report success and keep it).
///
/// ```
/// use wa_session::content::{build_revoke, EditAttribute, GroupAddressing, MessageId,
///     NoLidMappings, TargetKey};
///
/// let mine = TargetKey::resolve(
///     "15550002222@s.whatsapp.net".parse()?,
///     MessageId::parse("3EB0A1B2C3D4E5F6A7B8C9")?,
///     true,
///     None,
///     GroupAddressing::Pn,
///     &NoLidMappings,
/// )?;
/// assert_eq!(build_revoke(&mine)?.attrs().edit(), Some(EditAttribute::SenderRevoke));
/// # Ok::<(), wa_session::Error>(())
/// ```
pub fn build_revoke(target: &TargetKey) -> Result<Outgoing, Error> {
    if target.is_newsletter() {
        return Err(Error::UnsupportedTarget(TargetError::NewsletterRevoke));
    }
    let edit = match (target.from_me(), target.is_group()) {
        (true, _) => EditAttribute::SenderRevoke,
        (false, true) => EditAttribute::AdminRevoke,
        (false, false) => {
            return Err(Error::UnsupportedTarget(
                TargetError::PeerDirectMessageRevoke,
            ))
        }
    };
    let message = Message {
        protocol_message: Some(Box::new(ProtocolMessage {
            key: Some(target.to_proto()),
            r#type: Some(protocol_message::Type::Revoke.into()),
            edited_message: None,
            timestamp_ms: None,
        })),
        ..Message::default()
    };
    Ok(Outgoing {
        message,
        attrs: StanzaAttrs::new(MessageType::Text, Some(edit)),
    })
}

/// A plain text message (`Message.conversation`), stanza `type="text"`.
///
/// # Errors
/// [`Error::EmptyText`] for the empty string.
pub fn build_text(text: &str) -> Result<Outgoing, Error> {
    if text.is_empty() {
        return Err(Error::EmptyText);
    }
    Ok(Outgoing {
        message: Message {
            conversation: Some(text.to_owned()),
            ..Message::default()
        },
        attrs: StanzaAttrs::new(MessageType::Text, None),
    })
}

/// What our own other devices receive for a one-to-one `message` to `chat`:
/// `Message{deviceSentMessage{destinationJid, message}}`, with the inner message's
/// `messageContextInfo` repeated outside (whatsmeow).
///
/// ```
/// use wa_session::content::{build_text, device_sent};
///
/// let chat = "15550002222@s.whatsapp.net".parse()?;
/// let wrapped = device_sent(&chat, build_text("hi")?.message());
/// let dsm = wrapped.device_sent_message.as_ref().unwrap();
/// assert_eq!(dsm.destination_jid.as_deref(), Some("15550002222@s.whatsapp.net"));
/// # Ok::<(), wa_session::Error>(())
/// ```
#[must_use]
pub fn device_sent(chat: &Jid, message: &Message) -> Message {
    Message {
        device_sent_message: Some(Box::new(DeviceSentMessage {
            destination_jid: Some(chat.to_string()),
            message: Some(Box::new(message.clone())),
            phash: None,
        })),
        message_context_info: message.message_context_info.clone(),
        ..Message::default()
    }
}
