//! The control API under `/sim/`, served on the WebSocket's port: JSON over HTTP/1.1 so tools in
//! any language can script the simulator.
//!
//! Each TCP connection is sniffed first ([`sniff()`]): WebSocket clients go to the WhatsApp
//! transport, the rest to this module's axum router on a hyper HTTP/1 connection (keep-alive
//! allowed). Every route is one small handler over the [`Simulator`] API; errors answer
//! `{"error": {"code", "message"}}` with 400 for bad input, 404 for unknown things and 409 for
//! conflicts.
//!
//! A new route is one handler file (request struct with `deny_unknown_fields`, read through
//! [`extract::JsonBody`], [`extract::JidPath`] and [`extract::AccountQuery`] so bad input stays
//! a 400 in this shape, simulator errors converted by `?` through [`ApiError`]'s
//! `From<Error>`) and one `.route` line. Answers are 200 unless the table says otherwise.
//!
//! | route | body | answer |
//! | --- | --- | --- |
//! | `POST /sim/accounts` | `{phone?}` | 201 `{jid, lid}` |
//! | `POST /sim/groups` | `{subject, participants, creator?, addressing?}` | 201 `{jid}` |
//! | `GET /sim/groups/{jid}` | | metadata |
//! | `POST /sim/groups/{jid}/admins` | `{participant, admin}` | metadata |
//! | `POST /sim/devices` | `{account, noise_key, identity_key, registration_id, signed_pre_key, pre_keys?}` | 201 `{jid, lid, device_identity}` |
//! | `GET /sim/devices/{jid}` | | device, with `online` and `waiting` |
//! | `DELETE /sim/devices/{jid}` | | 204 |
//! | `POST /sim/scan` | `{qr, phone?}` | `{jid, lid}` |
//! | `POST /sim/send` | `{from, to, text}` | `{id}` |
//! | `POST /sim/react` | `{from, chat, target: {id, from_me, participant?}, emoji}` | `{id}` |
//! | `POST /sim/revoke` | `{from, chat, target: {id, from_me, participant?}}` | `{id}` |
//! | `GET /sim/received?jid=J` | | `[{kind, id, from, chat, sender, device, timestamp, text?, target?, emoji?, admin?}]` |
//! | `GET /sim/receipts?jid=J` | | `[{id, device, chat, kind}]` |
//! | `POST /sim/phones/{jid}` | `{online?, fail_next_decrypts?, lose_sessions?}` | 204 |
//! | `POST /sim/faults` | `{kind, device?, count?, delay_ms?, error?, seed?, per_mille?}` | 204 |
//! | `POST /sim/restart` | | 204 |
//! | `GET /sim/info` | | `{ws_url, root_public_key, server_static_key}` |

mod accounts;
mod devices;
mod error;
mod extract;
mod faults;
mod groups;
mod info;
mod messages;
mod phones;
mod received;
mod scan;
mod sniff;
mod wire;

use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpStream;

use crate::simulator::Simulator;
use error::ApiError;
pub(crate) use sniff::{sniff, Protocol};

/// A client must send a request's headers within this time (also bounds idle keep-alive).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler gets: the simulator and the address it listens on.
#[derive(Debug, Clone)]
pub(crate) struct ApiState {
    simulator: Simulator,
    local_addr: SocketAddr,
}

/// The `/sim/` routes; anything else answers 404 (405 for a known path with another method).
pub(crate) fn router(simulator: Simulator, local_addr: SocketAddr) -> Router {
    Router::new()
        .route("/sim/info", get(info::get))
        .route("/sim/accounts", post(accounts::create))
        .route("/sim/groups", post(groups::create))
        .route("/sim/groups/{jid}", get(groups::get))
        .route("/sim/groups/{jid}/admins", post(groups::set_admin))
        .route("/sim/devices", post(devices::register))
        .route(
            "/sim/devices/{jid}",
            get(devices::get).delete(devices::remove),
        )
        .route("/sim/scan", post(scan::scan))
        .route("/sim/send", post(messages::send))
        .route("/sim/react", post(messages::react))
        .route("/sim/revoke", post(messages::revoke))
        .route("/sim/received", get(received::received))
        .route("/sim/receipts", get(received::receipts))
        .route("/sim/phones/{jid}", post(phones::update))
        .route("/sim/faults", post(faults::inject))
        .route("/sim/restart", post(faults::restart))
        .fallback(|| async { ApiError::no_route() })
        .method_not_allowed_fallback(|| async { ApiError::wrong_method() })
        .with_state(ApiState {
            simulator,
            local_addr,
        })
}

/// Serves HTTP/1.1 requests on one connection until the client closes it; errors are logged.
pub(crate) async fn serve(router: Router, stream: TcpStream) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection =
        builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
    if let Err(error) = connection.await {
        tracing::debug!(%error, "control connection ended with an error");
    }
}

/// `ws://ADDR/ws/chat`.
pub(crate) fn ws_url(local_addr: SocketAddr) -> String {
    format!("ws://{local_addr}/ws/chat")
}

/// `http://ADDR/sim/`.
pub(crate) fn control_url(local_addr: SocketAddr) -> String {
    format!("http://{local_addr}/sim/")
}
