//! Who is online, and what waits for whom: one outbound channel per logged-in connection (its
//! writer task drains it), and per device a queue of stanzas it has not been sent yet (offline)
//! plus the messages it was sent but has not acknowledged (re-sent when it reconnects, as the
//! real server re-delivers until a receipt arrives).

use std::collections::{HashMap, VecDeque};

use tokio::sync::mpsc;
use wa_binary::Node;

use crate::registry::DeviceRef;

/// What a connection's writer task is told to do.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Write this stanza.
    Node(Node<'static>),
    /// Write this final stanza (if any) and close the connection.
    Close(Option<Node<'static>>),
}

/// The sending half of a connection's outbound channel.
pub(crate) type OutboundTx = mpsc::UnboundedSender<Outbound>;

/// A connection's identity in the hub (a device may reconnect while its old connection is
/// still being torn down; only the current one counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ConnectionId(u64);

#[derive(Debug)]
struct Link {
    id: ConnectionId,
    tx: OutboundTx,
}

/// A stanza waiting for a device, with the message id it must be acknowledged by (messages
/// only; receipts and notifications are fire-and-forget).
#[derive(Debug, Clone)]
struct Parcel {
    ack_id: Option<String>,
    node: Node<'static>,
}

#[derive(Debug, Default)]
struct Mailbox {
    /// Not sent yet (the device was offline).
    pending: VecDeque<Parcel>,
    /// Sent, waiting for the device's receipt or ack.
    unacknowledged: Vec<Parcel>,
}

/// The online registry and the per-device mailboxes.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    online: HashMap<DeviceRef, Link>,
    mailboxes: HashMap<DeviceRef, Mailbox>,
    next_connection: u64,
}

impl Hub {
    /// Makes `tx` the device's current connection and sends it everything waiting for it:
    /// first what it was sent before and never acknowledged, then what queued while it was
    /// away. A connection the device already had is told `replaced` (the stanza given) and
    /// closed, as the real server does when the same device logs in twice. Returns the
    /// connection's id and how many stanzas were waiting.
    pub(crate) fn attach(
        &mut self,
        device: &DeviceRef,
        tx: OutboundTx,
        replaced: Node<'static>,
    ) -> (ConnectionId, usize) {
        self.next_connection += 1;
        let id = ConnectionId(self.next_connection);
        if let Some(old) = self.online.remove(device) {
            // The old writer may be gone already; either way it is no longer this device's.
            let _ = old.tx.send(Outbound::Close(Some(replaced)));
        }
        let mailbox = self.mailboxes.entry(device.clone()).or_default();
        let mut waiting: Vec<Parcel> = mailbox.unacknowledged.drain(..).collect();
        waiting.extend(mailbox.pending.drain(..));
        let count = waiting.len();
        for parcel in waiting {
            if tx.send(Outbound::Node(parcel.node.clone())).is_ok() && parcel.ack_id.is_some() {
                mailbox.unacknowledged.push(parcel);
            }
        }
        self.online.insert(device.clone(), Link { id, tx });
        (id, count)
    }

    /// The connection `id` of `device` ended. What it was sent and never acknowledged is kept
    /// for its next connection. A connection that was already replaced changes nothing.
    pub(crate) fn detach(&mut self, device: &DeviceRef, id: ConnectionId) {
        if self.online.get(device).is_some_and(|link| link.id == id) {
            self.online.remove(device);
        }
    }

    /// Whether the device has a connection.
    pub(crate) fn is_online(&self, device: &DeviceRef) -> bool {
        self.online.contains_key(device)
    }

    /// Sends a stanza to a device now if it is online, else queues it. `ack_id` marks a message
    /// the device must acknowledge (by receipt or ack) before the server forgets it.
    pub(crate) fn deliver(
        &mut self,
        device: &DeviceRef,
        node: Node<'static>,
        ack_id: Option<String>,
    ) {
        let mailbox = self.mailboxes.entry(device.clone()).or_default();
        let parcel = Parcel { ack_id, node };
        match self.online.get(device) {
            Some(link) if link.tx.send(Outbound::Node(parcel.node.clone())).is_ok() => {
                if parcel.ack_id.is_some() {
                    mailbox.unacknowledged.push(parcel);
                }
            }
            _ => mailbox.pending.push_back(parcel),
        }
    }

    /// Takes everything waiting for a device (for a simulated device coming online, which
    /// processes it at once).
    pub(crate) fn take_waiting(&mut self, device: &DeviceRef) -> Vec<Node<'static>> {
        self.mailboxes
            .remove(device)
            .map_or_else(Vec::new, |mailbox| {
                mailbox
                    .unacknowledged
                    .into_iter()
                    .chain(mailbox.pending)
                    .map(|parcel| parcel.node)
                    .collect()
            })
    }

    /// The device acknowledged message `id`: it will not be re-sent.
    pub(crate) fn acknowledge(&mut self, device: &DeviceRef, id: &str) {
        if let Some(mailbox) = self.mailboxes.get_mut(device) {
            mailbox
                .unacknowledged
                .retain(|parcel| parcel.ack_id.as_deref() != Some(id));
        }
    }

    /// How many stanzas wait for a device (queued while offline, or sent and unacknowledged).
    pub(crate) fn waiting(&self, device: &DeviceRef) -> usize {
        self.mailboxes.get(device).map_or(0, |mailbox| {
            mailbox.pending.len() + mailbox.unacknowledged.len()
        })
    }

    /// Closes every connection (a restart); mailboxes are kept.
    pub(crate) fn close_all(&mut self) {
        for (_, link) in self.online.drain() {
            let _ = link.tx.send(Outbound::Close(None));
        }
    }

    /// Closes one device's connection, after `last` if given. Returns whether it was online.
    pub(crate) fn close(&mut self, device: &DeviceRef, last: Option<Node<'static>>) -> bool {
        match self.online.remove(device) {
            Some(link) => {
                let _ = link.tx.send(Outbound::Close(last));
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u16) -> DeviceRef {
        DeviceRef {
            phone: "15550001111".to_owned(),
            device: n,
        }
    }

    fn message(id: &str) -> Node<'static> {
        Node::new("message").with_attr("id", id.to_owned())
    }

    fn drain(rx: &mut mpsc::UnboundedReceiver<Outbound>) -> Vec<String> {
        let mut ids = Vec::new();
        while let Ok(outbound) = rx.try_recv() {
            match outbound {
                Outbound::Node(node) => ids.push(node.attr_str("id").unwrap_or("?").to_owned()),
                Outbound::Close(_) => ids.push("close".to_owned()),
            }
        }
        ids
    }

    #[test]
    fn offline_messages_arrive_in_order_on_attach() {
        let mut hub = Hub::default();
        hub.deliver(&device(1), message("a"), Some("a".into()));
        hub.deliver(&device(1), message("b"), Some("b".into()));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (_, waiting) = hub.attach(&device(1), tx, Node::new("stream:error"));
        assert_eq!(waiting, 2);
        assert_eq!(drain(&mut rx), ["a", "b"]);
        hub.deliver(&device(1), message("c"), Some("c".into()));
        assert_eq!(drain(&mut rx), ["c"]);
        assert_eq!(hub.waiting(&device(1)), 3);
    }

    #[test]
    fn unacknowledged_messages_are_resent_after_reconnect_acknowledged_ones_are_not() {
        let mut hub = Hub::default();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (first, _) = hub.attach(&device(1), tx, Node::new("stream:error"));
        hub.deliver(&device(1), message("a"), Some("a".into()));
        hub.deliver(&device(1), message("b"), Some("b".into()));
        hub.deliver(&device(1), Node::new("receipt").with_attr("id", "r"), None);
        assert_eq!(drain(&mut rx), ["a", "b", "r"]);
        hub.acknowledge(&device(1), "a");
        hub.detach(&device(1), first);
        assert!(!hub.is_online(&device(1)));
        hub.deliver(&device(1), message("c"), Some("c".into()));
        let (tx, mut rx) = mpsc::unbounded_channel();
        hub.attach(&device(1), tx, Node::new("stream:error"));
        assert_eq!(drain(&mut rx), ["b", "c"]);
    }

    #[test]
    fn a_second_login_replaces_the_first_connection() {
        let mut hub = Hub::default();
        let (old_tx, mut old_rx) = mpsc::unbounded_channel();
        let (old, _) = hub.attach(&device(1), old_tx, Node::new("stream:error"));
        let (new_tx, mut new_rx) = mpsc::unbounded_channel();
        hub.attach(&device(1), new_tx, Node::new("stream:error"));
        assert_eq!(drain(&mut old_rx), ["close"]);
        // The old connection's teardown must not take the new one offline.
        hub.detach(&device(1), old);
        assert!(hub.is_online(&device(1)));
        hub.deliver(&device(1), message("x"), Some("x".into()));
        assert_eq!(drain(&mut new_rx), ["x"]);
    }

    #[test]
    fn close_all_keeps_mailboxes() {
        let mut hub = Hub::default();
        let (tx, mut rx) = mpsc::unbounded_channel();
        hub.attach(&device(2), tx, Node::new("stream:error"));
        hub.deliver(&device(2), message("m"), Some("m".into()));
        hub.close_all();
        assert_eq!(drain(&mut rx), ["m", "close"]);
        assert!(!hub.is_online(&device(2)));
        assert_eq!(hub.waiting(&device(2)), 1);
    }
}
