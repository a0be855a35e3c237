//! Group fan-out: the content once under our sender key (`skmsg`), our sender key's
//! distribution message pairwise to the member devices that lack it, and the `phash`.

use std::collections::HashSet;

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_binary::{Jid, Node};
use wa_proto::e2e::{Message, SenderKeyDistributionMessage as SkdmProto};
use wa_signal::padding;
use wa_signal::sender_key::{
    create_distribution_message, group_encrypt, SenderKeyName, SenderKeyRecord, SenderKeyStore,
};
use wa_signal::store::{IdentityKeyStore, SessionStore};
use zeroize::Zeroizing;

use super::attrs::StanzaAttrs;
use super::direct::message_node;
use super::identity::{Addressing, OwnIdentity};
use super::pairwise::{seal_for_device, Bundles, EncOptions};
use super::phash::participant_hash;
use crate::error::{Error, Result};

/// A group message to send.
#[derive(Debug, Clone, Copy)]
pub struct GroupMessage<'a> {
    /// The group (`…@g.us`).
    pub group: &'a Jid,
    /// How the group addresses members (its `addressing_mode`).
    pub addressing: Addressing,
    /// Every member device (ours included), as usync listed them, in the group's form.
    pub devices: &'a [Jid],
    /// The content.
    pub message: &'a Message,
    /// The stanza attributes.
    pub attrs: &'a StanzaAttrs,
}

/// A group stanza ready to send, and the bookkeeping the caller keeps.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GroupEncrypted {
    /// The `<message>` node.
    pub stanza: Node<'static>,
    /// The participant hash it carries.
    pub phash: String,
    /// Devices that needed our sender key but had no session and no bundle: they cannot
    /// decrypt this message.
    pub skipped: Vec<Jid>,
    /// The devices this message gave our sender key (its distribution went to them
    /// pairwise). Add them to the set kept for the group ([`holders_after`](Self::holders_after)).
    pub new_holders: Vec<Jid>,
    /// Whether our sender key was new: every device got it, and the holders of the previous
    /// key no longer count.
    pub key_is_new: bool,
}

impl GroupEncrypted {
    /// The set of devices holding our current sender key after this message, given the set
    /// passed to [`encrypt_group`]. (Senders that keep the set in a store only need
    /// [`new_holders`](Self::new_holders).)
    #[must_use]
    pub fn holders_after(&self, before: &HashSet<Jid>) -> HashSet<Jid> {
        let mut holders = if self.key_is_new {
            HashSet::new()
        } else {
            before.clone()
        };
        holders.extend(self.new_holders.iter().cloned());
        holders
    }
}

/// The sender key store key of our own sender key in `group`: the group and this device, in
/// the group's addressing form.
///
/// # Errors
/// [`Error::WrongAddressing`] for a LID group when our LID is not known.
pub fn own_sender_key_name(
    own: &OwnIdentity,
    group: &Jid,
    addressing: Addressing,
) -> Result<SenderKeyName> {
    Ok(SenderKeyName::new(
        &group.to_non_ad().to_string(),
        own.signal_address(addressing)?,
    )?)
}

/// Encrypts `message` for a group and builds `<message id to type [edit] phash
/// [addressing_mode="lid"]>[<participants>..SKDM per device..</participants>]
/// [<device-identity>]<enc v="2" type="skmsg"/></message>`.
///
/// Our sender key for the group is created when the store has none. `has_sender_key` is the
/// set of devices that already got it (returned by the previous send); when the key is new it
/// is ignored and every device gets the distribution message. Sessions and the sender key are
/// written to `store` before this returns: persist it before sending.
///
/// # Errors
/// [`Error::NotADevice`] for a group JID that is not a group; [`Error::WrongAddressing`] for a
/// device not in the group's form; [`Error::Signal`] for Signal and store failures.
pub fn encrypt_group<S, R>(
    store: &mut S,
    own: &OwnIdentity,
    message: &GroupMessage<'_>,
    bundles: &Bundles,
    has_sender_key: &HashSet<Jid>,
    rng: &mut R,
) -> Result<GroupEncrypted>
where
    S: IdentityKeyStore + SessionStore + SenderKeyStore,
    R: RngCore + CryptoRng,
{
    let group = message.group.to_non_ad();
    if !group.is_group() {
        return Err(Error::NotADevice(group));
    }
    for device in message.devices {
        if Addressing::of(device) != Some(message.addressing) {
            return Err(Error::WrongAddressing(device.clone()));
        }
    }
    let name = own_sender_key_name(own, &group, message.addressing)?;
    let mut record = store.load_sender_key(&name)?.unwrap_or_default();
    let key_is_new = !has_own_key(&record);
    let distribution = create_distribution_message(&mut record, rng);

    let mut padded = Zeroizing::new(message.message.encode_to_vec());
    padding::pad(&mut padded, rng);
    let skmsg = group_encrypt(&mut record, &padded, rng)?;
    store.store_sender_key(&name, &record)?;

    let skdm = Zeroizing::new(
        Message {
            sender_key_distribution_message: Some(SkdmProto {
                group_id: Some(group.to_string()),
                axolotl_sender_key_distribution_message: Some(distribution.serialized().to_vec()),
            }),
            ..Message::default()
        }
        .encode_to_vec(),
    );
    let options = EncOptions {
        hide_decrypt_failure: message.attrs.hides_decrypt_failure(),
        retry_count: None,
    };
    // Only this message's new holders are collected: the caller's set is never copied (a
    // large group's steady state sends no distribution at all).
    let mut new_holders: Vec<Jid> = Vec::new();
    let mut given: HashSet<&Jid> = HashSet::new();
    let mut participants = Vec::new();
    let mut skipped = Vec::new();
    let mut any_pre_key = false;
    for device in message.devices {
        if own.is_this_device(device)
            || (!key_is_new && has_sender_key.contains(device))
            || given.contains(device)
        {
            continue;
        }
        match seal_for_device(store, device, bundles.get(device), &skdm, options, rng)? {
            Some(sealed) => {
                any_pre_key |= sealed.pre_key;
                given.insert(device);
                new_holders.push(device.clone());
                participants.push(
                    Node::new("to")
                        .with_attr("jid", device.clone())
                        .with_children(vec![sealed.enc]),
                );
            }
            None if !skipped.contains(device) => skipped.push(device.clone()),
            None => {}
        }
    }

    let phash = participant_hash(message.devices);
    let mut stanza = message_node(message.attrs, group).with_attr("phash", phash.clone());
    if message.addressing == Addressing::Lid {
        stanza = stanza.with_attr("addressing_mode", "lid");
    }
    let mut children = Vec::with_capacity(3);
    if !participants.is_empty() {
        children.push(Node::new("participants").with_children(participants));
    }
    if any_pre_key {
        children.push(own.device_identity_node());
    }
    children.push(
        Node::new("enc")
            .with_attr("v", "2")
            .with_attr("type", "skmsg")
            .with_bytes(skmsg.into_bytes()),
    );
    Ok(GroupEncrypted {
        stanza: stanza.with_children(children),
        phash,
        skipped,
        new_holders,
        key_is_new,
    })
}

/// Whether the record's newest state is a sender key of ours (it has the private signing key).
pub(super) fn has_own_key(record: &SenderKeyRecord) -> bool {
    record
        .latest_state()
        .is_some_and(|state| state.signing_private_key().is_some())
}
