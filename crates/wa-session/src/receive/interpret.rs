//! Turning a decrypted message's content into an event, in our view of the chat.

use wa_binary::Jid;

use super::events::{MessageReceived, ReactionChange, ReactionEvent, ReceiveEvent, RevokeEvent};
use super::stanza::Envelope;
use super::state::ReceiveState;
use crate::content::{Content, TargetKey};
use crate::fanout::{Addressing, OwnIdentity};

/// The event for `content` received in `envelope`; `destination` is a device-sent
/// message's chat (our own devices' sends).
pub(super) fn event_for(
    state: &mut ReceiveState,
    own: &OwnIdentity,
    envelope: &Envelope<'_, '_>,
    destination: Option<Jid>,
    content: Content,
) -> ReceiveEvent {
    let chat = match destination {
        Some(destination) if envelope.from_me && !envelope.chat.is_group() => {
            destination.to_non_ad()
        }
        _ => envelope.chat.clone(),
    };
    let ours = own_users(own);
    let actor = envelope.sender.to_non_ad();
    match content {
        Content::Reaction(reaction) => {
            let target = reaction.target().seen_by_us(&chat, &envelope.sender, &ours);
            let emoji = reaction.emoji().map(str::to_owned);
            let previous = state.swap_reaction(&chat, target.id(), &actor, emoji.as_deref());
            let change = match (&emoji, previous) {
                (None, _) => ReactionChange::Removed,
                (Some(_), None) => ReactionChange::Added,
                (Some(_), Some(_)) => ReactionChange::Changed,
            };
            ReceiveEvent::Reaction(ReactionEvent {
                id: envelope.id.clone(),
                chat,
                target,
                actor,
                emoji,
                timestamp: envelope.timestamp,
                change,
            })
        }
        Content::Revoke { target } => {
            let target = target.seen_by_us(&chat, &envelope.sender, &ours);
            let admin = chat.is_group() && !wrote(&target, &actor, &ours);
            ReceiveEvent::Revoke(RevokeEvent {
                id: envelope.id.clone(),
                chat,
                target,
                revoker: actor,
                admin,
                timestamp: envelope.timestamp,
            })
        }
        other => ReceiveEvent::Message(MessageReceived {
            id: envelope.id.clone(),
            chat,
            author: envelope.sender.clone(),
            from_me: envelope.from_me,
            timestamp: envelope.timestamp,
            text: match other {
                Content::Text(text) => Some(text),
                _ => None,
            },
        }),
    }
}

/// Our accounts, in the forms we know.
fn own_users(own: &OwnIdentity) -> Vec<Jid> {
    [Addressing::Pn, Addressing::Lid]
        .into_iter()
        .filter_map(|form| own.user(form).ok().cloned())
        .collect()
}

/// Whether `actor` (an account) wrote `target` (in our view).
fn wrote(target: &TargetKey, actor: &Jid, ours: &[Jid]) -> bool {
    if target.from_me() {
        return ours.iter().any(|mine| same_user(mine, actor));
    }
    same_user(target.participant().unwrap_or_else(|| target.chat()), actor)
}

fn same_user(a: &Jid, b: &Jid) -> bool {
    a.user() == b.user() && a.server() == b.server()
}
