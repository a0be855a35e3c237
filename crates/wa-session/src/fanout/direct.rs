//! One-to-one fan-out: the message to every device of the recipient, a DeviceSentMessage copy
//! to our own other devices, this device skipped (PROTOCOL.md section 5).

use std::collections::HashSet;

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_binary::{Jid, Node};
use wa_proto::e2e::{DeviceSentMessage, Message};
use wa_signal::store::{IdentityKeyStore, SessionStore};
use zeroize::Zeroizing;

use super::attrs::StanzaAttrs;
use super::identity::{Addressing, OwnIdentity};
use super::pairwise::{seal_for_device, Bundles, EncOptions};
use crate::error::{Error, Result};

/// A one-to-one message to send.
#[derive(Debug, Clone, Copy)]
pub struct DirectMessage<'a> {
    /// The other user (no device), by phone number or LID. Our sessions and the `<to>` JIDs
    /// use this form.
    pub chat: &'a Jid,
    /// The recipient's devices and ours, as usync listed them, in the chat's form. This device
    /// may be among them; it is skipped.
    pub devices: &'a [Jid],
    /// The content for the recipient; our own devices get it inside a DeviceSentMessage.
    pub message: &'a Message,
    /// The stanza attributes.
    pub attrs: &'a StanzaAttrs,
}

/// A stanza ready to send, and what went into it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Encrypted {
    /// The `<message>` node. One-to-one stanzas carry no `phash`; to compare an ack's `phash`
    /// with ours, use [`participant_hash`](super::participant_hash) of the listed devices.
    pub stanza: Node<'static>,
    /// Devices left out: no session and no bundle was given (e.g. the bundle fetch said 404).
    pub skipped: Vec<Jid>,
}

/// Encrypts `message` for every listed device and builds `<message id to type [edit]>
/// <participants><to jid><enc/></to>..</participants>[<device-identity>]</message>`.
///
/// Devices with a bundle in `bundles` get a new session (`pkmsg`, and the stanza carries our
/// `<device-identity>`); the others use their session (`msg`). Every touched session is
/// written to `store` before this returns, so persist the store before sending the stanza.
///
/// # Errors
/// [`Error::NotADevice`] / [`Error::WrongAddressing`] for a chat or device that is not a user
/// in the chat's form, or a device of a third account; [`Error::Signal`] for session and
/// store failures (an untrusted identity, a bundle with a bad signature, ...).
pub fn encrypt_direct<S, R>(
    store: &mut S,
    own: &OwnIdentity,
    message: &DirectMessage<'_>,
    bundles: &Bundles,
    rng: &mut R,
) -> Result<Encrypted>
where
    S: IdentityKeyStore + SessionStore,
    R: RngCore + CryptoRng,
{
    let chat = message.chat.to_non_ad();
    let form = Addressing::of(&chat).ok_or_else(|| Error::NotADevice(chat.clone()))?;
    for device in message.devices {
        check_device(own, &chat, form, device)?;
    }
    let for_them = Zeroizing::new(message.message.encode_to_vec());
    // Our other devices' copy, built only when one of them is listed.
    let mut for_us: Option<Zeroizing<Vec<u8>>> = None;
    let options = EncOptions {
        hide_decrypt_failure: message.attrs.hides_decrypt_failure(),
        retry_count: None,
    };

    let mut seen = HashSet::new();
    let mut participants = Vec::with_capacity(message.devices.len());
    let mut skipped = Vec::new();
    let mut any_pre_key = false;
    for device in message.devices {
        if own.is_this_device(device) || !seen.insert(device) {
            continue;
        }
        let plaintext: &[u8] = if own.is_own_user(device) {
            for_us.get_or_insert_with(|| {
                Zeroizing::new(device_sent(&chat, message.message).encode_to_vec())
            })
        } else {
            &for_them
        };
        let bundle = bundles.get(device);
        match seal_for_device(store, device, bundle, plaintext, options, rng)? {
            Some(sealed) => {
                any_pre_key |= sealed.pre_key;
                participants.push(
                    Node::new("to")
                        .with_attr("jid", device.clone())
                        .with_children(vec![sealed.enc]),
                );
            }
            None => skipped.push(device.clone()),
        }
    }

    let mut children = vec![Node::new("participants").with_children(participants)];
    if any_pre_key {
        children.push(own.device_identity_node());
    }
    let stanza = message_node(message.attrs, chat).with_children(children);
    Ok(Encrypted { stanza, skipped })
}

/// `<message id to type [edit]>` without children.
pub(super) fn message_node(attrs: &StanzaAttrs, to: Jid) -> Node<'static> {
    let mut node = Node::new("message")
        .with_attr("id", attrs.id().as_str().to_owned())
        .with_attr("to", to)
        .with_attr("type", attrs.stanza_type().as_str());
    if let Some(edit) = attrs.edit() {
        node = node.with_attr("edit", edit.as_str());
    }
    node
}

/// What our own other devices get: the message wrapped with its destination chat (and the
/// message's context info alongside, as whatsmeow sends it).
pub(super) fn device_sent(chat: &Jid, message: &Message) -> Message {
    Message {
        device_sent_message: Some(Box::new(DeviceSentMessage {
            destination_jid: Some(chat.to_string()),
            message: Some(Box::new(message.clone())),
            phash: None,
        })),
        message_context_info: message.message_context_info.clone(),
        ..Message::default()
    }
}

/// A listed device must be the recipient's or ours, in the chat's form.
fn check_device(own: &OwnIdentity, chat: &Jid, form: Addressing, device: &Jid) -> Result<()> {
    let device_form = Addressing::of(device).ok_or_else(|| Error::NotADevice(device.clone()))?;
    let recipients = device.user() == chat.user();
    if device_form != form || !(recipients || own.is_own_user(device)) {
        return Err(Error::WrongAddressing(device.clone()));
    }
    Ok(())
}
