//! Simulated primary phones: every simulated account's device 0 is a real Signal endpoint
//! built on `wa-signal`. It decrypts what the server delivers to it and records what it saw,
//! sends texts, reactions and revokes itself (one-to-one with device-sent copies for its own
//! other devices, and to groups with sender keys), answers and issues retry receipts, and
//! misbehaves on demand ([`Behaviour`], [`Phone::lose_sessions`]).
//!
//! Sans-IO like the rest of the crate's core: stanzas in, stanzas out; the server-side lookups
//! go through [`Directory`]; randomness comes from a seeded ChaCha20 stream the phone owns
//! (seeded from the caller's RNG at creation), so the same seed gives the same bytes; the
//! caller passes the time.
//!
//! Files: [`directory`] (what the phone asks the server), [`content`] (the `Message`
//! protobufs), [`send`] (composing and encrypting), [`receive`] (decrypting and recording),
//! [`retry`] (retry receipts both ways), [`bundle_node`] (keys as stanza nodes); the public
//! records are in `received`, `outgoing` and `behaviour`.

// The router that feeds phones is being written beside this module; until it lands, nothing
// outside the tests calls into it.

mod behaviour;
mod bundle_node;
mod content;
mod directory;
mod jids;
mod outgoing;
mod receive;
mod received;
mod retry;
mod send;
mod sent_log;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng as _};
use wa_binary::Jid;
use wa_signal::sender_key::InMemorySenderKeyStore;
use wa_signal::store::{InMemoryStore, PreKeyStore as _, SignedPreKeyStore as _};
use wa_signal::{
    IdentityKey, IdentityKeyPair, PreKeyId, PreKeyRecord, RegistrationId, SignedPreKeyId,
    SignedPreKeyRecord,
};

pub use behaviour::Behaviour;
pub(crate) use directory::{Directory, GroupView};
pub use outgoing::{Outgoing, TargetKey};
pub use received::{ReceiptKind, Received, ReceivedKind, SeenReceipt};

use crate::error::Result;
use crate::registry::{PreKeyPublic, SignedPreKeyPublic, MAX_PREKEY_ID};
use sent_log::SentLog;

/// The public keys the server publishes for a phone (device 0): what a prekey bundle fetch
/// hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhoneKeys {
    /// The identity key (also the account's ADV signing key).
    pub(crate) identity_key: IdentityKey,
    /// The registration id.
    pub(crate) registration_id: RegistrationId,
    /// The signed prekey.
    pub(crate) signed_pre_key: SignedPreKeyPublic,
    /// The one-time prekeys the phone still holds of those it was created with.
    pub(crate) pre_keys: Vec<PreKeyPublic>,
}

/// A simulated Signal device: an account's primary phone (device 0), or, in tests, a companion.
pub(crate) struct Phone {
    /// The account's phone-number user JID (`PHONE@s.whatsapp.net`).
    pn: Jid,
    /// The account's LID user JID (`LID@lid`).
    lid: Jid,
    /// This device's id (0 for the phone).
    device: u16,
    identity: IdentityKeyPair,
    registration_id: RegistrationId,
    signed_pre_key: SignedPreKeyRecord,
    /// One-time prekeys 1..=this were made at creation (and published by the server).
    initial_pre_keys: u32,
    /// The id the next one-time prekey gets (those sent in retry receipts).
    next_pre_key_id: u32,
    /// Identity, prekeys, pairwise sessions.
    store: InMemoryStore,
    /// Sender keys: the phone's own per group and its peers'.
    sender_keys: InMemorySenderKeyStore,
    /// Per group, the devices that were sent the phone's current sender key.
    sender_key_holders: HashMap<Jid, HashSet<Jid>>,
    /// What it sent, for retries.
    sent: SentLog,
    received: Vec<Received>,
    /// (message id, author) of every entry of `received`: one record per message, found
    /// without scanning the list.
    recorded: HashSet<(String, Jid)>,
    receipts: Vec<SeenReceipt>,
    /// Retry receipts sent per incoming message id.
    retries_sent: HashMap<String, u32>,
    /// Retry receipts answered per (device, message id).
    retries_answered: HashMap<(Jid, String), u32>,
    behaviour: Behaviour,
    rng: ChaCha20Rng,
}

impl Phone {
    /// A new phone for the account (`pn`, `lid`; device parts ignored): identity, registration
    /// id, signed prekey (id 1, stamped `now`) and `pre_keys` one-time prekeys (ids 1..=n) drawn
    /// from `rng`, which also seeds the phone's own RNG.
    pub(crate) fn new(pn: &Jid, lid: &Jid, pre_keys: u32, now: u64, rng: &mut ChaCha20Rng) -> Self {
        Self::with_device(pn, lid, 0, pre_keys, now, rng)
    }

    /// As [`new`](Self::new) for another device id of the account (tests use companions).
    fn with_device(
        pn: &Jid,
        lid: &Jid,
        device: u16,
        pre_keys: u32,
        now: u64,
        rng: &mut ChaCha20Rng,
    ) -> Self {
        let identity = IdentityKeyPair::generate(rng);
        // 14 bits, as clients generate registration ids.
        let registration_id = RegistrationId((rng.next_u32() & 0x3FFF).max(1));
        let signed_pre_key = SignedPreKeyRecord::generate(SignedPreKeyId(1), &identity, now, rng);
        let mut store = InMemoryStore::new(identity.clone(), registration_id);
        let initial_pre_keys = pre_keys.min(MAX_PREKEY_ID);
        for id in 1..=initial_pre_keys {
            // The in-memory store cannot fail.
            let _ = store.store_pre_key(&PreKeyRecord::generate(PreKeyId(id), rng));
        }
        let _ = store.store_signed_pre_key(&signed_pre_key);
        let mut seed = <ChaCha20Rng as rand_core::SeedableRng>::Seed::default();
        rng.fill_bytes(&mut seed);
        Self {
            pn: pn.to_non_ad(),
            lid: lid.to_non_ad(),
            device,
            identity,
            registration_id,
            signed_pre_key,
            initial_pre_keys,
            next_pre_key_id: initial_pre_keys.saturating_add(1),
            store,
            sender_keys: InMemorySenderKeyStore::new(),
            sender_key_holders: HashMap::new(),
            sent: SentLog::default(),
            received: Vec::new(),
            recorded: HashSet::new(),
            receipts: Vec::new(),
            retries_sent: HashMap::new(),
            retries_answered: HashMap::new(),
            behaviour: Behaviour::default(),
            rng: ChaCha20Rng::from_seed(seed),
        }
    }

    /// The public keys the registry publishes for this device: identity, registration id,
    /// signed prekey, and the one-time prekeys made at creation that are still unused.
    pub(crate) fn public_keys(&self) -> PhoneKeys {
        let pre_keys = (1..=self.initial_pre_keys)
            .filter_map(|id| self.store.load_pre_key(PreKeyId(id)).ok().flatten())
            .map(|record| PreKeyPublic {
                id: record.id(),
                public_key: *record.key_pair().public_key(),
            })
            .collect();
        PhoneKeys {
            identity_key: self.identity.identity_key(),
            registration_id: self.registration_id,
            signed_pre_key: self.signed_pre_key_public(),
            pre_keys,
        }
    }

    /// The identity key pair (the account's ADV signing key when the phone pairs companions).
    pub(crate) fn identity(&self) -> &IdentityKeyPair {
        &self.identity
    }

    /// Everything it decrypted, oldest first.
    pub(crate) fn received(&self) -> &[Received] {
        &self.received
    }

    /// The delivery/read receipts it was sent for its messages, oldest first.
    pub(crate) fn receipts(&self) -> &[SeenReceipt] {
        &self.receipts
    }

    /// Its scripted faults.
    pub(crate) fn behaviour_mut(&mut self) -> &mut Behaviour {
        &mut self.behaviour
    }

    /// Forgets every pairwise session and sender key (its own included), as a reinstalled
    /// app would; identity and unused prekeys stay. Peers' next messages fail to decrypt until
    /// retry receipts with fresh keys rebuild the sessions.
    pub(crate) fn lose_sessions(&mut self) {
        let mut store = InMemoryStore::new(self.identity.clone(), self.registration_id);
        // The in-memory stores cannot fail.
        let _ = store.store_signed_pre_key(&self.signed_pre_key);
        for id in 1..self.next_pre_key_id {
            if let Ok(Some(record)) = self.store.load_pre_key(PreKeyId(id)) {
                let _ = store.store_pre_key(&record);
            }
        }
        self.store = store;
        self.sender_keys = InMemorySenderKeyStore::new();
        self.sender_key_holders.clear();
    }

    fn signed_pre_key_public(&self) -> SignedPreKeyPublic {
        SignedPreKeyPublic {
            id: self.signed_pre_key.id(),
            public_key: *self.signed_pre_key.key_pair().public_key(),
            signature: *self.signed_pre_key.signature(),
        }
    }

    /// The account's user JID in the same form (PN or LID) as `like`.
    fn own_user_like(&self, like: &Jid) -> &Jid {
        if like.is_lid() {
            &self.lid
        } else {
            &self.pn
        }
    }

    /// Whether `jid` names this account (either form, any device).
    fn is_own_user(&self, jid: &Jid) -> bool {
        jids::same_user(jid, &self.pn) || jids::same_user(jid, &self.lid)
    }

    /// Whether `jid` is this very device (either form).
    fn is_this_device(&self, jid: &Jid) -> bool {
        self.is_own_user(jid) && jid.device() == self.device
    }

    /// This device's JID in the form of `like`.
    fn own_device_like(&self, like: &Jid) -> Result<Jid> {
        jids::device_jid(self.own_user_like(like), self.device)
    }

    /// `3EB0` + 18 upper-case hex digits from the phone's RNG.
    fn next_message_id(&mut self) -> String {
        let mut bytes = [0u8; 9];
        self.rng.fill_bytes(&mut bytes);
        let mut id = String::with_capacity(22);
        id.push_str("3EB0");
        for byte in bytes {
            // Writing to a String cannot fail.
            let _ = write!(id, "{byte:02X}");
        }
        id
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys, sessions and message contents stay out of logs.
        f.debug_struct("Phone")
            .field("pn", &self.pn)
            .field("lid", &self.lid)
            .field("device", &self.device)
            .field("received", &self.received.len())
            .field("behaviour", &self.behaviour)
            .finish_non_exhaustive()
    }
}
