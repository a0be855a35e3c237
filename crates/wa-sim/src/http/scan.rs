//! `POST /sim/scan`: a simulated phone scans the pairing QR a registering client shows.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{parse_account_jid, JsonBody};
use super::ApiState;

/// `{qr, phone?}`: the QR text as the client shows it, and the account (PN or LID JID) whose
/// phone scans it; without `phone` a new account's phone does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Scan {
    qr: String,
    #[serde(default)]
    phone: Option<String>,
}

/// `{jid, lid}` of the device the client will be once it countersigns `pair-success`.
#[derive(Debug, Serialize)]
pub(super) struct ScannedDevice {
    jid: String,
    lid: String,
}

/// Scans the QR: 200 `{jid, lid}`, and the waiting client is sent `pair-success`; 400
/// `invalid_qr` or `qr_key_mismatch`, 404 `unknown_pairing_ref` or `unknown_account`,
/// 409 `pairing_ref_used` or `too_many_devices`.
pub(super) async fn scan(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<Scan>,
) -> Result<Json<ScannedDevice>, ApiError> {
    let phone = request
        .phone
        .as_deref()
        .map(|text| parse_account_jid("phone", text))
        .transpose()?;
    let device = state.simulator.scan(&request.qr, phone.as_ref())?;
    Ok(Json(ScannedDevice {
        jid: device.jid.to_string(),
        lid: device.lid.to_string(),
    }))
}
