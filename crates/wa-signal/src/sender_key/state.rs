//! Sender key state (one key id of one sender) and the record holding up to
//! [`MAX_STATES`] of them, with their storage encoding.

use std::collections::VecDeque;
use std::fmt;

use prost::Message as _;
use wa_curve25519::{KeyPair, PrivateKey, PublicKey, KEY_LENGTH};
use wa_proto::sender_key_records as pb;
use zeroize::{Zeroize, Zeroizing};

use super::chain::{SenderChainKey, SenderMessageKey, SEED_LENGTH};
use super::error::InvalidRecord;
use super::message::{djb_key_bytes, parse_djb_key};
use super::{SenderKeyDistributionMessage, SenderKeyError, SenderKeyId};

/// Most states a record keeps (a sender's older key ids), as Baileys and libsignal do.
pub const MAX_STATES: usize = 5;
/// Most skipped message keys a state keeps, and the furthest a message may jump ahead of the
/// chain.
pub const MAX_MESSAGE_KEYS: usize = 2000;

#[derive(Clone)]
enum SigningKey {
    /// Our own sender key: we sign with it.
    Own(KeyPair),
    /// A peer's: we only verify.
    Peer(PublicKey),
}

impl SigningKey {
    const fn public(&self) -> &PublicKey {
        match self {
            Self::Own(pair) => pair.public_key(),
            Self::Peer(public) => public,
        }
    }
}

/// One sender key: its id, chain key, signing key (with the private half if it is ours) and
/// the message keys of iterations skipped over, oldest first.
#[derive(Clone)]
pub struct SenderKeyState {
    key_id: SenderKeyId,
    chain_key: SenderChainKey,
    signing_key: SigningKey,
    skipped: VecDeque<SenderMessageKey>,
    /// Lowest iteration whose message key this state may still hold.
    min_iteration: u32,
}

/// Where the message key of an iteration comes from; computed without touching the state so
/// that a failed decryption leaves it unchanged.
pub(super) enum KeyPlan {
    /// A parked key, at this index of the skipped list.
    Skipped(usize, SenderMessageKey),
    /// Ahead on the chain: the key, the keys parked on the way, the chain key after it.
    Forward {
        key: SenderMessageKey,
        parked: Vec<SenderMessageKey>,
        next_chain: SenderChainKey,
    },
}

impl KeyPlan {
    pub(super) const fn key(&self) -> &SenderMessageKey {
        match self {
            Self::Skipped(_, key) | Self::Forward { key, .. } => key,
        }
    }
}

impl SenderKeyState {
    /// Our own sender key: we encrypt and sign with it.
    #[must_use]
    pub fn new_own(key_id: SenderKeyId, chain_key: SenderChainKey, signing_key: KeyPair) -> Self {
        Self::with_signing_key(key_id, chain_key, SigningKey::Own(signing_key))
    }

    /// A peer's sender key (from its distribution message): we decrypt and verify with it.
    #[must_use]
    pub fn new_peer(
        key_id: SenderKeyId,
        chain_key: SenderChainKey,
        signing_key: PublicKey,
    ) -> Self {
        Self::with_signing_key(key_id, chain_key, SigningKey::Peer(signing_key))
    }

    fn with_signing_key(
        key_id: SenderKeyId,
        chain_key: SenderChainKey,
        signing_key: SigningKey,
    ) -> Self {
        Self {
            key_id,
            min_iteration: chain_key.iteration(),
            chain_key,
            signing_key,
            skipped: VecDeque::new(),
        }
    }

    /// The key id.
    #[must_use]
    pub const fn key_id(&self) -> SenderKeyId {
        self.key_id
    }

    /// The current chain key (its iteration is the next one to be used).
    #[must_use]
    pub const fn chain_key(&self) -> &SenderChainKey {
        &self.chain_key
    }

    /// The public signing key.
    #[must_use]
    pub const fn signing_key(&self) -> &PublicKey {
        self.signing_key.public()
    }

    /// The private signing key, for our own sender keys.
    #[must_use]
    pub const fn signing_private_key(&self) -> Option<&PrivateKey> {
        match &self.signing_key {
            SigningKey::Own(pair) => Some(pair.private_key()),
            SigningKey::Peer(_) => None,
        }
    }

    /// The parked message keys, ascending by iteration.
    pub fn skipped_message_keys(&self) -> impl ExactSizeIterator<Item = &SenderMessageKey> + '_ {
        self.skipped.iter()
    }

    /// The distribution message for this key at its current iteration.
    #[must_use]
    pub fn distribution_message(&self) -> SenderKeyDistributionMessage {
        SenderKeyDistributionMessage::new(self.key_id, self.chain_key.clone(), *self.signing_key())
    }

    /// Finds or derives the message key of `iteration` without changing the state.
    pub(super) fn plan_message_key(&self, iteration: u32) -> Result<KeyPlan, SenderKeyError> {
        let current = self.chain_key.iteration();
        if iteration < current {
            return match self
                .skipped
                .binary_search_by_key(&iteration, SenderMessageKey::iteration)
            {
                Ok(index) => {
                    let key = self
                        .skipped
                        .get(index)
                        .cloned()
                        .ok_or(SenderKeyError::DuplicateMessage { iteration })?;
                    Ok(KeyPlan::Skipped(index, key))
                }
                Err(_) if iteration < self.min_iteration => {
                    Err(SenderKeyError::MessageTooOld { iteration })
                }
                Err(_) => Err(SenderKeyError::DuplicateMessage { iteration }),
            };
        }
        let jump = iteration - current;
        if usize::try_from(jump).map_or(true, |jump| jump > MAX_MESSAGE_KEYS) {
            return Err(SenderKeyError::TooFarInFuture { iteration, current });
        }
        let mut chain = self.chain_key.clone();
        let mut parked = Vec::new();
        while chain.iteration() < iteration {
            parked.push(chain.message_key());
            chain = chain.next()?;
        }
        let key = chain.message_key();
        let next_chain = chain.next()?;
        Ok(KeyPlan::Forward {
            key,
            parked,
            next_chain,
        })
    }

    /// Applies a plan made by [`Self::plan_message_key`] on this same state: the key is used.
    pub(super) fn commit(&mut self, plan: KeyPlan) {
        match plan {
            KeyPlan::Skipped(index, _) => {
                self.skipped.remove(index);
            }
            KeyPlan::Forward {
                parked, next_chain, ..
            } => {
                self.skipped.extend(parked);
                while self.skipped.len() > MAX_MESSAGE_KEYS {
                    if let Some(evicted) = self.skipped.pop_front() {
                        self.min_iteration = evicted.iteration().saturating_add(1);
                    }
                }
                self.chain_key = next_chain;
            }
        }
    }

    fn to_proto(&self) -> pb::SenderKeyStateStructure {
        let private_key = match &self.signing_key {
            SigningKey::Own(pair) => Some(pair.private_key().to_bytes().to_vec()),
            SigningKey::Peer(_) => None,
        };
        pb::SenderKeyStateStructure {
            key_id: Some(self.key_id.get()),
            chain_key: Some(pb::SenderChainKeyStructure {
                iteration: Some(self.chain_key.iteration()),
                seed: Some(self.chain_key.seed().to_vec()),
            }),
            signing_key: Some(pb::SenderSigningKeyStructure {
                public_key: Some(djb_key_bytes(self.signing_key())),
                private_key,
            }),
            skipped_message_keys: self
                .skipped
                .iter()
                .map(|key| pb::SenderMessageKeyStructure {
                    iteration: Some(key.iteration()),
                    seed: Some(key.seed().to_vec()),
                })
                .collect(),
            min_iteration: Some(self.min_iteration),
        }
    }

    fn from_proto(proto: &pb::SenderKeyStateStructure) -> Result<Self, InvalidRecord> {
        let key_id = SenderKeyId::new(proto.key_id.ok_or(InvalidRecord::Field("key_id"))?);
        let chain = proto
            .chain_key
            .as_ref()
            .ok_or(InvalidRecord::Field("chain_key"))?;
        let chain_key = SenderChainKey::new(
            chain
                .iteration
                .ok_or(InvalidRecord::Field("chain_key.iteration"))?,
            seed_from(chain.seed.as_deref(), "chain_key.seed")?,
        );
        let signing = proto
            .signing_key
            .as_ref()
            .ok_or(InvalidRecord::Field("signing_key"))?;
        let public = signing
            .public_key
            .as_deref()
            .and_then(parse_djb_key)
            .ok_or(InvalidRecord::Field("signing_key.public_key"))?;
        let signing_key = match signing.private_key.as_deref() {
            None => SigningKey::Peer(public),
            Some(private) => {
                let private: [u8; KEY_LENGTH] = private
                    .try_into()
                    .map_err(|_| InvalidRecord::Field("signing_key.private_key"))?;
                let pair = KeyPair::from_private_bytes(private);
                if *pair.public_key() != public {
                    return Err(InvalidRecord::SigningKeyMismatch);
                }
                SigningKey::Own(pair)
            }
        };
        if proto.skipped_message_keys.len() > MAX_MESSAGE_KEYS {
            return Err(InvalidRecord::TooManyMessageKeys);
        }
        let mut skipped = proto
            .skipped_message_keys
            .iter()
            .map(|key| {
                let iteration = key
                    .iteration
                    .ok_or(InvalidRecord::Field("skipped.iteration"))?;
                Ok(SenderMessageKey::new(
                    iteration,
                    seed_from(key.seed.as_deref(), "skipped.seed")?,
                ))
            })
            .collect::<Result<Vec<_>, InvalidRecord>>()?;
        skipped.sort_by_key(SenderMessageKey::iteration);
        let in_place = skipped.windows(2).all(|pair| match pair {
            [a, b] => a.iteration() < b.iteration(),
            _ => true,
        }) && skipped
            .last()
            .map_or(true, |last| last.iteration() < chain_key.iteration());
        if !in_place {
            return Err(InvalidRecord::SkippedKeyOutOfPlace);
        }
        let lowest_held = skipped
            .first()
            .map_or(chain_key.iteration(), SenderMessageKey::iteration);
        let min_iteration = match proto.min_iteration {
            Some(min) if min <= lowest_held => min,
            Some(_) => return Err(InvalidRecord::Field("min_iteration")),
            None => lowest_held,
        };
        Ok(Self {
            key_id,
            chain_key,
            signing_key,
            skipped: skipped.into(),
            min_iteration,
        })
    }
}

fn seed_from(
    bytes: Option<&[u8]>,
    field: &'static str,
) -> Result<[u8; SEED_LENGTH], InvalidRecord> {
    bytes
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(InvalidRecord::Field(field))
}

impl fmt::Debug for SenderKeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderKeyState")
            .field("key_id", &self.key_id)
            .field("chain_key", &self.chain_key)
            .field("signing_key", self.signing_key())
            .field("own", &self.signing_private_key().is_some())
            .field("skipped_message_keys", &self.skipped.len())
            .finish_non_exhaustive()
    }
}

/// Every sender key state of one sender in one group (see [`super::SenderKeyName`]), newest
/// first, at most [`MAX_STATES`].
#[derive(Clone, Debug, Default)]
pub struct SenderKeyRecord {
    states: VecDeque<SenderKeyState>,
}

impl SenderKeyRecord {
    /// An empty record.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the record holds no state.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The states, newest first.
    pub fn states(&self) -> impl ExactSizeIterator<Item = &SenderKeyState> + '_ {
        self.states.iter()
    }

    /// The newest state (the one our own sends use).
    #[must_use]
    pub fn latest_state(&self) -> Option<&SenderKeyState> {
        self.states.front()
    }

    pub(super) fn latest_state_mut(&mut self) -> Option<&mut SenderKeyState> {
        self.states.front_mut()
    }

    /// The state with this key id.
    #[must_use]
    pub fn state_for_key_id(&self, key_id: SenderKeyId) -> Option<&SenderKeyState> {
        self.states.iter().find(|state| state.key_id == key_id)
    }

    pub(super) fn state_for_key_id_mut(
        &mut self,
        key_id: SenderKeyId,
    ) -> Option<&mut SenderKeyState> {
        self.states.iter_mut().find(|state| state.key_id == key_id)
    }

    /// Adds `state` as the newest, dropping the oldest beyond [`MAX_STATES`].
    ///
    /// A state with the same key id and signing key already present is kept as it is (a
    /// repeated distribution message must not rewind the chain and re-open used message keys);
    /// one with the same key id but another signing key is replaced. Returns whether `state`
    /// was added.
    pub fn add_state(&mut self, state: SenderKeyState) -> bool {
        if let Some(position) = self
            .states
            .iter()
            .position(|old| old.key_id == state.key_id)
        {
            if self
                .states
                .get(position)
                .is_some_and(|old| old.signing_key() == state.signing_key())
            {
                return false;
            }
            self.states.remove(position);
        }
        self.states.push_front(state);
        self.states.truncate(MAX_STATES);
        true
    }

    /// The storage encoding (protobuf `sender_key_records.SenderKeyRecordStructure`). Secret:
    /// it holds chain keys and, for our own keys, the private signing key.
    #[must_use]
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut proto = pb::SenderKeyRecordStructure {
            states: self.states.iter().map(SenderKeyState::to_proto).collect(),
        };
        let bytes = Zeroizing::new(proto.encode_to_vec());
        wipe(&mut proto);
        bytes
    }

    /// Decodes [`Self::encode`]'s output, checking every bound.
    ///
    /// # Errors
    /// [`SenderKeyError::InvalidRecord`] for bytes that do not decode, missing or malformed
    /// fields, more than [`MAX_STATES`] states or [`MAX_MESSAGE_KEYS`] skipped keys in a state.
    pub fn decode(bytes: &[u8]) -> Result<Self, crate::Error> {
        let mut proto =
            pb::SenderKeyRecordStructure::decode(bytes).map_err(|_| InvalidRecord::Protobuf)?;
        let record = Self::from_proto(&proto);
        wipe(&mut proto);
        Ok(record?)
    }

    fn from_proto(proto: &pb::SenderKeyRecordStructure) -> Result<Self, InvalidRecord> {
        if proto.states.len() > MAX_STATES {
            return Err(InvalidRecord::TooManyStates);
        }
        let states = proto
            .states
            .iter()
            .map(SenderKeyState::from_proto)
            .collect::<Result<VecDeque<_>, _>>()?;
        Ok(Self { states })
    }
}

/// Zeroes the secret copies a record's protobuf form holds.
fn wipe(proto: &mut pb::SenderKeyRecordStructure) {
    for state in &mut proto.states {
        if let Some(seed) = state
            .chain_key
            .as_mut()
            .and_then(|chain| chain.seed.as_mut())
        {
            seed.zeroize();
        }
        if let Some(private) = state
            .signing_key
            .as_mut()
            .and_then(|key| key.private_key.as_mut())
        {
            private.zeroize();
        }
        for key in &mut state.skipped_message_keys {
            if let Some(seed) = key.seed.as_mut() {
                seed.zeroize();
            }
        }
    }
}
