//! What the send path keeps between sends: who we are, the store, an RNG, the device-list
//! and group caches, the lock that keeps encryption in call order, and which outbox entries
//! are in flight in this session.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prost::Message as _;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng as _};
use wa_binary::Jid;
use wa_store::{DeviceId, StoreHandle};

use super::group_commit::GroupCommit;
use super::lids::LidCache;
use super::marks::PendingMarks;
use super::send_round::RoundJob;
use super::Clock;
use crate::error::Result;
use crate::fanout::{GroupFanout, OwnIdentity};
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
    /// The LID <-> phone-number map in memory (the store keeps it).
    pub(super) lids: Mutex<LidCache>,
    /// Held from building a stanza until it is queued for the socket (never across the ack
    /// wait): ratchet steps and frames leave in call order. Shared so that the resend of
    /// pending outbox entries at start can hold it from a task.
    pub(super) order: Arc<tokio::sync::Mutex<()>>,
    /// Message ids of outbox entries sent by this session and not yet settled.
    in_flight: Mutex<HashSet<String>>,
    /// Woken whenever an in-flight entry settles (acked, refused, or given up).
    settled: tokio::sync::Notify,
    /// Direct sends waiting to be encrypted together (`send_round`).
    pub(super) rounds: GroupCommit<RoundJob>,
    /// Ack outcomes not yet in the outbox (they ride in the next round).
    pub(super) marks: PendingMarks,
    /// Devices we are known to have a Signal session with (so no store lookup is needed
    /// before a send to them); forgotten whenever an encryption fails.
    with_session: Mutex<HashSet<Jid>>,
    /// How long settled outbox entries are kept (seconds).
    retention: u64,
    /// When (clock seconds) the outbox is next pruned.
    next_prune: Mutex<u64>,
}

/// How often (clock seconds) settled outbox entries past the retention are deleted.
const PRUNE_INTERVAL: u64 = 60;

/// Marks a message id in flight until dropped (also when the sending call is cancelled).
#[derive(Debug)]
pub(super) struct InFlight {
    state: Arc<SendState>,
    id: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.state
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
        self.state.settled.notify_waiters();
    }
}

/// Device lists by account and group metadata by group, until invalidated (a differing
/// `phash` in an ack, or a refused send).
#[derive(Debug, Default)]
struct Cache {
    devices: HashMap<Jid, Vec<Jid>>,
    groups: HashMap<Jid, Arc<GroupInfo>>,
    /// Per group: its member devices, phash and our sender key's holders, kept between sends
    /// so a steady-state send does nothing per member device; dropped with the group's
    /// metadata, whenever any device list changes, and when sessions are forgotten.
    fanouts: HashMap<Jid, Arc<GroupFanout>>,
}

impl SendState {
    pub(super) fn new(
        store: StoreHandle,
        paired: &PairedDevice,
        clock: Arc<dyn Clock>,
        seed: u64,
        retention: std::time::Duration,
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
            lids: Mutex::new(LidCache::default()),
            order: Arc::new(tokio::sync::Mutex::new(())),
            in_flight: Mutex::new(HashSet::new()),
            settled: tokio::sync::Notify::new(),
            rounds: GroupCommit::default(),
            marks: PendingMarks::default(),
            with_session: Mutex::new(HashSet::new()),
            retention: retention.as_secs(),
            next_prune: Mutex::new(0),
        })
    }

    /// The cut-off (`created_at` before it) for pruning the outbox, when a prune is due.
    pub(super) fn prune_due(&self) -> Option<u64> {
        let now = self.clock.now();
        let mut next = self
            .next_prune
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if now < *next {
            return None;
        }
        *next = now.saturating_add(PRUNE_INTERVAL);
        Some(now.saturating_sub(self.retention))
    }

    /// Whether every one of `devices` is known to have a session.
    pub(super) fn have_sessions(&self, devices: &[Jid]) -> bool {
        let known = self
            .with_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        devices.iter().all(|device| known.contains(device))
    }

    /// Records that `devices` have sessions (after a committed encryption to them).
    pub(super) fn remember_sessions(&self, devices: impl IntoIterator<Item = Jid>) {
        self.with_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(devices);
    }

    /// Forgets which devices have sessions (the store is asked again).
    pub(super) fn forget_sessions(&self) {
        self.with_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Marks `id` in flight for as long as the returned guard lives.
    pub(super) fn in_flight(self: &Arc<Self>, id: &str) -> InFlight {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned());
        InFlight {
            state: Arc::clone(self),
            id: id.to_owned(),
        }
    }

    /// Whether this session is sending `id` now.
    pub(super) fn is_in_flight(&self, id: &str) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(id)
    }

    /// Resolves when some in-flight entry settles (register before checking the store).
    pub(super) fn settled(&self) -> tokio::sync::futures::Notified<'_> {
        self.settled.notified()
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

    pub(super) fn cached_group(&self, group: &Jid) -> Option<Arc<GroupInfo>> {
        self.cache().groups.get(group).cloned()
    }

    pub(super) fn cache_group(&self, group: Jid, info: Arc<GroupInfo>) {
        self.cache().groups.insert(group, info);
    }

    /// The group's kept fan-out, if nothing it depends on changed since it was built.
    pub(super) fn cached_fanout(&self, group: &Jid) -> Option<Arc<GroupFanout>> {
        self.cache().fanouts.get(group).cloned()
    }

    pub(super) fn cache_fanout(&self, group: Jid, fanout: Arc<GroupFanout>) {
        self.cache().fanouts.insert(group, fanout);
    }

    /// Forgets the device lists of `users` (and every group's kept fan-out: any of them may
    /// list those users' devices).
    pub(super) fn forget_devices(&self, users: &[Jid]) {
        let mut cache = self.cache();
        for user in users {
            cache.devices.remove(user);
        }
        cache.fanouts.clear();
    }

    /// Forgets a group's metadata, its kept fan-out and its members' device lists.
    pub(super) fn forget_group(&self, group: &Jid) {
        let mut cache = self.cache();
        cache.fanouts.remove(group);
        if let Some(info) = cache.groups.remove(group) {
            for member in &info.members {
                cache.devices.remove(&member.jid);
            }
        }
    }
}
