//! The simulated primary phones inside the server: each account's device 0, a real Signal
//! endpoint ([`Phone`]). What the router delivers to a phone is handed to it at once (or kept
//! in its mailbox while it is offline), and what it answers (receipts, retries) or sends
//! (through the control API) is routed like any client's stanza.

use std::collections::{BTreeMap, HashSet, VecDeque};

use wa_binary::{Jid, Node};
use wa_signal::PreKeyBundle;

use crate::error::{Error, Result};
use crate::groups::{AddressingMode, Groups};
use crate::phone::{Directory, GroupView, Outgoing, Phone, Received, SeenReceipt};
use crate::registry::{DeviceRef, Registry};
use crate::routing::{device_jid, Delivery, Routed};
use crate::simulator::{Simulator, State};

/// One-time prekeys a phone publishes when its account is created.
const PHONE_PRE_KEYS: u32 = 200;

/// The phones by account phone number, and which of them are offline.
#[derive(Default)]
pub(crate) struct Phones {
    phones: BTreeMap<String, Phone>,
    offline: HashSet<String>,
}

impl std::fmt::Debug for Phones {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phones")
            .field("count", &self.phones.len())
            .field("offline", &self.offline)
            .finish()
    }
}

impl Phones {
    /// The phone of the account with this phone number.
    pub(crate) fn get(&self, phone: &str) -> Option<&Phone> {
        self.phones.get(phone)
    }
}

/// The server's registry and groups as a phone sees them while it sends.
struct ServerDirectory<'a> {
    registry: &'a mut Registry,
    groups: &'a Groups,
}

impl Directory for ServerDirectory<'_> {
    fn devices(&self, user: &Jid) -> Vec<Jid> {
        let Ok(account) = self.registry.account(user) else {
            return Vec::new();
        };
        let lid = user.is_lid();
        self.registry
            .live_devices(account.jid.user())
            .iter()
            .filter_map(|device| device_jid(&account, device.device, lid).ok())
            .collect()
    }

    fn bundle(&mut self, device: &Jid) -> Option<PreKeyBundle> {
        let bundle = self.registry.take_bundle(device).ok()?;
        Some(PreKeyBundle {
            registration_id: bundle.registration_id,
            identity_key: bundle.identity_key,
            signed_pre_key_id: bundle.signed_pre_key.id,
            signed_pre_key: bundle.signed_pre_key.public_key,
            signed_pre_key_signature: bundle.signed_pre_key.signature,
            pre_key: bundle.pre_key.map(|key| (key.id, key.public_key)),
        })
    }

    fn group(&self, group: &Jid) -> Option<GroupView> {
        let info = self.groups.get(group)?;
        let lid = info.addressing == AddressingMode::Lid;
        Some(GroupView {
            lid_addressing: lid,
            members: info
                .participants
                .iter()
                .map(|member| info.addressing.jid_of(&member.account).clone())
                .collect(),
        })
    }
}

impl State {
    /// Creates the account's simulated phone and publishes its keys as device 0.
    pub(crate) fn create_phone(&mut self, pn: &Jid, lid: &Jid, now: u64) -> Result<()> {
        let phone = Phone::new(pn, lid, PHONE_PRE_KEYS, now, &mut self.rng);
        self.registry
            .register_phone(pn.user(), &phone.public_keys())?;
        self.phones.phones.insert(pn.user().to_owned(), phone);
        Ok(())
    }

    /// Delivers stanzas to their devices: connections get them now (or at their next login),
    /// online phones process them at once, and whatever the phones answer is routed in turn.
    pub(crate) fn dispatch(&mut self, deliveries: Vec<Delivery>, now: u64) {
        let mut queue: VecDeque<Delivery> = deliveries.into();
        while let Some(delivery) = queue.pop_front() {
            let to_phone = delivery.to.device == 0
                && self.phones.phones.contains_key(&delivery.to.phone)
                && !self.phones.offline.contains(&delivery.to.phone);
            if !to_phone {
                let node = if delivery.node.tag() == "message"
                    && self.faults.corrupt_delivery(&delivery.to)
                {
                    crate::faults::corrupt_message(delivery.node)
                } else {
                    delivery.node
                };
                self.hub.deliver(&delivery.to, node, delivery.ack_id);
                continue;
            }
            for answer in self.phone_receives(&delivery.to, &delivery.node, now) {
                let routed = self.route_from(&delivery.to, &answer, now);
                queue.extend(routed.deliveries);
            }
        }
    }

    /// A phone processes one server-form stanza; returns its client-form answers.
    fn phone_receives(
        &mut self,
        device: &DeviceRef,
        node: &Node<'_>,
        now: u64,
    ) -> Vec<Node<'static>> {
        let State {
            phones,
            registry,
            groups,
            ..
        } = self;
        let Some(phone) = phones.phones.get_mut(&device.phone) else {
            return Vec::new();
        };
        let mut directory = ServerDirectory { registry, groups };
        let answers = match node.tag() {
            "message" => phone.receive_message(node, now),
            "receipt" => phone.receive_receipt(&mut directory, node, now),
            _ => Ok(Vec::new()),
        };
        answers.unwrap_or_else(|error| {
            tracing::debug!(%error, "simulated phone could not process a stanza");
            Vec::new()
        })
    }

    /// Routes a client-form stanza sent by `device` (a phone's receipts and messages), as
    /// any client's.
    fn route_from(&mut self, device: &DeviceRef, stanza: &Node<'_>, now: u64) -> Routed {
        self.route_stanza(device, stanza, now)
    }

    pub(crate) fn phone_mut(&mut self, account: &Jid) -> Result<(DeviceRef, &mut Phone)> {
        let phone_number = self.registry.account(account)?.jid.user().to_owned();
        let phone = self
            .phones
            .phones
            .get_mut(&phone_number)
            .ok_or(Error::UnknownAccount)?;
        Ok((
            DeviceRef {
                phone: phone_number,
                device: 0,
            },
            phone,
        ))
    }
}

impl Simulator {
    /// The simulated phone of `from` (an account's PN or LID JID) sends `content` to `chat` (a
    /// user's PN or LID JID, or a group): encrypted for every device of the recipient and the
    /// account's own companions (sessions from fetched bundles), routed like any client's
    /// message. Returns the message id.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`] (sender or recipient), [`Error::UnknownGroup`],
    /// [`Error::UnsupportedChat`], [`Error::NoReachableDevice`],
    /// [`Error::Refused`] when the router refuses it (e.g. a group the account is not in).
    pub fn send(&self, from: &Jid, chat: &Jid, content: &Outgoing) -> Result<String> {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        let state = &mut *state;
        let (device, _) = state.phone_mut(from)?;
        if chat.is_group() {
            state.groups.get(chat).ok_or(Error::UnknownGroup)?;
        } else if chat.is_pn_user() || chat.is_lid() {
            state.registry.account(chat)?;
        }
        let State {
            phones,
            registry,
            groups,
            ..
        } = &mut *state;
        let phone = phones
            .phones
            .get_mut(&device.phone)
            .ok_or(Error::UnknownAccount)?;
        let mut directory = ServerDirectory { registry, groups };
        let (id, stanza) = phone.compose(&mut directory, chat, content, now)?;
        let routed = state.route_from(&device, &stanza, now);
        if let Some(code) = routed.reply.as_ref().and_then(|ack| ack.attr_str("error")) {
            return Err(Error::Refused(code.to_owned()));
        }
        state.dispatch(routed.deliveries, now);
        Ok(id)
    }

    /// As [`send`](Self::send) with a text message.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn send_text(&self, from: &Jid, chat: &Jid, text: &str) -> Result<String> {
        self.send(from, chat, &Outgoing::Text(text.to_owned()))
    }

    /// Everything the simulated phone of `account` decrypted, oldest first.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`].
    pub fn received(&self, account: &Jid) -> Result<Vec<Received>> {
        let mut state = self.shared.lock();
        let (_, phone) = state.phone_mut(account)?;
        Ok(phone.received().to_vec())
    }

    /// The delivery and read receipts the simulated phone of `account` got for its messages.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`].
    pub fn receipts(&self, account: &Jid) -> Result<Vec<SeenReceipt>> {
        let mut state = self.shared.lock();
        let (_, phone) = state.phone_mut(account)?;
        Ok(phone.receipts().to_vec())
    }

    /// The simulated phone of `reader` marks messages as read: it sends `<receipt id to
    /// type="read">` (more ids in `<list><item id/>`), which goes back to the device that sent
    /// them. `chat` is where the messages are (the author's account, or a group), `author`
    /// who wrote them (for a group: `participant`).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`]; [`Error::Refused`] with `"400"` for an empty `ids`.
    pub fn mark_read(&self, reader: &Jid, chat: &Jid, author: &Jid, ids: &[&str]) -> Result<()> {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        let (device, _) = state.phone_mut(reader)?;
        let (first, rest) = ids
            .split_first()
            .ok_or_else(|| Error::Refused("400".to_owned()))?;
        let mut receipt = Node::new("receipt").with_attr("id", (*first).to_owned());
        receipt = if chat.is_group() {
            receipt
                .with_attr("to", chat.to_non_ad())
                .with_attr("participant", author.to_non_ad())
        } else {
            receipt.with_attr("to", author.to_non_ad())
        };
        receipt = receipt.with_attr("type", "read");
        if !rest.is_empty() {
            let items = rest
                .iter()
                .map(|id| Node::new("item").with_attr("id", (*id).to_owned()))
                .collect();
            receipt = receipt.with_children(vec![Node::new("list").with_children(items)]);
        }
        let routed = state.route_from(&device, &receipt, now);
        state.dispatch(routed.deliveries, now);
        Ok(())
    }

    /// Makes the next `count` messages the phone of `account` receives fail to decrypt: it
    /// answers each with a retry receipt instead (with fresh keys from a message's second
    /// retry on), and decrypts the sender's resend.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`].
    pub fn fail_next_decrypts(&self, account: &Jid, count: u32) -> Result<()> {
        let mut state = self.shared.lock();
        let (_, phone) = state.phone_mut(account)?;
        phone.behaviour_mut().fail_next_decrypts = count;
        Ok(())
    }

    /// The phone of `account` forgets every Signal session and sender key (as after a
    /// reinstall without backup): the next messages to it fail until retries re-establish them.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`].
    pub fn lose_sessions(&self, account: &Jid) -> Result<()> {
        let mut state = self.shared.lock();
        let (_, phone) = state.phone_mut(account)?;
        phone.lose_sessions();
        Ok(())
    }

    /// Takes the phone of `account` offline (what is sent to it waits, as for an offline
    /// companion) or back online (it then processes what waited, in order).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`].
    pub fn set_phone_online(&self, account: &Jid, online: bool) -> Result<()> {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        let (device, _) = state.phone_mut(account)?;
        if !online {
            state.phones.offline.insert(device.phone);
            return Ok(());
        }
        if state.phones.offline.remove(&device.phone) {
            let waiting = state.hub.take_waiting(&device);
            let deliveries = waiting
                .into_iter()
                .map(|node| Delivery {
                    to: device.clone(),
                    node,
                    ack_id: None,
                })
                .collect();
            state.dispatch(deliveries, now);
        }
        Ok(())
    }
}
