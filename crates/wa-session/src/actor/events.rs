//! What a session tells its owner.

use wa_binary::Jid;
use wa_store::DeviceId;

use super::pair::QrCode;
use crate::content::{MessageId, UnixMillis};
use crate::receive::{ReceiptKind, ReceiveEvent};

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
    /// An incoming message did not decrypt. Sent after the session answered it (with a
    /// retry receipt asking the sender to encrypt it again, while `retry_sent`); the resend,
    /// when it decrypts, comes as [`Event::Incoming`]. Holds no ciphertext and no keys.
    DecryptFailed {
        /// The chat, in our view.
        chat: Jid,
        /// The message's id.
        id: MessageId,
        /// The sending device.
        sender: Jid,
        /// Which retry this was for the message (1 for the first failure).
        retry_count: u32,
        /// Whether a retry receipt went out (false once the retries are used up: the
        /// message is lost).
        retry_sent: bool,
    },
    /// A peer (or one of our other devices) reports progress of messages we sent: delivered,
    /// read, played, ... Retry receipts are not reported: the session answers them by
    /// re-encrypting the message for the device that asked.
    Receipt {
        /// The chat the messages are in, in our view (group, other user, or the chat our own
        /// device's receipt names).
        chat: Jid,
        /// The messages the receipt covers (at least one).
        message_ids: Vec<MessageId>,
        /// The device that sent the receipt.
        from: Jid,
        /// How far the messages got.
        kind: ReceiptKind,
        /// The server's timestamp.
        time: UnixMillis,
    },
    /// The device was removed from the account (`<failure reason="401">` or `device_removed`):
    /// the session stopped; the credentials are no longer valid.
    LoggedOut,
    /// Pairing: show this QR code until the next one replaces it (see
    /// [`Session::pair`](super::Session::pair)).
    Qr {
        /// The text to render as a QR code (it holds the ADV secret: show it, never log it).
        code: QrCode,
    },
    /// Pairing: the phone scanned the code and the new device is in the store; the session
    /// logs in with it next.
    Paired {
        /// Our new device JID.
        jid: Jid,
        /// Our new LID device JID, when the server sent one.
        lid: Option<Jid>,
        /// The device's row in the store, for [`Session::start`](super::Session::start).
        device: DeviceId,
    },
    /// Pairing ended without a device (every QR code expired, the server or the phone
    /// refused, the connection dropped): nothing was kept in the store.
    PairingFailed {
        /// Why, in words (no secrets).
        reason: String,
    },
}
