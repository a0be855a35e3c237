//! Typed, synchronous store traits (implemented over SQLite by `wa-store`) and
//! [`InMemoryStore`] for tests.
//!
//! All methods return `Result<_, Error>`; a backend reports its own failures as
//! [`Error::Store`]. Records go in and out typed; their byte form for a BLOB column is
//! `serialize()` / `deserialize()` on each record type.
//!
//! Send path: encrypt a batch with [`crate::session::encrypt`] on records loaded with
//! [`SessionStore::load_session`], store every touched record (in one transaction), and only
//! then send the ciphertexts — so a crash never leaves a sent message whose chain step is lost.

use std::collections::HashMap;

use crate::{
    keys::{IdentityKey, IdentityKeyPair, PreKeyId, RegistrationId, SignedPreKeyId},
    prekey::{PreKeyRecord, SignedPreKeyRecord},
    sender_key::{InMemorySenderKeyStore, SenderKeyName, SenderKeyRecord, SenderKeyStore},
    session::SessionRecord,
    Error, ProtocolAddress,
};

/// Whether an identity is checked for sending to or receiving from its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// We are about to encrypt to it.
    Sending,
    /// We have received from it.
    Receiving,
}

/// Our identity and registration id, and the identities we know for remote addresses.
pub trait IdentityKeyStore {
    /// Our identity key pair.
    ///
    /// # Errors
    /// Backend failures.
    fn identity_key_pair(&self) -> Result<IdentityKeyPair, Error>;

    /// Our registration id.
    ///
    /// # Errors
    /// Backend failures.
    fn local_registration_id(&self) -> Result<RegistrationId, Error>;

    /// Records `identity` for `address`; returns true when it replaced a different one.
    ///
    /// # Errors
    /// Backend failures.
    fn save_identity(
        &mut self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<bool, Error>;

    /// Whether `identity` is acceptable for `address` (trust on first use in [`InMemoryStore`];
    /// WhatsApp clients generally accept changes and notify the user).
    ///
    /// # Errors
    /// Backend failures.
    fn is_trusted_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
        direction: Direction,
    ) -> Result<bool, Error>;

    /// The identity recorded for `address`, if any.
    ///
    /// # Errors
    /// Backend failures.
    fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, Error>;
}

/// Our one-time prekeys.
pub trait PreKeyStore {
    /// The prekey with this id, if we still have it.
    ///
    /// # Errors
    /// Backend failures.
    fn load_pre_key(&self, id: PreKeyId) -> Result<Option<PreKeyRecord>, Error>;

    /// Stores (or replaces) a prekey.
    ///
    /// # Errors
    /// Backend failures.
    fn store_pre_key(&mut self, record: &PreKeyRecord) -> Result<(), Error>;

    /// Removes a used prekey (no error if absent).
    ///
    /// # Errors
    /// Backend failures.
    fn remove_pre_key(&mut self, id: PreKeyId) -> Result<(), Error>;
}

/// Our signed prekeys.
pub trait SignedPreKeyStore {
    /// The signed prekey with this id, if we have it.
    ///
    /// # Errors
    /// Backend failures.
    fn load_signed_pre_key(&self, id: SignedPreKeyId) -> Result<Option<SignedPreKeyRecord>, Error>;

    /// Stores (or replaces) a signed prekey.
    ///
    /// # Errors
    /// Backend failures.
    fn store_signed_pre_key(&mut self, record: &SignedPreKeyRecord) -> Result<(), Error>;
}

/// Session records by remote address.
pub trait SessionStore {
    /// The record for `address`, if any.
    ///
    /// # Errors
    /// Backend failures, [`Error::InvalidRecord`] for a stored record that does not decode.
    fn load_session(&self, address: &ProtocolAddress) -> Result<Option<SessionRecord>, Error>;

    /// Stores (or replaces) the record for `address`.
    ///
    /// # Errors
    /// Backend failures.
    fn store_session(
        &mut self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), Error>;

    /// Stores (or replaces) the record for `address`, taking it by value: a backend that keeps
    /// records in memory overrides this to move it in instead of copying it. The send path
    /// stores every record it encrypts with through this.
    ///
    /// # Errors
    /// Backend failures.
    fn put_session(
        &mut self,
        address: &ProtocolAddress,
        record: SessionRecord,
    ) -> Result<(), Error> {
        self.store_session(address, &record)
    }

    /// Whether the record for `address` exists and has a current session (what
    /// [`crate::protocol::has_session`] asks). The default loads the record; a backend that
    /// can answer without copying it overrides this.
    ///
    /// # Errors
    /// As [`load_session`](Self::load_session).
    fn has_current_session(&self, address: &ProtocolAddress) -> Result<bool, Error> {
        Ok(self
            .load_session(address)?
            .as_ref()
            .and_then(SessionRecord::current)
            .is_some())
    }
}

/// Every store in memory (sender keys included), for tests and examples. Trust on first use.
#[derive(Debug)]
pub struct InMemoryStore {
    identity: IdentityKeyPair,
    registration_id: RegistrationId,
    identities: HashMap<ProtocolAddress, IdentityKey>,
    pre_keys: HashMap<PreKeyId, PreKeyRecord>,
    signed_pre_keys: HashMap<SignedPreKeyId, SignedPreKeyRecord>,
    sessions: HashMap<ProtocolAddress, SessionRecord>,
    sender_keys: InMemorySenderKeyStore,
}

impl InMemoryStore {
    /// An empty store for this identity.
    #[must_use]
    pub fn new(identity: IdentityKeyPair, registration_id: RegistrationId) -> Self {
        Self {
            identity,
            registration_id,
            identities: HashMap::new(),
            pre_keys: HashMap::new(),
            signed_pre_keys: HashMap::new(),
            sessions: HashMap::new(),
            sender_keys: InMemorySenderKeyStore::new(),
        }
    }
}

impl SenderKeyStore for InMemoryStore {
    fn load_sender_key(&self, name: &SenderKeyName) -> Result<Option<SenderKeyRecord>, Error> {
        self.sender_keys.load_sender_key(name)
    }

    fn store_sender_key(
        &mut self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), Error> {
        self.sender_keys.store_sender_key(name, record)
    }
}

impl IdentityKeyStore for InMemoryStore {
    fn identity_key_pair(&self) -> Result<IdentityKeyPair, Error> {
        Ok(self.identity.clone())
    }

    fn local_registration_id(&self) -> Result<RegistrationId, Error> {
        Ok(self.registration_id)
    }

    fn save_identity(
        &mut self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<bool, Error> {
        let previous = self.identities.insert(address.clone(), *identity);
        Ok(previous.is_some_and(|p| p != *identity))
    }

    fn is_trusted_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
        _direction: Direction,
    ) -> Result<bool, Error> {
        Ok(self
            .identities
            .get(address)
            .map_or(true, |known| known == identity))
    }

    fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, Error> {
        Ok(self.identities.get(address).copied())
    }
}

impl PreKeyStore for InMemoryStore {
    fn load_pre_key(&self, id: PreKeyId) -> Result<Option<PreKeyRecord>, Error> {
        Ok(self.pre_keys.get(&id).cloned())
    }

    fn store_pre_key(&mut self, record: &PreKeyRecord) -> Result<(), Error> {
        self.pre_keys.insert(record.id(), record.clone());
        Ok(())
    }

    fn remove_pre_key(&mut self, id: PreKeyId) -> Result<(), Error> {
        self.pre_keys.remove(&id);
        Ok(())
    }
}

impl SignedPreKeyStore for InMemoryStore {
    fn load_signed_pre_key(&self, id: SignedPreKeyId) -> Result<Option<SignedPreKeyRecord>, Error> {
        Ok(self.signed_pre_keys.get(&id).cloned())
    }

    fn store_signed_pre_key(&mut self, record: &SignedPreKeyRecord) -> Result<(), Error> {
        self.signed_pre_keys.insert(record.id(), record.clone());
        Ok(())
    }
}

impl SessionStore for InMemoryStore {
    fn load_session(&self, address: &ProtocolAddress) -> Result<Option<SessionRecord>, Error> {
        Ok(self.sessions.get(address).cloned())
    }

    fn store_session(
        &mut self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), Error> {
        self.sessions.insert(address.clone(), record.clone());
        Ok(())
    }

    fn put_session(
        &mut self,
        address: &ProtocolAddress,
        record: SessionRecord,
    ) -> Result<(), Error> {
        self.sessions.insert(address.clone(), record);
        Ok(())
    }

    fn has_current_session(&self, address: &ProtocolAddress) -> Result<bool, Error> {
        Ok(self
            .sessions
            .get(address)
            .and_then(SessionRecord::current)
            .is_some())
    }
}
