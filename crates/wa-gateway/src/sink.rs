//! The seam for webhooks: every event the gateway observes or causes, handed to an
//! [`EventSink`] (the `wa-webhooks` crate's durable queue plugs in here; [`NoopSink`] drops
//! them). Events carry ids, JIDs and emoji, never message text.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

/// An event for webhook subscribers of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event")]
#[non_exhaustive]
pub enum GatewayEvent {
    /// A session's status changed.
    #[serde(rename = "session.status")]
    SessionStatus {
        /// The organization that owns the session.
        org: String,
        /// The session.
        session: String,
        /// `pairing`, `connecting`, `connected`, `disconnected` or `logged_out`.
        status: &'static str,
    },
    /// A message arrived (from a contact, or from one of our other devices).
    #[serde(rename = "message.received")]
    MessageReceived {
        /// The organization that owns the session.
        org: String,
        /// The session.
        session: String,
        /// The chat.
        chat: String,
        /// The message id.
        #[serde(rename = "messageId")]
        message_id: String,
        /// The author (user JID).
        sender: String,
        /// Whether one of our devices wrote it.
        #[serde(rename = "fromMe")]
        from_me: bool,
        /// Unix seconds.
        timestamp: i64,
    },
    /// A text we sent through the API was acknowledged by the server.
    #[serde(rename = "message.sent")]
    MessageSent {
        /// The organization that owns the session.
        org: String,
        /// The session.
        session: String,
        /// The chat.
        chat: String,
        /// The message id.
        #[serde(rename = "messageId")]
        message_id: String,
        /// The `origin` given with the send.
        origin: Option<String>,
        /// Unix seconds.
        timestamp: i64,
    },
    /// A reaction was added, changed or removed, by us or by a contact.
    #[serde(rename = "message.reaction")]
    Reaction {
        /// The organization that owns the session.
        org: String,
        /// The session.
        session: String,
        /// The chat.
        chat: String,
        /// The id of the message reacted to.
        #[serde(rename = "targetId")]
        target_id: String,
        /// The reacting account (user JID).
        reactor: String,
        /// `me` or `contact`.
        actor: &'static str,
        /// The emoji; `None` when removed.
        emoji: Option<String>,
        /// `added`, `changed` or `removed`.
        change: &'static str,
        /// The `origin` given with our send, for our own reactions through the API.
        origin: Option<String>,
        /// Unix seconds.
        timestamp: i64,
    },
    /// A message was revoked ("deleted for everyone").
    #[serde(rename = "message.revoked")]
    Revoked {
        /// The organization that owns the session.
        org: String,
        /// The session.
        session: String,
        /// The chat.
        chat: String,
        /// The id of the revoked message.
        #[serde(rename = "targetId")]
        target_id: String,
        /// Who revoked it (user JID).
        revoker: String,
        /// `own` (the author revoked it) or `admin` (a group admin revoked another's).
        kind: &'static str,
        /// The `origin` given with our send, for our own revokes through the API.
        origin: Option<String>,
        /// Unix seconds.
        timestamp: i64,
    },
}

impl GatewayEvent {
    /// The event's name (`message.reaction`, ...), as webhooks label it.
    ///
    /// ```
    /// use wa_gateway::GatewayEvent;
    /// let event = GatewayEvent::SessionStatus { org: "acme".into(), session: "ses_1".into(), status: "connected" };
    /// assert_eq!(event.name(), "session.status");
    /// assert_eq!(serde_json::to_value(&event)?["event"], "session.status");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::SessionStatus { .. } => "session.status",
            Self::MessageReceived { .. } => "message.received",
            Self::MessageSent { .. } => "message.sent",
            Self::Reaction { .. } => "message.reaction",
            Self::Revoked { .. } => "message.revoked",
        }
    }

    /// The organization whose subscribers get it.
    #[must_use]
    pub fn org(&self) -> &str {
        match self {
            Self::SessionStatus { org, .. }
            | Self::MessageReceived { org, .. }
            | Self::MessageSent { org, .. }
            | Self::Reaction { org, .. }
            | Self::Revoked { org, .. } => org,
        }
    }
}

/// The future an [`EventSink`] returns.
pub type SinkFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Where events go. `deliver` is awaited in event order per session; a durable queue should
/// return once the event is stored, not once it is delivered.
///
/// ```
/// use wa_gateway::{EventSink, GatewayEvent, SinkFuture};
///
/// #[derive(Debug)]
/// struct Log;
/// impl EventSink for Log {
///     fn deliver(&self, event: GatewayEvent) -> SinkFuture<'_> {
///         Box::pin(async move { tracing::info!(event = event.name(), "event") })
///     }
/// }
/// ```
pub trait EventSink: Send + Sync + std::fmt::Debug {
    /// Takes one event.
    fn deliver(&self, event: GatewayEvent) -> SinkFuture<'_>;
}

/// Drops every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopSink;

impl EventSink for NoopSink {
    fn deliver(&self, _event: GatewayEvent) -> SinkFuture<'_> {
        Box::pin(async {})
    }
}
