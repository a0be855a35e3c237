//! What the receive path remembers between messages, owned by the caller: ids already
//! handled (duplicates), retry receipts sent per id, and the last reaction per target and
//! actor. Every part is bounded.

use wa_binary::Jid;

use super::bounded::BoundedMap;
use crate::content::MessageId;

/// Default number of handled message ids remembered.
pub const DEFAULT_SEEN_CAPACITY: usize = 4096;
/// Default number of message ids whose retry count is remembered.
pub const DEFAULT_RETRY_CAPACITY: usize = 1024;
/// Default number of (target, actor) reactions remembered.
pub const DEFAULT_REACTION_CAPACITY: usize = 4096;

/// Handled message ids: the chat, the sender's account and the id.
type SeenKey = (Jid, Jid, MessageId);
/// A reaction's identity: the chat, the target id and the reacting account.
type ReactionKey = (Jid, MessageId, Jid);

/// The receive path's memory. Keep one per logged-in device and pass it to every
/// [`handle_message`](super::handle_message) call.
///
/// ```
/// use wa_session::receive::ReceiveState;
/// let state = ReceiveState::new();
/// assert_eq!(state.remembered_messages(), 0);
/// let small = ReceiveState::with_capacities(16, 16, 16);
/// assert_eq!(small.remembered_messages(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct ReceiveState {
    seen: BoundedMap<SeenKey, ()>,
    retries: BoundedMap<MessageId, u32>,
    reactions: BoundedMap<ReactionKey, String>,
}

impl Default for ReceiveState {
    fn default() -> Self {
        Self::new()
    }
}

impl ReceiveState {
    /// A state with the default capacities.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacities(
            DEFAULT_SEEN_CAPACITY,
            DEFAULT_RETRY_CAPACITY,
            DEFAULT_REACTION_CAPACITY,
        )
    }

    /// A state remembering at most `seen` handled ids, `retries` retry counters and
    /// `reactions` last reactions (each at least 1).
    #[must_use]
    pub fn with_capacities(seen: usize, retries: usize, reactions: usize) -> Self {
        Self {
            seen: BoundedMap::new(seen),
            retries: BoundedMap::new(retries),
            reactions: BoundedMap::new(reactions),
        }
    }

    /// How many handled message ids are remembered.
    #[must_use]
    pub fn remembered_messages(&self) -> usize {
        self.seen.len()
    }

    pub(super) fn is_seen(&self, chat: &Jid, sender: &Jid, id: &MessageId) -> bool {
        self.seen
            .contains(&(chat.to_non_ad(), sender.to_non_ad(), id.clone()))
    }

    pub(super) fn mark_seen(&mut self, chat: &Jid, sender: &Jid, id: &MessageId) {
        self.seen
            .insert((chat.to_non_ad(), sender.to_non_ad(), id.clone()), ());
        self.retries.remove(id);
    }

    /// Counts one more retry receipt for `id`; `in_message` is the highest `count` on the
    /// stanza's `<enc>` (a resend after a restart carries the count forward).
    pub(super) fn next_retry(&mut self, id: &MessageId, in_message: u32) -> u32 {
        let mut count = self.retries.get(id).copied().unwrap_or(0).saturating_add(1);
        if count == 1 && in_message > 0 {
            count = in_message.saturating_add(1);
        }
        self.retries.insert(id.clone(), count);
        count
    }

    /// Records `actor`'s reaction on `target` in `chat` (`None`: removed) and returns the
    /// previous one.
    pub(super) fn swap_reaction(
        &mut self,
        chat: &Jid,
        target: &MessageId,
        actor: &Jid,
        emoji: Option<&str>,
    ) -> Option<String> {
        let key = (chat.to_non_ad(), target.clone(), actor.to_non_ad());
        match emoji {
            Some(emoji) => self.reactions.insert(key, emoji.to_owned()),
            None => self.reactions.remove(&key),
        }
    }
}
