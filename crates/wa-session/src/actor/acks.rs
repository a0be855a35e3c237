//! Message acks: the sends waiting for `<ack class="message" id>`, by message id.

use std::collections::HashMap;

use tokio::sync::oneshot;
use wa_binary::Node;

/// Messages written to the socket and not yet acknowledged.
#[derive(Debug, Default)]
pub(crate) struct PendingAcks {
    waiting: HashMap<String, oneshot::Sender<Node<'static>>>,
}

impl PendingAcks {
    /// Waits for the ack of message `id` (a second registration replaces the first).
    pub(crate) fn register(&mut self, id: String) -> oneshot::Receiver<Node<'static>> {
        let (tx, rx) = oneshot::channel();
        self.waiting.insert(id, tx);
        rx
    }

    /// Hands a message ack to its waiter. Returns false when nobody waits for it.
    pub(crate) fn resolve(&mut self, ack: Node<'static>) -> bool {
        let Some(waiter) = ack.attr_str("id").and_then(|id| self.waiting.remove(id)) else {
            return false;
        };
        waiter.send(ack).is_ok()
    }

    /// The connection is gone: every waiter is dropped (its sender may replay).
    pub(crate) fn clear(&mut self) {
        self.waiting.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_ack_reaches_its_waiter_once() {
        let mut acks = PendingAcks::default();
        let mut rx = acks.register("A1".into());
        let ack = Node::new("ack")
            .with_attr("class", "message")
            .with_attr("id", "A1");
        assert!(acks.resolve(ack.clone()));
        assert_eq!(rx.try_recv().unwrap().attr_str("id"), Some("A1"));
        assert!(!acks.resolve(ack));
        let rx2 = acks.register("A2".into());
        acks.clear();
        drop(rx2);
    }
}
