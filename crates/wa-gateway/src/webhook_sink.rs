//! The [`EventSink`] backed by `wa-webhooks`: the webhook kinds of [`GatewayEvent`] are queued
//! in the durable queue in the gateway's database file (off the async executor), where the
//! process's one [`wa_webhooks::DeliveryWorker`] picks them up; every event is then handed on
//! to the next sink.

use std::sync::Arc;

use wa_webhooks::{OrgId, WebhookStore};

use crate::sink::{EventSink, GatewayEvent, SinkFuture};

/// Queues webhook events for the organization's subscriptions, then passes every event on.
///
/// ```
/// # async fn demo() -> Result<(), wa_webhooks::Error> {
/// use std::sync::Arc;
/// use wa_gateway::{EventSink, GatewayEvent, NoopSink, WebhookSink};
/// use wa_webhooks::{Event, EventType, OrgId, SessionState, SessionStatusEvent, WebhookStore};
///
/// let store = WebhookStore::open_in_memory()?;
/// store.create_subscription(&OrgId::new("acme"), "http://127.0.0.1:9/hook", &EventType::ALL)?;
/// let sink = WebhookSink::new(store.clone(), Arc::new(NoopSink));
/// sink.deliver(GatewayEvent::Webhook {
///     org: "acme".into(),
///     event: Event::SessionStatus(SessionStatusEvent {
///         session_id: "ses_1".into(),
///         status: SessionState::Connected,
///         reason: None,
///     }),
/// })
/// .await;
/// assert_eq!(store.metrics().queue_depth, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WebhookSink {
    store: WebhookStore,
    next: Arc<dyn EventSink>,
}

impl WebhookSink {
    /// Queues into `store`, then hands every event to `next`.
    #[must_use]
    pub fn new(store: WebhookStore, next: Arc<dyn EventSink>) -> Self {
        Self { store, next }
    }
}

impl EventSink for WebhookSink {
    fn deliver(&self, event: GatewayEvent) -> SinkFuture<'_> {
        Box::pin(async move {
            if let GatewayEvent::Webhook {
                org,
                event: payload,
            } = &event
            {
                let (store, org, payload) = (self.store.clone(), OrgId::new(org), payload.clone());
                let kind = payload.event_type();
                // A SQLite write with synchronous=FULL: never on the executor's threads.
                match tokio::task::spawn_blocking(move || store.enqueue(&org, &payload)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(event = %kind, %error, "webhook event not queued");
                    }
                    Err(_) => tracing::warn!(event = %kind, "webhook queueing task stopped"),
                }
            }
            self.next.deliver(event).await;
        })
    }
}
