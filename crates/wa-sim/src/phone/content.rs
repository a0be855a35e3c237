//! The end-to-end `Message` protobufs a phone sends and what it makes of the ones it receives
//! (PROTOCOL.md sections 3 and 5): text, reactions (removal = empty text, `edit="7"`) and
//! revokes (`edit="7"` for one's own message, `"8"` for an admin's).

use wa_binary::Jid;
use wa_proto::common::MessageKey;
use wa_proto::e2e::{protocol_message, Message, ProtocolMessage, ReactionMessage};

use super::outgoing::{Outgoing, TargetKey};
use super::received::ReceivedKind;

/// `edit` for a sender's own revoke (and a reaction removal).
const EDIT_SENDER_REVOKE: &str = "7";
/// `edit` for an admin revoking someone else's message.
const EDIT_ADMIN_REVOKE: &str = "8";

/// A message ready to encrypt, with the stanza attributes its content implies.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Composed {
    /// The protobuf.
    pub(super) message: Message,
    /// The stanza's `type`: `"reaction"` or `"text"`.
    pub(super) stanza_type: &'static str,
    /// The stanza's `edit`, when the message edits or revokes something.
    pub(super) edit: Option<&'static str>,
}

impl Composed {
    /// Whether receivers should hide a failure to decrypt it (`decrypt-fail="hide"` on the
    /// pairwise `<enc>` nodes): reactions and edits, as whatsmeow marks them.
    pub(super) fn hide_decrypt_failure(&self) -> bool {
        self.stanza_type == "reaction" || self.edit.is_some()
    }
}

/// The protobuf and stanza attributes for `content` sent to `chat` at `now` (unix seconds).
pub(super) fn compose(chat: &Jid, content: &Outgoing, now: u64) -> Composed {
    match content {
        Outgoing::Text(text) => Composed {
            message: Message {
                conversation: Some(text.clone()),
                ..Message::default()
            },
            stanza_type: "text",
            edit: None,
        },
        Outgoing::Reaction { target, emoji } => Composed {
            message: Message {
                reaction_message: Some(ReactionMessage {
                    key: Some(message_key(chat, target)),
                    text: Some(emoji.clone()),
                    grouping_key: None,
                    sender_timestamp_ms: Some(
                        i64::try_from(now.saturating_mul(1000)).unwrap_or(i64::MAX),
                    ),
                }),
                ..Message::default()
            },
            stanza_type: "reaction",
            edit: emoji.is_empty().then_some(EDIT_SENDER_REVOKE),
        },
        Outgoing::Revoke { target } => Composed {
            message: Message {
                protocol_message: Some(Box::new(ProtocolMessage {
                    key: Some(message_key(chat, target)),
                    r#type: Some(protocol_message::Type::Revoke as i32),
                    edited_message: None,
                    timestamp_ms: None,
                })),
                ..Message::default()
            },
            stanza_type: "text",
            edit: Some(if target.from_me {
                EDIT_SENDER_REVOKE
            } else {
                EDIT_ADMIN_REVOKE
            }),
        },
    }
}

/// The key naming `target` in `chat`: the participant only in groups and only for someone
/// else's message.
fn message_key(chat: &Jid, target: &TargetKey) -> MessageKey {
    let participant = if chat.is_group() && !target.from_me {
        target
            .participant
            .as_ref()
            .map(|author| author.to_non_ad().to_string())
    } else {
        None
    };
    MessageKey {
        remote_jid: Some(chat.to_string()),
        from_me: Some(target.from_me),
        id: Some(target.id.clone()),
        participant,
    }
}

/// What a received message was, `None` when there is nothing to record (a message that only
/// distributes a sender key). `author` is the sender's user JID, to tell an admin's revoke
/// (of a message the key says someone else wrote) from one's own.
pub(super) fn classify(message: &Message, author: &Jid) -> Option<ReceivedKind> {
    if let Some(text) = &message.conversation {
        return Some(ReceivedKind::Text { text: text.clone() });
    }
    if let Some(text) = message
        .extended_text_message
        .as_ref()
        .and_then(|extended| extended.text.as_ref())
    {
        return Some(ReceivedKind::Text { text: text.clone() });
    }
    if let Some(reaction) = &message.reaction_message {
        return Some(ReceivedKind::Reaction {
            target: key_id(reaction.key.as_ref()),
            emoji: reaction.text.clone().unwrap_or_default(),
        });
    }
    if let Some(protocol) = &message.protocol_message {
        let revoke = protocol.r#type == Some(protocol_message::Type::Revoke as i32);
        if let (true, Some(key)) = (revoke, protocol.key.as_ref()) {
            return Some(ReceivedKind::Revoke {
                target: key_id(Some(key)),
                admin: is_admin_revoke(key, author),
            });
        }
        return Some(ReceivedKind::Other);
    }
    let only_key_distribution = message.sender_key_distribution_message.is_some()
        && Message {
            sender_key_distribution_message: None,
            message_context_info: None,
            ..message.clone()
        } == Message::default();
    (!only_key_distribution).then_some(ReceivedKind::Other)
}

/// The chat a reaction's or revoke's target key names (`remoteJid`), when it parses.
pub(super) fn target_chat(message: &Message) -> Option<Jid> {
    let key = match (&message.reaction_message, &message.protocol_message) {
        (Some(reaction), _) => reaction.key.as_ref(),
        (None, Some(protocol)) => protocol.key.as_ref(),
        (None, None) => None,
    }?;
    Jid::parse(key.remote_jid.as_deref()?).ok()
}

fn key_id(key: Option<&MessageKey>) -> String {
    key.and_then(|key| key.id.clone()).unwrap_or_default()
}

/// Someone revoking a message the key says they did not write (`fromMe` false and a
/// participant other than themselves).
fn is_admin_revoke(key: &MessageKey, author: &Jid) -> bool {
    if key.from_me.unwrap_or(false) {
        return false;
    }
    let named = key
        .participant
        .as_deref()
        .and_then(|participant| Jid::parse(participant).ok())
        .map(|participant| participant.to_non_ad());
    named.as_ref() != Some(&author.to_non_ad())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    #[test]
    fn reaction_removal_and_revokes_carry_edit_attributes() {
        let chat = jid("15550002222@s.whatsapp.net");
        let add = compose(
            &chat,
            &Outgoing::Reaction {
                target: TargetKey::own("3EB0AA"),
                emoji: "👍".into(),
            },
            1_700_000_000,
        );
        assert_eq!((add.stanza_type, add.edit), ("reaction", None));
        assert!(add.hide_decrypt_failure());
        let reaction = add.message.reaction_message.unwrap();
        assert_eq!(reaction.sender_timestamp_ms, Some(1_700_000_000_000));
        assert_eq!(reaction.key.unwrap().participant, None);

        let remove = compose(
            &chat,
            &Outgoing::Reaction {
                target: TargetKey::own("3EB0AA"),
                emoji: String::new(),
            },
            0,
        );
        assert_eq!(remove.edit, Some("7"));

        let group = jid("120363000000000001@g.us");
        let author = jid("15550003333@s.whatsapp.net");
        let admin = compose(
            &group,
            &Outgoing::Revoke {
                target: TargetKey::theirs("3EB0BB", author),
            },
            0,
        );
        assert_eq!((admin.stanza_type, admin.edit), ("text", Some("8")));
        let key = admin.message.protocol_message.unwrap().key.unwrap();
        assert_eq!(
            key.participant.as_deref(),
            Some("15550003333@s.whatsapp.net")
        );
        assert_eq!(key.from_me, Some(false));
    }

    #[test]
    fn classifies_revokes_as_own_or_admin() {
        let group = jid("120363000000000001@g.us");
        let alice = jid("15550001111@s.whatsapp.net");
        let bob = jid("15550002222@s.whatsapp.net");
        let own = compose(
            &group,
            &Outgoing::Revoke {
                target: TargetKey::own("X"),
            },
            0,
        );
        assert_eq!(
            classify(&own.message, &alice),
            Some(ReceivedKind::Revoke {
                target: "X".into(),
                admin: false
            })
        );
        let admin = compose(
            &group,
            &Outgoing::Revoke {
                target: TargetKey::theirs("Y", bob),
            },
            0,
        );
        assert_eq!(
            classify(&admin.message, &alice),
            Some(ReceivedKind::Revoke {
                target: "Y".into(),
                admin: true
            })
        );
    }

    #[test]
    fn a_bare_key_distribution_is_not_recorded() {
        let message = Message {
            sender_key_distribution_message: Some(Default::default()),
            ..Message::default()
        };
        assert_eq!(classify(&message, &jid("1@s.whatsapp.net")), None);
        assert_eq!(
            classify(&Message::default(), &jid("1@s.whatsapp.net")),
            Some(ReceivedKind::Other)
        );
    }
}
