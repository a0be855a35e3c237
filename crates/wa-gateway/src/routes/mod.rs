//! The HTTP API: the router, its shared state, and one module per group of routes.

mod envelope;
mod extract;
mod messages;
pub(crate) mod openapi;
mod sessions;

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use crate::auth::Authenticator;
use crate::debounce::Debouncer;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::sessions::SessionManager;

/// What a debounced reaction's batch gives every request in it.
pub(crate) type ReactionOutcome = Result<Value, Arc<Error>>;

/// What every handler gets.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) manager: SessionManager,
    pub(crate) auth: Authenticator,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) debouncer: Arc<Debouncer<ReactionOutcome>>,
    pub(crate) metrics: Arc<Metrics>,
}

/// Every route path the router serves, in `{param}` form (the OpenAPI document is tested
/// against this list).
pub const PATHS: &[&str] = &[
    "/api/v1/sessions",
    "/api/v1/sessions/{session}",
    "/api/v1/sessions/{session}/qr",
    "/api/v1/sessions/{session}/messages",
    "/api/v1/sessions/{session}/messages/{mid}",
    "/api/v1/sessions/{session}/messages/{mid}/reaction",
    "/openapi.json",
    "/metrics",
];

/// Sets `key` of a JSON object (a no-op on anything else).
pub(crate) fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// The router.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/v1/sessions",
            post(sessions::create).get(sessions::list),
        )
        .route(
            "/api/v1/sessions/{session}",
            get(sessions::status).delete(sessions::logout),
        )
        .route("/api/v1/sessions/{session}/qr", get(sessions::qr))
        .route(
            "/api/v1/sessions/{session}/messages",
            post(messages::send_text),
        )
        .route(
            "/api/v1/sessions/{session}/messages/{mid}",
            get(messages::get).delete(messages::revoke),
        )
        .route(
            "/api/v1/sessions/{session}/messages/{mid}/reaction",
            post(messages::react).delete(messages::unreact),
        )
        .route("/openapi.json", get(openapi_json))
        .route("/metrics", get(metrics))
        .fallback(envelope::not_found)
        .method_not_allowed_fallback(envelope::method_not_allowed)
        .with_state(state)
}

async fn openapi_json() -> impl IntoResponse {
    axum::Json(openapi::document())
}

async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    let text = state.metrics.render(&state.manager.status_counts());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
