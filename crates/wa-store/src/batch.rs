//! The send path's one way to advance ratchets: [`Store::send_batch`].
//!
//! A batch hands out working copies of session and sender-key records; the caller encrypts a
//! batch of messages on them and returns the outbound frames. The store then writes every
//! touched record in ONE transaction (`synchronous=FULL`: durable when `COMMIT` returns) and
//! only then gives the frames back, wrapped in [`Committed`]. If encryption or the commit
//! fails, the working copies and the frames are dropped together and the cache is untouched,
//! so a chain index can only appear on the wire after the state past it is on disk.

use std::collections::BTreeMap;

use wa_signal::sender_key::{SenderKeyName, SenderKeyRecord};
use wa_signal::{IdentityKey, ProtocolAddress, SessionRecord};

use crate::ids::{DeviceId, GroupId};
use crate::outbox::{settle_one, write_outbox, NewOutboxEntry, OutboxMessageId, OutboxState};
use crate::store::{
    identity_in, write_identity, write_sender_key, write_sender_key_device, write_session,
};
use crate::{Error, Result, Store};

/// Outbound data (ciphertexts, frames) whose ratchet state is durably committed: the only
/// thing a sender may write to the socket. Obtained from [`Store::send_batch`] alone.
#[derive(Debug)]
#[must_use = "committed frames are meant to be sent"]
pub struct Committed<T>(T);

impl<T> Committed<T> {
    /// The frames, now safe to send.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// Borrows the frames.
    pub const fn get(&self) -> &T {
        &self.0
    }
}

/// Working copies of the records one batch advances. Created by [`Store::send_batch`].
#[derive(Debug)]
pub struct SendBatch<'s> {
    store: &'s mut Store,
    device: DeviceId,
    sessions: BTreeMap<ProtocolAddress, SessionRecord>,
    sender_keys: BTreeMap<SenderKeyName, SenderKeyRecord>,
    sender_key_devices: Vec<(GroupId, ProtocolAddress)>,
    identities: BTreeMap<ProtocolAddress, IdentityKey>,
    outbox: Vec<NewOutboxEntry>,
    settled: Vec<(OutboxMessageId, OutboxState)>,
}

impl SendBatch<'_> {
    /// The device this batch sends as.
    #[must_use]
    pub const fn device(&self) -> DeviceId {
        self.device
    }

    /// The working copy of the session with `address`, loaded on first use; `None` if there
    /// is no session (set one with [`SendBatch::set_session`] after X3DH).
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn session(&mut self, address: &ProtocolAddress) -> Result<Option<&mut SessionRecord>> {
        if !self.sessions.contains_key(address) {
            let Some(record) = self.store.session(self.device, address)? else {
                return Ok(None);
            };
            self.sessions.insert(address.clone(), record);
        }
        Ok(self.sessions.get_mut(address))
    }

    /// Puts a (new) session into the batch, e.g. one just set up from a prekey bundle.
    pub fn set_session(&mut self, address: &ProtocolAddress, record: SessionRecord) {
        self.sessions.insert(address.clone(), record);
    }

    /// The working copy of a sender key (ours, for group sends).
    ///
    /// # Errors
    /// SQLite errors, [`Error::Corrupt`].
    pub fn sender_key(&mut self, name: &SenderKeyName) -> Result<Option<&mut SenderKeyRecord>> {
        if !self.sender_keys.contains_key(name) {
            let Some(record) = self.store.sender_key(self.device, name)? else {
                return Ok(None);
            };
            self.sender_keys.insert(name.clone(), record);
        }
        Ok(self.sender_keys.get_mut(name))
    }

    /// Puts a (new) sender key into the batch.
    pub fn set_sender_key(&mut self, name: &SenderKeyName, record: SenderKeyRecord) {
        self.sender_keys.insert(name.clone(), record);
    }

    /// Records, in the same transaction, that `address` received our sender key for `group`
    /// in this batch.
    pub fn add_sender_key_device(&mut self, group: &GroupId, address: &ProtocolAddress) {
        self.sender_key_devices
            .push((group.clone(), address.clone()));
    }

    /// Records, in the same transaction, the outbox entry of the message this batch
    /// encrypts: the entry and the ratchet state it advanced are durable together, before any
    /// frame leaves. A key or message id already in the outbox fails the whole batch with
    /// [`Error::OutboxConflict`] (check with [`Store::outbox_by_key`] first).
    pub fn insert_outbox(&mut self, entry: NewOutboxEntry) {
        self.outbox.push(entry);
    }

    /// Settles, in the same transaction, outbox entries of earlier sends (as
    /// [`Store::outbox_settle_many`] does): their acks ride in this batch's commit instead of
    /// one of their own. An id that is not pending is left as it is.
    ///
    /// ```
    /// # use wa_curve25519::KeyPair;
    /// # use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId};
    /// use wa_store::{IdempotencyKey, NewOutboxEntry, OutboxMessageId, OutboxState, Store};
    /// # let mut store = Store::open_in_memory()?;
    /// # let device = store.create_device(&wa_store::NewDevice {
    /// #     noise_key: KeyPair::from_private_bytes([1; 32]),
    /// #     identity_key: IdentityKeyPair::generate(&mut rand_core::OsRng),
    /// #     registration_id: RegistrationId(42),
    /// #     signed_prekey_id: SignedPreKeyId(1),
    /// # })?;
    /// let entry = |key: &str, id: &str| -> wa_store::Result<NewOutboxEntry> {
    ///     Ok(NewOutboxEntry {
    ///         key: IdempotencyKey::new(key)?,
    ///         message_id: OutboxMessageId::new(id)?,
    ///         chat: "15550002222@s.whatsapp.net".into(),
    ///         message: vec![0x0a, 0x02, b'h', b'i'].into(),
    ///         created_at: 1_700_000_000,
    ///     })
    /// };
    /// store.outbox_insert(device, &entry("k1", "3EB0A1")?)?;
    /// // The next send's batch records the first one's ack in its own commit.
    /// let acked = OutboxState::Acked { server_timestamp: 7 };
    /// store.send_batch(device, |batch| {
    ///     batch.settle_outbox([(OutboxMessageId::new("3EB0A1")?, acked)]);
    ///     batch.insert_outbox(entry("k2", "3EB0A2")?);
    ///     Ok::<_, wa_store::Error>(())
    /// })?;
    /// assert_eq!(store.outbox_counts(device)?, (1, 1));
    /// # Ok::<(), wa_store::Error>(())
    /// ```
    pub fn settle_outbox(
        &mut self,
        outcomes: impl IntoIterator<Item = (OutboxMessageId, OutboxState)>,
    ) {
        self.settled.extend(outcomes);
    }

    pub(crate) const fn store_ref(&self) -> &Store {
        self.store
    }

    /// The session as the batch sees it (working copy, else cache/file), without staging it.
    pub(crate) fn peek_session(&self, address: &ProtocolAddress) -> Result<Option<SessionRecord>> {
        match self.sessions.get(address) {
            Some(r) => Ok(Some(r.clone())),
            None => self.store.session(self.device, address),
        }
    }

    /// The sender key as the batch sees it.
    pub(crate) fn peek_sender_key(&self, name: &SenderKeyName) -> Result<Option<SenderKeyRecord>> {
        match self.sender_keys.get(name) {
            Some(r) => Ok(Some(r.clone())),
            None => self.store.sender_key(self.device, name),
        }
    }

    /// Stages a remote identity; returns whether it differs from the one known before.
    pub(crate) fn stage_identity(
        &mut self,
        address: &ProtocolAddress,
        key: &IdentityKey,
    ) -> Result<bool> {
        let old = self.staged_identity(address)?;
        self.identities.insert(address.clone(), *key);
        Ok(old.is_some_and(|old| old != *key))
    }

    pub(crate) fn staged_identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>> {
        match self.identities.get(address) {
            Some(k) => Ok(Some(*k)),
            None => identity_in(&self.store.conn, self.device, address),
        }
    }

    /// How many records the batch will write.
    #[must_use]
    pub fn touched(&self) -> usize {
        self.sessions.len() + self.sender_keys.len()
    }

    fn commit(self) -> Result<()> {
        let Self {
            store,
            device,
            sessions,
            sender_keys,
            sender_key_devices,
            identities,
            outbox,
            settled,
        } = self;
        let outcome = (|| {
            let tx = store
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for (address, record) in &sessions {
                write_session(&tx, device, address, record)?;
            }
            for (name, record) in &sender_keys {
                write_sender_key(&tx, device, name, record)?;
            }
            for (address, key) in &identities {
                write_identity(&tx, device, address, key)?;
            }
            for (group, address) in &sender_key_devices {
                write_sender_key_device(&tx, device, group, address)?;
            }
            for entry in &outbox {
                write_outbox(&tx, device, entry)?;
            }
            for (id, state) in &settled {
                settle_one(&tx, device, id, *state)?;
            }
            tx.commit()?;
            Ok::<_, Error>(())
        })();
        match outcome {
            Ok(()) => {
                let cache = store.sessions_cache.get_mut();
                for (address, record) in sessions {
                    cache.insert((device, address), record);
                }
                let cache = store.sender_keys_cache.get_mut();
                for (name, record) in sender_keys {
                    cache.insert((device, name), record);
                }
                Ok(())
            }
            Err(e) => {
                // The cache still holds the pre-batch records, which equal the file's; the
                // working copies (and the caller's frames) are dropped.
                Err(e)
            }
        }
    }
}

impl Store {
    /// Runs one send batch: `encrypt` advances working copies of the records it needs (via
    /// the [`SendBatch`]) and returns the outbound frames; every touched record is then
    /// committed in one durable transaction, and only then are the frames returned, as
    /// [`Committed`]. On any error nothing is written and the frames are dropped.
    ///
    /// This is the only path the send loop should use: frames must not leave before this
    /// returns `Ok` (docs/store.md, "The invariant").
    ///
    /// # Errors
    /// `encrypt`'s error, or the commit's [`Error`] converted into `E`.
    pub fn send_batch<T, E: From<Error>>(
        &mut self,
        device: DeviceId,
        encrypt: impl FnOnce(&mut SendBatch<'_>) -> Result<T, E>,
    ) -> Result<Committed<T>, E> {
        self.require_device(device)?;
        let mut batch = SendBatch {
            store: self,
            device,
            sessions: BTreeMap::new(),
            sender_keys: BTreeMap::new(),
            sender_key_devices: Vec::new(),
            identities: BTreeMap::new(),
            outbox: Vec::new(),
            settled: Vec::new(),
        };
        let frames = encrypt(&mut batch)?;
        batch.commit()?;
        Ok(Committed(frames))
    }
}
