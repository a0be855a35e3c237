//! Everything built here is decrypted by independent wa-signal stores playing the recipients.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;

use prost::Message as _;
use rand_core::OsRng;
use wa_binary::{Jid, Node};
use wa_proto::common::MessageKey;
use wa_proto::e2e::{Message, ReactionMessage};
use wa_signal::sender_key::{
    group_decrypt, process_distribution_message, InMemorySenderKeyStore,
    SenderKeyDistributionMessage, SenderKeyName, SenderKeyStore,
};
use wa_signal::store::{InMemoryStore, PreKeyStore, SignedPreKeyStore};
use wa_signal::{
    padding, protocol, CiphertextMessage, IdentityKeyPair, PreKeyBundle, PreKeyId, PreKeyRecord,
    ProtocolAddress, RegistrationId, SignedPreKeyId, SignedPreKeyRecord,
};

use super::*;
use crate::Error;

/// Our store: sessions and sender keys in one value, as the SQLite store is.
type Stores = InMemoryStore;

fn new_stores() -> Stores {
    InMemoryStore::new(IdentityKeyPair::generate(&mut OsRng), RegistrationId(42))
}

/// A recipient device with its own independent store.
struct Peer {
    jid: Jid,
    identity: IdentityKeyPair,
    store: InMemoryStore,
    signed: SignedPreKeyRecord,
    next_pre_key: u32,
    sender_keys: InMemorySenderKeyStore,
}

impl Peer {
    fn new(jid: &str) -> Self {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let mut store = InMemoryStore::new(identity.clone(), RegistrationId(100));
        let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &identity, 0, &mut OsRng);
        store.store_signed_pre_key(&signed).unwrap();
        Self {
            jid: jid.parse().unwrap(),
            identity,
            store,
            signed,
            next_pre_key: 1,
            sender_keys: InMemorySenderKeyStore::new(),
        }
    }

    /// A fresh bundle with a new one-time prekey.
    fn bundle(&mut self) -> PreKeyBundle {
        let pre_key = PreKeyRecord::generate(PreKeyId(self.next_pre_key), &mut OsRng);
        self.next_pre_key += 1;
        self.store.store_pre_key(&pre_key).unwrap();
        PreKeyBundle {
            registration_id: RegistrationId(100),
            identity_key: self.identity.identity_key(),
            signed_pre_key_id: self.signed.id(),
            signed_pre_key: *self.signed.key_pair().public_key(),
            signed_pre_key_signature: *self.signed.signature(),
            pre_key: Some((pre_key.id(), *pre_key.key_pair().public_key())),
        }
    }

    /// Forgets every session (as a reinstalled device would).
    fn lose_sessions(&mut self) {
        let mut store = InMemoryStore::new(self.identity.clone(), RegistrationId(100));
        store.store_signed_pre_key(&self.signed).unwrap();
        self.store = store;
    }

    /// Decrypts the pairwise `<enc>` and decodes the message.
    fn decrypt(&mut self, enc: &Node<'_>, from: &Jid) -> Message {
        let ciphertext =
            CiphertextMessage::parse(enc.attr_str("type").unwrap(), enc.bytes().unwrap()).unwrap();
        let address = ProtocolAddress::new(from.user(), from.domain(), from.device()).unwrap();
        let padded = protocol::decrypt(&mut self.store, &address, &ciphertext, &mut OsRng).unwrap();
        Message::decode(padding::unpad(&padded).unwrap()).unwrap()
    }

    /// Sends `us` (device `me`) an answer, which turns our side's `pkmsg`s into `msg`s.
    fn reply_to(&mut self, us: &mut InMemoryStore, me: &Jid) {
        let address = ProtocolAddress::new(me.user(), me.domain(), me.device()).unwrap();
        let reply = protocol::encrypt(&mut self.store, &address, b"ok\x01").unwrap();
        let from =
            ProtocolAddress::new(self.jid.user(), self.jid.domain(), self.jid.device()).unwrap();
        protocol::decrypt(us, &from, &reply, &mut OsRng).unwrap();
    }

    /// Takes in the SKDM of a decrypted pairwise message for `group` from `from`.
    fn take_sender_key(&mut self, message: &Message, group: &Jid, from: &Jid) {
        let skdm = message.sender_key_distribution_message.as_ref().unwrap();
        assert_eq!(skdm.group_id.as_deref(), Some(group.to_string().as_str()));
        let parsed = SenderKeyDistributionMessage::parse(
            skdm.axolotl_sender_key_distribution_message
                .as_deref()
                .unwrap(),
        )
        .unwrap();
        let name = self.sender_key_name(group, from);
        let mut record = self
            .sender_keys
            .load_sender_key(&name)
            .unwrap()
            .unwrap_or_default();
        process_distribution_message(&mut record, &parsed);
        self.sender_keys.store_sender_key(&name, &record).unwrap();
    }

    fn group_decrypt(&mut self, skmsg: &[u8], group: &Jid, from: &Jid) -> Message {
        let name = self.sender_key_name(group, from);
        let mut record = self.sender_keys.load_sender_key(&name).unwrap().unwrap();
        let padded = group_decrypt(&mut record, skmsg).unwrap();
        self.sender_keys.store_sender_key(&name, &record).unwrap();
        Message::decode(padding::unpad(&padded).unwrap()).unwrap()
    }

    fn sender_key_name(&self, group: &Jid, from: &Jid) -> SenderKeyName {
        let address = ProtocolAddress::new(from.user(), from.domain(), from.device()).unwrap();
        SenderKeyName::new(&group.to_string(), address).unwrap()
    }
}

fn jid(s: &str) -> Jid {
    s.parse().unwrap()
}

fn own() -> OwnIdentity {
    OwnIdentity::new(
        &jid("15550001111@s.whatsapp.net"),
        Some(&jid("100000000000001@lid")),
        2,
        b"adv identity".to_vec(),
    )
    .unwrap()
}

fn text(body: &str) -> Message {
    Message {
        conversation: Some(body.to_owned()),
        ..Message::default()
    }
}

fn reaction(target: &str, emoji: &str, chat: &Jid) -> Message {
    Message {
        reaction_message: Some(ReactionMessage {
            key: Some(MessageKey {
                remote_jid: Some(chat.to_string()),
                from_me: Some(false),
                id: Some(target.to_owned()),
                participant: None,
            }),
            text: Some(emoji.to_owned()),
            grouping_key: None,
            sender_timestamp_ms: Some(1_700_000_000_000),
        }),
        ..Message::default()
    }
}

fn id(n: u32) -> MessageId {
    MessageId::parse(&format!("3EB0{n:018X}")).unwrap()
}

/// The `<enc>` for `device` in the stanza's `<participants>`.
fn enc_for<'n>(stanza: &'n Node<'static>, device: &Jid) -> Option<&'n Node<'static>> {
    stanza
        .child("participants")?
        .children_with_tag("to")
        .find(|to| to.attr_jid("jid").as_ref() == Some(device))?
        .child("enc")
}

#[test]
fn one_to_one_fans_out_to_their_devices_and_ours_with_device_sent_copies() {
    let mut store = new_stores();
    let own = own();
    let me = own.device_jid(Addressing::Pn).unwrap();
    let chat = jid("15550002222@s.whatsapp.net");
    let mut bob0 = Peer::new("15550002222@s.whatsapp.net");
    let mut bob1 = Peer::new("15550002222:1@s.whatsapp.net");
    let mut mine0 = Peer::new("15550001111@s.whatsapp.net");
    let devices = vec![
        bob0.jid.clone(),
        bob1.jid.clone(),
        mine0.jid.clone(),
        me.clone(),
    ];
    assert_eq!(
        devices_without_session(&store, &own, &devices).unwrap(),
        devices[..3].to_vec()
    );
    let mut bundles = Bundles::new();
    for peer in [&mut bob0, &mut bob1, &mut mine0] {
        bundles.insert(peer.jid.clone(), peer.bundle());
    }
    let message = reaction("3EB0TARGET", "👍", &chat);
    let attrs = StanzaAttrs::for_message(id(1), &message);
    let sent = encrypt_direct(
        &mut store,
        &own,
        &DirectMessage {
            chat: &chat,
            devices: &devices,
            message: &message,
            attrs: &attrs,
        },
        &bundles,
        &mut OsRng,
    )
    .unwrap();

    let stanza = &sent.stanza;
    assert_eq!(stanza.tag(), "message");
    assert_eq!(stanza.attr_str("id"), Some(id(1).as_str()));
    assert_eq!(stanza.attr_jid("to"), Some(chat.clone()));
    assert_eq!(stanza.attr_str("type"), Some("reaction"));
    assert_eq!(stanza.attr("edit"), None);
    assert_eq!(stanza.child("participants").unwrap().children().len(), 3);
    assert!(enc_for(stanza, &me).is_none(), "this device is skipped");
    assert_eq!(
        stanza.child("device-identity").and_then(Node::bytes),
        Some(&b"adv identity"[..])
    );
    assert_eq!(
        stanza.attr("phash"),
        None,
        "one-to-one stanzas carry no phash"
    );
    assert!(sent.skipped.is_empty());

    for peer in [&mut bob0, &mut bob1] {
        let enc = enc_for(stanza, &peer.jid).unwrap();
        assert_eq!(enc.attr_str("v"), Some("2"));
        assert_eq!(enc.attr_str("type"), Some("pkmsg"));
        assert_eq!(enc.attr_str("decrypt-fail"), Some("hide"));
        assert_eq!(peer.decrypt(enc, &me), message);
    }
    let copy = mine0.decrypt(enc_for(stanza, &mine0.jid).unwrap(), &me);
    let dsm = copy.device_sent_message.unwrap();
    assert_eq!(
        dsm.destination_jid.as_deref(),
        Some(chat.to_string().as_str())
    );
    assert_eq!(dsm.message.as_deref(), Some(&message));

    // Sessions exist now: no bundles needed. Once each peer has answered, `msg` and no device
    // identity (until then Signal keeps sending `pkmsg`).
    assert!(devices_without_session(&store, &own, &devices)
        .unwrap()
        .is_empty());
    for peer in [&mut bob0, &mut bob1, &mut mine0] {
        peer.reply_to(&mut store, &me);
    }
    let removal = reaction("3EB0TARGET", "", &chat);
    let attrs = StanzaAttrs::for_message(id(2), &removal);
    let sent = encrypt_direct(
        &mut store,
        &own,
        &DirectMessage {
            chat: &chat,
            devices: &devices,
            message: &removal,
            attrs: &attrs,
        },
        &Bundles::new(),
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(sent.stanza.attr_str("edit"), Some("7"));
    assert!(sent.stanza.child("device-identity").is_none());
    let enc = enc_for(&sent.stanza, &bob1.jid).unwrap();
    assert_eq!(enc.attr_str("type"), Some("msg"));
    assert_eq!(bob1.decrypt(enc, &me), removal);
}

#[test]
fn a_lid_chat_uses_lid_devices_and_lid_sessions() {
    let mut store = new_stores();
    let own = own();
    let me = own.device_jid(Addressing::Lid).unwrap();
    let chat = jid("200000000000002@lid");
    let mut bob = Peer::new("200000000000002:1@lid");
    let mut mine = Peer::new("100000000000001@lid");
    let devices = vec![bob.jid.clone(), mine.jid.clone(), me.clone()];
    let mut bundles = Bundles::new();
    bundles.insert(bob.jid.clone(), bob.bundle());
    bundles.insert(mine.jid.clone(), mine.bundle());
    let message = text("hello");
    let attrs = StanzaAttrs::for_message(id(3), &message);
    let direct = DirectMessage {
        chat: &chat,
        devices: &devices,
        message: &message,
        attrs: &attrs,
    };
    let sent = encrypt_direct(&mut store, &own, &direct, &bundles, &mut OsRng).unwrap();
    assert_eq!(sent.stanza.attr_str("type"), Some("text"));
    let enc = enc_for(&sent.stanza, &bob.jid).unwrap();
    assert_eq!(enc.attr("decrypt-fail"), None);
    assert_eq!(bob.decrypt(enc, &me), message);
    mine.decrypt(enc_for(&sent.stanza, &mine.jid).unwrap(), &me);
    // The session is stored under the LID address, not the phone number's.
    let lid_address = ProtocolAddress::new("200000000000002", 1, 1).unwrap();
    assert!(protocol::has_session(&store, &lid_address).unwrap());
    let pn_address = ProtocolAddress::new("200000000000002", 0, 1).unwrap();
    assert!(!protocol::has_session(&store, &pn_address).unwrap());
}

#[test]
fn devices_without_session_or_bundle_are_skipped_and_bad_devices_refused() {
    let mut store = new_stores();
    let own = own();
    let chat = jid("15550002222@s.whatsapp.net");
    let message = text("x");
    let attrs = StanzaAttrs::for_message(id(4), &message);
    let send = |store: &mut Stores, devices: &[Jid]| {
        encrypt_direct(
            store,
            &own,
            &DirectMessage {
                chat: &chat,
                devices,
                message: &message,
                attrs: &attrs,
            },
            &Bundles::new(),
            &mut OsRng,
        )
    };
    let sent = send(&mut store, &[jid("15550002222:1@s.whatsapp.net")]).unwrap();
    assert_eq!(sent.skipped, vec![jid("15550002222:1@s.whatsapp.net")]);
    assert!(sent.stanza.child("device-identity").is_none());
    for bad in [
        "15550003333:1@s.whatsapp.net", // a third account
        "200000000000002:1@lid",        // another form
    ] {
        let err = send(&mut store, &[jid(bad)]).unwrap_err();
        assert!(
            matches!(err, Error::WrongAddressing(ref j) if *j == jid(bad)),
            "{err:?}"
        );
    }
    assert!(matches!(
        send(&mut store, &[jid("120363000000000001@g.us")]),
        Err(Error::NotADevice(_))
    ));
}

fn group_round(addressing: Addressing) {
    let mut store = new_stores();
    let own = own();
    let lid = addressing == Addressing::Lid;
    let (group, names) = if lid {
        (
            jid("120363000000000001@g.us"),
            [
                "200000000000002@lid",
                "200000000000002:1@lid",
                "100000000000001@lid",
            ],
        )
    } else {
        (
            jid("120363000000000001@g.us"),
            [
                "15550002222@s.whatsapp.net",
                "15550002222:1@s.whatsapp.net",
                "15550001111@s.whatsapp.net",
            ],
        )
    };
    let me = own.device_jid(addressing).unwrap();
    let mut peers: Vec<Peer> = names.iter().map(|name| Peer::new(name)).collect();
    let mut devices: Vec<Jid> = peers.iter().map(|p| p.jid.clone()).collect();
    devices.push(me.clone());
    let mut bundles = Bundles::new();
    for peer in &mut peers {
        bundles.insert(peer.jid.clone(), peer.bundle());
    }
    let first = text("first");
    let attrs = StanzaAttrs::for_message(id(10), &first);
    let message = GroupMessage {
        group: &group,
        addressing,
        devices: &devices,
        message: &first,
        attrs: &attrs,
    };
    let sent = encrypt_group(
        &mut store,
        &own,
        &message,
        &bundles,
        &HashSet::new(),
        &mut OsRng,
    )
    .unwrap();
    let stanza = &sent.stanza;
    assert_eq!(stanza.attr_jid("to"), Some(group.clone()));
    assert_eq!(stanza.attr_str("phash"), Some(sent.phash.as_str()));
    assert_eq!(sent.phash, wa_sim::participant_hash(&devices));
    assert_eq!(stanza.attr_str("addressing_mode"), lid.then_some("lid"));
    assert!(stanza.child("device-identity").is_some());
    let skmsg = stanza.children().last().unwrap();
    assert_eq!(skmsg.attr_str("type"), Some("skmsg"));
    assert!(sent.key_is_new);
    let holders = sent.holders_after(&HashSet::new());
    assert_eq!(
        holders,
        peers.iter().map(|p| p.jid.clone()).collect::<HashSet<_>>()
    );
    for peer in &mut peers {
        let enc = enc_for(stanza, &peer.jid).unwrap();
        assert_eq!(enc.attr_str("type"), Some("pkmsg"));
        let pairwise = peer.decrypt(enc, &me);
        assert_eq!(pairwise.conversation, None, "only the key goes pairwise");
        peer.take_sender_key(&pairwise, &group, &me);
        assert_eq!(
            peer.group_decrypt(skmsg.bytes().unwrap(), &group, &me),
            first
        );
    }

    // Steady state: everyone has the key, so no <participants> and no identity.
    let second = reaction("3EB0TARGET", "🎉", &group);
    let attrs = StanzaAttrs::for_message(id(11), &second);
    let again = encrypt_group(
        &mut store,
        &own,
        &GroupMessage {
            message: &second,
            attrs: &attrs,
            ..message
        },
        &Bundles::new(),
        &holders,
        &mut OsRng,
    )
    .unwrap();
    assert!(again.stanza.child("participants").is_none());
    assert!(again.stanza.child("device-identity").is_none());
    assert!(!again.key_is_new && again.new_holders.is_empty());
    let holders = again.holders_after(&holders);
    assert_eq!(again.stanza.attr_str("type"), Some("reaction"));
    let skmsg = again.stanza.child("enc").unwrap();
    assert_eq!(
        skmsg.attr("decrypt-fail"),
        None,
        "not on skmsg, as whatsmeow"
    );
    for peer in &mut peers {
        assert_eq!(
            peer.group_decrypt(skmsg.bytes().unwrap(), &group, &me),
            second
        );
    }

    // A new member device gets the key (msg-less: a pkmsg from its bundle), the rest not.
    let mut newcomer = Peer::new(if lid {
        "300000000000003@lid"
    } else {
        "15550003333@s.whatsapp.net"
    });
    let mut grown = devices.clone();
    grown.push(newcomer.jid.clone());
    let mut bundles = Bundles::new();
    bundles.insert(newcomer.jid.clone(), newcomer.bundle());
    let third = text("third");
    let attrs = StanzaAttrs::for_message(id(12), &third);
    let joined = encrypt_group(
        &mut store,
        &own,
        &GroupMessage {
            devices: &grown,
            message: &third,
            attrs: &attrs,
            ..message
        },
        &bundles,
        &holders,
        &mut OsRng,
    )
    .unwrap();
    let participants = joined.stanza.child("participants").unwrap();
    assert_eq!(participants.children().len(), 1);
    let pairwise = newcomer.decrypt(enc_for(&joined.stanza, &newcomer.jid).unwrap(), &me);
    newcomer.take_sender_key(&pairwise, &group, &me);
    let skmsg = joined.stanza.child("enc").unwrap().bytes().unwrap();
    assert_eq!(newcomer.group_decrypt(skmsg, &group, &me), third);
    assert_eq!(peers[0].group_decrypt(skmsg, &group, &me), third);
    assert_eq!(joined.new_holders, [newcomer.jid.clone()]);
    assert!(joined.holders_after(&holders).contains(&newcomer.jid));

    // Wrong form refused.
    let other = if lid {
        jid("15550002222@s.whatsapp.net")
    } else {
        jid("200000000000002@lid")
    };
    let err = encrypt_group(
        &mut store,
        &own,
        &GroupMessage {
            devices: std::slice::from_ref(&other),
            ..message
        },
        &Bundles::new(),
        &HashSet::new(),
        &mut OsRng,
    )
    .unwrap_err();
    assert!(matches!(err, Error::WrongAddressing(_)), "{err:?}");
}

#[test]
fn pn_group_sender_key_distribution_and_steady_state() {
    group_round(Addressing::Pn);
}

#[test]
fn lid_group_sender_key_distribution_and_steady_state() {
    group_round(Addressing::Lid);
}

#[test]
fn a_new_sender_key_goes_to_everyone_whatever_the_caller_remembers() {
    let mut store = new_stores();
    let own = own();
    let group = jid("120363000000000009@g.us");
    let mut bob = Peer::new("15550002222@s.whatsapp.net");
    let mut bundles = Bundles::new();
    bundles.insert(bob.jid.clone(), bob.bundle());
    let devices = [bob.jid.clone()];
    let message = text("m");
    let attrs = StanzaAttrs::for_message(id(20), &message);
    let stale: HashSet<Jid> = devices.iter().cloned().collect();
    let sent = encrypt_group(
        &mut store,
        &own,
        &GroupMessage {
            group: &group,
            addressing: Addressing::Pn,
            devices: &devices,
            message: &message,
            attrs: &attrs,
        },
        &bundles,
        &stale,
        &mut OsRng,
    )
    .unwrap();
    assert!(enc_for(&sent.stanza, &bob.jid).is_some());
}

fn retry_receipt(
    from: &Jid,
    participant: Option<&Jid>,
    id: &MessageId,
    count: u32,
    keys: Option<(&Peer, &PreKeyBundle)>,
) -> Node<'static> {
    let mut node = Node::new("receipt")
        .with_attr("from", from.clone())
        .with_attr("id", id.as_str().to_owned())
        .with_attr("type", "retry");
    if let Some(participant) = participant {
        node = node.with_attr("participant", participant.clone());
    }
    let mut children = vec![
        Node::new("retry")
            .with_attr("count", count.to_string())
            .with_attr("id", id.as_str().to_owned())
            .with_attr("t", "1700000000")
            .with_attr("v", "1"),
        Node::new("registration").with_bytes(100u32.to_be_bytes().to_vec()),
    ];
    if let Some((_, bundle)) = keys {
        let (pre_key_id, pre_key) = bundle.pre_key.unwrap();
        let id3 = |id: u32| id.to_be_bytes()[1..].to_vec();
        children.push(Node::new("keys").with_children(vec![
            Node::new("type").with_bytes(vec![5]),
            Node::new("identity").with_bytes(bundle.identity_key.public_key().as_bytes().to_vec()),
            Node::new("key").with_children(vec![
                Node::new("id").with_bytes(id3(pre_key_id.0)),
                Node::new("value").with_bytes(pre_key.as_bytes().to_vec()),
            ]),
            Node::new("skey").with_children(vec![
                Node::new("id").with_bytes(id3(bundle.signed_pre_key_id.0)),
                Node::new("value").with_bytes(bundle.signed_pre_key.as_bytes().to_vec()),
                Node::new("signature").with_bytes(bundle.signed_pre_key_signature.to_vec()),
            ]),
        ]));
    }
    node.with_children(children)
}

#[test]
fn a_retry_with_keys_starts_a_new_session_for_that_device() {
    let mut store = new_stores();
    let own = own();
    let me = own.device_jid(Addressing::Pn).unwrap();
    let chat = jid("15550002222@s.whatsapp.net");
    let mut bob = Peer::new("15550002222:1@s.whatsapp.net");
    let mut bundles = Bundles::new();
    bundles.insert(bob.jid.clone(), bob.bundle());
    let message = reaction("3EB0TARGET", "❤️", &chat);
    let attrs = StanzaAttrs::for_message(id(30), &message);
    let devices = [bob.jid.clone()];
    let sent = encrypt_direct(
        &mut store,
        &own,
        &DirectMessage {
            chat: &chat,
            devices: &devices,
            message: &message,
            attrs: &attrs,
        },
        &bundles,
        &mut OsRng,
    )
    .unwrap();
    bob.decrypt(enc_for(&sent.stanza, &bob.jid).unwrap(), &me);

    // Bob lost his session; his second retry receipt carries keys.
    bob.lose_sessions();
    let fresh = bob.bundle();
    let node = retry_receipt(&bob.jid, None, &id(30), 2, Some((&bob, &fresh)));
    let receipt = RetryReceipt::parse(&node).unwrap();
    assert_eq!(receipt.bundle(), Some(&fresh));
    let retry = RetryMessage {
        chat: &chat,
        message: &message,
        attrs: &attrs,
    };
    let resend = encrypt_retry(&mut store, &own, &receipt, &retry, &mut OsRng).unwrap();
    assert_eq!(resend.attr_jid("to"), Some(bob.jid.clone()));
    assert_eq!(resend.attr_str("id"), Some(id(30).as_str()));
    assert_eq!(resend.attr_str("type"), Some("reaction"));
    assert_eq!(resend.attr_str("t"), Some("1700000000"));
    assert_eq!(resend.attr_str("device_fanout"), Some("false"));
    let enc = resend.child("enc").unwrap();
    assert_eq!(enc.attr_str("count"), Some("2"));
    assert_eq!(enc.attr_str("type"), Some("pkmsg"));
    assert!(resend.child("device-identity").is_some());
    assert_eq!(bob.decrypt(enc, &me), message);

    // Without keys the current session is used.
    bob.reply_to(&mut store, &me);
    let node = retry_receipt(&bob.jid, None, &id(30), 1, None);
    let receipt = RetryReceipt::parse(&node).unwrap();
    let resend = encrypt_retry(&mut store, &own, &receipt, &retry, &mut OsRng).unwrap();
    let enc = resend.child("enc").unwrap();
    assert_eq!(enc.attr_str("type"), Some("msg"));
    assert_eq!(bob.decrypt(enc, &me), message);
    assert!(resend.child("device-identity").is_none());

    // The wrong message for the receipt is refused.
    let other = StanzaAttrs::for_message(id(31), &message);
    let err = encrypt_retry(
        &mut store,
        &own,
        &receipt,
        &RetryMessage {
            attrs: &other,
            ..retry
        },
        &mut OsRng,
    )
    .unwrap_err();
    assert!(matches!(err, Error::MalformedStanza(_)));
}

#[test]
fn a_group_retry_goes_pairwise_with_the_sender_key_attached() {
    let mut store = new_stores();
    let own = own();
    let me = own.device_jid(Addressing::Lid).unwrap();
    let group = jid("120363000000000001@g.us");
    let mut bob = Peer::new("200000000000002:1@lid");
    let message = text("group text");
    let attrs = StanzaAttrs::for_message(id(40), &message);
    let fresh = bob.bundle();
    let node = retry_receipt(&group, Some(&bob.jid), &id(40), 2, Some((&bob, &fresh)));
    let receipt = RetryReceipt::parse(&node).unwrap();
    assert_eq!(receipt.device(), &bob.jid);
    let resend = encrypt_retry(
        &mut store,
        &own,
        &receipt,
        &RetryMessage {
            chat: &group,
            message: &message,
            attrs: &attrs,
        },
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(resend.attr_jid("to"), Some(group.clone()));
    assert_eq!(resend.attr_jid("participant"), Some(bob.jid.clone()));
    assert_eq!(resend.attr("device_fanout"), None);
    let decrypted = bob.decrypt(resend.child("enc").unwrap(), &me);
    assert_eq!(decrypted.conversation.as_deref(), Some("group text"));
    bob.take_sender_key(&decrypted, &group, &me);

    // A group receipt without participant is malformed.
    let mut broken = retry_receipt(&group, None, &id(40), 1, None);
    assert!(matches!(
        RetryReceipt::parse(&broken),
        Err(Error::MalformedStanza(_))
    ));
    broken = Node::new("receipt").with_attr("type", "read");
    assert!(RetryReceipt::parse(&broken).is_err());
}

#[test]
fn bundles_are_read_from_an_encrypt_result_list() {
    let mut bob = Peer::new("15550002222:1@s.whatsapp.net");
    let bundle = bob.bundle();
    let receipt = retry_receipt(&bob.jid, None, &id(1), 2, Some((&bob, &bundle)));
    // The same fields flattened into a <user>, as the encrypt IQ lists them.
    let keys = receipt.child("keys").unwrap();
    let mut children = vec![receipt.child("registration").unwrap().clone()];
    children.extend(keys.children().iter().cloned());
    let list = Node::new("list").with_children(vec![
        Node::new("user")
            .with_attr("jid", bob.jid.clone())
            .with_children(children),
        Node::new("user")
            .with_attr("jid", jid("15550002222:7@s.whatsapp.net"))
            .with_children(vec![Node::new("error").with_attr("code", "404")]),
    ]);
    let bundles = bundles_from_list(&list).unwrap();
    assert_eq!(bundles.len(), 1);
    assert_eq!(bundles.get(&bob.jid), Some(&bundle));
    let bad = Node::new("list").with_children(vec![Node::new("user")
        .with_attr("jid", bob.jid.clone())
        .with_children(vec![Node::new("identity").with_bytes(vec![1, 2])])]);
    assert!(matches!(
        bundles_from_list(&bad),
        Err(Error::MalformedStanza(_))
    ));
}

#[test]
fn stanza_attrs_follow_whatsmeow() {
    use wa_proto::e2e::{protocol_message, ProtocolMessage};
    let revoke = |from_me: bool| Message {
        protocol_message: Some(Box::new(ProtocolMessage {
            key: Some(MessageKey {
                from_me: Some(from_me),
                ..MessageKey::default()
            }),
            r#type: Some(protocol_message::Type::Revoke as i32),
            edited_message: None,
            timestamp_ms: None,
        })),
        ..Message::default()
    };
    let own_revoke = StanzaAttrs::for_message(id(1), &revoke(true));
    assert_eq!(own_revoke.stanza_type(), StanzaType::Text);
    assert_eq!(own_revoke.edit(), Some(Edit::SenderRevoke));
    assert!(own_revoke.hides_decrypt_failure());
    let admin = StanzaAttrs::for_message(id(1), &revoke(false));
    assert_eq!(admin.edit(), Some(Edit::AdminRevoke));
    let plain = StanzaAttrs::for_message(id(1), &text("x"));
    assert_eq!((plain.edit(), plain.hides_decrypt_failure()), (None, false));
    assert_eq!(
        StanzaAttrs::new(id(1), StanzaType::Text)
            .with_edit(Edit::AdminRevoke)
            .with_hidden_decrypt_failure(),
        StanzaAttrs::for_message(id(1), &revoke(false))
    );
    assert!(MessageId::parse(&"A".repeat(129)).is_err());
    assert!(MessageId::parse("3EB0-é").is_err());
}

mod kept;
