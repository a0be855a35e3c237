//! **Test-only** (feature `test-util`): the private keys of a companion device, everything a
//! device generates before it registers, for tests and demo clients.

use rand_core::{CryptoRng, RngCore};
use wa_noise::KeyPair;
use wa_signal::{
    IdentityKeyPair, PreKeyId, PreKeyRecord, RegistrationId, SignedPreKeyId, SignedPreKeyRecord,
};

use crate::registry::{DeviceRegistration, PreKeyPublic, SignedPreKeyPublic};

/// **Test-only** (feature `test-util`): a companion device's key material, private keys
/// included (zeroized on drop, redacted in `Debug`). Public fields so tests can sign, decrypt
/// and log in as the device.
#[derive(Debug, Clone)]
pub struct DeviceKeys {
    /// The Noise static key pair it logs in with.
    pub noise: KeyPair,
    /// The Signal identity key pair.
    pub identity: IdentityKeyPair,
    /// The Signal registration id (14 bits, as clients generate it).
    pub registration_id: RegistrationId,
    /// The signed prekey.
    pub signed_pre_key: SignedPreKeyRecord,
    /// One-time prekeys, ids 1..=N.
    pub pre_keys: Vec<PreKeyRecord>,
}

impl DeviceKeys {
    /// Fresh keys with `pre_key_count` one-time prekeys; `now` (unix seconds) stamps the signed
    /// prekey.
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(pre_key_count: u32, now: u64, rng: &mut R) -> Self {
        let identity = IdentityKeyPair::generate(rng);
        let registration_id = RegistrationId((rng.next_u32() & 0x3FFF).max(1));
        let signed_pre_key = SignedPreKeyRecord::generate(SignedPreKeyId(1), &identity, now, rng);
        let pre_keys = (1..=pre_key_count)
            .map(|id| PreKeyRecord::generate(PreKeyId(id), rng))
            .collect();
        Self {
            noise: KeyPair::generate(rng),
            identity,
            registration_id,
            signed_pre_key,
            pre_keys,
        }
    }

    /// The public part, for [`Simulator::register_device`](crate::Simulator::register_device).
    #[must_use]
    pub fn registration(&self) -> DeviceRegistration {
        DeviceRegistration {
            noise_key: *self.noise.public_key(),
            identity_key: self.identity.identity_key(),
            registration_id: self.registration_id,
            signed_pre_key: SignedPreKeyPublic {
                id: self.signed_pre_key.id(),
                public_key: *self.signed_pre_key.key_pair().public_key(),
                signature: *self.signed_pre_key.signature(),
            },
            pre_keys: self
                .pre_keys
                .iter()
                .map(|key| PreKeyPublic {
                    id: key.id(),
                    public_key: *key.key_pair().public_key(),
                })
                .collect(),
        }
    }
}
