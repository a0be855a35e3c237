//! Everything kept for one remote device: the current session state and archived ones, and
//! their protobuf form (`signal_records.RecordStructure`).

use std::collections::VecDeque;

use prost::Message as _;
use wa_curve25519::{KeyPair, PrivateKey, PublicKey};
use wa_proto::signal_records as pb;
use zeroize::Zeroize;

use super::state::{PendingPreKey, ReceiverChain, SenderChain, SessionState};
use crate::{
    keys::{IdentityKey, PreKeyId, RegistrationId, SignedPreKeyId},
    ratchet::{ChainKey, MessageKeySeed, RootKey},
    Error,
};

/// How many archived states a record keeps (older ones are dropped).
pub const MAX_ARCHIVED_STATES: usize = 40;

/// The session record of one remote device.
#[derive(Debug, Clone, Default)]
pub struct SessionRecord {
    pub(crate) current: Option<SessionState>,
    /// Newest first.
    pub(crate) previous: VecDeque<SessionState>,
}

impl SessionRecord {
    /// A record with no state.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A record whose current state is `state`.
    #[must_use]
    pub fn from_state(state: SessionState) -> Self {
        Self {
            current: Some(state),
            previous: VecDeque::new(),
        }
    }

    /// The current state, if any.
    #[must_use]
    pub const fn current(&self) -> Option<&SessionState> {
        self.current.as_ref()
    }

    /// The archived states, newest first.
    pub fn previous(&self) -> impl Iterator<Item = &SessionState> {
        self.previous.iter()
    }

    /// Makes `state` current, archiving the current one.
    pub fn promote_state(&mut self, state: SessionState) {
        self.archive_current_state();
        self.current = Some(state);
    }

    /// Moves the current state (if any) to the archive, dropping the oldest beyond
    /// [`MAX_ARCHIVED_STATES`].
    pub fn archive_current_state(&mut self) {
        if let Some(state) = self.current.take() {
            self.previous.push_front(state);
            self.previous.truncate(MAX_ARCHIVED_STATES);
        }
    }

    /// Whether some state (current or archived) was set up with this initiator base key.
    #[must_use]
    pub fn has_state_with_base_key(&self, base_key: &PublicKey) -> bool {
        self.current
            .iter()
            .chain(&self.previous)
            .any(|s| s.base_key == *base_key)
    }

    /// The protobuf form, for storage.
    #[must_use]
    pub fn serialize(&self) -> Vec<u8> {
        let mut proto = pb::RecordStructure {
            current: self.current.as_ref().map(state_to_proto),
            previous: self.previous.iter().map(state_to_proto).collect(),
        };
        let bytes = proto.encode_to_vec();
        wipe_record(&mut proto);
        bytes
    }

    /// Reads a record written by [`Self::serialize`].
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] for bytes that do not decode or miss a field.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        let mut proto = pb::RecordStructure::decode(bytes)
            .map_err(|_| Error::InvalidRecord("session record"))?;
        let result = (|| {
            let current = proto.current.as_ref().map(state_from_proto).transpose()?;
            let previous = proto
                .previous
                .iter()
                .take(MAX_ARCHIVED_STATES)
                .map(state_from_proto)
                .collect::<Result<_, _>>()?;
            Ok(Self { current, previous })
        })();
        wipe_record(&mut proto);
        result
    }
}

fn wipe_chain(chain: &mut pb::ChainStructure) {
    chain.ratchet_private.zeroize();
    chain.chain_key.zeroize();
    for key in &mut chain.skipped {
        key.seed.zeroize();
    }
}

fn wipe_record(record: &mut pb::RecordStructure) {
    for state in record.current.iter_mut().chain(record.previous.iter_mut()) {
        state.root_key.zeroize();
        for chain in state
            .sender_chain
            .iter_mut()
            .chain(state.receiver_chains.iter_mut())
        {
            wipe_chain(chain);
        }
    }
}

fn key_bytes(key: &PublicKey) -> Option<Vec<u8>> {
    Some(key.as_bytes().to_vec())
}

fn state_to_proto(state: &SessionState) -> pb::SessionStructure {
    let sender = &state.sender_chain;
    pb::SessionStructure {
        version: Some(3),
        local_identity: key_bytes(state.local_identity.public_key()),
        remote_identity: key_bytes(state.remote_identity.public_key()),
        root_key: Some(state.root_key.as_bytes().to_vec()),
        previous_counter: Some(state.previous_counter),
        sender_chain: Some(pb::ChainStructure {
            ratchet_public: key_bytes(sender.ratchet_key.public_key()),
            ratchet_private: Some(sender.ratchet_key.private_key().to_bytes().to_vec()),
            chain_key: Some(sender.chain_key.as_bytes().to_vec()),
            index: Some(sender.chain_key.index()),
            skipped: Vec::new(),
        }),
        receiver_chains: state
            .receiver_chains
            .iter()
            .map(|chain| pb::ChainStructure {
                ratchet_public: key_bytes(&chain.ratchet_key),
                ratchet_private: None,
                chain_key: Some(chain.chain_key.as_bytes().to_vec()),
                index: Some(chain.chain_key.index()),
                skipped: chain
                    .skipped
                    .iter()
                    .map(|seed| pb::chain_structure::SkippedMessageKey {
                        counter: Some(seed.counter()),
                        seed: Some(seed.as_bytes().to_vec()),
                    })
                    .collect(),
            })
            .collect(),
        pending_pre_key: state
            .pending_pre_key
            .as_ref()
            .map(|p| pb::PendingPreKeyStructure {
                pre_key_id: p.pre_key_id.map(|id| id.0),
                signed_pre_key_id: Some(p.signed_pre_key_id.0),
                base_key: key_bytes(&p.base_key),
            }),
        local_registration_id: Some(state.local_registration_id.0),
        remote_registration_id: Some(state.remote_registration_id.0),
        base_key: key_bytes(&state.base_key),
    }
}

fn public(bytes: Option<&Vec<u8>>, what: &'static str) -> Result<PublicKey, Error> {
    bytes
        .and_then(|b| PublicKey::from_slice(b))
        .ok_or(Error::InvalidRecord(what))
}

fn secret(bytes: Option<&Vec<u8>>, what: &'static str) -> Result<[u8; 32], Error> {
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or(Error::InvalidRecord(what))
}

fn chain_key(chain: &pb::ChainStructure) -> Result<ChainKey, Error> {
    Ok(ChainKey::new(
        secret(chain.chain_key.as_ref(), "chain key")?,
        chain.index.ok_or(Error::InvalidRecord("chain index"))?,
    ))
}

fn state_from_proto(proto: &pb::SessionStructure) -> Result<SessionState, Error> {
    if proto.version != Some(3) {
        return Err(Error::InvalidRecord("session version"));
    }
    let sender = proto
        .sender_chain
        .as_ref()
        .ok_or(Error::InvalidRecord("sender chain"))?;
    let ratchet_private = PrivateKey::from_bytes(secret(
        sender.ratchet_private.as_ref(),
        "ratchet private key",
    )?);
    let receiver_chains = proto
        .receiver_chains
        .iter()
        .take(super::state::MAX_RECEIVER_CHAINS)
        .map(|chain| {
            Ok(ReceiverChain {
                ratchet_key: public(chain.ratchet_public.as_ref(), "ratchet key")?,
                chain_key: chain_key(chain)?,
                skipped: chain
                    .skipped
                    .iter()
                    .take(super::state::MAX_SKIPPED_KEYS as usize)
                    .map(|k| {
                        Ok(MessageKeySeed::new(
                            secret(k.seed.as_ref(), "message key")?,
                            k.counter
                                .ok_or(Error::InvalidRecord("message key counter"))?,
                        ))
                    })
                    .collect::<Result<_, Error>>()?,
            })
        })
        .collect::<Result<_, Error>>()?;
    let pending_pre_key = proto
        .pending_pre_key
        .as_ref()
        .map(|p| {
            Ok::<_, Error>(PendingPreKey {
                pre_key_id: p.pre_key_id.map(PreKeyId),
                signed_pre_key_id: SignedPreKeyId(
                    p.signed_pre_key_id
                        .ok_or(Error::InvalidRecord("pending signed prekey id"))?,
                ),
                base_key: public(p.base_key.as_ref(), "pending base key")?,
            })
        })
        .transpose()?;
    Ok(SessionState {
        local_identity: IdentityKey::new(public(proto.local_identity.as_ref(), "local identity")?),
        remote_identity: IdentityKey::new(public(
            proto.remote_identity.as_ref(),
            "remote identity",
        )?),
        root_key: RootKey::from_bytes(secret(proto.root_key.as_ref(), "root key")?),
        previous_counter: proto.previous_counter.unwrap_or(0),
        sender_chain: SenderChain {
            ratchet_key: KeyPair::from_private_key(ratchet_private),
            chain_key: chain_key(sender)?,
        },
        receiver_chains,
        pending_pre_key,
        local_registration_id: RegistrationId(proto.local_registration_id.unwrap_or(0)),
        remote_registration_id: RegistrationId(proto.remote_registration_id.unwrap_or(0)),
        base_key: public(proto.base_key.as_ref(), "base key")?,
    })
}
