//! What the server remembers about each routed message: who sent it, in which chat, when, and
//! which devices it went to (so a resent id is not delivered twice, and receipts find their
//! way back to the sending device).

use std::collections::{BTreeSet, HashMap, VecDeque};

use wa_binary::Jid;

use crate::registry::DeviceRef;

/// How many messages the ledger remembers; the oldest are forgotten first.
const CAPACITY: usize = 100_000;

/// One routed message.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The device that sent it.
    pub(crate) sender: DeviceRef,
    /// The chat it was sent to (the stanza's `to`).
    pub(crate) chat: Jid,
    /// The server timestamp it was acked with.
    pub(crate) t: u64,
    /// The devices it was delivered to.
    pub(crate) delivered: BTreeSet<DeviceRef>,
    /// A group message's sender-key ciphertext (`<enc type="skmsg">`), for tests that check
    /// who could read it.
    pub(crate) skmsg: Option<Vec<u8>>,
}

/// Routed messages keyed by (sender's phone number, message id).
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    entries: HashMap<(String, String), Entry>,
    order: VecDeque<(String, String)>,
}

impl Ledger {
    /// The message `id` the account `phone` sent, if remembered.
    pub(crate) fn get(&self, phone: &str, id: &str) -> Option<&Entry> {
        self.entries.get(&(phone.to_owned(), id.to_owned()))
    }

    /// The entry for a message, created with `make` the first time.
    pub(crate) fn entry(
        &mut self,
        phone: &str,
        id: &str,
        make: impl FnOnce() -> Entry,
    ) -> &mut Entry {
        let key = (phone.to_owned(), id.to_owned());
        if !self.entries.contains_key(&key) {
            if self.order.len() >= CAPACITY {
                if let Some(oldest) = self.order.pop_front() {
                    self.entries.remove(&oldest);
                }
            }
            self.order.push_back(key.clone());
        }
        self.entries.entry(key).or_insert_with(make)
    }
}
