//! `GET /sim/info`: how to connect to this simulator.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::extract::encode_base64;
use super::ApiState;

/// `{ws_url, root_public_key, server_static_key}` (keys in base64).
#[derive(Debug, Serialize)]
pub(super) struct Info {
    ws_url: String,
    root_public_key: String,
    server_static_key: String,
}

/// The WebSocket URL and the keys a client trusts.
pub(super) async fn get(State(state): State<ApiState>) -> Json<Info> {
    Json(Info {
        ws_url: super::ws_url(state.local_addr),
        root_public_key: encode_base64(state.simulator.root_public_key().as_bytes()),
        server_static_key: encode_base64(state.simulator.server_static_public_key().as_bytes()),
    })
}
