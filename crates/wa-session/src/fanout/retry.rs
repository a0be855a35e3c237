//! Answering a retry receipt: the same message re-encrypted for the one device that could not
//! decrypt it, over a new session when the receipt brought keys, sent as whatsmeow resends it:
//! `<message to id type t [device_fanout="false"] [participant] [recipient] [edit]><enc v="2"
//! type count=N/>[<device-identity>]</message>`.

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_binary::{Jid, Node};
use wa_proto::e2e::{Message, SenderKeyDistributionMessage as SkdmProto};
use wa_signal::sender_key::{create_distribution_message, SenderKeyStore};
use wa_signal::store::{IdentityKeyStore, SessionStore};
use wa_signal::PreKeyBundle;
use zeroize::Zeroizing;

use super::attrs::{MessageId, StanzaAttrs};
use super::bundle::bundle_from_retry_receipt;
use super::direct::device_sent;
use super::group::own_sender_key_name;
use super::identity::{Addressing, OwnIdentity};
use super::pairwise::{seal_for_device, EncOptions};
use crate::error::{Error, Result};

/// A `<receipt type="retry">` as the server delivers it.
#[derive(Debug, Clone)]
pub struct RetryReceipt {
    from: Jid,
    participant: Option<Jid>,
    recipient: Option<Jid>,
    id: MessageId,
    count: u32,
    t: Option<String>,
    bundle: Option<PreKeyBundle>,
}

impl RetryReceipt {
    /// Reads `<receipt from [participant] [recipient] type="retry"><retry count id t v/>
    /// <registration/>[<keys>..</keys>]</receipt>`.
    ///
    /// # Errors
    /// [`Error::MalformedStanza`] for another stanza, a missing `from`, `<retry>`, id or count,
    /// a group receipt without `participant`, or malformed `<keys>`;
    /// [`Error::InvalidMessageId`].
    pub fn parse(receipt: &Node<'_>) -> Result<Self> {
        if receipt.tag() != "receipt" || receipt.attr_str("type") != Some("retry") {
            return Err(Error::MalformedStanza("not a retry receipt"));
        }
        let from = receipt
            .attr_jid("from")
            .ok_or(Error::MalformedStanza("retry receipt without from"))?;
        let participant = receipt.attr_jid("participant");
        if from.is_group() && participant.is_none() {
            return Err(Error::MalformedStanza("group retry without participant"));
        }
        let retry = receipt
            .child("retry")
            .ok_or(Error::MalformedStanza("retry receipt without <retry>"))?;
        let id = MessageId::parse(
            retry
                .attr_str("id")
                .or_else(|| receipt.attr_str("id"))
                .ok_or(Error::MalformedStanza("retry without id"))?,
        )?;
        let count = retry
            .attr_str("count")
            .and_then(|count| count.parse().ok())
            .ok_or(Error::MalformedStanza("retry without count"))?;
        Ok(Self {
            from,
            participant,
            recipient: receipt.attr_jid("recipient"),
            id,
            count,
            t: retry.attr_str("t").map(str::to_owned),
            bundle: bundle_from_retry_receipt(receipt)?,
        })
    }

    /// The device that asked: `participant` in groups, `from` otherwise.
    #[must_use]
    pub fn device(&self) -> &Jid {
        self.participant.as_ref().unwrap_or(&self.from)
    }

    /// The id of the message to resend.
    #[must_use]
    pub const fn id(&self) -> &MessageId {
        &self.id
    }

    /// How many times the device has asked.
    #[must_use]
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// Whether the message was a group message.
    #[must_use]
    pub fn is_group(&self) -> bool {
        self.from.is_group()
    }

    /// The keys the receipt carried for a new session, if any.
    #[must_use]
    pub const fn bundle(&self) -> Option<&PreKeyBundle> {
        self.bundle.as_ref()
    }

    /// The same receipt with a bundle the caller fetched (when it decides to start a new
    /// session although the receipt brought no keys).
    #[must_use]
    pub fn with_bundle(mut self, bundle: PreKeyBundle) -> Self {
        self.bundle = Some(bundle);
        self
    }
}

/// The message a retry receipt asks for again.
#[derive(Debug, Clone, Copy)]
pub struct RetryMessage<'a> {
    /// The chat it was sent to (the group, or the other user).
    pub chat: &'a Jid,
    /// The original content.
    pub message: &'a Message,
    /// The original stanza attributes (same id).
    pub attrs: &'a StanzaAttrs,
}

/// Re-encrypts `message` for the device that sent `receipt`: a new session from the
/// receipt's bundle when it has one, else the current session. Group messages go pairwise
/// with our sender key's distribution attached; our own devices get the DeviceSentMessage.
/// Persist `store` before sending the stanza.
///
/// # Errors
/// [`Error::MalformedStanza`] when the message's id is not the receipt's;
/// [`Error::Signal`] with [`wa_signal::Error::NoSession`] when there is neither a bundle nor a
/// session, and for other Signal and store failures; [`Error::NotADevice`] /
/// [`Error::WrongAddressing`] for a receipt from something other than a user device.
pub fn encrypt_retry<S, R>(
    store: &mut S,
    own: &OwnIdentity,
    receipt: &RetryReceipt,
    message: &RetryMessage<'_>,
    rng: &mut R,
) -> Result<Node<'static>>
where
    S: IdentityKeyStore + SessionStore + SenderKeyStore,
    R: RngCore + CryptoRng,
{
    if message.attrs.id() != receipt.id() {
        return Err(Error::MalformedStanza(
            "the retry receipt is for another message id",
        ));
    }
    let device = receipt.device();
    let form = Addressing::of(device).ok_or_else(|| Error::NotADevice(device.clone()))?;
    let chat = message.chat.to_non_ad();
    let content = if receipt.is_group() {
        let name = own_sender_key_name(own, &chat, form)?;
        let mut record = store.load_sender_key(&name)?.unwrap_or_default();
        let distribution = create_distribution_message(&mut record, rng);
        store.store_sender_key(&name, &record)?;
        Message {
            sender_key_distribution_message: Some(SkdmProto {
                group_id: Some(chat.to_string()),
                axolotl_sender_key_distribution_message: Some(distribution.serialized().to_vec()),
            }),
            ..message.message.clone()
        }
    } else if own.is_own_user(device) {
        device_sent(&chat, message.message)
    } else {
        message.message.clone()
    };
    let plaintext = Zeroizing::new(content.encode_to_vec());
    let options = EncOptions {
        hide_decrypt_failure: false,
        retry_count: Some(receipt.count()),
    };
    let sealed = seal_for_device(store, device, receipt.bundle(), &plaintext, options, rng)?
        .ok_or(wa_signal::Error::NoSession)?;

    let mut node = Node::new("message")
        .with_attr("to", receipt.from.clone())
        .with_attr("type", message.attrs.stanza_type().as_str())
        .with_attr("id", receipt.id().as_str().to_owned());
    if let Some(t) = &receipt.t {
        node = node.with_attr("t", t.clone());
    }
    if !receipt.is_group() {
        node = node.with_attr("device_fanout", "false");
    }
    if let Some(participant) = &receipt.participant {
        node = node.with_attr("participant", participant.clone());
    }
    if let Some(recipient) = &receipt.recipient {
        node = node.with_attr("recipient", recipient.clone());
    }
    if let Some(edit) = message.attrs.edit() {
        node = node.with_attr("edit", edit.as_str());
    }
    let mut children = vec![sealed.enc];
    if sealed.pre_key {
        children.push(own.device_identity_node());
    }
    Ok(node.with_children(children))
}
