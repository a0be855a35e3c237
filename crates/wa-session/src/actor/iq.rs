//! IQ bookkeeping: request ids, and the answers callers wait for.

use std::collections::HashMap;

use tokio::sync::oneshot;
use wa_binary::Node;

/// What an IQ resolves to: the `<iq type="result">`, or the error code and text of
/// `<iq type="error">`.
pub(crate) type IqAnswer = Result<Node<'static>, (u16, String)>;

/// IQs sent and not yet answered, by id.
#[derive(Debug, Default)]
pub(crate) struct PendingIqs {
    prefix: String,
    next: u64,
    waiting: HashMap<String, oneshot::Sender<IqAnswer>>,
}

impl PendingIqs {
    /// Ids are `PREFIX-N`, the prefix drawn once per session.
    pub(crate) fn new(prefix: String) -> Self {
        Self {
            prefix,
            next: 0,
            waiting: HashMap::new(),
        }
    }

    /// A fresh id, and the receiver its answer will arrive on.
    pub(crate) fn register(&mut self) -> (String, oneshot::Receiver<IqAnswer>) {
        self.next += 1;
        let id = format!("{}-{}", self.prefix, self.next);
        let (tx, rx) = oneshot::channel();
        self.waiting.insert(id.clone(), tx);
        (id, rx)
    }

    /// Resolves the IQ this `<iq type="result|error">` answers. Returns false when nobody
    /// waits for it (unknown id, or the caller gave up).
    pub(crate) fn resolve(&mut self, reply: Node<'static>) -> bool {
        let Some(id) = reply.attr_str("id") else {
            return false;
        };
        let Some(waiter) = self.waiting.remove(id) else {
            return false;
        };
        let answer = if reply.attr_str("type") == Some("error") {
            let error = reply.child("error");
            let code = error
                .and_then(|e| e.attr_str("code"))
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let text = error
                .and_then(|e| e.attr_str("text"))
                .unwrap_or_default()
                .to_owned();
            Err((code, text))
        } else {
            Ok(reply)
        };
        waiter.send(answer).is_ok()
    }

    /// The connection is gone: every waiter is dropped (its caller sees `Disconnected`).
    pub(crate) fn clear(&mut self) {
        self.waiting.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn answers_reach_their_waiter_and_errors_carry_code_and_text() {
        let mut pending = PendingIqs::new("t".into());
        let (id1, mut rx1) = pending.register();
        let (id2, mut rx2) = pending.register();
        assert_ne!(id1, id2);
        assert!(pending.resolve(
            Node::new("iq")
                .with_attr("id", id2.clone())
                .with_attr("type", "error")
                .with_children(vec![Node::new("error")
                    .with_attr("code", "404")
                    .with_attr("text", "item-not-found")])
        ));
        assert_eq!(
            rx2.try_recv().unwrap(),
            Err((404, "item-not-found".to_owned()))
        );
        assert!(pending.resolve(
            Node::new("iq")
                .with_attr("id", id1)
                .with_attr("type", "result")
        ));
        assert!(rx1.try_recv().unwrap().is_ok());
        // Unknown ids and repeated answers resolve nothing.
        assert!(!pending.resolve(Node::new("iq").with_attr("id", id2)));
        let (_, rx3) = pending.register();
        pending.clear();
        drop(rx3);
    }
}
