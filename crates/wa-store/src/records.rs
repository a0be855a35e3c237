//! How each record type becomes a BLOB: the protobuf encoding wa-signal gives it (the
//! `wa_proto` record messages), never JSON. Buffers holding private keys are zeroized.

use wa_signal::sender_key::SenderKeyRecord;
use wa_signal::{PreKeyRecord, SessionRecord, SignedPreKeyRecord};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// A record the store keeps as protobuf bytes.
pub(crate) trait Record: Sized + Clone {
    /// The column named in [`Error::Corrupt`] when a stored value does not decode.
    const WHAT: &'static str;
    fn to_blob(&self) -> Zeroizing<Vec<u8>>;
    fn from_blob(bytes: &[u8]) -> Result<Self>;
}

impl Record for SessionRecord {
    const WHAT: &'static str = "sessions.record";
    fn to_blob(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.serialize())
    }
    fn from_blob(bytes: &[u8]) -> Result<Self> {
        Self::deserialize(bytes).map_err(|_| Error::Corrupt(Self::WHAT))
    }
}

impl Record for SenderKeyRecord {
    const WHAT: &'static str = "sender_keys.record";
    fn to_blob(&self) -> Zeroizing<Vec<u8>> {
        self.encode()
    }
    fn from_blob(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes).map_err(|_| Error::Corrupt(Self::WHAT))
    }
}

impl Record for PreKeyRecord {
    const WHAT: &'static str = "prekeys.record";
    fn to_blob(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.serialize())
    }
    fn from_blob(bytes: &[u8]) -> Result<Self> {
        Self::deserialize(bytes).map_err(|_| Error::Corrupt(Self::WHAT))
    }
}

impl Record for SignedPreKeyRecord {
    const WHAT: &'static str = "signed_prekeys.record";
    fn to_blob(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.serialize())
    }
    fn from_blob(bytes: &[u8]) -> Result<Self> {
        Self::deserialize(bytes).map_err(|_| Error::Corrupt(Self::WHAT))
    }
}
