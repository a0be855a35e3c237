//! `POST /sim/phones/{jid}`: script an account's simulated phone to misbehave (lose its
//! sessions, fail decrypts) or go offline and back.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::ApiError;
use super::extract::{account_only, JidPath, JsonBody};
use super::ApiState;

/// `{online?, fail_next_decrypts?, lose_sessions?}`; at least one that changes something.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PhoneBehaviour {
    #[serde(default)]
    online: Option<bool>,
    #[serde(default)]
    fail_next_decrypts: Option<u32>,
    #[serde(default)]
    lose_sessions: Option<bool>,
}

/// Applies the changes to the phone of the account (PN or LID JID) in this order: lose the
/// sessions, arm the decrypt failures, then go on- or offline, so what waited for an offline
/// phone meets the new behaviour. 204; 400 `nothing_to_do`, or `invalid_jid` for a companion's
/// JID; 404 `unknown_account`.
pub(super) async fn update(
    State(state): State<ApiState>,
    JidPath(account): JidPath,
    JsonBody(request): JsonBody<PhoneBehaviour>,
) -> Result<StatusCode, ApiError> {
    let account = account_only("path", account)?;
    let PhoneBehaviour {
        online,
        fail_next_decrypts,
        lose_sessions,
    } = request;
    let lose_sessions = lose_sessions == Some(true);
    // Every accepted request calls the simulator at least once, so an unknown account is
    // always a 404.
    if online.is_none() && fail_next_decrypts.is_none() && !lose_sessions {
        return Err(ApiError::bad_request(
            "nothing_to_do",
            "give online, fail_next_decrypts or lose_sessions: true",
        ));
    }
    let simulator = &state.simulator;
    if lose_sessions {
        simulator.lose_sessions(&account)?;
    }
    if let Some(count) = fail_next_decrypts {
        simulator.fail_next_decrypts(&account, count)?;
    }
    if let Some(online) = online {
        simulator.set_phone_online(&account, online)?;
    }
    Ok(StatusCode::NO_CONTENT)
}
