//! The simulator's state and its Rust control API: its certificate root, its Noise static key
//! and chain, the seeded RNG, and the account registry.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore as _, SeedableRng as _};
use wa_binary::Jid;
use wa_noise::{CertChainBuilder, KeyPair, PrivateKey, PublicKey};

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::device_notify::{DeviceChange, DeviceWatchers};
use crate::error::Result;
use crate::faults::Faults;
use crate::groups::{AddressingMode, GroupInfo, Groups, NewGroup};
use crate::hub::Hub;
use crate::newsletters::Newsletters;
use crate::pairing::Pairings;
use crate::phones::Phones;
use crate::registry::{Account, DeviceInfo, DeviceRegistration, Registry};
use crate::routing::Ledger;

/// Mixed into the seed for the generator of handshake ephemerals.
const HANDSHAKE_SALT: u64 = 0x6e6f_6973_6531;
/// How long before "now" the certificates become valid (tolerates client clock skew).
const CERT_VALID_BEFORE_SECS: u64 = 24 * 60 * 60;
/// How long after "now" the certificates stay valid.
const CERT_VALID_AFTER_SECS: u64 = 365 * 24 * 60 * 60;

/// A local WhatsApp-compatible server. Cheap to clone (the state is shared); every clone and
/// every [`RunningSimulator`](crate::RunningSimulator) started from it see the same accounts.
#[derive(Clone)]
pub struct Simulator {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    root_public: PublicKey,
    pub(crate) server_static: KeyPair,
    pub(crate) cert_chain: Vec<u8>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Seeds of the Noise ephemeral keys, one per accepted connection, so that a recorded
    /// session against the simulator is reproducible (apart from the state's generator, so
    /// that connections do not shift the accounts' or groups' numbers).
    handshake_seeds: Mutex<ChaCha20Rng>,
    state: Mutex<State>,
}

pub(crate) struct State {
    pub(crate) rng: ChaCha20Rng,
    pub(crate) registry: Registry,
    pub(crate) groups: Groups,
    pub(crate) hub: Hub,
    pub(crate) ledger: Ledger,
    pub(crate) faults: Faults,
    pub(crate) pairing: Pairings,
    pub(crate) phones: Phones,
    pub(crate) watchers: DeviceWatchers,
    pub(crate) newsletters: Newsletters,
}

impl Simulator {
    /// A simulator whose keys, accounts and LIDs all derive from `seed`, on the system clock;
    /// its certificates are valid from a day before the current time to a year after it.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self::with_clock(seed, Arc::new(SystemClock))
    }

    /// As [`new`](Self::new), on a [`ManualClock`] stopped at `now` (unix seconds): every
    /// server timestamp is `now` until the clock is moved.
    #[must_use]
    pub fn with_time(seed: u64, now: u64) -> Self {
        Self::with_clock(seed, Arc::new(ManualClock::new(now)))
    }

    /// As [`new`](Self::new), with server timestamps (acks, messages, group creation) and the
    /// certificates' validity taken from `clock`.
    #[must_use]
    pub fn with_clock(seed: u64, clock: Arc<dyn Clock>) -> Self {
        let now = clock.now();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let root = PrivateKey::generate(&mut rng);
        let intermediate = KeyPair::generate(&mut rng);
        let server_static = KeyPair::generate(&mut rng);
        let cert_chain = CertChainBuilder::new(root.clone(), intermediate)
            .validity(
                now.saturating_sub(CERT_VALID_BEFORE_SECS),
                now.saturating_add(CERT_VALID_AFTER_SECS),
            )
            .build(server_static.public_key(), &mut rng);
        Self {
            shared: Arc::new(Shared {
                root_public: root.public_key(),
                server_static,
                cert_chain,
                clock,
                handshake_seeds: Mutex::new(ChaCha20Rng::seed_from_u64(seed ^ HANDSHAKE_SALT)),
                state: Mutex::new(State {
                    rng,
                    registry: Registry::default(),
                    groups: Groups::default(),
                    hub: Hub::default(),
                    ledger: Ledger::default(),
                    faults: Faults::default(),
                    phones: Phones::default(),
                    pairing: Pairings::default(),
                    watchers: DeviceWatchers::default(),
                    newsletters: Newsletters::default(),
                }),
            }),
        }
    }

    /// The root public key clients must trust (`CertVerifier::new(sim.root_public_key())`).
    #[must_use]
    pub fn root_public_key(&self) -> PublicKey {
        self.shared.root_public
    }

    /// The server's Noise static public key (certified by the chain's leaf).
    #[must_use]
    pub fn server_static_public_key(&self) -> PublicKey {
        *self.shared.server_static.public_key()
    }

    /// Creates an account with `phone` (5 to 15 digits), or a random unused number.
    ///
    /// # Errors
    /// [`Error::InvalidPhone`](crate::Error::InvalidPhone),
    /// [`Error::PhoneTaken`](crate::Error::PhoneTaken).
    pub fn create_account(&self, phone: Option<&str>) -> Result<Account> {
        let now = self.shared.clock.now();
        self.shared.lock().new_account(phone, now)
    }

    /// Registers a companion device (already paired) on `account` (its PN or LID JID) and
    /// returns it; it gets the lowest free device id from 1 and an account-signed identity
    /// ([`device_identity`](Self::device_identity)).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`](crate::Error::UnknownAccount),
    /// [`Error::TooManyDevices`](crate::Error::TooManyDevices),
    /// [`Error::Registration`](crate::Error::Registration) for a bad signed prekey.
    pub fn register_device(
        &self,
        account: &Jid,
        registration: DeviceRegistration,
    ) -> Result<DeviceInfo> {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        let info = crate::pairing::register_signed_device(&mut state, account, registration, now)?;
        let owner = state.registry.account(account)?;
        state.notify_device_change(&owner, info.jid.device(), DeviceChange::Added, now);
        Ok(info)
    }

    /// Removes a device (PN or LID device JID): its next login fails with reason 401.
    /// Connections it already has stay open (the stream error for them is a later step).
    /// Devices that asked for the account's device list get a `devices` notification (as
    /// they do when [`register_device`](Self::register_device) adds one).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`](crate::Error::UnknownAccount),
    /// [`Error::UnknownDevice`](crate::Error::UnknownDevice).
    pub fn remove_device(&self, device: &Jid) -> Result<()> {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        state.registry.remove_device(device)?;
        let owner = state.registry.account(device)?;
        state.notify_device_change(&owner, device.device(), DeviceChange::Removed, now);
        Ok(())
    }

    /// What the server holds for a device (PN or LID device JID).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`](crate::Error::UnknownAccount),
    /// [`Error::UnknownDevice`](crate::Error::UnknownDevice).
    pub fn device(&self, device: &Jid) -> Result<DeviceInfo> {
        self.shared.lock().registry.device(device)
    }

    /// Creates a group named `subject` with `creator` as its superadmin and `participants` as
    /// members (all PN or LID JIDs of existing accounts; device parts, duplicates and the
    /// creator among the participants are ignored) and returns its JID, `120363` + 12 digits
    /// drawn from the seeded RNG `@g.us`. `addressing` decides how the metadata IQ lists
    /// members.
    ///
    /// # Errors
    /// [`Error::InvalidSubject`](crate::Error::InvalidSubject) for an empty subject,
    /// [`Error::UnknownAccount`](crate::Error::UnknownAccount) for an unknown creator,
    /// [`Error::UnknownParticipant`](crate::Error::UnknownParticipant) naming the first
    /// unknown participant.
    pub fn create_group(
        &self,
        subject: &str,
        creator: &Jid,
        participants: &[Jid],
        addressing: AddressingMode,
    ) -> Result<Jid> {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        let State {
            rng,
            registry,
            groups,
            ..
        } = &mut *state;
        let spec = NewGroup {
            subject,
            creator,
            participants,
            addressing,
        };
        groups.create(registry, rng, now, &spec)
    }

    /// What the server holds about a group, if it exists.
    #[must_use]
    pub fn group(&self, group: &Jid) -> Option<GroupInfo> {
        self.shared.lock().groups.get(group).cloned()
    }

    /// Makes a member (PN or LID JID) an admin, or a plain member again. `admin == false`
    /// also demotes a superadmin; promoting a superadmin leaves it superadmin.
    ///
    /// # Errors
    /// [`Error::UnknownGroup`](crate::Error::UnknownGroup),
    /// [`Error::NotInGroup`](crate::Error::NotInGroup).
    pub fn set_admin(&self, group: &Jid, participant: &Jid, admin: bool) -> Result<()> {
        self.shared
            .lock()
            .groups
            .set_admin(group, participant, admin)
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("root_public_key", &self.shared.root_public)
            .finish_non_exhaustive()
    }
}

impl State {
    /// Creates an account and its simulated primary phone (device 0).
    pub(crate) fn new_account(&mut self, phone: Option<&str>, now: u64) -> Result<Account> {
        let account = self.registry.create_account(phone, &mut self.rng)?;
        self.create_phone(&account.jid, &account.lid, now)?;
        Ok(account)
    }
}

impl Shared {
    /// The state lock. It is never held across an await, and the state stays consistent even
    /// if a holder panicked (every mutation validates first), so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ephemeral seed for the next accepted connection's handshake.
    pub(crate) fn next_handshake_seed(&self) -> [u8; 32] {
        let mut seed = [0; 32];
        self.handshake_seeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .fill_bytes(&mut seed);
        seed
    }
}

/// The system clock in unix seconds (0 if it is before 1970).
#[must_use]
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
