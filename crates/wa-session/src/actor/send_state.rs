//! What the send path keeps between sends: who we are, the store, an RNG, the device-list
//! and group caches, and the lock that keeps encryption in call order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prost::Message as _;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng as _};
use wa_binary::Jid;
use wa_store::{DeviceId, StoreHandle};

use super::Clock;
use crate::error::Result;
use crate::fanout::OwnIdentity;
use crate::pairing::PairedDevice;
use crate::send::GroupInfo;

/// Shared by every handle of one session.
#[derive(Debug)]
pub(super) struct SendState {
    pub(super) store: StoreHandle,
    pub(super) device: DeviceId,
    pub(super) own: OwnIdentity,
    pub(super) clock: Arc<dyn Clock>,
    rng: Mutex<ChaCha20Rng>,
    cache: Mutex<Cache>,
    /// Held from building a stanza until it is queued for the socket (never across the ack
    /// wait): ratchet steps and frames leave in call order.
    pub(super) order: tokio::sync::Mutex<()>,
}

/// Device lists by account and group metadata by group, until invalidated (a differing
/// `phash` in an ack, or a refused send).
#[derive(Debug, Default)]
struct Cache {
    devices: HashMap<Jid, Vec<Jid>>,
    groups: HashMap<Jid, GroupInfo>,
}

impl SendState {
    pub(super) fn new(
        store: StoreHandle,
        paired: &PairedDevice,
        clock: Arc<dyn Clock>,
        seed: u64,
    ) -> Result<Self> {
        // Peers get our identity without the account key (the server has it).
        let mut identity = paired.account.clone();
        identity.account_signature_key = None;
        let own = OwnIdentity::new(
            &paired.jid,
            paired.lid.as_ref(),
            paired.jid.device(),
            identity.encode_to_vec(),
        )?;
        Ok(Self {
            store,
            device: paired.id,
            own,
            clock,
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(seed)),
            cache: Mutex::new(Cache::default()),
            order: tokio::sync::Mutex::new(()),
        })
    }

    /// A fresh RNG for one send, seeded from the session's.
    pub(super) fn rng(&self) -> ChaCha20Rng {
        let seed = self
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next_u64();
        ChaCha20Rng::seed_from_u64(seed)
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached devices of `user`.
    pub(super) fn cached_devices(&self, user: &Jid) -> Option<Vec<Jid>> {
        self.cache().devices.get(user).cloned()
    }

    pub(super) fn cache_devices(&self, user: Jid, devices: Vec<Jid>) {
        self.cache().devices.insert(user, devices);
    }

    pub(super) fn cached_group(&self, group: &Jid) -> Option<GroupInfo> {
        self.cache().groups.get(group).cloned()
    }

    pub(super) fn cache_group(&self, group: Jid, info: GroupInfo) {
        self.cache().groups.insert(group, info);
    }

    /// Forgets the device lists of `users`.
    pub(super) fn forget_devices(&self, users: &[Jid]) {
        let mut cache = self.cache();
        for user in users {
            cache.devices.remove(user);
        }
    }

    /// Forgets a group's metadata and its members' device lists.
    pub(super) fn forget_group(&self, group: &Jid) {
        let mut cache = self.cache();
        if let Some(info) = cache.groups.remove(group) {
            for member in &info.members {
                cache.devices.remove(&member.jid);
            }
        }
    }
}
