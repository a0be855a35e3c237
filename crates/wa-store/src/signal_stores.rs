//! wa-signal's store traits over the SQLite store: [`DeviceStore`] (one device's view, each
//! write its own transaction) and [`SendBatch`] (working copies, committed together).
//!
//! Identity trust: WhatsApp clients accept a changed identity key and tell the user, so
//! `is_trusted_identity` is always true here; `save_identity` reports the change.

use wa_signal::sender_key::{SenderKeyName, SenderKeyRecord, SenderKeyStore};
use wa_signal::store::{Direction, IdentityKeyStore, PreKeyStore, SessionStore, SignedPreKeyStore};
use wa_signal::{
    IdentityKey, IdentityKeyPair, PreKeyId, PreKeyRecord, ProtocolAddress, RegistrationId,
    SessionRecord, SignedPreKeyId, SignedPreKeyRecord,
};

use crate::ids::DeviceId;
use crate::{Error, Result, SendBatch, Store};

impl From<Error> for wa_signal::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Signal(inner) => inner,
            Error::Corrupt(what) => Self::InvalidRecord(what),
            other => Self::Store(other.to_string()),
        }
    }
}

impl Store {
    /// Our identity key pair and registration id for `device` (cached after the first read).
    ///
    /// # Errors
    /// [`Error::UnknownDevice`], SQLite errors.
    pub fn local_identity(&self, device: DeviceId) -> Result<(IdentityKeyPair, RegistrationId)> {
        if let Some(hit) = self.identity_cache.borrow().get(&device) {
            return Ok(hit.clone());
        }
        let dev = self.device(device)?.ok_or(Error::UnknownDevice)?;
        let value = (dev.identity_key, dev.registration_id);
        self.identity_cache
            .borrow_mut()
            .insert(device, value.clone());
        Ok(value)
    }

    /// One device's view of the store, implementing every wa-signal store trait. Each write
    /// is its own transaction: for the receive path and session setup, not for sending.
    ///
    /// # Errors
    /// [`Error::UnknownDevice`], SQLite errors.
    pub fn device_store(&mut self, device: DeviceId) -> Result<DeviceStore<'_>> {
        self.require_device(device)?;
        Ok(DeviceStore {
            store: self,
            device,
        })
    }
}

/// One device's view of a [`Store`], implementing wa-signal's store traits.
#[derive(Debug)]
pub struct DeviceStore<'s> {
    store: &'s mut Store,
    device: DeviceId,
}

impl DeviceStore<'_> {
    /// The device this view belongs to.
    #[must_use]
    pub const fn device(&self) -> DeviceId {
        self.device
    }
}

impl IdentityKeyStore for DeviceStore<'_> {
    fn identity_key_pair(&self) -> Result<IdentityKeyPair, wa_signal::Error> {
        Ok(self.store.local_identity(self.device)?.0)
    }

    fn local_registration_id(&self) -> Result<RegistrationId, wa_signal::Error> {
        Ok(self.store.local_identity(self.device)?.1)
    }

    fn save_identity(
        &mut self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<bool, wa_signal::Error> {
        Ok(self.store.save_identity(self.device, address, identity)?)
    }

    fn is_trusted_identity(
        &self,
        _address: &ProtocolAddress,
        _identity: &IdentityKey,
        _direction: Direction,
    ) -> Result<bool, wa_signal::Error> {
        Ok(true)
    }

    fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, wa_signal::Error> {
        Ok(self.store.identity(self.device, address)?)
    }
}

impl PreKeyStore for DeviceStore<'_> {
    fn load_pre_key(&self, id: PreKeyId) -> Result<Option<PreKeyRecord>, wa_signal::Error> {
        Ok(self.store.prekey(self.device, id)?)
    }

    fn store_pre_key(&mut self, record: &PreKeyRecord) -> Result<(), wa_signal::Error> {
        Ok(self.store.put_prekey(self.device, record)?)
    }

    fn remove_pre_key(&mut self, id: PreKeyId) -> Result<(), wa_signal::Error> {
        self.store.remove_prekey(self.device, id)?;
        Ok(())
    }
}

impl SignedPreKeyStore for DeviceStore<'_> {
    fn load_signed_pre_key(
        &self,
        id: SignedPreKeyId,
    ) -> Result<Option<SignedPreKeyRecord>, wa_signal::Error> {
        Ok(self.store.signed_prekey(self.device, id)?)
    }

    fn store_signed_pre_key(
        &mut self,
        record: &SignedPreKeyRecord,
    ) -> Result<(), wa_signal::Error> {
        Ok(self.store.put_signed_prekey(self.device, record)?)
    }
}

impl SessionStore for DeviceStore<'_> {
    fn load_session(
        &self,
        address: &ProtocolAddress,
    ) -> Result<Option<SessionRecord>, wa_signal::Error> {
        Ok(self.store.session(self.device, address)?)
    }

    fn store_session(
        &mut self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), wa_signal::Error> {
        Ok(self.store.put_session(self.device, address, record)?)
    }
}

impl SenderKeyStore for DeviceStore<'_> {
    fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, wa_signal::Error> {
        Ok(self.store.sender_key(self.device, name)?)
    }

    fn store_sender_key(
        &mut self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), wa_signal::Error> {
        Ok(self.store.put_sender_key(self.device, name, record)?)
    }
}

// The batch: loads see the working copies first, stores go into the working set and reach
// the file only in the batch's one transaction.

impl IdentityKeyStore for SendBatch<'_> {
    fn identity_key_pair(&self) -> Result<IdentityKeyPair, wa_signal::Error> {
        Ok(self.store_ref().local_identity(self.device())?.0)
    }

    fn local_registration_id(&self) -> Result<RegistrationId, wa_signal::Error> {
        Ok(self.store_ref().local_identity(self.device())?.1)
    }

    fn save_identity(
        &mut self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<bool, wa_signal::Error> {
        Ok(self.stage_identity(address, identity)?)
    }

    fn is_trusted_identity(
        &self,
        _address: &ProtocolAddress,
        _identity: &IdentityKey,
        _direction: Direction,
    ) -> Result<bool, wa_signal::Error> {
        Ok(true)
    }

    fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, wa_signal::Error> {
        Ok(self.staged_identity(address)?)
    }
}

impl SessionStore for SendBatch<'_> {
    fn load_session(
        &self,
        address: &ProtocolAddress,
    ) -> Result<Option<SessionRecord>, wa_signal::Error> {
        Ok(self.peek_session(address)?)
    }

    fn store_session(
        &mut self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), wa_signal::Error> {
        self.set_session(address, record.clone());
        Ok(())
    }

    fn put_session(
        &mut self,
        address: &ProtocolAddress,
        record: SessionRecord,
    ) -> Result<(), wa_signal::Error> {
        self.set_session(address, record);
        Ok(())
    }
}

impl SenderKeyStore for SendBatch<'_> {
    fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, wa_signal::Error> {
        Ok(self.peek_sender_key(name)?)
    }

    fn store_sender_key(
        &mut self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), wa_signal::Error> {
        self.set_sender_key(name, record.clone());
        Ok(())
    }
}
