//! ADV (account/device verification): the signed statement "this identity key is device N of
//! this account" that a companion carries (PROTOCOL.md section 3).
//!
//! * details = `ADVDeviceIdentity{rawId, timestamp, keyIndex, accountType, deviceType}`;
//! * the account (its primary phone's identity key) signs `[6, 0] || details || device
//!   identity pub` (XEdDSA): `ADVSignedDeviceIdentity{details, accountSignatureKey,
//!   accountSignature}`;
//! * in `pair-success` that message travels inside `ADVSignedDeviceIdentityHMAC{details =
//!   the encoded signed identity, hmac = HMAC-SHA256(ADV secret from the QR, details)}`;
//! * the device countersigns `[6, 1] || details || device identity pub || account signature
//!   key` and sends it back in `pair-device-sign`, without the account signature key (whatsmeow
//!   and Baileys both drop it).
//!
//! Hosted accounts (prefixes `[6, 5]` / `[6, 6]`) are not simulated.

use hmac::{Hmac, Mac as _};
use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use wa_proto::adv::{
    AdvDeviceIdentity, AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac,
};
use wa_signal::{IdentityKey, IdentityKeyPair};

/// Prefix of the message the account signs.
const ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 0];
/// Prefix of the message the device signs.
const DEVICE_SIGNATURE_PREFIX: [u8; 2] = [6, 1];

/// What signs an account's companion identities: the primary phone's identity key pair and
/// the account's ADV raw id (the same in every device identity of the account).
#[derive(Debug, Clone)]
pub(crate) struct AccountSigner {
    pub(crate) key: IdentityKeyPair,
    pub(crate) raw_id: u32,
}

/// The account-signed identity of a companion device: details for `key_index` stamped
/// `timestamp` (unix seconds), signed by `signer` with randomness from `rng`. No device
/// signature: the device adds it.
pub(crate) fn account_signed_identity<R: RngCore + CryptoRng>(
    signer: &AccountSigner,
    device_identity: &IdentityKey,
    key_index: u32,
    timestamp: u64,
    rng: &mut R,
) -> AdvSignedDeviceIdentity {
    let details = AdvDeviceIdentity {
        raw_id: Some(signer.raw_id),
        timestamp: Some(timestamp),
        key_index: Some(key_index),
        account_type: Some(AdvEncryptionType::E2ee.into()),
        device_type: Some(AdvEncryptionType::E2ee.into()),
    }
    .encode_to_vec();
    let message = [
        ACCOUNT_SIGNATURE_PREFIX.as_slice(),
        &details,
        device_identity.public_key().as_bytes(),
    ]
    .concat();
    let signature =
        wa_curve25519::sign_with_rng(&signer.key.private_key().to_bytes(), &message, rng);
    AdvSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(signer.key.identity_key().public_key().as_bytes().to_vec()),
        account_signature: Some(signature.to_vec()),
        device_signature: None,
    }
}

/// `signed` with the device signature pairing adds: `identity` (the device's own key pair)
/// signs `[6, 1] || details || device identity pub || account signature key`. The account
/// signature key stays in, as a paired companion keeps it.
pub(crate) fn device_signed<R: RngCore + CryptoRng>(
    mut signed: AdvSignedDeviceIdentity,
    identity: &IdentityKeyPair,
    rng: &mut R,
) -> AdvSignedDeviceIdentity {
    let message = [
        DEVICE_SIGNATURE_PREFIX.as_slice(),
        signed.details(),
        identity.identity_key().public_key().as_bytes(),
        signed.account_signature_key(),
    ]
    .concat();
    let signature = wa_curve25519::sign_with_rng(&identity.private_key().to_bytes(), &message, rng);
    signed.device_signature = Some(signature.to_vec());
    signed
}

/// The encoded `ADVSignedDeviceIdentityHMAC` wrapping a signed identity for `pair-success`,
/// keyed with the client's ADV secret.
pub(crate) fn hmac_container(signed: &AdvSignedDeviceIdentity, adv_secret: &[u8]) -> Vec<u8> {
    let details = signed.encode_to_vec();
    let hmac = hmac_sha256(adv_secret, &details);
    AdvSignedDeviceIdentityHmac {
        details: Some(details),
        hmac: Some(hmac.to_vec()),
        account_type: None,
    }
    .encode_to_vec()
}

/// Why a device's `pair-device-sign` identity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ConfirmationError {
    /// The bytes are not an `ADVSignedDeviceIdentity`.
    #[error("not an ADVSignedDeviceIdentity")]
    Malformed,
    /// The details, the account signature or its key differ from what the server sent.
    #[error("the account-signed part differs from pair-success")]
    NotTheSentIdentity,
    /// The device signature is missing or does not verify with the device identity key.
    #[error("bad device signature")]
    BadDeviceSignature,
}

/// Checks a device's countersigned identity against the one the server `sent`: same details
/// and account signature, the account key absent or the same, and a device signature that
/// verifies with `device_identity`.
pub(crate) fn verify_device_confirmation(
    sent: &AdvSignedDeviceIdentity,
    device_identity: &IdentityKey,
    confirmation: &[u8],
) -> Result<(), ConfirmationError> {
    let confirmed =
        AdvSignedDeviceIdentity::decode(confirmation).map_err(|_| ConfirmationError::Malformed)?;
    let same_key = confirmed.account_signature_key.is_none()
        || confirmed.account_signature_key == sent.account_signature_key;
    if confirmed.details != sent.details
        || confirmed.account_signature != sent.account_signature
        || !same_key
    {
        return Err(ConfirmationError::NotTheSentIdentity);
    }
    let message = [
        DEVICE_SIGNATURE_PREFIX.as_slice(),
        sent.details(),
        device_identity.public_key().as_bytes(),
        sent.account_signature_key(),
    ]
    .concat();
    wa_curve25519::try_verify(
        device_identity.public_key().as_bytes(),
        &message,
        confirmed.device_signature(),
    )
    .map_err(|_| ConfirmationError::BadDeviceSignature)
}

#[allow(clippy::expect_used)] // HMAC takes keys of any length: this cannot fail
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    use super::*;

    fn setup() -> (ChaCha20Rng, AccountSigner, IdentityKeyPair) {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let signer = AccountSigner {
            key: IdentityKeyPair::generate(&mut rng),
            raw_id: 77,
        };
        let device = IdentityKeyPair::generate(&mut rng);
        (rng, signer, device)
    }

    fn countersign(
        signed: &AdvSignedDeviceIdentity,
        device: &IdentityKeyPair,
        rng: &mut ChaCha20Rng,
    ) -> AdvSignedDeviceIdentity {
        let message = [
            DEVICE_SIGNATURE_PREFIX.as_slice(),
            signed.details(),
            device.identity_key().public_key().as_bytes(),
            signed.account_signature_key(),
        ]
        .concat();
        let signature =
            wa_curve25519::sign_with_rng(&device.private_key().to_bytes(), &message, rng);
        AdvSignedDeviceIdentity {
            account_signature_key: None,
            device_signature: Some(signature.to_vec()),
            ..signed.clone()
        }
    }

    #[test]
    fn account_signature_and_details() {
        let (mut rng, signer, device) = setup();
        let signed = account_signed_identity(&signer, &device.identity_key(), 3, 1_700, &mut rng);
        let details = AdvDeviceIdentity::decode(signed.details()).unwrap();
        assert_eq!(
            (details.raw_id(), details.key_index(), details.timestamp()),
            (77, 3, 1_700)
        );
        assert_eq!(details.device_type(), AdvEncryptionType::E2ee);
        let message = [
            &[6, 0][..],
            signed.details(),
            device.identity_key().public_key().as_bytes(),
        ]
        .concat();
        wa_curve25519::try_verify(
            signed.account_signature_key(),
            &message,
            signed.account_signature(),
        )
        .unwrap();
        assert_eq!(signed.device_signature, None);
    }

    #[test]
    fn hmac_container_is_keyed_by_the_secret() {
        let (mut rng, signer, device) = setup();
        let signed = account_signed_identity(&signer, &device.identity_key(), 1, 5, &mut rng);
        let container =
            AdvSignedDeviceIdentityHmac::decode(hmac_container(&signed, &[4; 32]).as_slice())
                .unwrap();
        assert_eq!(container.details(), signed.encode_to_vec());
        assert_eq!(container.hmac(), hmac_sha256(&[4; 32], container.details()));
        assert_ne!(container.hmac(), hmac_sha256(&[5; 32], container.details()));
    }

    #[test]
    fn confirmation_checks() {
        let (mut rng, signer, device) = setup();
        let key = device.identity_key();
        let signed = account_signed_identity(&signer, &key, 1, 5, &mut rng);
        let good = countersign(&signed, &device, &mut rng);
        verify_device_confirmation(&signed, &key, &good.encode_to_vec()).unwrap();
        // The account key may be echoed.
        let with_key = AdvSignedDeviceIdentity {
            account_signature_key: signed.account_signature_key.clone(),
            ..good.clone()
        };
        verify_device_confirmation(&signed, &key, &with_key.encode_to_vec()).unwrap();

        let other = IdentityKeyPair::generate(&mut rng);
        let forged = countersign(&signed, &other, &mut rng);
        assert_eq!(
            verify_device_confirmation(&signed, &key, &forged.encode_to_vec()),
            Err(ConfirmationError::BadDeviceSignature)
        );
        let unsigned = AdvSignedDeviceIdentity {
            device_signature: None,
            ..good.clone()
        };
        assert_eq!(
            verify_device_confirmation(&signed, &key, &unsigned.encode_to_vec()),
            Err(ConfirmationError::BadDeviceSignature)
        );
        let mut details = signed.details().to_vec();
        details.push(0);
        let altered = AdvSignedDeviceIdentity {
            details: Some(details),
            ..good.clone()
        };
        assert_eq!(
            verify_device_confirmation(&signed, &key, &altered.encode_to_vec()),
            Err(ConfirmationError::NotTheSentIdentity)
        );
        let other_key = AdvSignedDeviceIdentity {
            account_signature_key: Some(vec![9; 32]),
            ..good
        };
        assert_eq!(
            verify_device_confirmation(&signed, &key, &other_key.encode_to_vec()),
            Err(ConfirmationError::NotTheSentIdentity)
        );
        assert_eq!(
            verify_device_confirmation(&signed, &key, &[0xFF, 0xFF]),
            Err(ConfirmationError::Malformed)
        );
    }
}
