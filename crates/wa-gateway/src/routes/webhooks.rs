//! `/api/v1/webhooks`: the caller's organization's webhook subscriptions (create, list,
//! delete) and each one's deliveries. Every route needs the `webhooks` capability; another
//! organization's subscription is `not_found`. The signing secret is in the creation answer
//! only.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use wa_webhooks::{DeliveryRecord, EventType, OrgId, Subscription, SubscriptionId, WebhookStore};

use super::extract::{Body, Caller, Segments};
use super::AppState;
use crate::error::{Error, Result};
use crate::ids::Capability;

/// Deliveries listed when `limit` is not given, and the most that may be asked for.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// `{url, events}`.
#[derive(Debug, Deserialize)]
pub(super) struct CreateBody {
    url: String,
    events: Vec<String>,
}

/// `?limit=N`.
#[derive(Debug, Deserialize)]
pub(super) struct DeliveriesQuery {
    #[serde(default)]
    limit: Option<u32>,
}

/// Runs a webhook-store call off the async executor.
async fn blocking<T: Send + 'static>(
    store: &WebhookStore,
    f: impl FnOnce(&WebhookStore) -> wa_webhooks::Result<T> + Send + 'static,
) -> Result<T> {
    let store = store.clone();
    Ok(tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|_| Error::Closed)??)
}

fn org_of(caller: &crate::auth::Principal) -> OrgId {
    OrgId::new(caller.org.as_str())
}

fn secs(millis: wa_webhooks::UnixMillis) -> u64 {
    millis.0 / 1000
}

fn describe(subscription: &Subscription) -> Value {
    json!({
        "id": subscription.id.as_str(),
        "url": subscription.url,
        "events": subscription.event_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "createdAt": secs(subscription.created_at),
    })
}

fn describe_delivery(delivery: &DeliveryRecord) -> Value {
    json!({
        "id": delivery.id.as_str(),
        "eventId": delivery.event_id.as_str(),
        "event": delivery.event_type,
        "state": delivery.state.as_str(),
        "attempts": delivery.attempts,
        "createdAt": secs(delivery.created_at),
        "nextAttemptAt": (delivery.state == wa_webhooks::DeliveryState::Pending)
            .then(|| secs(delivery.next_attempt_at)),
        "finishedAt": delivery.finished_at.map(secs),
        "lastStatus": delivery.last_status,
        "lastError": delivery.last_error,
    })
}

fn parse_events(names: &[String]) -> Result<Vec<EventType>> {
    let types = names
        .iter()
        .map(|name| {
            name.parse::<EventType>().map_err(|_| Error::InvalidRequest {
                message: format!(
                    "unknown event type {name:?} (known: message.reaction, message.revoked, session.status)"
                ),
                details: json!({ "field": "events" }),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if types.is_empty() {
        return Err(Error::InvalidRequest {
            message: "`events` needs at least one event type".into(),
            details: json!({ "field": "events" }),
        });
    }
    Ok(types)
}

/// `POST /api/v1/webhooks`: 201 `{id, url, events, createdAt, secret}`.
pub(super) async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(body): Body<CreateBody>,
) -> Result<Response> {
    caller.require(Capability::Webhooks)?;
    let types = parse_events(&body.events)?;
    let org = org_of(&caller);
    let url = body.url;
    let created = blocking(&state.webhooks, move |store| {
        store.create_subscription(&org, &url, &types)
    })
    .await
    .map_err(|error| match error {
        Error::Webhooks(wa_webhooks::Error::InvalidUrl(reason)) => Error::InvalidRequest {
            message: format!("invalid webhook url: {reason}"),
            details: json!({ "field": "url" }),
        },
        other => other,
    })?;
    let mut answer = describe(&created.subscription);
    super::set(
        &mut answer,
        "secret",
        Value::String(created.secret.expose().to_owned()),
    );
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /api/v1/webhooks`: `{webhooks: [...]}`, oldest first, without secrets.
pub(super) async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Value>> {
    caller.require(Capability::Webhooks)?;
    let org = org_of(&caller);
    let subscriptions =
        blocking(&state.webhooks, move |store| store.list_subscriptions(&org)).await?;
    let list: Vec<Value> = subscriptions.iter().map(describe).collect();
    Ok(Json(json!({ "webhooks": list })))
}

/// `DELETE /api/v1/webhooks/{id}`: deletes it and its queued deliveries.
pub(super) async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> Result<Json<Value>> {
    caller.require(Capability::Webhooks)?;
    let (org, sub) = (org_of(&caller), SubscriptionId::new(id.clone()));
    let deleted = blocking(&state.webhooks, move |store| {
        store.delete_subscription(&org, &sub)
    })
    .await?;
    if !deleted {
        return Err(Error::NotFound("webhook"));
    }
    Ok(Json(json!({ "id": id, "deleted": true })))
}

/// `GET /api/v1/webhooks/{id}/deliveries?limit=N`: newest first.
pub(super) async fn deliveries(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
    query: std::result::Result<Query<DeliveriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>> {
    caller.require(Capability::Webhooks)?;
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let (org, sub) = (org_of(&caller), SubscriptionId::new(id));
    let found = blocking(&state.webhooks, move |store| {
        if !store.list_subscriptions(&org)?.iter().any(|s| s.id == sub) {
            return Ok(None);
        }
        store.subscription_deliveries(&org, &sub, limit).map(Some)
    })
    .await?
    .ok_or(Error::NotFound("webhook"))?;
    let list: Vec<Value> = found.iter().map(describe_delivery).collect();
    Ok(Json(json!({ "deliveries": list })))
}
