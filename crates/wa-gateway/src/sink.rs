//! The seam for webhooks: every event the gateway observes or causes, handed to an
//! [`EventSink`] (the gateway always queues the webhook kinds in `wa-webhooks`' durable queue,
//! [`crate::WebhookSink`], then hands every event to the configured sink; [`NoopSink`] drops
//! them). Events carry ids, JIDs and emoji, never message text.

use std::future::Future;
use std::pin::Pin;

/// An event the gateway observed or caused, for the organization that owns the session.
///
/// The three kinds webhook subscribers receive (`message.reaction`, `message.revoked`,
/// `session.status`) carry `wa-webhooks`' own payload ([`wa_webhooks::Event`]), built in one
/// place from the engine's events and the gateway's sends; the other two are for in-process
/// sinks only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatewayEvent {
    /// A reaction, revoke or session status change: what webhooks deliver.
    Webhook {
        /// The organization that owns the session.
        org: String,
        /// The payload, as webhook bodies carry it.
        event: wa_webhooks::Event,
    },
    /// A message arrived (from a contact, or from one of our other devices).
    MessageReceived {
        /// The organization that owns the session.
        org: String,
        /// The session.
        session: String,
        /// The chat.
        chat: String,
        /// The message id.
        message_id: String,
        /// The author (user JID).
        sender: String,
        /// Whether one of our devices wrote it.
        from_me: bool,
        /// Unix seconds.
        timestamp: i64,
    },
    /// A text we sent through the API was acknowledged by the server.
    MessageSent {
        /// The organization that owns the session.
        org: String,
        /// The session.
        session: String,
        /// The chat.
        chat: String,
        /// The message id.
        message_id: String,
        /// The `origin` given with the send.
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
    /// use wa_webhooks::{Event, SessionState, SessionStatusEvent};
    /// let event = GatewayEvent::Webhook {
    ///     org: "acme".into(),
    ///     event: Event::SessionStatus(SessionStatusEvent {
    ///         session_id: "ses_1".into(),
    ///         status: SessionState::Connected,
    ///         reason: None,
    ///     }),
    /// };
    /// assert_eq!(event.name(), "session.status");
    /// assert_eq!(event.org(), "acme");
    /// ```
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Webhook { event, .. } => event.event_type().as_str(),
            Self::MessageReceived { .. } => "message.received",
            Self::MessageSent { .. } => "message.sent",
        }
    }

    /// The organization whose subscribers get it.
    #[must_use]
    pub fn org(&self) -> &str {
        match self {
            Self::Webhook { org, .. }
            | Self::MessageReceived { org, .. }
            | Self::MessageSent { org, .. } => org,
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
