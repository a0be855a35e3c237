//! The HTTP gateway over the session engine (issue 6): many WhatsApp sessions in one process,
//! each owned by an organization, driven by a JSON API.
//!
//! * [`Gateway`]: opens the data directory's SQLite file (the engine's keys and, in tables
//!   of their own prefixed `gw_`, the gateway's: organizations, API keys, sessions,
//!   messages, reactions, idempotency results), starts every paired session again, and
//!   serves the router.
//! * [`SessionManager`]: pairing (`POST /api/v1/sessions` returns the first QR text),
//!   status, logout, and one task per session turning engine events (messages, reactions,
//!   revokes, delivery and read receipts) into rows and [`GatewayEvent`]s for an
//!   [`EventSink`].
//! * Webhooks ([`WebhookSink`], `/api/v1/webhooks`): `message.reaction`, `message.revoked`
//!   and `session.status` queued in the same file by `wa-webhooks` and delivered signed by
//!   one worker per process.
//! * Auth ([`auth`]): `Authorization: Bearer` with an API key ([`create_api_key`]; stored
//!   as its SHA-256) or a JWT verified against a JWKS; capabilities `send`, `read`,
//!   `sessions`; another organization's session is `not_found`.
//! * A token-bucket [`RateLimiter`] per token, the reaction debounce ([`debounce`]), the
//!   OpenAPI document and Prometheus [`Metrics`].
//!
//! Errors answer `{"error": {"code", "message", "details"}}` with the codes of [`Error::code`].
//!
//! ```no_run
//! use wa_gateway::{Gateway, GatewayConfig};
//! use wa_noise::CertVerifier;
//! use wa_session::SessionConfig;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let session = SessionConfig::new("wss://web.whatsapp.com/ws/chat", CertVerifier::whatsapp());
//! let gateway = Gateway::open(GatewayConfig::new("./data", session)).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! gateway.serve(listener, std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod db;
pub mod debounce;
mod error;
mod gateway;
mod ids;
mod metrics;
pub mod qr;
mod ratelimit;
mod routes;
mod sessions;
mod sink;
mod webhook_sink;

pub use auth::{create_api_key, JwksSource, Principal};
pub use error::{Error, Result};
pub use gateway::{Gateway, GatewayConfig, DEFAULT_RATE_LIMIT};
pub use ids::{Capabilities, Capability, OrgId, SessionId};
pub use metrics::{render_webhooks as render_webhook_metrics, Metrics};
pub use ratelimit::RateLimiter;
pub use routes::openapi::document as openapi_document;
pub use routes::PATHS;
pub use sessions::{Entry, LogoutOutcome, Origin, Sent, SessionManager};
pub use sink::{EventSink, GatewayEvent, NoopSink, SinkFuture};
pub use wa_webhooks;
pub use webhook_sink::WebhookSink;
