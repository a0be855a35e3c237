//! Our Signal store for the scenarios: the in-memory session, identity and prekey store with
//! an in-memory sender key store beside it (the fan-out's group path needs both).

use wa_signal::sender_key::{
    InMemorySenderKeyStore, SenderKeyName, SenderKeyRecord, SenderKeyStore,
};
use wa_signal::store::{
    Direction, IdentityKeyStore, InMemoryStore, PreKeyStore, SessionStore, SignedPreKeyStore,
};
use wa_signal::{
    Error, IdentityKey, IdentityKeyPair, PreKeyId, PreKeyRecord, ProtocolAddress, RegistrationId,
    SessionRecord, SignedPreKeyId, SignedPreKeyRecord,
};

/// [`InMemoryStore`] plus [`InMemorySenderKeyStore`], delegating every call.
#[derive(Debug)]
pub(crate) struct BenchStore {
    signal: InMemoryStore,
    sender_keys: InMemorySenderKeyStore,
}

impl BenchStore {
    pub(crate) fn new(identity: IdentityKeyPair, registration_id: RegistrationId) -> Self {
        Self {
            signal: InMemoryStore::new(identity, registration_id),
            sender_keys: InMemorySenderKeyStore::new(),
        }
    }
}

impl IdentityKeyStore for BenchStore {
    fn identity_key_pair(&self) -> Result<IdentityKeyPair, Error> {
        self.signal.identity_key_pair()
    }

    fn local_registration_id(&self) -> Result<RegistrationId, Error> {
        self.signal.local_registration_id()
    }

    fn save_identity(
        &mut self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<bool, Error> {
        self.signal.save_identity(address, identity)
    }

    fn is_trusted_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
        direction: Direction,
    ) -> Result<bool, Error> {
        self.signal
            .is_trusted_identity(address, identity, direction)
    }

    fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, Error> {
        self.signal.identity(address)
    }
}

impl PreKeyStore for BenchStore {
    fn load_pre_key(&self, id: PreKeyId) -> Result<Option<PreKeyRecord>, Error> {
        self.signal.load_pre_key(id)
    }

    fn store_pre_key(&mut self, record: &PreKeyRecord) -> Result<(), Error> {
        self.signal.store_pre_key(record)
    }

    fn remove_pre_key(&mut self, id: PreKeyId) -> Result<(), Error> {
        self.signal.remove_pre_key(id)
    }
}

impl SignedPreKeyStore for BenchStore {
    fn load_signed_pre_key(&self, id: SignedPreKeyId) -> Result<Option<SignedPreKeyRecord>, Error> {
        self.signal.load_signed_pre_key(id)
    }

    fn store_signed_pre_key(&mut self, record: &SignedPreKeyRecord) -> Result<(), Error> {
        self.signal.store_signed_pre_key(record)
    }
}

impl SessionStore for BenchStore {
    fn load_session(&self, address: &ProtocolAddress) -> Result<Option<SessionRecord>, Error> {
        self.signal.load_session(address)
    }

    fn store_session(
        &mut self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), Error> {
        self.signal.store_session(address, record)
    }
}

impl SenderKeyStore for BenchStore {
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
