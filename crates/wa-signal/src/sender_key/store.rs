//! Where sender key records live between messages.

use std::collections::HashMap;

use super::{SenderKeyName, SenderKeyRecord};

/// Storage of sender key records, one per [`SenderKeyName`] (group + sending device). The
/// SQLite store implements it; [`InMemorySenderKeyStore`] serves tests.
///
/// The Signal core never calls it behind the caller's back: load a record, run
/// [`super::group_encrypt`] / [`super::group_decrypt`] / the builder on it, store it.
pub trait SenderKeyStore {
    /// The record for `name`, or `None` if there is none.
    ///
    /// # Errors
    /// Whatever the backend fails with, or a stored record that does not decode.
    fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, crate::Error>;

    /// Saves `record` as the record for `name`, replacing any previous one.
    ///
    /// # Errors
    /// Whatever the backend fails with.
    fn store_sender_key(
        &mut self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), crate::Error>;
}

/// A [`SenderKeyStore`] in a `HashMap`, for tests and tools.
#[derive(Debug, Default, Clone)]
pub struct InMemorySenderKeyStore {
    records: HashMap<SenderKeyName, SenderKeyRecord>,
}

impl InMemorySenderKeyStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl SenderKeyStore for InMemorySenderKeyStore {
    fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, crate::Error> {
        Ok(self.records.get(name).cloned())
    }

    fn store_sender_key(
        &mut self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), crate::Error> {
        self.records.insert(name.clone(), record.clone());
        Ok(())
    }
}
