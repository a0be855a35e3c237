//! Answering `<receipt>`s in the actor: every receipt is acknowledged; a retry receipt for a
//! message in our outbox is answered by re-encrypting the stored message for the device that
//! asked (a new session from the receipt's keys when it brought some), committed in one store
//! batch before the resend leaves.

use prost::Message as _;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use wa_binary::{Jid, Node};
use wa_proto::e2e::Message;
use wa_store::OutboxMessageId;

use super::send_state::SendState;
use crate::error::Result;
use crate::fanout::{encrypt_retry, RetryMessage, RetryReceipt, StanzaAttrs};

/// `<ack class="receipt" id to [participant] [recipient] [type]>` for a received receipt.
fn receipt_ack(receipt: &Node<'_>) -> Node<'static> {
    let mut ack = Node::new("ack").with_attr("class", "receipt");
    for name in ["id", "participant", "recipient", "type"] {
        if let Some(value) = receipt.attr_str(name) {
            ack = ack.with_attr(name, value.to_owned());
        }
    }
    if let Some(from) = receipt.attr_jid("from") {
        ack = ack.with_attr("to", from);
    }
    ack
}

/// The stanzas that answer a `<receipt>`: its ack, then, for a retry receipt of a message we
/// still have, the resend. A receipt that cannot be answered (unknown id, no session and no
/// keys, a malformed receipt) is only acknowledged: the peer asks again, with keys.
pub(super) async fn answer_receipt(
    send: &SendState,
    receipt: Node<'static>,
    seed: u64,
) -> Vec<Node<'static>> {
    let mut replies = vec![receipt_ack(&receipt)];
    if receipt.attr_str("type") != Some("retry") {
        return replies;
    }
    match resend_for_retry(send, receipt, seed).await {
        Ok(Some(resend)) => replies.push(resend),
        Ok(None) => tracing::debug!("retry receipt for a message not in the outbox"),
        Err(error) => tracing::debug!(%error, "retry receipt not answered"),
    }
    replies
}

/// Re-encrypts the outbox message a retry receipt names for the device that sent it.
async fn resend_for_retry(
    send: &SendState,
    receipt: Node<'static>,
    seed: u64,
) -> Result<Option<Node<'static>>> {
    let receipt = RetryReceipt::parse(&receipt)?;
    let id = OutboxMessageId::new(receipt.id().as_str())?;
    let (device, own) = (send.device, send.own.clone());
    send.store
        .call(move |store| -> Result<Option<Node<'static>>> {
            let Some(entry) = store.outbox_by_message_id(device, &id)? else {
                return Ok(None);
            };
            let message = Message::decode(entry.message.as_slice())
                .map_err(|_| wa_store::Error::Corrupt("outbox message"))?;
            let chat: Jid = entry
                .chat
                .parse()
                .map_err(|_| wa_store::Error::Corrupt("outbox chat"))?;
            let attrs = StanzaAttrs::for_message(receipt.id().clone(), &message);
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            let committed = store.send_batch(device, |batch| {
                encrypt_retry(
                    batch,
                    &own,
                    &receipt,
                    &RetryMessage {
                        chat: &chat,
                        message: &message,
                        attrs: &attrs,
                    },
                    &mut rng,
                )
            })?;
            Ok(Some(committed.into_inner()))
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_acknowledged_with_its_routing_attributes() {
        #![allow(clippy::unwrap_used)]
        let from: Jid = "15550002222@s.whatsapp.net".parse().unwrap();
        let receipt = Node::new("receipt")
            .with_attr("id", "3EB0AA")
            .with_attr("from", from)
            .with_attr("type", "retry");
        let ack = receipt_ack(&receipt);
        assert_eq!(ack.attr_str("class"), Some("receipt"));
        assert_eq!(ack.attr_str("id"), Some("3EB0AA"));
        assert_eq!(ack.attr_str("type"), Some("retry"));
        assert_eq!(
            ack.attr_jid("to").map(|j| j.to_string()).as_deref(),
            Some("15550002222@s.whatsapp.net")
        );
        assert!(ack.attr_str("participant").is_none());
    }
}
