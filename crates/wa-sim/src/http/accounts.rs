//! `POST /sim/accounts`: create an account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::error::ApiError;
use super::extract::JsonBody;
use super::wire::AccountJson;
use super::ApiState;

/// `{phone?}`: the phone number (5 to 15 digits), or none for a random unused one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewAccount {
    #[serde(default)]
    phone: Option<String>,
}

/// Creates the account: 201 `{jid, lid}`; 400 `invalid_phone`, 409 `phone_taken`.
pub(super) async fn create(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<NewAccount>,
) -> Result<(StatusCode, Json<AccountJson>), ApiError> {
    let account = state.simulator.create_account(request.phone.as_deref())?;
    Ok((StatusCode::CREATED, Json((&account).into())))
}
