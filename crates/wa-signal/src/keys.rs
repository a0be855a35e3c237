//! Identifiers and keys: identities, registration ids, prekey ids, and the 33-byte public key
//! encoding (0x05 || 32 bytes) used inside Signal messages.

use std::fmt;

use rand_core::{CryptoRng, RngCore};
use wa_curve25519::{KeyPair, PrivateKey, PublicKey, KEY_LENGTH};

use crate::error::WireError;

/// The type byte of a Curve25519 key in its 33-byte encoding.
pub const DJB_TYPE: u8 = 0x05;

/// Encodes a public key as 0x05 || 32 bytes.
#[must_use]
pub fn serialize_public_key(key: &PublicKey) -> [u8; KEY_LENGTH + 1] {
    let mut out = [DJB_TYPE; KEY_LENGTH + 1];
    if let Some(rest) = out.get_mut(1..) {
        rest.copy_from_slice(key.as_bytes());
    }
    out
}

/// Decodes 0x05 || 32 bytes, strictly.
///
/// # Errors
/// [`WireError::BadKey`] for any other length or type byte.
pub fn deserialize_public_key(bytes: &[u8]) -> Result<PublicKey, WireError> {
    match bytes.split_first() {
        Some((&DJB_TYPE, rest)) => PublicKey::from_slice(rest).ok_or(WireError::BadKey),
        _ => Err(WireError::BadKey),
    }
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl From<u32> for $name {
            fn from(value: u32) -> Self {
                Self(value)
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

id_newtype!(
    /// A one-time prekey id (3 bytes in stanzas).
    PreKeyId
);
id_newtype!(
    /// A signed prekey id (3 bytes in stanzas).
    SignedPreKeyId
);
id_newtype!(
    /// A device's Signal registration id.
    RegistrationId
);

/// A long-term identity public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentityKey(PublicKey);

impl IdentityKey {
    /// Wraps a public key.
    #[must_use]
    pub const fn new(key: PublicKey) -> Self {
        Self(key)
    }

    /// The Curve25519 public key.
    #[must_use]
    pub const fn public_key(&self) -> &PublicKey {
        &self.0
    }

    /// 0x05 || 32 bytes, as in Signal messages and MAC input.
    #[must_use]
    pub fn serialize(&self) -> [u8; KEY_LENGTH + 1] {
        serialize_public_key(&self.0)
    }

    /// Parses 0x05 || 32 bytes.
    ///
    /// # Errors
    /// [`WireError::BadKey`] for anything else.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, WireError> {
        deserialize_public_key(bytes).map(Self)
    }
}

impl From<PublicKey> for IdentityKey {
    fn from(key: PublicKey) -> Self {
        Self(key)
    }
}

/// Our long-term identity: private key zeroized on drop, never printed, not `Copy`.
#[derive(Clone)]
pub struct IdentityKeyPair {
    key_pair: KeyPair,
}

impl IdentityKeyPair {
    /// A fresh identity.
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self {
            key_pair: KeyPair::generate(rng),
        }
    }

    /// The identity of a stored private key.
    #[must_use]
    pub fn from_private_key(private: PrivateKey) -> Self {
        Self {
            key_pair: KeyPair::from_private_key(private),
        }
    }

    /// The public identity.
    #[must_use]
    pub fn identity_key(&self) -> IdentityKey {
        IdentityKey(*self.key_pair.public_key())
    }

    /// The private key.
    #[must_use]
    pub const fn private_key(&self) -> &PrivateKey {
        self.key_pair.private_key()
    }

    /// The key pair.
    #[must_use]
    pub const fn key_pair(&self) -> &KeyPair {
        &self.key_pair
    }
}

impl fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityKeyPair")
            .field("public", self.key_pair.public_key())
            .field("private", &"[redacted]")
            .finish()
    }
}
