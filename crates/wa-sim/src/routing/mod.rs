//! Message routing (PROTOCOL.md section 5), sans-IO: a client-form stanza from a device in,
//! the server's answer to that device and the server-form stanzas for other devices out.
//!
//! * [`message`]: a `<message>` to a user fans out per `<to>` device (the recipient's devices
//!   and the sender's own other devices, which also get `recipient`); a `<message>` to a group
//!   goes to every member device with the sender-key `<enc type="skmsg">` and, where the
//!   sender included one, that device's pairwise `<enc>`. The sender gets `<ack class="message"
//!   t>` (with the server's `phash` when the sender's differs, or an `error` code). A message id
//!   reaches each device once; only retries (`<enc count>`) are delivered again.
//! * [`receipt`]: delivery, read and retry receipts go back to the device that sent the message.
//!
//! The [`Ledger`] remembers who sent which message id where.

mod address;
mod ledger;
pub(crate) mod message;
pub(crate) mod receipt;

pub(crate) use address::device_jid;
pub(crate) use ledger::Ledger;

use wa_binary::Node;

use crate::registry::DeviceRef;

/// A stanza for one device.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    /// The device it is for.
    pub(crate) to: DeviceRef,
    /// The server-form stanza.
    pub(crate) node: Node<'static>,
    /// For messages: the id the device must acknowledge (by receipt or ack) before the server
    /// stops re-sending it.
    pub(crate) ack_id: Option<String>,
}

/// What routing one client stanza produced.
#[derive(Debug, Default)]
pub(crate) struct Routed {
    /// The server's answer to the sender (an `<ack>`), if any.
    pub(crate) reply: Option<Node<'static>>,
    /// Stanzas for other devices.
    pub(crate) deliveries: Vec<Delivery>,
    /// Message ids the sender acknowledged by this stanza (its receipts and acks).
    pub(crate) acknowledged: Vec<String>,
}
