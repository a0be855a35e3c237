//! Curve25519 key types shared by Noise and Signal: public keys, private keys, key pairs, and
//! X25519 Diffie-Hellman.

use core::fmt;

use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConstantTimeEq};
use x25519_dalek::{PublicKey as DalekPublicKey, SharedSecret, StaticSecret};
use zeroize::Zeroizing;

use crate::KEY_LENGTH;

/// A Curve25519 public key (Montgomery `u`, 32 bytes).
///
/// Public, so it is `Copy` and printed in hex; equality is still constant-time.
#[derive(Clone, Copy, Eq)]
pub struct PublicKey([u8; KEY_LENGTH]);

impl PublicKey {
    /// Wraps 32 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; KEY_LENGTH]) -> Self {
        Self(bytes)
    }

    /// Wraps a slice that must be exactly 32 bytes long.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; KEY_LENGTH] {
        &self.0
    }

    /// A copy of the 32 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; KEY_LENGTH] {
        self.0
    }
}

impl ConstantTimeEq for PublicKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl core::hash::Hash for PublicKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl From<[u8; KEY_LENGTH]> for PublicKey {
    fn from(bytes: [u8; KEY_LENGTH]) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for PublicKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

/// A Curve25519 private key. Zeroized on drop, never printed, not `Copy`.
///
/// Any 32 bytes are accepted; they are clamped when used (X25519 and XEdDSA alike).
#[derive(Clone)]
pub struct PrivateKey(StaticSecret);

impl PrivateKey {
    /// Wraps 32 secret bytes (for keys loaded from storage).
    #[must_use]
    pub fn from_bytes(bytes: [u8; KEY_LENGTH]) -> Self {
        Self(StaticSecret::from(bytes))
    }

    /// A fresh random key.
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(StaticSecret::random_from_rng(rng))
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(DalekPublicKey::from(&self.0).to_bytes())
    }

    /// A copy of the secret bytes, zeroized when dropped (for storage and XEdDSA signing).
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEY_LENGTH]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// X25519 with `public`; the caller checks `was_contributory`.
    #[must_use]
    pub fn diffie_hellman(&self, public: &PublicKey) -> SharedSecret {
        self.0.diffie_hellman(&DalekPublicKey::from(public.0))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey([redacted])")
    }
}

/// A private key with its public key.
#[derive(Clone)]
pub struct KeyPair {
    private: PrivateKey,
    public: PublicKey,
}

impl KeyPair {
    /// A fresh random key pair.
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self::from_private_key(PrivateKey::generate(rng))
    }

    /// The key pair of a private key (the public key is computed).
    #[must_use]
    pub fn from_private_key(private: PrivateKey) -> Self {
        let public = private.public_key();
        Self { private, public }
    }

    /// The key pair of 32 secret bytes.
    #[must_use]
    pub fn from_private_bytes(bytes: [u8; KEY_LENGTH]) -> Self {
        Self::from_private_key(PrivateKey::from_bytes(bytes))
    }

    /// The public half.
    #[must_use]
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The private half.
    #[must_use]
    pub const fn private_key(&self) -> &PrivateKey {
        &self.private
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .field("private", &self.private)
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_private_key() {
        let pair = KeyPair::from_private_bytes([0xabu8; 32]);
        let text = format!("{pair:?}");
        assert!(text.contains("[redacted]"));
        assert!(!text.contains("abab"));
        assert!(text.contains(&format!("{:02x}", pair.public_key().as_bytes()[0])));
    }

    #[test]
    fn public_key_from_slice_checks_length() {
        assert!(PublicKey::from_slice(&[0u8; 31]).is_none());
        assert!(PublicKey::from_slice(&[0u8; 33]).is_none());
        assert_eq!(
            PublicKey::from_slice(&[5u8; 32]),
            Some(PublicKey::from_bytes([5u8; 32]))
        );
    }

    #[test]
    fn secrets_zeroize_on_drop() {
        // x25519-dalek derives `Zeroize` plus a zeroizing `Drop` (`zeroize(drop)`).
        fn assert_zeroize_with_drop<T: zeroize::Zeroize>() {
            assert!(core::mem::needs_drop::<T>());
        }
        assert_zeroize_with_drop::<StaticSecret>();
        assert_zeroize_with_drop::<SharedSecret>();
    }
}
