//! Receiving (PROTOCOL.md section 5, server form): a `<message>` with a pairwise `<enc>`
//! (`pkmsg`/`msg`) and, in groups, an `<enc type="skmsg">`. The phone decrypts, unwraps a
//! DeviceSentMessage from its own other devices, takes in sender key distributions, records the
//! content, and answers with a delivery receipt, or a retry receipt when decryption fails.

use wa_binary::{AttrValue, Jid, Node, Server};
use wa_proto::e2e::Message;
use wa_proto::prost::Message as _;
use wa_signal::sender_key::{
    group_decrypt, process_distribution_message, SenderKeyDistributionMessage, SenderKeyError,
    SenderKeyName, SenderKeyStore as _,
};
use wa_signal::{padding, protocol, CiphertextMessage, WireError};

use super::content::{self, classify};
use super::jids::{device_jid, protocol_address};
use super::received::Received;
use super::Phone;
use crate::error::{Error, Result};

/// A `<message>` stanza as the phone reads it, before decryption.
#[derive(Debug)]
pub(super) struct Incoming<'s> {
    /// The message id.
    pub(super) id: &'s str,
    /// The stanza's `from` (the sending device, or the group), echoed in receipts' `to`.
    pub(super) from: AttrValue<'static>,
    /// `participant`, in groups: the sending device.
    pub(super) participant: Option<AttrValue<'static>>,
    /// `recipient`, on messages from the account's own devices: the chat.
    pub(super) recipient: Option<AttrValue<'static>>,
    /// The raw `t` attribute, echoed in retry receipts.
    pub(super) t: Option<&'s str>,
    /// `t` as a number (the caller's `now` when absent or unreadable).
    pub(super) timestamp: u64,
    /// The group, the other user, or (from the account's own devices) the recipient.
    pub(super) chat: Jid,
    /// The sending device.
    pub(super) sender: Jid,
    /// Whether the sender is one of the account's own devices.
    pub(super) from_me: bool,
    /// The pairwise `<enc>`: its type (`pkmsg`/`msg`) and bytes.
    pairwise: Option<(&'s str, &'s [u8])>,
    /// The `<enc type="skmsg">` bytes.
    skmsg: Option<&'s [u8]>,
    /// The highest `count` on an `<enc>`: this stanza answers that many retry receipts.
    pub(super) retry_count: u32,
}

/// What decrypting a stanza gave.
struct Decrypted {
    /// The content (the group content for skmsg, the unwrapped message for a device-sent one).
    message: Message,
    /// The chat a device-sent message names (its destination).
    destination: Option<Jid>,
}

impl Phone {
    /// Takes a server-form `<message>` delivered to this phone and returns the receipts to send
    /// (client form): a delivery receipt after a successful decrypt (the content is recorded in
    /// [`received`](Self::received)), a retry receipt after a failed one (or none once a
    /// message has been retried five times), a delivery receipt without a new record for a
    /// duplicate delivery.
    ///
    /// # Errors
    /// [`Error::MalformedStanza`] for a stanza that is not a readable `<message>` for this
    /// phone (no id, no sender, no or unknown `<enc>`, ...); nothing is changed then.
    pub(crate) fn receive_message(
        &mut self,
        stanza: &Node<'_>,
        now: u64,
    ) -> Result<Vec<Node<'static>>> {
        let incoming = self.read_message(stanza, now)?;
        if self.behaviour.fail_next_decrypts > 0 {
            self.behaviour.fail_next_decrypts -= 1;
            return Ok(self.retry_receipt(&incoming).into_iter().collect());
        }
        match self.decrypt(&incoming) {
            Ok(decrypted) => {
                self.retries_sent.remove(incoming.id);
                self.record(&incoming, &decrypted);
                Ok(vec![delivery_receipt(&incoming)])
            }
            Err(error) if is_duplicate(&error) => Ok(vec![delivery_receipt(&incoming)]),
            Err(error) => {
                tracing::debug!(id = incoming.id, %error, "phone failed to decrypt a message");
                Ok(self.retry_receipt(&incoming).into_iter().collect())
            }
        }
    }

    fn read_message<'s>(&self, stanza: &'s Node<'_>, now: u64) -> Result<Incoming<'s>> {
        if stanza.tag() != "message" {
            return Err(Error::MalformedStanza("not a message"));
        }
        let id = stanza
            .attr_str("id")
            .filter(|id| !id.is_empty())
            .ok_or(Error::MalformedStanza("message without id"))?;
        let from_attr = stanza
            .attr("from")
            .ok_or(Error::MalformedStanza("message without from"))?;
        let from = from_attr
            .to_jid()
            .ok_or(Error::MalformedStanza("message from a non-JID"))?;
        let recipient = stanza.attr("recipient");
        let participant = stanza.attr("participant");
        let (chat, sender) = if from.is_group() {
            let sender = participant
                .and_then(AttrValue::to_jid)
                .ok_or(Error::MalformedStanza("group message without participant"))?;
            (from.to_non_ad(), sender)
        } else if self.is_own_user(&from) {
            let chat = recipient
                .and_then(AttrValue::to_jid)
                .map_or_else(|| from.to_non_ad(), |chat| chat.to_non_ad());
            (chat, from.clone())
        } else {
            (from.to_non_ad(), from.clone())
        };
        if !matches!(sender.server(), Server::User | Server::Lid) || sender.is_server() {
            return Err(Error::MalformedStanza("sender is not a user device"));
        }
        if self.is_this_device(&sender) {
            return Err(Error::MalformedStanza("message from this very device"));
        }

        let mut pairwise = None;
        let mut skmsg = None;
        let mut retry_count = 0;
        for enc in stanza.children_with_tag("enc") {
            let bytes = enc
                .bytes()
                .ok_or(Error::MalformedStanza("enc without bytes"))?;
            match enc.attr_str("type") {
                Some(kind @ ("pkmsg" | "msg")) if pairwise.is_none() => {
                    pairwise = Some((kind, bytes));
                }
                Some("skmsg") if skmsg.is_none() => skmsg = Some(bytes),
                _ => return Err(Error::MalformedStanza("unknown or repeated enc type")),
            }
            if let Some(count) = enc.attr_str("count").and_then(|c| c.parse::<u32>().ok()) {
                retry_count = retry_count.max(count);
            }
        }
        if pairwise.is_none() && skmsg.is_none() {
            return Err(Error::MalformedStanza("message without enc"));
        }
        if skmsg.is_some() && !from.is_group() {
            return Err(Error::MalformedStanza("sender-key message outside a group"));
        }
        let t = stanza.attr_str("t");
        Ok(Incoming {
            id,
            from: from_attr.clone().into_owned(),
            participant: participant.map(|p| p.clone().into_owned()),
            recipient: recipient.map(|r| r.clone().into_owned()),
            t,
            timestamp: t.and_then(|t| t.parse().ok()).unwrap_or(now),
            from_me: self.is_own_user(&sender),
            chat,
            sender,
            pairwise,
            skmsg,
            retry_count,
        })
    }

    /// Whether the sender key this phone holds for `sender` in `group` decrypts `skmsg`
    /// (tried on a copy: nothing changes).
    pub(crate) fn can_decrypt_group(&self, group: &Jid, sender: &Jid, skmsg: &[u8]) -> bool {
        let Ok(address) = protocol_address(sender) else {
            return false;
        };
        let Ok(name) = SenderKeyName::new(&group.to_non_ad().to_string(), address) else {
            return false;
        };
        match self.sender_keys.load_sender_key(&name) {
            Ok(Some(mut record)) => group_decrypt(&mut record, skmsg).is_ok(),
            _ => false,
        }
    }

    /// Decrypts the pairwise part (taking in a sender key it distributes) and the group part.
    /// Signal state changes only for the parts that decrypt.
    fn decrypt(&mut self, incoming: &Incoming<'_>) -> Result<Decrypted, wa_signal::Error> {
        let address =
            protocol_address(&incoming.sender).map_err(|_| wa_signal::Error::InvalidAddress)?;
        let mut decrypted = None;
        if let Some((kind, bytes)) = incoming.pairwise {
            let ciphertext = CiphertextMessage::parse(kind, bytes)?;
            let padded = protocol::decrypt(&mut self.store, &address, &ciphertext, &mut self.rng)?;
            let mut message = decode(padding::unpad(&padded)?)?;
            let mut destination = None;
            if incoming.from_me && !incoming.chat.is_group() {
                if let Some(sent) = message.device_sent_message.take() {
                    destination = sent
                        .destination_jid
                        .as_deref()
                        .and_then(|jid| Jid::parse(jid).ok());
                    message = sent.message.map(|inner| *inner).unwrap_or_default();
                }
            }
            if incoming.chat.is_group() {
                if let Some(distribution) = &message.sender_key_distribution_message {
                    let bytes = distribution
                        .axolotl_sender_key_distribution_message
                        .as_deref()
                        .unwrap_or_default();
                    let parsed = SenderKeyDistributionMessage::parse(bytes)?;
                    let name = SenderKeyName::new(&incoming.chat.to_string(), address.clone())?;
                    let mut record = self.sender_keys.load_sender_key(&name)?.unwrap_or_default();
                    process_distribution_message(&mut record, &parsed);
                    self.sender_keys.store_sender_key(&name, &record)?;
                }
            }
            decrypted = Some(Decrypted {
                message,
                destination,
            });
        }
        if let Some(bytes) = incoming.skmsg {
            let name = SenderKeyName::new(&incoming.chat.to_string(), address)?;
            let mut record = self
                .sender_keys
                .load_sender_key(&name)?
                .ok_or(SenderKeyError::NoSenderKey)?;
            let padded = group_decrypt(&mut record, bytes)?;
            let message = decode(padding::unpad(&padded)?)?;
            self.sender_keys.store_sender_key(&name, &record)?;
            decrypted = Some(Decrypted {
                message,
                destination: None,
            });
        }
        decrypted.ok_or(wa_signal::Error::NoSession)
    }

    /// Records what a decrypted message was, once per (author, id).
    fn record(&mut self, incoming: &Incoming<'_>, decrypted: &Decrypted) {
        let author = incoming.sender.to_non_ad();
        let Some(kind) = classify(&decrypted.message, &author) else {
            return;
        };
        let Ok(device) = device_jid(&self.pn, self.device) else {
            return;
        };
        if !self
            .recorded
            .insert((incoming.id.to_owned(), author.clone()))
        {
            return;
        }
        self.received.push(Received {
            device,
            sender: incoming.sender.clone(),
            id: incoming.id.to_owned(),
            from: author,
            chat: decrypted
                .destination
                .clone()
                .unwrap_or_else(|| incoming.chat.clone()),
            timestamp: incoming.timestamp,
            kind,
            target_chat: content::target_chat(&decrypted.message),
        });
    }
}

/// `<receipt id to=FROM [participant] [recipient] [type="sender"]/>`: `to`, `participant` and
/// `recipient` echo the message (whatsmeow's receipts do the same); `sender` marks a receipt
/// for a message from the account's own device.
fn delivery_receipt(incoming: &Incoming<'_>) -> Node<'static> {
    let mut node = receipt_base(incoming);
    if incoming.from_me {
        node = node.with_attr("type", "sender");
    }
    node
}

/// `<receipt id to [participant] [recipient]>` addressed back along the message's path.
pub(super) fn receipt_base(incoming: &Incoming<'_>) -> Node<'static> {
    let mut node = Node::new("receipt")
        .with_attr("id", incoming.id.to_owned())
        .with_attr("to", incoming.from.clone());
    if let Some(participant) = &incoming.participant {
        node = node.with_attr("participant", participant.clone());
    }
    if let Some(recipient) = &incoming.recipient {
        node = node.with_attr("recipient", recipient.clone());
    }
    node
}

fn decode(bytes: &[u8]) -> Result<Message, wa_signal::Error> {
    Message::decode(bytes).map_err(|_| WireError::Protobuf.into())
}

/// A message whose keys were already used: a redelivery, acknowledged without a retry.
fn is_duplicate(error: &wa_signal::Error) -> bool {
    matches!(
        error,
        wa_signal::Error::DuplicateMessage { .. }
            | wa_signal::Error::SenderKey(SenderKeyError::DuplicateMessage { .. })
    )
}
