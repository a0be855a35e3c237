//! Signed webhooks for the gateway: event payloads, per-organization subscriptions, a durable
//! delivery queue in the gateway's SQLite file, and a tokio worker that POSTs each event with
//! an HMAC-SHA256 signature and retries with backoff until the receiver answers 2xx.
//!
//! - [`Event`] and its payloads ([`ReactionEvent`], [`RevokedEvent`], [`SessionStatusEvent`])
//!   are what a webhook body carries, inside an [`Envelope`] with an event id and time.
//! - [`WebhookStore`] holds subscriptions (URL, secret, event types) and the queue, in tables
//!   prefixed `webhook_`; [`WebhookStore::enqueue`] writes one row per matching subscription in
//!   one transaction.
//! - [`DeliveryWorker`] sends what is due: several subscriptions at once, each one in order;
//!   retries per [`RetryPolicy`]; marks a delivery dead after the last attempt.
//! - [`sign`] / [`verify_signature`] / [`verify_request`] are the signature scheme, for the
//!   sender and for receivers. `docs/webhooks.md` describes the wire format for receivers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), wa_webhooks::Error> {
//! use wa_webhooks::*;
//!
//! let store = WebhookStore::open("/var/lib/wa/gateway.db")?;
//! let worker = DeliveryWorker::new(store.clone(), WorkerConfig::default())?.spawn();
//!
//! let org = OrgId::new("acme");
//! let created = store.create_subscription(&org, "https://example.com/wa", &EventType::ALL)?;
//! println!("signing secret (shown once): {}", created.secret.expose());
//!
//! store.enqueue(&org, &Event::Reaction(ReactionEvent {
//!     action: ReactionAction::Added,
//!     session_id: SessionId::new("s1"),
//!     chat: JidText::new("15551234567@s.whatsapp.net"),
//!     target_message_id: MessageId::new("3EB0C0FFEE"),
//!     target_sender: None,
//!     actor: JidText::new("15551234567@s.whatsapp.net"),
//!     from_me: false,
//!     emoji: Some("\u{1F44D}".into()),
//!     previous_emoji: None,
//!     timestamp: 1_700_000_000,
//!     origin: None,
//! }))?;
//! println!("queued: {}", store.metrics().queue_depth);
//! worker.shutdown().await;
//! # Ok(()) }
//! ```

mod attempt;
mod backoff;
mod clock;
mod error;
mod event;
mod ids;
mod metrics;
mod secret;
mod signature;
mod store;
mod worker;

pub use backoff::{Jitter, RetryPolicy};
pub use clock::{Clock, ManualClock, Sleep, SystemClock, UnixMillis};
pub use error::{Error, Result};
pub use event::{
    Envelope, Event, EventType, ReactionAction, ReactionEvent, RevokeKind, RevokedEvent,
    SessionState, SessionStatusEvent, UnknownEventType,
};
pub use ids::{DeliveryId, EventId, JidText, MessageId, OrgId, Origin, SessionId, SubscriptionId};
pub use metrics::WebhookMetrics;
pub use secret::WebhookSecret;
pub use signature::{headers, sign, verify_request, verify_signature, SignatureError};
pub use store::{
    CreatedSubscription, DeliveryRecord, DeliveryState, Enqueued, Subscription, WebhookStore,
};
pub use worker::{DeliveryWorker, WorkerConfig, WorkerHandle};
