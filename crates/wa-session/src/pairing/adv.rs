//! ADV (account/device verification), the device's side (PROTOCOL.md section 3): check the
//! HMAC the ADV secret keys and the account's signature over our identity, then countersign.
//!
//! * account signature: XEdDSA by the account key over `[6, 0] || details || our identity`;
//! * device signature: ours over `[6, 1] || details || our identity || account key`.

use hmac::{Hmac, Mac as _};
use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use wa_proto::adv::{
    AdvDeviceIdentity, AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac,
};
use wa_signal::IdentityKeyPair;

use super::credentials::AdvSecret;
use super::error::PairingError;

/// Prefix of the message the account signs.
const ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 0];
/// Prefix of the message the device signs.
const DEVICE_SIGNATURE_PREFIX: [u8; 2] = [6, 1];

/// The account-signed identity inside a `pair-success` container, once its HMAC checks out.
pub(crate) fn open_container(
    container: &[u8],
    secret: &AdvSecret,
) -> Result<AdvSignedDeviceIdentity, PairingError> {
    let container = AdvSignedDeviceIdentityHmac::decode(container)
        .map_err(|_| PairingError::Malformed("ADVSignedDeviceIdentityHMAC"))?;
    if container.account_type() == AdvEncryptionType::Hosted {
        return Err(PairingError::HostedAccount);
    }
    let (Some(details), Some(hmac)) = (&container.details, &container.hmac) else {
        return Err(PairingError::Malformed("ADVSignedDeviceIdentityHMAC"));
    };
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes())
        .map_err(|_| PairingError::HmacMismatch)?;
    mac.update(details);
    // Constant time.
    mac.verify_slice(hmac)
        .map_err(|_| PairingError::HmacMismatch)?;
    AdvSignedDeviceIdentity::decode(details.as_slice())
        .map_err(|_| PairingError::Malformed("ADVSignedDeviceIdentity"))
}

/// The details of `signed`: a companion's (key index > 0), E2EE.
pub(crate) fn details(signed: &AdvSignedDeviceIdentity) -> Result<AdvDeviceIdentity, PairingError> {
    let details = AdvDeviceIdentity::decode(signed.details())
        .map_err(|_| PairingError::Malformed("ADVDeviceIdentity"))?;
    if details.device_type() == AdvEncryptionType::Hosted {
        return Err(PairingError::HostedAccount);
    }
    match details.key_index {
        Some(index) if index > 0 => Ok(details),
        _ => Err(PairingError::KeyIndex),
    }
}

/// Checks the account's signature over our identity key.
pub(crate) fn verify_account_signature(
    signed: &AdvSignedDeviceIdentity,
    identity: &IdentityKeyPair,
) -> Result<(), PairingError> {
    let message = [
        ACCOUNT_SIGNATURE_PREFIX.as_slice(),
        signed.details(),
        identity.identity_key().public_key().as_bytes(),
    ]
    .concat();
    wa_curve25519::try_verify(
        signed.account_signature_key(),
        &message,
        signed.account_signature(),
    )
    .map_err(|_| PairingError::AccountSignatureMismatch)
}

/// Our device signature over a verified identity.
pub(crate) fn device_signature<R: RngCore + CryptoRng>(
    signed: &AdvSignedDeviceIdentity,
    identity: &IdentityKeyPair,
    rng: &mut R,
) -> [u8; 64] {
    let message = [
        DEVICE_SIGNATURE_PREFIX.as_slice(),
        signed.details(),
        identity.identity_key().public_key().as_bytes(),
        signed.account_signature_key(),
    ]
    .concat();
    wa_curve25519::sign_with_rng(&identity.private_key().to_bytes(), &message, rng)
}
