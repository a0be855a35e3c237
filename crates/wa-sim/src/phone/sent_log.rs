//! The messages a phone sent recently, kept so it can answer retry receipts by re-encrypting
//! them for the device that asked.

use std::collections::{HashMap, VecDeque};

use wa_binary::Jid;

use super::content::Composed;

/// How many sent messages are kept (whatsmeow keeps 256 in memory).
const CAPACITY: usize = 512;

/// A message as it was sent: where to and what (before padding and encryption).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SentMessage {
    /// The chat it went to (a user or a group, no device part).
    pub(super) chat: Jid,
    /// The content and the stanza attributes it implies.
    pub(super) composed: Composed,
}

/// The last [`CAPACITY`] sent messages by id; the oldest is dropped first.
#[derive(Debug, Default)]
pub(super) struct SentLog {
    by_id: HashMap<String, SentMessage>,
    order: VecDeque<String>,
}

impl SentLog {
    /// Remembers a sent message, forgetting the oldest one when full.
    pub(super) fn insert(&mut self, id: String, message: SentMessage) {
        if self.by_id.insert(id.clone(), message).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.by_id.remove(&oldest);
            }
        }
    }

    /// The message sent with this id, if still kept.
    pub(super) fn get(&self, id: &str) -> Option<&SentMessage> {
        self.by_id.get(id)
    }
}
