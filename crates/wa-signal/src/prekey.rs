//! One-time prekeys, signed prekeys, and the bundle a server hands out for X3DH.

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_curve25519::{KeyPair, PrivateKey, PublicKey, SIGNATURE_LENGTH};
use wa_proto::signal_records as pb;
use zeroize::Zeroize;

use crate::{
    keys::{
        serialize_public_key, IdentityKey, IdentityKeyPair, PreKeyId, RegistrationId,
        SignedPreKeyId,
    },
    Error,
};

fn private_from(bytes: Option<&[u8]>, what: &'static str) -> Result<PrivateKey, Error> {
    let array: [u8; 32] = bytes
        .and_then(|b| b.try_into().ok())
        .ok_or(Error::InvalidRecord(what))?;
    Ok(PrivateKey::from_bytes(array))
}

/// A one-time prekey with its private key.
#[derive(Debug, Clone)]
pub struct PreKeyRecord {
    id: PreKeyId,
    key_pair: KeyPair,
}

impl PreKeyRecord {
    /// Wraps a key pair.
    #[must_use]
    pub const fn new(id: PreKeyId, key_pair: KeyPair) -> Self {
        Self { id, key_pair }
    }

    /// A fresh prekey.
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(id: PreKeyId, rng: &mut R) -> Self {
        Self::new(id, KeyPair::generate(rng))
    }

    /// Its id.
    #[must_use]
    pub const fn id(&self) -> PreKeyId {
        self.id
    }

    /// Its key pair.
    #[must_use]
    pub const fn key_pair(&self) -> &KeyPair {
        &self.key_pair
    }

    /// The protobuf record (`signal_records.PreKeyRecordStructure`).
    #[must_use]
    pub fn serialize(&self) -> Vec<u8> {
        let mut proto = pb::PreKeyRecordStructure {
            id: Some(self.id.0),
            public_key: Some(self.key_pair.public_key().as_bytes().to_vec()),
            private_key: Some(self.key_pair.private_key().to_bytes().to_vec()),
        };
        let bytes = proto.encode_to_vec();
        proto.private_key.zeroize();
        bytes
    }

    /// Reads a record written by [`Self::serialize`].
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] for bytes that do not decode.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        let mut proto =
            pb::PreKeyRecordStructure::decode(bytes).map_err(|_| Error::InvalidRecord("prekey"))?;
        let private = private_from(proto.private_key.as_deref(), "prekey private key");
        proto.private_key.zeroize();
        Ok(Self {
            id: PreKeyId(proto.id.ok_or(Error::InvalidRecord("prekey id"))?),
            key_pair: KeyPair::from_private_key(private?),
        })
    }
}

/// A signed prekey: its key pair and the XEdDSA signature by the identity key over
/// 0x05 || public key.
#[derive(Debug, Clone)]
pub struct SignedPreKeyRecord {
    id: SignedPreKeyId,
    key_pair: KeyPair,
    signature: [u8; SIGNATURE_LENGTH],
    timestamp: u64,
}

impl SignedPreKeyRecord {
    /// Wraps stored parts.
    #[must_use]
    pub const fn new(
        id: SignedPreKeyId,
        key_pair: KeyPair,
        signature: [u8; SIGNATURE_LENGTH],
        timestamp: u64,
    ) -> Self {
        Self {
            id,
            key_pair,
            signature,
            timestamp,
        }
    }

    /// A fresh signed prekey, signed (randomised XEdDSA) by `identity`. `timestamp` is the
    /// caller's clock, in seconds.
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(
        id: SignedPreKeyId,
        identity: &IdentityKeyPair,
        timestamp: u64,
        rng: &mut R,
    ) -> Self {
        let key_pair = KeyPair::generate(rng);
        let signature = wa_curve25519::sign_with_rng(
            &identity.private_key().to_bytes(),
            &serialize_public_key(key_pair.public_key()),
            rng,
        );
        Self::new(id, key_pair, signature, timestamp)
    }

    /// Its id.
    #[must_use]
    pub const fn id(&self) -> SignedPreKeyId {
        self.id
    }

    /// Its key pair.
    #[must_use]
    pub const fn key_pair(&self) -> &KeyPair {
        &self.key_pair
    }

    /// The signature over 0x05 || public key.
    #[must_use]
    pub const fn signature(&self) -> &[u8; SIGNATURE_LENGTH] {
        &self.signature
    }

    /// When it was made (caller's seconds).
    #[must_use]
    pub const fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// Whether the signature verifies under `identity`.
    #[must_use]
    pub fn verify(&self, identity: &IdentityKey) -> bool {
        verify_signed_pre_key(identity, self.key_pair.public_key(), &self.signature)
    }

    /// The protobuf record (`signal_records.SignedPreKeyRecordStructure`).
    #[must_use]
    pub fn serialize(&self) -> Vec<u8> {
        let mut proto = pb::SignedPreKeyRecordStructure {
            id: Some(self.id.0),
            public_key: Some(self.key_pair.public_key().as_bytes().to_vec()),
            private_key: Some(self.key_pair.private_key().to_bytes().to_vec()),
            signature: Some(self.signature.to_vec()),
            timestamp: Some(self.timestamp),
        };
        let bytes = proto.encode_to_vec();
        proto.private_key.zeroize();
        bytes
    }

    /// Reads a record written by [`Self::serialize`].
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] for bytes that do not decode.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        let mut proto = pb::SignedPreKeyRecordStructure::decode(bytes)
            .map_err(|_| Error::InvalidRecord("signed prekey"))?;
        let private = private_from(proto.private_key.as_deref(), "signed prekey private key");
        proto.private_key.zeroize();
        let signature = proto
            .signature
            .as_deref()
            .and_then(|s| s.try_into().ok())
            .ok_or(Error::InvalidRecord("signed prekey signature"))?;
        Ok(Self {
            id: SignedPreKeyId(proto.id.ok_or(Error::InvalidRecord("signed prekey id"))?),
            key_pair: KeyPair::from_private_key(private?),
            signature,
            timestamp: proto.timestamp.unwrap_or(0),
        })
    }
}

/// Verifies a signed prekey signature: XEdDSA by `identity` over 0x05 || `signed_pre_key`.
#[must_use]
pub fn verify_signed_pre_key(
    identity: &IdentityKey,
    signed_pre_key: &PublicKey,
    signature: &[u8; SIGNATURE_LENGTH],
) -> bool {
    wa_curve25519::verify(
        identity.public_key().as_bytes(),
        &serialize_public_key(signed_pre_key),
        signature,
    )
}

/// What a server returns for one device in `<iq xmlns="encrypt" type="get"><key>`: all an
/// initiator needs for X3DH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeyBundle {
    /// The device's registration id.
    pub registration_id: RegistrationId,
    /// Its identity key.
    pub identity_key: IdentityKey,
    /// Its signed prekey id.
    pub signed_pre_key_id: SignedPreKeyId,
    /// Its signed prekey.
    pub signed_pre_key: PublicKey,
    /// The signature over 0x05 || signed prekey.
    pub signed_pre_key_signature: [u8; SIGNATURE_LENGTH],
    /// A one-time prekey, when the server had one left.
    pub pre_key: Option<(PreKeyId, PublicKey)>,
}

impl PreKeyBundle {
    /// Whether the signed prekey signature verifies.
    #[must_use]
    pub fn verify_signature(&self) -> bool {
        verify_signed_pre_key(
            &self.identity_key,
            &self.signed_pre_key,
            &self.signed_pre_key_signature,
        )
    }
}
