//! The registration `ClientPayload` of a new device (PROTOCOL.md section 1): its
//! `devicePairingData` carries the public Signal keys the device will be registered with.

use wa_noise::PublicKey;
use wa_proto::wa6::client_payload::DevicePairingRegistrationData;
use wa_signal::{IdentityKey, RegistrationId, SignedPreKeyId};

use crate::error::RegistrationError;
use crate::registry::{validate_registration, DeviceRegistration, SignedPreKeyPublic};

/// The Curve25519 key type byte.
const KEY_TYPE_CURVE25519: u8 = 5;

/// Reads and checks `devicePairingData` (field sizes, key type, the signed prekey's signature
/// by the identity key) into the registration of a device whose Noise static key is
/// `noise_key`. The device has no one-time prekeys yet: it uploads them after its first login.
pub(crate) fn registration_from_pairing_data(
    data: &DevicePairingRegistrationData,
    noise_key: PublicKey,
) -> Result<DeviceRegistration, RegistrationError> {
    let registration_id = fixed::<4>("eRegid", data.e_regid.as_deref())?;
    if fixed::<1>("eKeytype", data.e_keytype.as_deref())? != [KEY_TYPE_CURVE25519] {
        return Err(RegistrationError::KeyType);
    }
    let identity = fixed::<32>("eIdent", data.e_ident.as_deref())?;
    let [a, b, c] = fixed::<3>("eSkeyId", data.e_skey_id.as_deref())?;
    let signed_pre_key = fixed::<32>("eSkeyVal", data.e_skey_val.as_deref())?;
    let signature = fixed::<64>("eSkeySig", data.e_skey_sig.as_deref())?;
    let registration = DeviceRegistration {
        noise_key,
        identity_key: IdentityKey::new(PublicKey::from(identity)),
        registration_id: RegistrationId(u32::from_be_bytes(registration_id)),
        signed_pre_key: SignedPreKeyPublic {
            id: SignedPreKeyId(u32::from_be_bytes([0, a, b, c])),
            public_key: PublicKey::from(signed_pre_key),
            signature,
        },
        pre_keys: Vec::new(),
    };
    validate_registration(&registration)?;
    Ok(registration)
}

/// A required field of exactly `N` bytes.
fn fixed<const N: usize>(
    field: &'static str,
    bytes: Option<&[u8]>,
) -> Result<[u8; N], RegistrationError> {
    let bytes = bytes.ok_or(RegistrationError::MissingField(field))?;
    bytes
        .try_into()
        .map_err(|_| RegistrationError::FieldLength { field, expected: N })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;
    use wa_noise::KeyPair;
    use wa_signal::{IdentityKeyPair, SignedPreKeyRecord};

    use super::*;

    fn pairing_data() -> (DevicePairingRegistrationData, IdentityKeyPair) {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let identity = IdentityKeyPair::generate(&mut rng);
        let signed =
            SignedPreKeyRecord::generate(SignedPreKeyId(0x01_0203), &identity, 0, &mut rng);
        let data = DevicePairingRegistrationData {
            e_regid: Some(0x1234_u32.to_be_bytes().to_vec()),
            e_keytype: Some(vec![5]),
            e_ident: Some(identity.identity_key().public_key().as_bytes().to_vec()),
            e_skey_id: Some(vec![1, 2, 3]),
            e_skey_val: Some(signed.key_pair().public_key().as_bytes().to_vec()),
            e_skey_sig: Some(signed.signature().to_vec()),
            build_hash: Some(vec![0; 16]),
            device_props: None,
        };
        (data, identity)
    }

    #[test]
    fn reads_a_valid_payload() {
        let (data, identity) = pairing_data();
        let noise = *KeyPair::generate(&mut ChaCha20Rng::seed_from_u64(2)).public_key();
        let registration = registration_from_pairing_data(&data, noise).unwrap();
        assert_eq!(registration.noise_key, noise);
        assert_eq!(registration.identity_key, identity.identity_key());
        assert_eq!(registration.registration_id, RegistrationId(0x1234));
        assert_eq!(registration.signed_pre_key.id, SignedPreKeyId(0x01_0203));
        assert!(registration.pre_keys.is_empty());
    }

    #[test]
    fn refuses_bad_fields() {
        let noise = PublicKey::from([9; 32]);
        let (good, _) = pairing_data();
        type Mutation = fn(&mut DevicePairingRegistrationData);
        let cases: [(Mutation, RegistrationError); 6] = [
            (
                |d| d.e_regid = None,
                RegistrationError::MissingField("eRegid"),
            ),
            (|d| d.e_keytype = Some(vec![6]), RegistrationError::KeyType),
            (
                |d| d.e_ident = Some(vec![1; 33]),
                RegistrationError::FieldLength {
                    field: "eIdent",
                    expected: 32,
                },
            ),
            (
                |d| d.e_skey_id = Some(vec![0, 1, 2, 3]),
                RegistrationError::FieldLength {
                    field: "eSkeyId",
                    expected: 3,
                },
            ),
            (
                |d| d.e_skey_sig = Some(vec![0; 63]),
                RegistrationError::FieldLength {
                    field: "eSkeySig",
                    expected: 64,
                },
            ),
            (
                |d| {
                    if let Some(signature) = d.e_skey_sig.as_mut() {
                        signature[0] ^= 1;
                    }
                },
                RegistrationError::BadSignature,
            ),
        ];
        for (mutate, expected) in cases {
            let mut data = good.clone();
            mutate(&mut data);
            assert_eq!(
                registration_from_pairing_data(&data, noise).unwrap_err(),
                expected
            );
        }
    }
}
