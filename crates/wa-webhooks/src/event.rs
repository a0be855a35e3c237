//! Event payloads: what a webhook body says. Field names are camelCase and stable; optional
//! fields are left out when unknown. No message text and no key material ever appear here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{EventId, JidText, MessageId, Origin, SessionId, UnixMillis};

/// The kinds of event a subscription can ask for.
///
/// ```
/// use wa_webhooks::EventType;
/// assert_eq!(EventType::MessageReaction.as_str(), "message.reaction");
/// assert_eq!("session.status".parse(), Ok(EventType::SessionStatus));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EventType {
    /// `message.reaction`: a reaction was added, changed or removed.
    #[serde(rename = "message.reaction")]
    MessageReaction,
    /// `message.revoked`: a message was deleted for everyone.
    #[serde(rename = "message.revoked")]
    MessageRevoked,
    /// `session.status`: a session's connection state changed.
    #[serde(rename = "session.status")]
    SessionStatus,
}

impl EventType {
    /// Every event type, in a fixed order.
    pub const ALL: [EventType; 3] = [
        EventType::MessageReaction,
        EventType::MessageRevoked,
        EventType::SessionStatus,
    ];

    /// The wire name (`X-WA-Event`, the body's `type`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MessageReaction => "message.reaction",
            EventType::MessageRevoked => "message.revoked",
            EventType::SessionStatus => "session.status",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of the event type names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type")]
pub struct UnknownEventType;

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(UnknownEventType)
    }
}

/// What happened to a reaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReactionAction {
    /// The actor had no reaction on the target and now has one.
    Added,
    /// The actor replaced their reaction with another emoji.
    Changed,
    /// The actor removed their reaction.
    Removed,
}

/// `message.reaction`: one actor's reaction on one message changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReactionEvent {
    /// Added, changed or removed.
    pub action: ReactionAction,
    /// The gateway session that saw it.
    pub session_id: SessionId,
    /// The chat the target message is in.
    pub chat: JidText,
    /// The id of the message reacted to.
    pub target_message_id: MessageId,
    /// The target message's author; absent when it is our own message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_sender: Option<JidText>,
    /// Who reacted.
    pub actor: JidText,
    /// Whether the actor is this session's own account (a reaction we sent, from any device).
    pub from_me: bool,
    /// The emoji now set; absent when removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// The actor's emoji before this change, when the gateway knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_emoji: Option<String>,
    /// When the reaction was made, Unix seconds (WhatsApp's timestamp).
    pub timestamp: u64,
    /// The `origin` tag of the send that caused it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// Whose message was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevokeKind {
    /// The author deleted their own message.
    Own,
    /// A group admin deleted another member's message.
    Admin,
}

/// `message.revoked`: a message was deleted for everyone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokedEvent {
    /// The gateway session that saw it.
    pub session_id: SessionId,
    /// The chat the message was in.
    pub chat: JidText,
    /// The id of the revoked message.
    pub target_message_id: MessageId,
    /// The revoked message's author; absent when it is our own message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_sender: Option<JidText>,
    /// Who revoked it.
    pub revoked_by: JidText,
    /// Own message or an admin's deletion.
    pub kind: RevokeKind,
    /// When it was revoked, Unix seconds (WhatsApp's timestamp).
    pub timestamp: u64,
    /// The `origin` tag of the send that caused it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// A session's connection state, as `session.status` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SessionState {
    /// Waiting for the QR code to be scanned.
    Pairing,
    /// Connecting or reconnecting.
    Connecting,
    /// Logged in and online.
    Connected,
    /// Offline; the gateway will retry.
    Disconnected,
    /// Logged out (by the user or the phone); the session must be paired again.
    LoggedOut,
}

/// `session.status`: a session's state changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatusEvent {
    /// The session.
    pub session_id: SessionId,
    /// Its new state.
    pub status: SessionState,
    /// A short machine-oriented reason (e.g. `stream_error_515`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One event, tagged by its type: serializes as `"type": "<name>", "data": { … }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
#[non_exhaustive]
pub enum Event {
    /// `message.reaction`.
    #[serde(rename = "message.reaction")]
    Reaction(ReactionEvent),
    /// `message.revoked`.
    #[serde(rename = "message.revoked")]
    Revoked(RevokedEvent),
    /// `session.status`.
    #[serde(rename = "session.status")]
    SessionStatus(SessionStatusEvent),
}

impl Event {
    /// This event's type.
    pub fn event_type(&self) -> EventType {
        match self {
            Event::Reaction(_) => EventType::MessageReaction,
            Event::Revoked(_) => EventType::MessageRevoked,
            Event::SessionStatus(_) => EventType::SessionStatus,
        }
    }
}

/// A webhook body: `{"id", "createdAt", "type", "data"}`.
///
/// `id` is the event id (the same for every subscription that receives it); `createdAt` is when
/// it was queued, RFC 3339 UTC with milliseconds.
///
/// ```
/// use wa_webhooks::{Envelope, Event, EventId, SessionState, SessionStatusEvent, UnixMillis};
/// let envelope = Envelope {
///     id: EventId::new("evt_1"),
///     created_at: UnixMillis(1_700_000_000_000),
///     event: Event::SessionStatus(SessionStatusEvent {
///         session_id: "s1".into(),
///         status: SessionState::Connected,
///         reason: None,
///     }),
/// };
/// let json = serde_json::to_string(&envelope).unwrap();
/// assert_eq!(
///     json,
///     r#"{"id":"evt_1","createdAt":"2023-11-14T22:13:20.000Z","type":"session.status","data":{"sessionId":"s1","status":"connected"}}"#
/// );
/// assert_eq!(serde_json::from_str::<Envelope>(&json).unwrap(), envelope);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The event id.
    pub id: EventId,
    /// When the event was queued.
    #[serde(serialize_with = "rfc3339_out", deserialize_with = "rfc3339_in")]
    pub created_at: UnixMillis,
    /// The event, flattened into `type` and `data`.
    #[serde(flatten)]
    pub event: Event,
}

fn rfc3339_out<S: Serializer>(t: &UnixMillis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

fn rfc3339_in<'de, D: Deserializer<'de>>(d: D) -> Result<UnixMillis, D::Error> {
    let text = String::deserialize(d)?;
    UnixMillis::parse_rfc3339(&text)
        .ok_or_else(|| serde::de::Error::custom("createdAt is not RFC 3339 UTC with milliseconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaction() -> Event {
        Event::Reaction(ReactionEvent {
            action: ReactionAction::Changed,
            session_id: "s1".into(),
            chat: "120363000000000000@g.us".into(),
            target_message_id: "3EB0AA".into(),
            target_sender: Some("15550001111@s.whatsapp.net".into()),
            actor: "15550002222@s.whatsapp.net".into(),
            from_me: false,
            emoji: Some("\u{1F44D}".into()),
            previous_emoji: Some("\u{2764}\u{FE0F}".into()),
            timestamp: 1_700_000_000,
            origin: Some("crm".into()),
        })
    }

    #[test]
    fn reaction_body_has_the_documented_shape() {
        let envelope = Envelope {
            id: EventId::new("evt_1"),
            created_at: UnixMillis(1_700_000_000_500),
            event: reaction(),
        };
        let value = serde_json::to_value(&envelope).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "id": "evt_1",
                "createdAt": "2023-11-14T22:13:20.500Z",
                "type": "message.reaction",
                "data": {
                    "action": "changed",
                    "sessionId": "s1",
                    "chat": "120363000000000000@g.us",
                    "targetMessageId": "3EB0AA",
                    "targetSender": "15550001111@s.whatsapp.net",
                    "actor": "15550002222@s.whatsapp.net",
                    "fromMe": false,
                    "emoji": "\u{1F44D}",
                    "previousEmoji": "\u{2764}\u{FE0F}",
                    "timestamp": 1_700_000_000u64,
                    "origin": "crm"
                }
            })
        );
        let back: Envelope = serde_json::from_value(value).unwrap();
        assert_eq!(back, envelope);
    }

    #[test]
    fn revoked_body_omits_unknown_fields() {
        let event = Event::Revoked(RevokedEvent {
            session_id: "s1".into(),
            chat: "15550001111@s.whatsapp.net".into(),
            target_message_id: "3EB0BB".into(),
            target_sender: None,
            revoked_by: "15550009999@s.whatsapp.net".into(),
            kind: RevokeKind::Own,
            timestamp: 1_700_000_001,
            origin: None,
        });
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "type": "message.revoked",
                "data": {
                    "sessionId": "s1",
                    "chat": "15550001111@s.whatsapp.net",
                    "targetMessageId": "3EB0BB",
                    "revokedBy": "15550009999@s.whatsapp.net",
                    "kind": "own",
                    "timestamp": 1_700_000_001u64
                }
            })
        );
    }

    #[test]
    fn event_type_names_round_trip_and_match_the_tag() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(reaction().event_type(), EventType::MessageReaction);
        assert_eq!("message.*".parse::<EventType>(), Err(UnknownEventType));
    }
}
