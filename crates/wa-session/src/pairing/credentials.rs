//! The keys a new companion device generates before it registers: a Noise static key, a
//! Signal identity, a registration id, a signed prekey and the ADV secret the phone's QR scan
//! carries back as an HMAC key.

use core::fmt;

use rand_core::{CryptoRng, RngCore};
use wa_noise::KeyPair;
use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId, SignedPreKeyRecord};
use zeroize::Zeroizing;

/// Length of the ADV secret, in bytes.
pub const ADV_SECRET_LENGTH: usize = 32;

/// The id of a new device's first signed prekey (whatsmeow and Baileys both use 1).
const FIRST_SIGNED_PRE_KEY_ID: SignedPreKeyId = SignedPreKeyId(1);

/// Registration ids are 14 bits, never 0.
const REGISTRATION_ID_MASK: u32 = 0x3FFF;

/// The HMAC key of the device identity in `pair-success`: shown once in the QR, never sent
/// otherwise. Zeroized on drop, `[redacted]` in `Debug`.
#[derive(Clone)]
pub struct AdvSecret(Zeroizing<[u8; ADV_SECRET_LENGTH]>);

impl AdvSecret {
    /// Wraps secret bytes.
    ///
    /// ```
    /// use wa_session::AdvSecret;
    ///
    /// let secret = AdvSecret::from_bytes([7; 32]);
    /// assert_eq!(format!("{secret:?}"), "AdvSecret([redacted])");
    /// ```
    #[must_use]
    pub fn from_bytes(bytes: [u8; ADV_SECRET_LENGTH]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; ADV_SECRET_LENGTH] {
        &self.0
    }
}

impl fmt::Debug for AdvSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdvSecret([redacted])")
    }
}

/// Everything a new device needs to register and pair. Private keys are zeroized on drop and
/// redacted in `Debug` by their types.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The Noise static key pair: the connection's identity to the server.
    pub noise_key: KeyPair,
    /// The Signal identity key pair.
    pub identity: IdentityKeyPair,
    /// The Signal registration id (14 bits).
    pub registration_id: RegistrationId,
    /// The signed prekey announced in the registration payload.
    pub signed_pre_key: SignedPreKeyRecord,
    /// The ADV secret shown in the QR.
    pub adv_secret: AdvSecret,
}

impl Credentials {
    /// Fresh credentials drawn from `rng`; `now` (unix seconds) stamps the signed prekey.
    ///
    /// ```
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_core::SeedableRng as _;
    /// use wa_session::Credentials;
    ///
    /// let creds = Credentials::generate(1_700_000_000, &mut ChaCha20Rng::seed_from_u64(1));
    /// assert!(creds.signed_pre_key.verify(&creds.identity.identity_key()));
    /// assert!((1..=0x3FFF).contains(&creds.registration_id.0));
    /// ```
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(now: u64, rng: &mut R) -> Self {
        let noise_key = KeyPair::generate(rng);
        let identity = IdentityKeyPair::generate(rng);
        let registration_id = RegistrationId((rng.next_u32() & REGISTRATION_ID_MASK).max(1));
        let signed_pre_key =
            SignedPreKeyRecord::generate(FIRST_SIGNED_PRE_KEY_ID, &identity, now, rng);
        let mut adv = Zeroizing::new([0u8; ADV_SECRET_LENGTH]);
        rng.fill_bytes(adv.as_mut_slice());
        Self {
            noise_key,
            identity,
            registration_id,
            signed_pre_key,
            adv_secret: AdvSecret(adv),
        }
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    use super::*;

    #[test]
    fn seeded_generation_is_deterministic_and_distinct() {
        let a = Credentials::generate(5, &mut ChaCha20Rng::seed_from_u64(3));
        let b = Credentials::generate(5, &mut ChaCha20Rng::seed_from_u64(3));
        let c = Credentials::generate(5, &mut ChaCha20Rng::seed_from_u64(4));
        assert_eq!(a.noise_key.public_key(), b.noise_key.public_key());
        assert_eq!(a.adv_secret.as_bytes(), b.adv_secret.as_bytes());
        assert_ne!(a.identity.identity_key(), c.identity.identity_key());
        assert_ne!(
            a.noise_key.public_key(),
            a.identity.identity_key().public_key()
        );
        assert_eq!(a.signed_pre_key.timestamp(), 5);
        assert_eq!(a.signed_pre_key.id(), SignedPreKeyId(1));
    }

    #[test]
    fn debug_hides_the_secret() {
        let creds = Credentials::generate(5, &mut ChaCha20Rng::seed_from_u64(3));
        let shown = format!("{creds:?}");
        assert!(shown.contains("AdvSecret([redacted])"), "{shown}");
    }
}
