//! The two pairwise wire messages: `msg` (SignalMessage: 0x33 || proto || MAC(8)) and `pkmsg`
//! (PreKeySignalMessage: 0x33 || proto carrying a full SignalMessage). Parsing is strict; the
//! MAC is checked by the session, which knows the keys, in constant time.

use prost::Message as _;
use subtle::ConstantTimeEq;
use wa_curve25519::PublicKey;
use wa_proto::signal_wire;

use crate::{
    crypto::hmac_sha256,
    error::WireError,
    keys::{
        deserialize_public_key, serialize_public_key, IdentityKey, PreKeyId, RegistrationId,
        SignedPreKeyId,
    },
    Error,
};

/// The version byte: (3 << 4) | 3.
pub const VERSION_BYTE: u8 = 0x33;
/// Length of the truncated MAC after a SignalMessage.
pub const MAC_LENGTH: usize = 8;

/// A parsed or freshly built SignalMessage (`<enc type="msg">`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalMessage {
    ratchet_key: PublicKey,
    counter: u32,
    previous_counter: u32,
    ciphertext: Vec<u8>,
    serialized: Vec<u8>,
}

impl SignalMessage {
    /// Builds and MACs a message: MAC = HMAC-SHA256(mac_key, sender identity(33) || receiver
    /// identity(33) || 0x33 || proto)[..8].
    pub(crate) fn new(
        mac_key: &[u8; 32],
        ratchet_key: PublicKey,
        counter: u32,
        previous_counter: u32,
        ciphertext: Vec<u8>,
        sender: &IdentityKey,
        receiver: &IdentityKey,
    ) -> Self {
        let proto = signal_wire::SignalMessage {
            ratchet_key: Some(serialize_public_key(&ratchet_key).to_vec()),
            counter: Some(counter),
            previous_counter: Some(previous_counter),
            ciphertext: Some(ciphertext.clone()),
        };
        let mut serialized = Vec::with_capacity(1 + proto.encoded_len() + MAC_LENGTH);
        serialized.push(VERSION_BYTE);
        serialized.extend_from_slice(&proto.encode_to_vec());
        let mac = compute_mac(mac_key, sender, receiver, &serialized);
        serialized.extend_from_slice(&mac);
        Self {
            ratchet_key,
            counter,
            previous_counter,
            ciphertext,
            serialized,
        }
    }

    /// Parses `0x33 || proto || MAC(8)` (the MAC is not checked here).
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] for a short input, another version, an undecodable protobuf,
    /// a missing field or a malformed ratchet key.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let (&version, _) = bytes.split_first().ok_or(WireError::Truncated)?;
        if bytes.len() < 1 + MAC_LENGTH {
            return Err(WireError::Truncated.into());
        }
        if version != VERSION_BYTE {
            return Err(WireError::BadVersion(version).into());
        }
        let body = bytes
            .get(1..bytes.len() - MAC_LENGTH)
            .ok_or(WireError::Truncated)?;
        let proto = signal_wire::SignalMessage::decode(body).map_err(|_| WireError::Protobuf)?;
        let ratchet_key = deserialize_public_key(
            proto
                .ratchet_key
                .as_deref()
                .ok_or(WireError::MissingField("ratchetKey"))?,
        )?;
        Ok(Self {
            ratchet_key,
            counter: proto.counter.ok_or(WireError::MissingField("counter"))?,
            previous_counter: proto.previous_counter.unwrap_or(0),
            ciphertext: proto
                .ciphertext
                .ok_or(WireError::MissingField("ciphertext"))?,
            serialized: bytes.to_vec(),
        })
    }

    /// The sender's current ratchet public key.
    #[must_use]
    pub const fn ratchet_key(&self) -> &PublicKey {
        &self.ratchet_key
    }

    /// This message's counter in its chain.
    #[must_use]
    pub const fn counter(&self) -> u32 {
        self.counter
    }

    /// The length of the sender's previous sending chain.
    #[must_use]
    pub const fn previous_counter(&self) -> u32 {
        self.previous_counter
    }

    /// The AES-256-CBC ciphertext.
    #[must_use]
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The whole message as on the wire.
    #[must_use]
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }

    /// Checks the truncated MAC in constant time.
    pub(crate) fn verify_mac(
        &self,
        mac_key: &[u8; 32],
        sender: &IdentityKey,
        receiver: &IdentityKey,
    ) -> bool {
        let split = self.serialized.len().saturating_sub(MAC_LENGTH);
        let (body, mac) = self.serialized.split_at(split);
        let expected = compute_mac(mac_key, sender, receiver, body);
        bool::from(expected.ct_eq(mac))
    }
}

fn compute_mac(
    mac_key: &[u8; 32],
    sender: &IdentityKey,
    receiver: &IdentityKey,
    body: &[u8],
) -> [u8; MAC_LENGTH] {
    let full = hmac_sha256(mac_key, &[&sender.serialize(), &receiver.serialize(), body]);
    let mut mac = [0u8; MAC_LENGTH];
    if let Some(head) = full.get(..MAC_LENGTH) {
        mac.copy_from_slice(head);
    }
    mac
}

/// A parsed or freshly built PreKeySignalMessage (`<enc type="pkmsg">`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeySignalMessage {
    registration_id: RegistrationId,
    pre_key_id: Option<PreKeyId>,
    signed_pre_key_id: SignedPreKeyId,
    base_key: PublicKey,
    identity_key: IdentityKey,
    message: SignalMessage,
    serialized: Vec<u8>,
}

impl PreKeySignalMessage {
    pub(crate) fn new(
        registration_id: RegistrationId,
        pre_key_id: Option<PreKeyId>,
        signed_pre_key_id: SignedPreKeyId,
        base_key: PublicKey,
        identity_key: IdentityKey,
        message: SignalMessage,
    ) -> Self {
        let proto = signal_wire::PreKeySignalMessage {
            pre_key_id: pre_key_id.map(|id| id.0),
            base_key: Some(serialize_public_key(&base_key).to_vec()),
            identity_key: Some(identity_key.serialize().to_vec()),
            message: Some(message.serialized.clone()),
            registration_id: Some(registration_id.0),
            signed_pre_key_id: Some(signed_pre_key_id.0),
        };
        let mut serialized = Vec::with_capacity(1 + proto.encoded_len());
        serialized.push(VERSION_BYTE);
        serialized.extend_from_slice(&proto.encode_to_vec());
        Self {
            registration_id,
            pre_key_id,
            signed_pre_key_id,
            base_key,
            identity_key,
            message,
            serialized,
        }
    }

    /// Parses `0x33 || proto`, including the embedded SignalMessage.
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] as for [`SignalMessage::parse`], for the outer and inner message.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let (&version, body) = bytes.split_first().ok_or(WireError::Truncated)?;
        if version != VERSION_BYTE {
            return Err(WireError::BadVersion(version).into());
        }
        let proto =
            signal_wire::PreKeySignalMessage::decode(body).map_err(|_| WireError::Protobuf)?;
        let base_key = deserialize_public_key(
            proto
                .base_key
                .as_deref()
                .ok_or(WireError::MissingField("baseKey"))?,
        )?;
        let identity_key = IdentityKey::deserialize(
            proto
                .identity_key
                .as_deref()
                .ok_or(WireError::MissingField("identityKey"))?,
        )?;
        let message = SignalMessage::parse(
            proto
                .message
                .as_deref()
                .ok_or(WireError::MissingField("message"))?,
        )?;
        Ok(Self {
            registration_id: RegistrationId(proto.registration_id.unwrap_or(0)),
            pre_key_id: proto.pre_key_id.map(PreKeyId),
            signed_pre_key_id: SignedPreKeyId(
                proto
                    .signed_pre_key_id
                    .ok_or(WireError::MissingField("signedPreKeyId"))?,
            ),
            base_key,
            identity_key,
            message,
            serialized: bytes.to_vec(),
        })
    }

    /// The sender's registration id.
    #[must_use]
    pub const fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }

    /// The one-time prekey the sender used, if any.
    #[must_use]
    pub const fn pre_key_id(&self) -> Option<PreKeyId> {
        self.pre_key_id
    }

    /// The signed prekey the sender used.
    #[must_use]
    pub const fn signed_pre_key_id(&self) -> SignedPreKeyId {
        self.signed_pre_key_id
    }

    /// The sender's X3DH base (ephemeral) key.
    #[must_use]
    pub const fn base_key(&self) -> &PublicKey {
        &self.base_key
    }

    /// The sender's identity key.
    #[must_use]
    pub const fn identity_key(&self) -> &IdentityKey {
        &self.identity_key
    }

    /// The embedded SignalMessage.
    #[must_use]
    pub const fn message(&self) -> &SignalMessage {
        &self.message
    }

    /// The whole message as on the wire.
    #[must_use]
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }
}

/// An outgoing or incoming pairwise message, by `<enc type>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CiphertextMessage {
    /// `type="pkmsg"`.
    PreKey(PreKeySignalMessage),
    /// `type="msg"`.
    Signal(SignalMessage),
}

impl CiphertextMessage {
    /// Parses an `<enc>` payload by its `type` attribute value (`"pkmsg"` or `"msg"`).
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] for bad bytes or another type.
    pub fn parse(enc_type: &str, bytes: &[u8]) -> Result<Self, Error> {
        match enc_type {
            "pkmsg" => PreKeySignalMessage::parse(bytes).map(Self::PreKey),
            "msg" => SignalMessage::parse(bytes).map(Self::Signal),
            _ => Err(WireError::MissingField("type").into()),
        }
    }

    /// The `<enc type>` value.
    #[must_use]
    pub const fn enc_type(&self) -> &'static str {
        match self {
            Self::PreKey(_) => "pkmsg",
            Self::Signal(_) => "msg",
        }
    }

    /// The bytes to put in the `<enc>` node.
    #[must_use]
    pub fn serialized(&self) -> &[u8] {
        match self {
            Self::PreKey(m) => m.serialized(),
            Self::Signal(m) => m.serialized(),
        }
    }
}
