//! One Double Ratchet session state: root key, our sending chain, up to
//! [`MAX_RECEIVER_CHAINS`] receiving chains with their skipped message keys, and the prekey
//! parts an initiator repeats until the peer answers.

use std::collections::VecDeque;

use rand_core::{CryptoRng, RngCore};
use wa_curve25519::{KeyPair, PublicKey};

use crate::{
    crypto::{aes_cbc_decrypt, aes_cbc_encrypt},
    keys::{IdentityKey, PreKeyId, RegistrationId, SignedPreKeyId},
    ratchet::{ChainKey, MessageKeySeed, RootKey},
    wire::{CiphertextMessage, PreKeySignalMessage, SignalMessage},
    Error,
};

/// How many message keys one message may skip in its chain, and how many skipped keys a
/// receiving chain keeps (the oldest are dropped beyond that).
pub const MAX_SKIPPED_KEYS: u32 = 2000;
/// How many receiving chains a state keeps (older ones are dropped).
pub const MAX_RECEIVER_CHAINS: usize = 5;

/// Our sending chain: our current ratchet key pair and its chain key.
#[derive(Debug, Clone)]
pub(crate) struct SenderChain {
    pub(crate) ratchet_key: KeyPair,
    pub(crate) chain_key: ChainKey,
}

/// A receiving chain for one of the peer's ratchet keys.
#[derive(Debug, Clone)]
pub(crate) struct ReceiverChain {
    pub(crate) ratchet_key: PublicKey,
    pub(crate) chain_key: ChainKey,
    /// Newest first.
    pub(crate) skipped: VecDeque<MessageKeySeed>,
}

/// What an initiator puts around each message until the peer's first reply: the X3DH inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingPreKey {
    pub(crate) pre_key_id: Option<PreKeyId>,
    pub(crate) signed_pre_key_id: SignedPreKeyId,
    pub(crate) base_key: PublicKey,
}

/// One session state. Secrets inside are zeroized on drop and never printed.
#[derive(Debug, Clone)]
pub struct SessionState {
    pub(crate) local_identity: IdentityKey,
    pub(crate) remote_identity: IdentityKey,
    pub(crate) root_key: RootKey,
    pub(crate) previous_counter: u32,
    pub(crate) sender_chain: SenderChain,
    /// Newest first.
    pub(crate) receiver_chains: VecDeque<ReceiverChain>,
    pub(crate) pending_pre_key: Option<PendingPreKey>,
    pub(crate) local_registration_id: RegistrationId,
    pub(crate) remote_registration_id: RegistrationId,
    pub(crate) base_key: PublicKey,
}

impl SessionState {
    /// The peer's identity key.
    #[must_use]
    pub const fn remote_identity(&self) -> &IdentityKey {
        &self.remote_identity
    }

    /// Our identity key.
    #[must_use]
    pub const fn local_identity(&self) -> &IdentityKey {
        &self.local_identity
    }

    /// The peer's registration id.
    #[must_use]
    pub const fn remote_registration_id(&self) -> RegistrationId {
        self.remote_registration_id
    }

    /// The initiator's X3DH base key (identifies the session).
    #[must_use]
    pub const fn base_key(&self) -> &PublicKey {
        &self.base_key
    }

    /// Whether our messages still go out as `pkmsg` (no message from the peer decrypted yet).
    #[must_use]
    pub const fn has_pending_pre_key(&self) -> bool {
        self.pending_pre_key.is_some()
    }

    /// Encrypts one (already padded) plaintext with the next sending message key.
    pub(crate) fn encrypt(&mut self, plaintext: &[u8]) -> CiphertextMessage {
        let (seed, next) = self.sender_chain.chain_key.step();
        let keys = seed.derive();
        let ciphertext = aes_cbc_encrypt(keys.cipher_key(), keys.iv(), plaintext);
        let message = SignalMessage::new(
            keys.mac_key(),
            *self.sender_chain.ratchet_key.public_key(),
            keys.counter(),
            self.previous_counter,
            ciphertext,
            &self.local_identity,
            &self.remote_identity,
        );
        self.sender_chain.chain_key = next;
        match &self.pending_pre_key {
            Some(pending) => CiphertextMessage::PreKey(PreKeySignalMessage::new(
                self.local_registration_id,
                pending.pre_key_id,
                pending.signed_pre_key_id,
                pending.base_key,
                self.local_identity,
                message,
            )),
            None => CiphertextMessage::Signal(message),
        }
    }

    /// Decrypts one SignalMessage, stepping the DH ratchet for a new peer ratchet key. On error
    /// the state may be half-updated: callers work on a copy and keep it only on success.
    pub(crate) fn decrypt<R: RngCore + CryptoRng>(
        &mut self,
        message: &SignalMessage,
        rng: &mut R,
    ) -> Result<Vec<u8>, Error> {
        let chain_position = match self
            .receiver_chains
            .iter()
            .position(|chain| chain.ratchet_key == *message.ratchet_key())
        {
            Some(position) => position,
            None => {
                self.step_dh_ratchet(message.ratchet_key(), rng)?;
                0
            }
        };
        let chain = self
            .receiver_chains
            .get_mut(chain_position)
            .ok_or(Error::NoSession)?;
        let keys = message_key_seed(chain, message.counter())?.derive();
        if !message.verify_mac(keys.mac_key(), &self.remote_identity, &self.local_identity) {
            return Err(Error::BadMac);
        }
        let plaintext = aes_cbc_decrypt(keys.cipher_key(), keys.iv(), message.ciphertext())?;
        self.pending_pre_key = None;
        Ok(plaintext)
    }

    /// The peer has a new ratchet key: derive its receiving chain from our current ratchet key,
    /// then a new ratchet key pair of ours and its sending chain.
    fn step_dh_ratchet<R: RngCore + CryptoRng>(
        &mut self,
        theirs: &PublicKey,
        rng: &mut R,
    ) -> Result<(), Error> {
        let (root, receiving) = self
            .root_key
            .create_chain(theirs, self.sender_chain.ratchet_key.private_key())?;
        let ours = KeyPair::generate(rng);
        let (root, sending) = root.create_chain(theirs, ours.private_key())?;
        self.root_key = root;
        self.receiver_chains.push_front(ReceiverChain {
            ratchet_key: *theirs,
            chain_key: receiving,
            skipped: VecDeque::new(),
        });
        self.receiver_chains.truncate(MAX_RECEIVER_CHAINS);
        self.previous_counter = self.sender_chain.chain_key.index().saturating_sub(1);
        self.sender_chain = SenderChain {
            ratchet_key: ours,
            chain_key: sending,
        };
        Ok(())
    }
}

/// The message key seed for `counter` in `chain`: a kept skipped key, or the chain advanced
/// to it (keeping the keys it passes).
fn message_key_seed(chain: &mut ReceiverChain, counter: u32) -> Result<MessageKeySeed, Error> {
    let index = chain.chain_key.index();
    if counter < index {
        return match chain
            .skipped
            .iter()
            .position(|seed| seed.counter() == counter)
        {
            Some(position) => chain
                .skipped
                .remove(position)
                .ok_or(Error::DuplicateMessage { counter }),
            None => Err(Error::DuplicateMessage { counter }),
        };
    }
    let skipped = counter - index;
    if skipped > MAX_SKIPPED_KEYS {
        return Err(Error::TooManySkippedMessages { skipped });
    }
    let mut chain_key = chain.chain_key.clone();
    while chain_key.index() < counter {
        chain.skipped.push_front(chain_key.message_key_seed());
        chain_key = chain_key.next();
    }
    chain.skipped.truncate(MAX_SKIPPED_KEYS as usize);
    let seed = chain_key.message_key_seed();
    chain.chain_key = chain_key.next();
    Ok(seed)
}
