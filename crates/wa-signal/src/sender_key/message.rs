//! The two sender key wire messages: SenderKeyMessage (`skmsg`, the group ciphertext) and
//! SenderKeyDistributionMessage (SKDM, the key itself, sent pairwise).

use std::fmt;

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_curve25519::{PrivateKey, PublicKey, SIGNATURE_LENGTH};
use wa_proto::signal_wire;
use zeroize::Zeroizing;

use super::chain::{SenderChainKey, SEED_LENGTH};
use super::error::Malformed;
use super::{SenderKeyError, SenderKeyId};

/// The version byte in front of every sender key message: (3 << 4) | 3.
pub const VERSION_BYTE: u8 = 0x33;
/// The type byte of a public key inside Signal messages.
pub(super) const KEY_TYPE_DJB: u8 = 0x05;

/// A SenderKeyMessage: `0x33 || proto{id, iteration, ciphertext} || signature(64)`, the
/// signature an XEdDSA signature over `0x33 || proto` by the sender's signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderKeyMessage {
    key_id: SenderKeyId,
    iteration: u32,
    ciphertext: Vec<u8>,
    serialized: Vec<u8>,
}

impl SenderKeyMessage {
    /// Builds and signs a message (the encrypt path).
    pub(super) fn new_signed<R: RngCore + CryptoRng>(
        key_id: SenderKeyId,
        iteration: u32,
        ciphertext: Vec<u8>,
        signing_key: &PrivateKey,
        rng: &mut R,
    ) -> Self {
        let proto = signal_wire::SenderKeyMessage {
            id: Some(key_id.get()),
            iteration: Some(iteration),
            ciphertext: Some(ciphertext),
        };
        let mut serialized = Vec::with_capacity(1 + proto.encoded_len() + SIGNATURE_LENGTH);
        serialized.push(VERSION_BYTE);
        proto.encode_raw(&mut serialized);
        let signature = wa_curve25519::sign_with_rng(&signing_key.to_bytes(), &serialized, rng);
        serialized.extend_from_slice(&signature);
        Self {
            key_id,
            iteration,
            ciphertext: proto.ciphertext.unwrap_or_default(),
            serialized,
        }
    }

    /// Parses a message strictly: version byte 0x33, every field present, ciphertext whole
    /// AES blocks, a 64-byte signature. The signature is not checked here (that needs the
    /// sender's key: see [`Self::verify_signature`]).
    ///
    /// # Errors
    /// [`SenderKeyError::UnsupportedVersion`] or [`SenderKeyError::Malformed`].
    pub fn parse(bytes: &[u8]) -> Result<Self, SenderKeyError> {
        let (&version, rest) = bytes.split_first().ok_or(Malformed::TooShort)?;
        if version != VERSION_BYTE {
            return Err(SenderKeyError::UnsupportedVersion(version));
        }
        let proto_len = rest
            .len()
            .checked_sub(SIGNATURE_LENGTH)
            .ok_or(Malformed::TooShort)?;
        let (proto_bytes, _signature) = rest.split_at(proto_len);
        let proto =
            signal_wire::SenderKeyMessage::decode(proto_bytes).map_err(|_| Malformed::Protobuf)?;
        let key_id = proto.id.ok_or(Malformed::MissingField("id"))?;
        let iteration = proto
            .iteration
            .ok_or(Malformed::MissingField("iteration"))?;
        let ciphertext = proto
            .ciphertext
            .ok_or(Malformed::MissingField("ciphertext"))?;
        if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
            return Err(Malformed::CiphertextLength.into());
        }
        Ok(Self {
            key_id: SenderKeyId::new(key_id),
            iteration,
            ciphertext,
            serialized: bytes.to_vec(),
        })
    }

    /// The sender key id this message was made with.
    #[must_use]
    pub const fn key_id(&self) -> SenderKeyId {
        self.key_id
    }

    /// The chain iteration of its message key.
    #[must_use]
    pub const fn iteration(&self) -> u32 {
        self.iteration
    }

    /// The AES-256-CBC ciphertext.
    #[must_use]
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// `0x33 || proto`: the signed part.
    #[must_use]
    pub fn signed_part(&self) -> &[u8] {
        let end = self.serialized.len().saturating_sub(SIGNATURE_LENGTH);
        self.serialized.get(..end).unwrap_or_default()
    }

    /// The 64-byte signature.
    #[must_use]
    pub fn signature(&self) -> [u8; SIGNATURE_LENGTH] {
        let start = self.serialized.len().saturating_sub(SIGNATURE_LENGTH);
        let mut signature = [0u8; SIGNATURE_LENGTH];
        if let Some(tail) = self.serialized.get(start..) {
            if tail.len() == SIGNATURE_LENGTH {
                signature.copy_from_slice(tail);
            }
        }
        signature
    }

    /// Whether the signature verifies with `signing_key` (XEdDSA, either signer's sign-bit
    /// convention).
    #[must_use]
    pub fn verify_signature(&self, signing_key: &PublicKey) -> bool {
        wa_curve25519::verify(
            signing_key.as_bytes(),
            self.signed_part(),
            &self.signature(),
        )
    }

    /// The whole message as it goes on the wire (`<enc type="skmsg">` content).
    #[must_use]
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }

    /// The wire bytes, consuming the message.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.serialized
    }
}

impl fmt::Debug for SenderKeyMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderKeyMessage")
            .field("key_id", &self.key_id)
            .field("iteration", &self.iteration)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

/// A SenderKeyDistributionMessage: `0x33 || proto{id, iteration, chainKey, signingKey}`,
/// carrying a sender's chain key so group members can decrypt from `iteration` on. Unsigned;
/// it travels inside a pairwise Signal message. Holds a secret: zeroized on drop, redacted in
/// `Debug`.
#[derive(Clone)]
pub struct SenderKeyDistributionMessage {
    key_id: SenderKeyId,
    chain_key: SenderChainKey,
    signing_key: PublicKey,
    serialized: Zeroizing<Vec<u8>>,
}

impl SenderKeyDistributionMessage {
    /// The distribution message of a sender key: its id, its chain key (from whose iteration
    /// receivers can decrypt) and its public signing key.
    #[must_use]
    pub fn new(key_id: SenderKeyId, chain_key: SenderChainKey, signing_key: PublicKey) -> Self {
        let proto = signal_wire::SenderKeyDistributionMessage {
            id: Some(key_id.get()),
            iteration: Some(chain_key.iteration()),
            chain_key: Some(chain_key.seed().to_vec()),
            signing_key: Some(djb_key_bytes(&signing_key)),
        };
        let mut serialized = Zeroizing::new(Vec::with_capacity(1 + proto.encoded_len()));
        serialized.push(VERSION_BYTE);
        proto.encode_raw(&mut *serialized);
        if let Some(mut seed) = proto.chain_key {
            zeroize::Zeroize::zeroize(&mut seed);
        }
        Self {
            key_id,
            chain_key,
            signing_key,
            serialized,
        }
    }

    /// Parses a distribution message strictly: version byte 0x33, every field present, a
    /// 32-byte chain key, a `0x05 || 32`-byte signing key.
    ///
    /// # Errors
    /// [`SenderKeyError::UnsupportedVersion`] or [`SenderKeyError::Malformed`].
    pub fn parse(bytes: &[u8]) -> Result<Self, SenderKeyError> {
        let (&version, proto_bytes) = bytes.split_first().ok_or(Malformed::TooShort)?;
        if version != VERSION_BYTE {
            return Err(SenderKeyError::UnsupportedVersion(version));
        }
        let mut proto = signal_wire::SenderKeyDistributionMessage::decode(proto_bytes)
            .map_err(|_| Malformed::Protobuf)?;
        let chain_key = Zeroizing::new(
            proto
                .chain_key
                .take()
                .ok_or(Malformed::MissingField("chainKey"))?,
        );
        let key_id = proto.id.ok_or(Malformed::MissingField("id"))?;
        let iteration = proto
            .iteration
            .ok_or(Malformed::MissingField("iteration"))?;
        let signing_key = proto
            .signing_key
            .ok_or(Malformed::MissingField("signingKey"))?;
        let seed: [u8; SEED_LENGTH] = chain_key
            .as_slice()
            .try_into()
            .map_err(|_| Malformed::ChainKeyLength)?;
        let signing_key = parse_djb_key(&signing_key).ok_or(Malformed::SigningKey)?;
        Ok(Self {
            key_id: SenderKeyId::new(key_id),
            chain_key: SenderChainKey::new(iteration, seed),
            signing_key,
            serialized: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// The sender key id.
    #[must_use]
    pub const fn key_id(&self) -> SenderKeyId {
        self.key_id
    }

    /// The iteration the chain key is at.
    #[must_use]
    pub const fn iteration(&self) -> u32 {
        self.chain_key.iteration()
    }

    /// The chain key (secret).
    #[must_use]
    pub const fn chain_key(&self) -> &SenderChainKey {
        &self.chain_key
    }

    /// The sender's public signing key.
    #[must_use]
    pub const fn signing_key(&self) -> &PublicKey {
        &self.signing_key
    }

    /// The wire bytes (what goes into `Message.senderKeyDistributionMessage
    /// .axolotlSenderKeyDistributionMessage`). Secret: they contain the chain key.
    #[must_use]
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }
}

impl fmt::Debug for SenderKeyDistributionMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderKeyDistributionMessage")
            .field("key_id", &self.key_id)
            .field("iteration", &self.chain_key.iteration())
            .field("chain_key", &"[redacted]")
            .field("signing_key", &self.signing_key)
            .finish()
    }
}

/// `0x05 || key`.
pub(super) fn djb_key_bytes(key: &PublicKey) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(KEY_TYPE_DJB);
    bytes.extend_from_slice(key.as_bytes());
    bytes
}

/// Reads `0x05 || 32 bytes`.
pub(super) fn parse_djb_key(bytes: &[u8]) -> Option<PublicKey> {
    match bytes.split_first() {
        Some((&KEY_TYPE_DJB, key)) => PublicKey::from_slice(key),
        _ => None,
    }
}
