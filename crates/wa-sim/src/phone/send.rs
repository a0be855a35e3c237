//! Sending (PROTOCOL.md section 5): one-to-one fan-out to every device of the recipient and of
//! the phone's own account (those get a DeviceSentMessage), and group messages encrypted once
//! with the phone's sender key, which goes pairwise to the devices that lack it.

use wa_binary::{Jid, Node, Server};
use wa_proto::e2e::{DeviceSentMessage, Message, SenderKeyDistributionMessage};
use wa_proto::prost::Message as _;
use wa_signal::sender_key::{
    create_distribution_message, group_encrypt, SenderKeyName, SenderKeyRecord, SenderKeyStore as _,
};
use wa_signal::{padding, protocol, CiphertextMessage, PreKeyBundle};

use super::content::{self, Composed};
use super::directory::Directory;
use super::jids::protocol_address;
use super::outgoing::Outgoing;
use super::sent_log::SentMessage;
use super::Phone;
use crate::error::{Error, Result};
use crate::groups::participant_hash;

impl Phone {
    /// Builds the client-form stanza that sends `content` to `chat` (a PN or LID user, or a
    /// group), encrypting for every device `dir` lists (sessions from prekey bundles where
    /// missing), and remembers the message for retries. Returns its id and the stanza.
    ///
    /// # Errors
    /// [`Error::UnsupportedChat`] for other JIDs; [`Error::UnknownGroup`] /
    /// [`Error::NotInGroup`] for a group the directory does not know or the phone is not in;
    /// [`Error::NoReachableDevice`] when no device of a one-to-one recipient could be
    /// encrypted for; [`Error::Signal`] when the phone's sender key fails.
    pub(crate) fn compose(
        &mut self,
        dir: &mut dyn Directory,
        chat: &Jid,
        content: &Outgoing,
        now: u64,
    ) -> Result<(String, Node<'static>)> {
        let chat = chat.to_non_ad();
        let composed = content::compose(&chat, content, now);
        let id = self.next_message_id();
        let stanza = match chat.server() {
            Server::Group => self.group_stanza(dir, &chat, &id, &composed)?,
            Server::User | Server::Lid if !chat.is_server() => {
                self.direct_stanza(dir, &chat, &id, &composed)?
            }
            _ => return Err(Error::UnsupportedChat),
        };
        self.sent.insert(id.clone(), SentMessage { chat, composed });
        Ok((id, stanza))
    }

    /// `<message id to type [edit]><participants><to jid><enc/></to>..</participants></message>`.
    fn direct_stanza(
        &mut self,
        dir: &mut dyn Directory,
        chat: &Jid,
        id: &str,
        composed: &Composed,
    ) -> Result<Node<'static>> {
        let own_user = self.own_user_like(chat).clone();
        let mut devices = dir.devices(chat);
        if !super::jids::same_user(chat, &own_user) {
            devices.extend(dir.devices(&own_user));
        }
        let plaintext = composed.message.encode_to_vec();
        let device_sent = device_sent_message(chat, &composed.message).encode_to_vec();
        let mut participants = Vec::with_capacity(devices.len());
        let mut reached_recipient = false;
        for device in devices {
            if self.is_this_device(&device) {
                continue;
            }
            let own = self.is_own_user(&device);
            let body = if own { &device_sent } else { &plaintext };
            match self.encrypt_for(dir, &device, body, None) {
                Ok(encrypted) => {
                    reached_recipient |= !own || super::jids::same_user(chat, &own_user);
                    let enc = enc_node(&encrypted, composed.hide_decrypt_failure(), None);
                    participants.push(to_node(device, enc));
                }
                Err(error) => {
                    tracing::debug!(%device, %error, "phone could not encrypt for device");
                }
            }
        }
        if !reached_recipient {
            return Err(Error::NoReachableDevice);
        }
        Ok(message_node(id, chat, composed)
            .with_children(vec![Node::new("participants").with_children(participants)]))
    }

    /// `<message id to type [edit] phash [addressing_mode="lid"]>[<participants>SKDMs
    /// </participants>]<enc type="skmsg"/></message>`.
    fn group_stanza(
        &mut self,
        dir: &mut dyn Directory,
        group: &Jid,
        id: &str,
        composed: &Composed,
    ) -> Result<Node<'static>> {
        let view = dir.group(group).ok_or(Error::UnknownGroup)?;
        let own_user = if view.lid_addressing {
            self.lid.clone()
        } else {
            self.pn.clone()
        };
        if !view
            .members
            .iter()
            .any(|member| super::jids::same_user(member, &own_user))
        {
            return Err(Error::NotInGroup);
        }
        let devices: Vec<Jid> = view
            .members
            .iter()
            .flat_map(|member| dir.devices(member))
            .collect();
        let phash = participant_hash(&devices);

        let (distribution, skmsg) = self.group_encrypt(group, &own_user, &composed.message)?;
        let skdm_plaintext = Message {
            sender_key_distribution_message: Some(distribution),
            ..Message::default()
        }
        .encode_to_vec();
        let mut participants = Vec::new();
        for device in devices {
            if self.is_this_device(&device) || self.holds_sender_key(group, &device) {
                continue;
            }
            match self.encrypt_for(dir, &device, &skdm_plaintext, None) {
                Ok(encrypted) => {
                    let enc = enc_node(&encrypted, composed.hide_decrypt_failure(), None);
                    self.note_sender_key_holder(group, &device);
                    participants.push(to_node(device, enc));
                }
                Err(error) => {
                    tracing::debug!(%device, %error, "phone could not send its sender key");
                }
            }
        }

        let mut stanza = message_node(id, group, composed).with_attr("phash", phash);
        if view.lid_addressing {
            stanza = stanza.with_attr("addressing_mode", "lid");
        }
        let mut children = Vec::with_capacity(2);
        if !participants.is_empty() {
            children.push(Node::new("participants").with_children(participants));
        }
        children.push(
            Node::new("enc")
                .with_attr("v", "2")
                .with_attr("type", "skmsg")
                .with_bytes(skmsg),
        );
        Ok(stanza.with_children(children))
    }

    /// Encrypts `message` with the phone's sender key for `group` (made now if it has none;
    /// a new key must reach every device again). Returns the key's distribution message, taken
    /// before this message so that receivers can decrypt it, and the `skmsg` bytes.
    fn group_encrypt(
        &mut self,
        group: &Jid,
        own_user: &Jid,
        message: &Message,
    ) -> Result<(SenderKeyDistributionMessage, Vec<u8>)> {
        let (name, mut record) = self.own_sender_key(group, own_user)?;
        let had_key = record
            .latest_state()
            .is_some_and(|state| state.signing_private_key().is_some());
        if !had_key {
            self.sender_key_holders.remove(group);
        }
        let distribution = create_distribution_message(&mut record, &mut self.rng);
        let mut padded = message.encode_to_vec();
        padding::pad(&mut padded, &mut self.rng);
        let skmsg = group_encrypt(&mut record, &padded, &mut self.rng)?;
        self.sender_keys.store_sender_key(&name, &record)?;
        Ok((
            skdm_proto(group, distribution.serialized()),
            skmsg.serialized().to_vec(),
        ))
    }

    /// The distribution message of the phone's current sender key for `group` (creating the
    /// key if needed), for a retry that must carry it.
    pub(super) fn current_distribution(
        &mut self,
        group: &Jid,
        own_user: &Jid,
    ) -> Result<SenderKeyDistributionMessage> {
        let (name, mut record) = self.own_sender_key(group, own_user)?;
        let distribution = create_distribution_message(&mut record, &mut self.rng);
        self.sender_keys.store_sender_key(&name, &record)?;
        Ok(skdm_proto(group, distribution.serialized()))
    }

    /// The name and record of the phone's own sender key in `group`, under this device's
    /// address in `own_user`'s form.
    fn own_sender_key(
        &self,
        group: &Jid,
        own_user: &Jid,
    ) -> Result<(SenderKeyName, SenderKeyRecord)> {
        let own_device = self.own_device_like(own_user)?;
        let name = SenderKeyName::new(&group.to_string(), protocol_address(&own_device)?)?;
        let record = self
            .sender_keys
            .load_sender_key(&name)?
            .unwrap_or_else(SenderKeyRecord::new);
        Ok((name, record))
    }

    /// Whether `device` was already sent the phone's current sender key for `group`.
    fn holds_sender_key(&self, group: &Jid, device: &Jid) -> bool {
        self.sender_key_holders
            .get(group)
            .is_some_and(|holders| holders.contains(device))
    }

    /// Notes that `device` now holds the phone's current sender key for `group`.
    pub(super) fn note_sender_key_holder(&mut self, group: &Jid, device: &Jid) {
        self.sender_key_holders
            .entry(group.clone())
            .or_default()
            .insert(device.clone());
    }

    /// Pads and encrypts `plaintext` for one device: with a new session from `bundle` when
    /// given, else with the existing session, else with a new one from a bundle `dir` hands out.
    pub(super) fn encrypt_for(
        &mut self,
        dir: &mut dyn Directory,
        device: &Jid,
        plaintext: &[u8],
        bundle: Option<PreKeyBundle>,
    ) -> Result<CiphertextMessage> {
        let address = protocol_address(device)?;
        let bundle = match bundle {
            Some(bundle) => Some(bundle),
            None if !protocol::has_session(&self.store, &address)? => {
                Some(dir.bundle(device).ok_or(Error::UnknownDevice)?)
            }
            None => None,
        };
        if let Some(bundle) = bundle {
            protocol::process_pre_key_bundle(&mut self.store, &address, &bundle, &mut self.rng)?;
        }
        let mut padded = plaintext.to_vec();
        padding::pad(&mut padded, &mut self.rng);
        Ok(protocol::encrypt(&mut self.store, &address, &padded)?)
    }
}

/// `<message id to type [edit]>` without content.
fn message_node(id: &str, to: &Jid, composed: &Composed) -> Node<'static> {
    let mut node = Node::new("message")
        .with_attr("id", id.to_owned())
        .with_attr("to", to.clone())
        .with_attr("type", composed.stanza_type);
    if let Some(edit) = composed.edit {
        node = node.with_attr("edit", edit);
    }
    node
}

/// `<enc v="2" type [decrypt-fail="hide"] [count]>ciphertext</enc>`.
pub(super) fn enc_node(
    encrypted: &CiphertextMessage,
    hide_failure: bool,
    retry_count: Option<u32>,
) -> Node<'static> {
    let mut node = Node::new("enc")
        .with_attr("v", "2")
        .with_attr("type", encrypted.enc_type());
    if hide_failure {
        node = node.with_attr("decrypt-fail", "hide");
    }
    if let Some(count) = retry_count {
        node = node.with_attr("count", count.to_string());
    }
    node.with_bytes(encrypted.serialized().to_vec())
}

/// `<to jid=DEVICE>ENC</to>`.
fn to_node(device: Jid, enc: Node<'static>) -> Node<'static> {
    Node::new("to")
        .with_attr("jid", device)
        .with_children(vec![enc])
}

/// What the phone's own other devices get for a one-to-one message: the message wrapped with
/// its destination.
pub(super) fn device_sent_message(chat: &Jid, message: &Message) -> Message {
    Message {
        device_sent_message: Some(Box::new(DeviceSentMessage {
            destination_jid: Some(chat.to_string()),
            message: Some(Box::new(message.clone())),
            phash: None,
        })),
        ..Message::default()
    }
}

fn skdm_proto(group: &Jid, serialized: &[u8]) -> SenderKeyDistributionMessage {
    SenderKeyDistributionMessage {
        group_id: Some(group.to_string()),
        axolotl_sender_key_distribution_message: Some(serialized.to_vec()),
    }
}
