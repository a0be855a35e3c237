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
use super::recipients::GroupFanout;
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
    let group = checked_group(message.group)?;
    for device in message.devices {
        if Addressing::of(device) != Some(message.addressing) {
            return Err(Error::WrongAddressing(device.clone()));
        }
    }
    let key = OwnSenderKey::load(store, own, &group, message.addressing)?;
    let mut given: HashSet<&Jid> = HashSet::new();
    let lacking: Vec<&Jid> = message
        .devices
        .iter()
        .filter(|device| {
            !own.is_this_device(device)
                && (key.is_new || !has_sender_key.contains(*device))
                && given.insert(*device)
        })
        .collect();
    let phash = participant_hash(message.devices);
    key.seal(
        store,
        own,
        &group,
        message.addressing,
        Content {
            message: message.message,
            attrs: message.attrs,
            phash,
        },
        &lacking,
        bundles,
        rng,
    )
}

/// [`encrypt_group`] for a group whose devices, `phash` and sender key holders the caller keeps
/// in a [`GroupFanout`]: nothing is done per member device when every device holds our key.
/// Give the result to [`GroupFanout::record_sent`] once the store is persisted. The stanza is
/// the one [`encrypt_group`] builds from the same devices and holders.
///
/// ```
/// use rand_core::OsRng;
/// use wa_proto::e2e::Message;
/// use wa_session::fanout::{
///     encrypt_group_for, Addressing, Bundles, GroupFanout, MessageId, OwnIdentity, StanzaAttrs,
/// };
/// use wa_signal::{store::InMemoryStore, IdentityKeyPair, RegistrationId};
///
/// let mut store = InMemoryStore::new(IdentityKeyPair::generate(&mut OsRng), RegistrationId(1));
/// let own = OwnIdentity::new(&"15550001111@s.whatsapp.net".parse()?, None, 2, vec![])?;
/// let group: wa_binary::Jid = "120363000000000001@g.us".parse()?;
/// // Only our own device is listed: nobody needs the key, and it is created all the same.
/// let mut fanout = GroupFanout::new(&own, Addressing::Pn, vec!["15550001111:2@s.whatsapp.net".parse()?])?;
/// let text = Message { conversation: Some("hi".into()), ..Default::default() };
/// let attrs = StanzaAttrs::for_message(MessageId::parse("3EB0AA")?, &text);
/// let sent = encrypt_group_for(&mut store, &own, &group, &fanout, &text, &attrs, &Bundles::new(), &mut OsRng)?;
/// assert!(sent.key_is_new && sent.stanza.child("participants").is_none());
/// assert_eq!(sent.stanza.attr_str("phash"), Some(fanout.phash()));
/// fanout.record_sent(&sent);
/// assert!(fanout.all_hold());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`encrypt_group`].
#[allow(clippy::too_many_arguments)] // the same inputs as encrypt_group, without the devices
pub fn encrypt_group_for<S, R>(
    store: &mut S,
    own: &OwnIdentity,
    group: &Jid,
    fanout: &GroupFanout,
    message: &Message,
    attrs: &StanzaAttrs,
    bundles: &Bundles,
    rng: &mut R,
) -> Result<GroupEncrypted>
where
    S: IdentityKeyStore + SessionStore + SenderKeyStore,
    R: RngCore + CryptoRng,
{
    let group = checked_group(group)?;
    let key = OwnSenderKey::load(store, own, &group, fanout.addressing())?;
    let lacking: Vec<&Jid> = if key.is_new {
        fanout.others().iter().collect()
    } else if fanout.all_hold() {
        Vec::new()
    } else {
        fanout
            .others()
            .iter()
            .filter(|device| !fanout.holds(device))
            .collect()
    };
    key.seal(
        store,
        own,
        &group,
        fanout.addressing(),
        Content {
            message,
            attrs,
            phash: fanout.phash().to_owned(),
        },
        &lacking,
        bundles,
        rng,
    )
}

/// The group without a device part, refused when it is not a group.
fn checked_group(group: &Jid) -> Result<Jid> {
    let group = group.to_non_ad();
    if group.is_group() {
        Ok(group)
    } else {
        Err(Error::NotADevice(group))
    }
}

/// What goes under the sender key, and the stanza's `phash`.
struct Content<'a> {
    message: &'a Message,
    attrs: &'a StanzaAttrs,
    phash: String,
}

/// Our sender key record for a group, loaded (or new) before a send.
struct OwnSenderKey {
    name: SenderKeyName,
    record: SenderKeyRecord,
    /// Whether the store had no key of ours: every device gets the new one.
    is_new: bool,
}

impl OwnSenderKey {
    fn load<S: SenderKeyStore>(
        store: &S,
        own: &OwnIdentity,
        group: &Jid,
        addressing: Addressing,
    ) -> Result<Self> {
        let name = own_sender_key_name(own, group, addressing)?;
        let record = store.load_sender_key(&name)?.unwrap_or_default();
        Ok(Self {
            is_new: !has_own_key(&record),
            name,
            record,
        })
    }

    /// Encrypts the content under the key (creating it when new), gives its distribution
    /// message pairwise to `lacking`, stores the key and builds the stanza.
    #[allow(clippy::too_many_arguments)]
    fn seal<S, R>(
        mut self,
        store: &mut S,
        own: &OwnIdentity,
        group: &Jid,
        addressing: Addressing,
        content: Content<'_>,
        lacking: &[&Jid],
        bundles: &Bundles,
        rng: &mut R,
    ) -> Result<GroupEncrypted>
    where
        S: IdentityKeyStore + SessionStore + SenderKeyStore,
        R: RngCore + CryptoRng,
    {
        let distribution = create_distribution_message(&mut self.record, rng);

        let mut padded = Zeroizing::new(content.message.encode_to_vec());
        padding::pad(&mut padded, rng);
        let skmsg = group_encrypt(&mut self.record, &padded, rng)?;
        store.store_sender_key(&self.name, &self.record)?;

        let mut new_holders: Vec<Jid> = Vec::new();
        let mut participants = Vec::new();
        let mut skipped = Vec::new();
        let mut any_pre_key = false;
        if !lacking.is_empty() {
            let skdm = Zeroizing::new(
                Message {
                    sender_key_distribution_message: Some(SkdmProto {
                        group_id: Some(group.to_string()),
                        axolotl_sender_key_distribution_message: Some(
                            distribution.serialized().to_vec(),
                        ),
                    }),
                    ..Message::default()
                }
                .encode_to_vec(),
            );
            let options = EncOptions {
                hide_decrypt_failure: content.attrs.hides_decrypt_failure(),
                retry_count: None,
            };
            for &device in lacking {
                match seal_for_device(store, device, bundles.get(device), &skdm, options, rng)? {
                    Some(sealed) => {
                        any_pre_key |= sealed.pre_key;
                        new_holders.push(device.clone());
                        participants.push(
                            Node::new("to")
                                .with_attr("jid", device.clone())
                                .with_children(vec![sealed.enc]),
                        );
                    }
                    None => skipped.push(device.clone()),
                }
            }
        }

        let mut stanza =
            message_node(content.attrs, group.clone()).with_attr("phash", content.phash.clone());
        if addressing == Addressing::Lid {
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
            phash: content.phash,
            skipped,
            new_holders,
            key_is_new: self.is_new,
        })
    }
}

/// Whether the record's newest state is a sender key of ours (it has the private signing key).
pub(super) fn has_own_key(record: &SenderKeyRecord) -> bool {
    record
        .latest_state()
        .is_some_and(|state| state.signing_private_key().is_some())
}
