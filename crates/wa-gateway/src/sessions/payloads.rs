//! The one place where the gateway's view of what happened (engine events, its own sends, the
//! message rows it keeps) becomes webhook payloads ([`wa_webhooks::Event`]).

use wa_binary::Jid;
use wa_session::receive::{ReactionChange, ReactionEvent, RevokeEvent};
use wa_session::send::TargetRef;
use wa_webhooks::{
    Event, ReactionAction, RevokeKind, RevokedEvent, SessionState, SessionStatusEvent,
};

use super::Entry;
use crate::db::SessionStatus;
use crate::sink::GatewayEvent;

/// What the gateway knows of a target message that shapes its events: the chat to report
/// (the one the message was sent to or received in, so a message sent to a phone number
/// keeps that chat when the contact answers from its LID) and the message's `origin`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Known {
    pub(super) chat: Option<String>,
    pub(super) origin: Option<String>,
}

/// `event` for `entry`'s organization.
pub(super) fn webhook(entry: &Entry, event: Event) -> GatewayEvent {
    GatewayEvent::Webhook {
        org: entry.org.to_string(),
        event,
    }
}

/// The `session.status` event of `entry` entering `status`.
pub(super) fn status(entry: &Entry, status: SessionStatus) -> GatewayEvent {
    let state = match status {
        SessionStatus::Pairing => SessionState::Pairing,
        SessionStatus::Connecting => SessionState::Connecting,
        SessionStatus::Connected => SessionState::Connected,
        SessionStatus::Disconnected => SessionState::Disconnected,
        SessionStatus::LoggedOut => SessionState::LoggedOut,
    };
    webhook(
        entry,
        Event::SessionStatus(SessionStatusEvent {
            session_id: entry.id.as_str().into(),
            status: state,
            reason: None,
        }),
    )
}

/// The author of a target that is not ours: the participant, or in a one-to-one chat the
/// other side.
fn their_author(chat: &str, participant: Option<&Jid>, from_me: bool) -> Option<String> {
    if from_me {
        return None;
    }
    participant
        .map(|p| p.to_non_ad().to_string())
        .or_else(|| (!chat.ends_with("@g.us")).then(|| chat.to_owned()))
}

/// A reaction the engine received (a contact's, or ours from another device).
pub(super) fn received_reaction(
    entry: &Entry,
    reaction: &ReactionEvent,
    from_me: bool,
    previous: Option<String>,
    known: Known,
) -> Event {
    let chat = known.chat.unwrap_or_else(|| reaction.chat.to_string());
    Event::Reaction(wa_webhooks::ReactionEvent {
        action: match reaction.change {
            ReactionChange::Added => ReactionAction::Added,
            ReactionChange::Changed => ReactionAction::Changed,
            ReactionChange::Removed => ReactionAction::Removed,
        },
        session_id: entry.id.as_str().into(),
        target_message_id: reaction.target.id().as_str().into(),
        target_sender: their_author(
            &chat,
            reaction.target.participant(),
            reaction.target.from_me(),
        )
        .map(Into::into),
        chat: chat.into(),
        actor: reaction.actor.to_string().into(),
        from_me,
        emoji: reaction.emoji.clone(),
        previous_emoji: previous.filter(|p| !p.is_empty()),
        timestamp: reaction.timestamp.as_secs(),
        origin: known.origin.map(Into::into),
    })
}

/// A revoke the engine received.
pub(super) fn received_revoke(entry: &Entry, revoke: &RevokeEvent, known: Known) -> Event {
    let chat = known.chat.unwrap_or_else(|| revoke.chat.to_string());
    Event::Revoked(RevokedEvent {
        session_id: entry.id.as_str().into(),
        target_message_id: revoke.target.id().as_str().into(),
        target_sender: their_author(&chat, revoke.target.participant(), revoke.target.from_me())
            .map(Into::into),
        chat: chat.into(),
        revoked_by: revoke.revoker.to_string().into(),
        kind: if revoke.admin {
            RevokeKind::Admin
        } else {
            RevokeKind::Own
        },
        timestamp: revoke.timestamp.as_secs(),
        origin: known.origin.map(Into::into),
    })
}

/// What a reaction we sent through the API did.
pub(super) struct SentReaction<'a> {
    pub(super) chat: &'a Jid,
    pub(super) target: &'a TargetRef,
    /// Our account (user JID).
    pub(super) actor: String,
    /// The emoji sent; empty: removed.
    pub(super) emoji: &'a str,
    /// Our emoji before, as the gateway knew it.
    pub(super) previous: Option<String>,
    pub(super) timestamp: u64,
    pub(super) origin: Option<String>,
}

/// A reaction we sent through the API.
pub(super) fn sent_reaction(entry: &Entry, sent: SentReaction<'_>) -> Event {
    let chat = sent.chat.to_string();
    let action = match (&sent.previous, sent.emoji.is_empty()) {
        (_, true) => ReactionAction::Removed,
        (Some(_), false) => ReactionAction::Changed,
        (None, false) => ReactionAction::Added,
    };
    Event::Reaction(wa_webhooks::ReactionEvent {
        action,
        session_id: entry.id.as_str().into(),
        target_message_id: sent.target.id().as_str().into(),
        target_sender: their_author(&chat, sent.target.participant(), sent.target.from_me())
            .map(Into::into),
        chat: chat.into(),
        actor: sent.actor.into(),
        from_me: true,
        emoji: (!sent.emoji.is_empty()).then(|| sent.emoji.to_owned()),
        previous_emoji: sent.previous,
        timestamp: sent.timestamp,
        origin: sent.origin.map(Into::into),
    })
}

/// A revoke we sent through the API.
pub(super) fn sent_revoke(
    entry: &Entry,
    chat: &Jid,
    target: &TargetRef,
    revoker: String,
    timestamp: u64,
    origin: Option<String>,
) -> Event {
    let chat = chat.to_string();
    Event::Revoked(RevokedEvent {
        session_id: entry.id.as_str().into(),
        target_message_id: target.id().as_str().into(),
        target_sender: their_author(&chat, target.participant(), target.from_me()).map(Into::into),
        chat: chat.into(),
        revoked_by: revoker.into(),
        kind: if target.from_me() {
            RevokeKind::Own
        } else {
            RevokeKind::Admin
        },
        timestamp,
        origin: origin.map(Into::into),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_author_of_a_target_not_ours_is_named() {
        let member: Jid = "15550003333:2@s.whatsapp.net".parse().unwrap();
        assert_eq!(their_author("1@g.us", Some(&member), true), None);
        assert_eq!(
            their_author("1@g.us", Some(&member), false).as_deref(),
            Some("15550003333@s.whatsapp.net")
        );
        assert_eq!(their_author("5@lid", None, false).as_deref(), Some("5@lid"));
        assert_eq!(their_author("1@g.us", None, false), None);
    }
}
