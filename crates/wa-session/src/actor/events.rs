//! What a session tells its owner.

use wa_binary::Jid;

use crate::receive::ReceiveEvent;

/// An event from a running session, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Logged in (after every successful connect).
    Connected {
        /// Our device JID.
        jid: Jid,
        /// Our LID device JID, as the server gave it in `<success>`.
        lid: Option<Jid>,
    },
    /// One-time prekeys were uploaded after login.
    PreKeysUploaded {
        /// How many.
        count: u32,
    },
    /// The connection ended; the session reconnects on its own when `reconnecting`.
    Disconnected {
        /// Why, in words (no secrets, no message content).
        reason: String,
        /// Whether a reconnect follows.
        reconnecting: bool,
    },
    /// Another connection of this device took over (`<conflict type="replaced">`): the
    /// session stopped and does not reconnect.
    Replaced,
    /// A message, reaction or revoke arrived and was decrypted.
    Incoming(Box<ReceiveEvent>),
    /// The device was removed from the account (`<failure reason="401">` or `device_removed`):
    /// the session stopped; the credentials are no longer valid.
    LoggedOut,
}
