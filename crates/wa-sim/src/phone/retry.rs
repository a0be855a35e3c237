//! Retry receipts both ways (PROTOCOL.md section 5; whatsmeow retry.go for the facts).
//!
//! Receiving side: after a failed decrypt the phone asks the sender to try again with
//! `<receipt type="retry"><retry count id t v="1"/><registration/>[<keys>]</receipt>`, with a
//! fresh one-time prekey and its signed prekey in `<keys>` from the second retry of a message
//! on, so that the sender can start a new session; it gives up at the fifth.
//!
//! Sending side: the phone re-encrypts the message it sent with that id for the one device
//! that asked (a new session from the `<keys>` when present; the group content goes pairwise
//! with the phone's sender key attached; its own devices get the device-sent wrapper) and
//! resends it as `<message to=FROM [participant] [recipient]><enc count=N/></message>`.

use wa_binary::{AttrValue, Jid, Node};
use wa_proto::e2e::Message;
use wa_proto::prost::Message as _;
use wa_signal::store::PreKeyStore as _;
use wa_signal::{PreKeyId, PreKeyRecord};

use super::bundle_node::{bundle_from_receipt, keys_node, registration_node};
use super::directory::Directory;
use super::receive::{receipt_base, Incoming};
use super::received::{ReceiptKind, SeenReceipt};
use super::send::{device_sent_message, enc_node};
use super::Phone;
use crate::error::{Error, Result};
use crate::registry::PreKeyPublic;

/// The retry receipt that gives up: the fifth is not sent (as whatsmeow).
const MAX_RETRY_RECEIPTS: u32 = 5;
/// From this retry on, the receipt carries keys for a new session.
const KEYS_FROM_RETRY: u32 = 2;
/// How many retry receipts for one message from one device are answered.
const MAX_RETRIES_ANSWERED: u32 = 10;

impl Phone {
    /// The retry receipt for a message that did not decrypt, or `None` when the phone gives
    /// up on it. Counts per message id; a resend's own `count` carries the count forward.
    pub(super) fn retry_receipt(&mut self, incoming: &Incoming<'_>) -> Option<Node<'static>> {
        let counter = self.retries_sent.entry(incoming.id.to_owned()).or_insert(0);
        *counter += 1;
        if *counter == 1 && incoming.retry_count > 0 {
            *counter = incoming.retry_count.saturating_add(1);
        }
        let count = *counter;
        if count >= MAX_RETRY_RECEIPTS {
            return None;
        }
        let mut retry = Node::new("retry")
            .with_attr("count", count.to_string())
            .with_attr("id", incoming.id.to_owned());
        if let Some(t) = incoming.t {
            retry = retry.with_attr("t", t.to_owned());
        }
        let mut children = vec![
            retry.with_attr("v", "1"),
            registration_node(self.registration_id),
        ];
        if count >= KEYS_FROM_RETRY {
            children.push(self.fresh_keys_node());
        }
        Some(
            receipt_base(incoming)
                .with_attr("type", "retry")
                .with_children(children),
        )
    }

    /// `<keys>` with a one-time prekey made for it (kept until a session uses it).
    fn fresh_keys_node(&mut self) -> Node<'static> {
        let id = PreKeyId(self.next_pre_key_id);
        self.next_pre_key_id = self.next_pre_key_id.saturating_add(1);
        let record = PreKeyRecord::generate(id, &mut self.rng);
        // The in-memory store cannot fail.
        let _ = self.store.store_pre_key(&record);
        let pre_key = PreKeyPublic {
            id,
            public_key: *record.key_pair().public_key(),
        };
        keys_node(
            &self.identity.identity_key(),
            &pre_key,
            &self.signed_pre_key_public(),
        )
    }

    /// Takes a server-form `<receipt>` delivered to this phone. Delivery, read and other
    /// receipts are noted in [`receipts`](Self::receipts); a retry receipt for a message the
    /// phone still remembers is answered with the resend stanza (client form).
    ///
    /// # Errors
    /// [`Error::MalformedStanza`] for an unreadable receipt (no id or sender, a retry without
    /// a readable `<retry>` or `<keys>`); [`Error::Signal`] / [`Error::UnknownDevice`] when
    /// the message cannot be re-encrypted for the device.
    pub(crate) fn receive_receipt(
        &mut self,
        dir: &mut dyn Directory,
        stanza: &Node<'_>,
        now: u64,
    ) -> Result<Vec<Node<'static>>> {
        if stanza.tag() != "receipt" {
            return Err(Error::MalformedStanza("not a receipt"));
        }
        let id = stanza
            .attr_str("id")
            .filter(|id| !id.is_empty())
            .ok_or(Error::MalformedStanza("receipt without id"))?;
        let from = stanza
            .attr_jid("from")
            .ok_or(Error::MalformedStanza("receipt without from"))?;
        let (chat, device) = if from.is_group() {
            let device = stanza
                .attr_jid("participant")
                .ok_or(Error::MalformedStanza("group receipt without participant"))?;
            (from.to_non_ad(), device)
        } else {
            let chat = stanza
                .attr_jid("recipient")
                .map_or_else(|| from.to_non_ad(), |chat| chat.to_non_ad());
            (chat, from)
        };
        let receipt_type = stanza.attr_str("type");
        if receipt_type == Some("retry") {
            return self.answer_retry(dir, stanza, &device, now);
        }
        let kind = ReceiptKind::from_type(receipt_type);
        let listed = stanza
            .child("list")
            .into_iter()
            .flat_map(|list| list.children_with_tag("item"))
            .filter_map(|item| item.attr_str("id"));
        for message_id in std::iter::once(id).chain(listed) {
            self.receipts.push(SeenReceipt {
                id: message_id.to_owned(),
                device: device.clone(),
                chat: chat.clone(),
                kind: kind.clone(),
            });
        }
        Ok(Vec::new())
    }

    /// Re-encrypts the message a retry receipt names for the device that sent the receipt.
    fn answer_retry(
        &mut self,
        dir: &mut dyn Directory,
        stanza: &Node<'_>,
        device: &Jid,
        now: u64,
    ) -> Result<Vec<Node<'static>>> {
        let retry = stanza
            .child("retry")
            .ok_or(Error::MalformedStanza("retry receipt without retry"))?;
        let message_id = retry
            .attr_str("id")
            .or_else(|| stanza.attr_str("id"))
            .unwrap_or_default();
        let count = retry
            .attr_str("count")
            .and_then(|count| count.parse::<u32>().ok())
            .filter(|count| *count > 0)
            .ok_or(Error::MalformedStanza("retry without a count"))?;
        let bundle = match stanza.child("keys") {
            Some(_) => Some(bundle_from_receipt(stanza)?),
            None => None,
        };
        let answered = self
            .retries_answered
            .entry((device.clone(), message_id.to_owned()))
            .or_insert(0);
        *answered += 1;
        if *answered > MAX_RETRIES_ANSWERED {
            return Ok(Vec::new());
        }
        let Some(sent) = self.sent.get(message_id).cloned() else {
            tracing::debug!(
                message_id,
                "retry receipt for a message the phone does not have"
            );
            return Ok(Vec::new());
        };

        let message = if sent.chat.is_group() {
            let own_user = self.own_user_like(device).clone();
            let distribution = self.current_distribution(&sent.chat, &own_user)?;
            Message {
                sender_key_distribution_message: Some(distribution),
                ..sent.composed.message.clone()
            }
        } else if self.is_own_user(device) {
            device_sent_message(&sent.chat, &sent.composed.message)
        } else {
            sent.composed.message.clone()
        };
        let encrypted = self.encrypt_for(dir, device, &message.encode_to_vec(), bundle)?;
        if sent.chat.is_group() {
            self.note_sender_key_holder(&sent.chat, device);
        }

        let to = stanza
            .attr("from")
            .cloned()
            .map_or_else(|| AttrValue::Jid(device.clone()), AttrValue::into_owned);
        let t = retry
            .attr_str("t")
            .map_or_else(|| now.to_string(), str::to_owned);
        let mut resend = Node::new("message")
            .with_attr("id", message_id.to_owned())
            .with_attr("to", to)
            .with_attr("type", sent.composed.stanza_type)
            .with_attr("t", t);
        for echoed in ["participant", "recipient"] {
            if let Some(value) = stanza.attr(echoed) {
                resend = resend.with_attr(echoed, value.clone().into_owned());
            }
        }
        if let Some(edit) = sent.composed.edit {
            resend = resend.with_attr("edit", edit);
        }
        if !sent.chat.is_group() {
            resend = resend.with_attr("device_fanout", "false");
        }
        let enc = enc_node(
            &encrypted,
            sent.composed.hide_decrypt_failure(),
            Some(count),
        );
        Ok(vec![resend.with_children(vec![enc])])
    }
}
