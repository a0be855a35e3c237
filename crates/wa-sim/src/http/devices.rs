//! `/sim/devices`: register an already-paired companion from its public keys (and hand out its
//! signed device identity), read it with its connection state, remove it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use wa_signal::{IdentityKey, PreKeyId, RegistrationId, SignedPreKeyId};

use super::error::ApiError;
use super::extract::{
    decode_public_key, decode_signature, encode_base64, parse_jid, JidPath, JsonBody,
};
use super::wire::DeviceJson;
use super::ApiState;
use crate::registry::{DeviceRegistration, PreKeyPublic, SignedPreKeyPublic};

/// `{account, noise_key, identity_key, registration_id, signed_pre_key, pre_keys?}`; keys
/// are base64 (32 bytes, or 33 with the 0x05 prefix), the signature 64 bytes of base64.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewDevice {
    account: String,
    noise_key: String,
    identity_key: String,
    registration_id: u32,
    signed_pre_key: SignedPreKeyRequest,
    #[serde(default)]
    pre_keys: Vec<PreKeyRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedPreKeyRequest {
    id: u32,
    public_key: String,
    signature: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreKeyRequest {
    id: u32,
    public_key: String,
}

impl NewDevice {
    /// The typed registration; 400 for a bad base64 string or key length.
    fn registration(&self) -> Result<DeviceRegistration, ApiError> {
        let signed = &self.signed_pre_key;
        let pre_keys = self
            .pre_keys
            .iter()
            .map(|key| {
                Ok(PreKeyPublic {
                    id: PreKeyId(key.id),
                    public_key: decode_public_key("pre_keys.public_key", &key.public_key)?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(DeviceRegistration {
            noise_key: decode_public_key("noise_key", &self.noise_key)?,
            identity_key: IdentityKey::new(decode_public_key("identity_key", &self.identity_key)?),
            registration_id: RegistrationId(self.registration_id),
            signed_pre_key: SignedPreKeyPublic {
                id: SignedPreKeyId(signed.id),
                public_key: decode_public_key("signed_pre_key.public_key", &signed.public_key)?,
                signature: decode_signature("signed_pre_key.signature", &signed.signature)?,
            },
            pre_keys,
        })
    }
}

/// `{jid, lid, device_identity}` of a registered device: the identity is the base64
/// `ADVSignedDeviceIdentity` the account signed for it, which the client countersigns and
/// presents in its `pkmsg` stanzas.
#[derive(Debug, Serialize)]
pub(super) struct RegisteredDevice {
    jid: String,
    lid: String,
    device_identity: String,
}

/// Registers the device under the account's next free id: 201 `{jid, lid, device_identity}`;
/// 400 for bad keys, a bad signature or a prekey id over 3 bytes, 404 `unknown_account`,
/// 409 `too_many_devices`.
pub(super) async fn register(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<NewDevice>,
) -> Result<(StatusCode, Json<RegisteredDevice>), ApiError> {
    let account = parse_jid("account", &request.account)?;
    let registration = request.registration()?;
    let device = state.simulator.register_device(&account, registration)?;
    let identity = state.simulator.device_identity(&device.jid)?;
    let registered = RegisteredDevice {
        jid: device.jid.to_string(),
        lid: device.lid.to_string(),
        device_identity: encode_base64(&identity),
    };
    Ok((StatusCode::CREATED, Json(registered)))
}

/// What the server holds for the device (PN or LID device JID), whether it is online and how
/// many stanzas wait for it; 404 `unknown_account` or `unknown_device`.
pub(super) async fn get(
    State(state): State<ApiState>,
    JidPath(device): JidPath,
) -> Result<Json<DeviceJson>, ApiError> {
    let simulator = &state.simulator;
    let info = simulator.device(&device)?;
    let answer = DeviceJson::new(
        &info,
        simulator.is_online(&device),
        simulator.waiting(&device),
    );
    Ok(Json(answer))
}

/// Removes the device (its next login fails with 401): 204; 404 as for `get`.
pub(super) async fn remove(
    State(state): State<ApiState>,
    JidPath(device): JidPath,
) -> Result<StatusCode, ApiError> {
    state.simulator.remove_device(&device)?;
    Ok(StatusCode::NO_CONTENT)
}
