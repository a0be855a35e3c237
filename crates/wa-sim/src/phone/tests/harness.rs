//! A fake server for the phone tests: a [`Directory`] over a few accounts and groups, and a
//! hand-written router that turns the client-form stanzas phones emit into the server-form
//! stanzas each device receives, delivering until nothing is left in flight.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use wa_binary::{AttrValue, Jid, Node, Server};
use wa_signal::PreKeyBundle;

use crate::phone::jids::device_jid;
use crate::phone::{Directory, GroupView, Outgoing, Phone, PhoneKeys};
use crate::registry::PreKeyPublic;

/// The start of the tests' clock.
pub(super) const T0: u64 = 1_750_000_000;

/// Accounts, published keys and groups: what the server would hold.
#[derive(Debug, Default)]
pub(super) struct FakeServer {
    /// (PN user, LID user) per account, by account index.
    accounts: Vec<(Jid, Jid)>,
    /// Published keys per (account index, device id) and the one-time prekeys left.
    devices: BTreeMap<(usize, u16), (PhoneKeys, VecDeque<PreKeyPublic>)>,
    groups: HashMap<Jid, GroupView>,
}

impl FakeServer {
    fn account_of(&self, jid: &Jid) -> Option<usize> {
        self.accounts.iter().position(|(pn, lid)| {
            (pn.user() == jid.user() && pn.server() == jid.server())
                || (lid.user() == jid.user() && lid.server() == jid.server())
        })
    }
}

impl Directory for FakeServer {
    fn devices(&self, user: &Jid) -> Vec<Jid> {
        let Some(account) = self.account_of(user) else {
            return Vec::new();
        };
        self.devices
            .range((account, 0)..=(account, u16::MAX))
            .map(|((_, device), _)| device_jid(user, *device).unwrap())
            .collect()
    }

    fn bundle(&mut self, device: &Jid) -> Option<PreKeyBundle> {
        let account = self.account_of(device)?;
        let (keys, pre_keys) = self.devices.get_mut(&(account, device.device()))?;
        let pre_key = pre_keys.pop_front();
        Some(PreKeyBundle {
            registration_id: keys.registration_id,
            identity_key: keys.identity_key,
            signed_pre_key_id: keys.signed_pre_key.id,
            signed_pre_key: keys.signed_pre_key.public_key,
            signed_pre_key_signature: keys.signed_pre_key.signature,
            pre_key: pre_key.map(|key| (key.id, key.public_key)),
        })
    }

    fn group(&self, group: &Jid) -> Option<GroupView> {
        self.groups.get(group).cloned()
    }
}

/// One stanza that crossed the fake server, as delivered (server form).
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    /// The phone that received it.
    pub(super) to: usize,
    /// The stanza.
    pub(super) node: Node<'static>,
}

/// Phones on a fake server.
pub(super) struct Net {
    pub(super) server: FakeServer,
    pub(super) phones: Vec<Phone>,
    /// Which account each phone belongs to.
    owners: Vec<usize>,
    rng: ChaCha20Rng,
    pub(super) now: u64,
    /// Every stanza delivered, in order.
    pub(super) trace: Vec<Delivery>,
}

impl Net {
    pub(super) fn new(seed: u64) -> Self {
        Self {
            server: FakeServer::default(),
            phones: Vec::new(),
            owners: Vec::new(),
            rng: ChaCha20Rng::seed_from_u64(seed),
            now: T0,
            trace: Vec::new(),
        }
    }

    /// A new account with its phone; returns the phone's index.
    pub(super) fn account(&mut self, phone: &str, lid: &str) -> usize {
        let pn = Jid::new(phone, Server::User).unwrap();
        let lid = Jid::new(lid, Server::Lid).unwrap();
        self.server.accounts.push((pn, lid));
        self.device(self.server.accounts.len() - 1, 0)
    }

    /// A companion device `device` on the account of phone `of`; returns its index.
    pub(super) fn companion(&mut self, of: usize, device: u16) -> usize {
        self.device(self.owners[of], device)
    }

    fn device(&mut self, account: usize, device: u16) -> usize {
        let (pn, lid) = self.server.accounts[account].clone();
        let phone = Phone::with_device(&pn, &lid, device, 5, self.now, &mut self.rng);
        let keys = phone.public_keys();
        let pre_keys = keys.pre_keys.iter().copied().collect();
        self.server
            .devices
            .insert((account, device), (keys, pre_keys));
        self.phones.push(phone);
        self.owners.push(account);
        self.phones.len() - 1
    }

    /// A group of the given phones' accounts (the first is the creator).
    pub(super) fn group(&mut self, id: &str, lid_addressing: bool, members: &[usize]) -> Jid {
        let group = Jid::new(id, Server::Group).unwrap();
        let members = members
            .iter()
            .map(|&phone| {
                if lid_addressing {
                    self.lid(phone)
                } else {
                    self.pn(phone)
                }
            })
            .collect();
        self.server.groups.insert(
            group.clone(),
            GroupView {
                lid_addressing,
                members,
            },
        );
        group
    }

    pub(super) fn pn(&self, phone: usize) -> Jid {
        self.server.accounts[self.owners[phone]].0.clone()
    }

    pub(super) fn lid(&self, phone: usize) -> Jid {
        self.server.accounts[self.owners[phone]].1.clone()
    }

    /// Phone `from` composes `content` for `chat`; returns the id and the client-form stanza
    /// without delivering it.
    pub(super) fn compose(
        &mut self,
        from: usize,
        chat: &Jid,
        content: Outgoing,
    ) -> (String, Node<'static>) {
        self.now += 1;
        self.phones[from]
            .compose(&mut self.server, chat, &content, self.now)
            .unwrap()
    }

    /// Composes, delivers, and runs every receipt and resend to the end. Returns the id.
    pub(super) fn send(&mut self, from: usize, chat: &Jid, content: Outgoing) -> String {
        let (id, stanza) = self.compose(from, chat, content);
        self.run(from, stanza);
        id
    }

    /// Routes a client-form stanza from phone `from` and delivers everything that follows.
    pub(super) fn run(&mut self, from: usize, stanza: Node<'static>) {
        let mut queue: VecDeque<Delivery> = self.route(from, &stanza).into();
        while let Some(delivery) = queue.pop_front() {
            self.trace.push(delivery.clone());
            let target = delivery.to;
            let outputs = match delivery.node.tag() {
                "message" => self.phones[target]
                    .receive_message(&delivery.node, self.now)
                    .unwrap(),
                "receipt" => self.phones[target]
                    .receive_receipt(&mut self.server, &delivery.node, self.now)
                    .unwrap(),
                other => panic!("unexpected {other}"),
            };
            for output in outputs {
                queue.extend(self.route(target, &output));
            }
        }
    }

    /// The delivered stanzas with this tag that went to `phone`.
    pub(super) fn delivered(&self, phone: usize, tag: &str) -> Vec<&Node<'static>> {
        self.trace
            .iter()
            .filter(|delivery| delivery.to == phone && delivery.node.tag() == tag)
            .map(|delivery| &delivery.node)
            .collect()
    }

    /// The retry receipts delivered so far.
    pub(super) fn retry_receipts(&self) -> Vec<&Node<'static>> {
        self.trace
            .iter()
            .map(|delivery| &delivery.node)
            .filter(|node| node.tag() == "receipt" && node.attr_str("type") == Some("retry"))
            .collect()
    }

    fn phone_of(&self, device: &Jid) -> usize {
        let account = self.server.account_of(device).unwrap();
        (0..self.phones.len())
            .find(|&phone| {
                self.owners[phone] == account && self.phones[phone].device == device.device()
            })
            .unwrap()
    }

    /// This phone's device JID in the form of `like`.
    fn device_like(&self, phone: usize, like: &Jid) -> Jid {
        let user = if like.is_lid() {
            self.lid(phone)
        } else {
            self.pn(phone)
        };
        device_jid(&user, self.phones[phone].device).unwrap()
    }

    /// What the server makes of one client-form stanza from phone `from`.
    pub(super) fn route(&self, from: usize, stanza: &Node<'_>) -> Vec<Delivery> {
        let to = stanza.attr_jid("to").unwrap();
        let t = self.now.to_string();
        match stanza.tag() {
            "message"
                if stanza.child("enc").is_some()
                    && stanza.child("participants").is_none()
                    && stanza.attr("phash").is_none() =>
            {
                self.route_resend(from, stanza, &to, &t)
            }
            "message" if to.is_group() => self.route_group(from, stanza, &to, &t),
            "message" => self.route_direct(from, stanza, &to, &t),
            "receipt" => self.route_receipt(from, stanza, &to, &t),
            other => panic!("unexpected {other}"),
        }
    }

    fn route_direct(&self, from: usize, stanza: &Node<'_>, chat: &Jid, t: &str) -> Vec<Delivery> {
        let sender = self.device_like(from, chat);
        let participants = stanza.child("participants").unwrap();
        participants
            .children_with_tag("to")
            .map(|to| {
                let device = to.attr_jid("jid").unwrap();
                let target = self.phone_of(&device);
                let mut node = Node::new("message")
                    .with_attr("from", sender.clone())
                    .with_attr("id", stanza.attr_str("id").unwrap().to_owned())
                    .with_attr("t", t.to_owned());
                copy_attrs(stanza, &mut node, &["type", "edit"]);
                if self.owners[target] == self.owners[from] {
                    node = node.with_attr("recipient", chat.clone());
                }
                let enc = to.child("enc").unwrap().clone().into_owned();
                Delivery {
                    to: target,
                    node: node.with_children(vec![enc]),
                }
            })
            .collect()
    }

    fn route_group(&self, from: usize, stanza: &Node<'_>, group: &Jid, t: &str) -> Vec<Delivery> {
        let view = self.server.groups.get(group).unwrap();
        let like = &view.members[0];
        let sender = self.device_like(from, like);
        let skmsg = stanza
            .children_with_tag("enc")
            .find(|enc| enc.attr_str("type") == Some("skmsg"))
            .unwrap()
            .clone()
            .into_owned();
        let pairwise: HashMap<Jid, Node<'static>> = stanza
            .child("participants")
            .map(|participants| {
                participants
                    .children_with_tag("to")
                    .map(|to| {
                        let enc = to.child("enc").unwrap().clone().into_owned();
                        (to.attr_jid("jid").unwrap(), enc)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let devices: Vec<Jid> = view
            .members
            .iter()
            .flat_map(|member| self.server.devices(member))
            .collect();
        devices
            .into_iter()
            .filter(|device| *device != sender)
            .map(|device| {
                let mut node = Node::new("message")
                    .with_attr("from", group.clone())
                    .with_attr("participant", sender.clone())
                    .with_attr("id", stanza.attr_str("id").unwrap().to_owned())
                    .with_attr("t", t.to_owned());
                copy_attrs(stanza, &mut node, &["type", "edit", "addressing_mode"]);
                let mut children = Vec::new();
                if let Some(enc) = pairwise.get(&device) {
                    children.push(enc.clone());
                }
                children.push(skmsg.clone());
                Delivery {
                    to: self.phone_of(&device),
                    node: node.with_children(children),
                }
            })
            .collect()
    }

    /// A retry answer: one `<enc>` for one device (`participant` in groups, else `to`).
    fn route_resend(&self, from: usize, stanza: &Node<'_>, to: &Jid, t: &str) -> Vec<Delivery> {
        let (target_device, mut node) = if to.is_group() {
            let device = stanza.attr_jid("participant").unwrap();
            let node = Node::new("message")
                .with_attr("from", to.clone())
                .with_attr("participant", self.device_like(from, &device));
            (device, node)
        } else {
            let node = Node::new("message").with_attr("from", self.device_like(from, to));
            (to.clone(), node)
        };
        node = node
            .with_attr("id", stanza.attr_str("id").unwrap().to_owned())
            .with_attr("t", t.to_owned());
        copy_attrs(stanza, &mut node, &["type", "edit", "recipient"]);
        let enc = stanza.child("enc").unwrap().clone().into_owned();
        vec![Delivery {
            to: self.phone_of(&target_device),
            node: node.with_children(vec![enc]),
        }]
    }

    fn route_receipt(&self, from: usize, stanza: &Node<'_>, to: &Jid, t: &str) -> Vec<Delivery> {
        let (target_device, mut node) = if to.is_group() {
            let device = stanza.attr_jid("participant").unwrap();
            let node = Node::new("receipt")
                .with_attr("from", to.clone())
                .with_attr("participant", self.device_like(from, &device));
            (device, node)
        } else {
            let node = Node::new("receipt").with_attr("from", self.device_like(from, to));
            (to.clone(), node)
        };
        node = node
            .with_attr("id", stanza.attr_str("id").unwrap().to_owned())
            .with_attr("t", t.to_owned());
        copy_attrs(stanza, &mut node, &["recipient", "type"]);
        let node = node.with_children(
            stanza
                .children()
                .iter()
                .map(|child| child.clone().into_owned())
                .collect(),
        );
        vec![Delivery {
            to: self.phone_of(&target_device),
            node,
        }]
    }
}

fn copy_attrs(from: &Node<'_>, to: &mut Node<'static>, keys: &[&str]) {
    for key in keys {
        if let Some(value) = from.attr(key) {
            to.attrs
                .push(key.to_string(), AttrValue::clone(value).into_owned());
        }
    }
}

/// The `<enc>` types of a client-form stanza's `<to>` entries, by device.
pub(super) fn enc_types(stanza: &Node<'_>) -> Vec<(Jid, String)> {
    stanza
        .child("participants")
        .map(|participants| {
            participants
                .children_with_tag("to")
                .map(|to| {
                    let enc = to.child("enc").unwrap();
                    (
                        to.attr_jid("jid").unwrap(),
                        enc.attr_str("type").unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
