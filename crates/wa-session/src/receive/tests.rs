//! Unit tests: Bob's device encrypts with the fan-out into its own store; ours decrypts with
//! an independent one, from stanzas put into the server's form by hand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rand_core::OsRng;
use wa_binary::{Jid, Node};
use wa_proto::e2e::Message;
use wa_signal::store::{InMemoryStore, PreKeyStore, SignedPreKeyStore};
use wa_signal::{
    IdentityKeyPair, PreKeyBundle, PreKeyId, PreKeyRecord, RegistrationId, SignedPreKeyId,
    SignedPreKeyRecord,
};

use super::*;
use crate::content::{
    build_reaction, build_revoke, GroupAddressing, MessageId, NoLidMappings, ReactionEmoji,
    TargetKey,
};
use crate::fanout::{
    encrypt_direct, encrypt_group, Addressing, Bundles, DirectMessage, GroupMessage, StanzaAttrs,
};

/// One device: a complete Signal store.
struct Device {
    jid: Jid,
    /// Identity, prekeys, sessions and sender keys.
    signal: InMemoryStore,
    identity: IdentityKeyPair,
    signed: SignedPreKeyRecord,
}

impl Device {
    fn new(jid: &str) -> Self {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let mut signal = InMemoryStore::new(identity.clone(), RegistrationId(77));
        let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &identity, 0, &mut OsRng);
        signal.store_signed_pre_key(&signed).unwrap();
        Self {
            jid: jid.parse().unwrap(),
            signal,
            identity,
            signed,
        }
    }

    fn bundle(&mut self, id: u32) -> PreKeyBundle {
        let pre_key = PreKeyRecord::generate(PreKeyId(id), &mut OsRng);
        self.signal.store_pre_key(&pre_key).unwrap();
        PreKeyBundle {
            registration_id: RegistrationId(77),
            identity_key: self.identity.identity_key(),
            signed_pre_key_id: self.signed.id(),
            signed_pre_key: *self.signed.key_pair().public_key(),
            signed_pre_key_signature: *self.signed.signature(),
            pre_key: Some((pre_key.id(), *pre_key.key_pair().public_key())),
        }
    }

    fn own(&self) -> OwnIdentity {
        OwnIdentity::new(&self.jid.to_non_ad(), None, self.jid.device(), vec![9]).unwrap()
    }
}

const T: &str = "1700000000";

fn now() -> UnixMillis {
    UnixMillis::new(1_700_000_000_500)
}

/// Us (Alice's device 3) and Bob's device 0.
struct Pair {
    us: Device,
    me: ReceiveIdentity,
    state: ReceiveState,
    bob: Device,
    bundles: Bundles,
    next: u32,
}

impl Pair {
    fn new() -> Self {
        let mut us = Device::new("15550001111:3@s.whatsapp.net");
        let me = ReceiveIdentity::new(us.own(), vec![9], SignedPreKeyId(1));
        let mut bundles = Bundles::new();
        bundles.insert(us.jid.clone(), us.bundle(1));
        Self {
            us,
            me,
            state: ReceiveState::new(),
            bob: Device::new("15550002222@s.whatsapp.net"),
            bundles,
            next: 0,
        }
    }

    fn id(&mut self) -> MessageId {
        self.next += 1;
        MessageId::parse(&format!("3EB0{:018}", self.next)).unwrap()
    }

    /// Bob sends `message` to us; the stanza as the server delivers it to our device.
    fn bob_sends(&mut self, message: &Message) -> Node<'static> {
        let id = self.id();
        let attrs = StanzaAttrs::for_message(id, message);
        let chat = self.us.jid.to_non_ad();
        let devices = [self.us.jid.clone()];
        let bob_own = self.bob.own();
        let sent = encrypt_direct(
            &mut self.bob.signal,
            &bob_own,
            &DirectMessage {
                chat: &chat,
                devices: &devices,
                message,
                attrs: &attrs,
            },
            &self.bundles,
            &mut OsRng,
        )
        .unwrap();
        self.bundles.clear();
        let enc = sent.stanza.child("participants").unwrap().children()[0]
            .child("enc")
            .unwrap()
            .clone();
        Node::new("message")
            .with_attr("from", self.bob.jid.clone())
            .with_attr("id", sent.stanza.attr_str("id").unwrap().to_owned())
            .with_attr("t", T)
            .with_children(vec![enc.into_owned()])
    }

    fn handle(&mut self, node: &Node<'_>) -> Received {
        handle_message(
            &mut self.us.signal,
            &self.me,
            &mut self.state,
            node,
            now(),
            &mut OsRng,
        )
        .unwrap()
    }
}

fn text(text: &str) -> Message {
    Message {
        conversation: Some(text.into()),
        ..Default::default()
    }
}

fn only_event(received: &Received) -> &ReceiveEvent {
    assert_eq!(received.events.len(), 1, "{received:?}");
    &received.events[0]
}

#[test]
fn a_text_gives_an_event_a_receipt_and_an_ack_once() {
    let mut pair = Pair::new();
    let node = pair.bob_sends(&text("hello"));
    let received = pair.handle(&node);
    let ReceiveEvent::Message(message) = only_event(&received) else {
        panic!("{received:?}")
    };
    assert_eq!(message.text.as_deref(), Some("hello"));
    assert_eq!(message.chat, pair.bob.jid);
    assert_eq!(message.author, pair.bob.jid);
    assert!(!message.from_me);
    assert_eq!(message.timestamp, UnixMillis::new(1_700_000_000_000));
    let [receipt, ack] = &received.replies[..] else {
        panic!("{:?}", received.replies)
    };
    assert_eq!(receipt.tag(), "receipt");
    assert_eq!(receipt.attr_str("id"), node.attr_str("id"));
    assert_eq!(receipt.attr_jid("to"), Some(pair.bob.jid.clone()));
    assert_eq!(receipt.attr_str("type"), None);
    assert_eq!(ack.tag(), "ack");
    assert_eq!(ack.attr_str("class"), Some("message"));

    // Delivered again: acknowledged, no second event, no retry.
    let again = pair.handle(&node);
    assert!(again.events.is_empty());
    assert!(again.decrypt_failure.is_none());
    assert_eq!(again.replies.len(), 2);
    assert_eq!(again.replies[0].attr_str("type"), None);
}

#[test]
fn reactions_are_added_changed_and_removed() {
    let mut pair = Pair::new();
    let node = pair.bob_sends(&text("hello"));
    let ReceiveEvent::Message(first) = only_event(&pair.handle(&node)).clone() else {
        panic!()
    };
    // Bob reacts to his own message: from his side, fromMe=true in the chat with us.
    let his = TargetKey::resolve(
        pair.us.jid.to_non_ad(),
        first.id.clone(),
        true,
        None,
        GroupAddressing::Pn,
        &NoLidMappings,
    )
    .unwrap();
    let mut changes = Vec::new();
    for emoji in ["👍", "❤️", ""] {
        let reaction = build_reaction(&his, &ReactionEmoji::parse(emoji).unwrap(), now()).unwrap();
        let node = pair.bob_sends(reaction.message());
        let received = pair.handle(&node);
        let ReceiveEvent::Reaction(event) = only_event(&received) else {
            panic!("{received:?}")
        };
        assert_eq!(event.target, first.key());
        assert_eq!(event.actor, pair.bob.jid);
        assert_eq!(event.chat, pair.bob.jid);
        changes.push((event.emoji.clone(), event.change));
    }
    assert_eq!(
        changes,
        [
            (Some("👍".to_owned()), ReactionChange::Added),
            (Some("❤️".to_owned()), ReactionChange::Changed),
            (None, ReactionChange::Removed),
        ]
    );
}

#[test]
fn a_revoke_names_its_target_and_is_not_an_admin_revoke() {
    let mut pair = Pair::new();
    let node = pair.bob_sends(&text("oops"));
    let ReceiveEvent::Message(first) = only_event(&pair.handle(&node)).clone() else {
        panic!()
    };
    let his = TargetKey::resolve(
        pair.us.jid.to_non_ad(),
        first.id.clone(),
        true,
        None,
        GroupAddressing::Pn,
        &NoLidMappings,
    )
    .unwrap();
    let node = pair.bob_sends(build_revoke(&his).unwrap().message());
    let received = pair.handle(&node);
    let ReceiveEvent::Revoke(revoke) = only_event(&received) else {
        panic!("{received:?}")
    };
    assert_eq!(revoke.target, first.key());
    assert_eq!(revoke.revoker, pair.bob.jid);
    assert!(!revoke.admin);
}

#[test]
fn a_group_message_decrypts_with_the_sender_key_it_brings() {
    let mut pair = Pair::new();
    let group: Jid = "120363000000000001@g.us".parse().unwrap();
    let id = pair.id();
    let message = text("to the group");
    let attrs = StanzaAttrs::for_message(id, &message);
    let devices = [pair.us.jid.clone(), pair.bob.jid.clone()];
    let bob_own = pair.bob.own();
    let sent = encrypt_group(
        &mut pair.bob.signal,
        &bob_own,
        &GroupMessage {
            group: &group,
            addressing: Addressing::Pn,
            devices: &devices,
            message: &message,
            attrs: &attrs,
        },
        &pair.bundles,
        &std::collections::HashSet::new(),
        &mut OsRng,
    )
    .unwrap();
    let pairwise = sent.stanza.child("participants").unwrap().children()[0]
        .child("enc")
        .unwrap()
        .clone();
    let skmsg = sent
        .stanza
        .children_with_tag("enc")
        .find(|enc| enc.attr_str("type") == Some("skmsg"))
        .unwrap()
        .clone();
    // The server puts the sender-key enc first; the pairwise one must still be read first.
    let node = Node::new("message")
        .with_attr("from", group.clone())
        .with_attr("participant", pair.bob.jid.clone())
        .with_attr("id", sent.stanza.attr_str("id").unwrap().to_owned())
        .with_attr("t", T)
        .with_children(vec![skmsg.into_owned(), pairwise.into_owned()]);
    let received = pair.handle(&node);
    let ReceiveEvent::Message(event) = only_event(&received) else {
        panic!("{received:?}")
    };
    assert_eq!(event.chat, group);
    assert_eq!(event.text.as_deref(), Some("to the group"));
    assert_eq!(event.key().participant(), Some(&pair.bob.jid));
    let receipt = &received.replies[0];
    assert_eq!(receipt.attr_jid("to"), Some(group));
    assert_eq!(receipt.attr_jid("participant"), Some(pair.bob.jid.clone()));
}

#[test]
fn failures_give_retry_receipts_with_keys_from_the_second_and_none_after_the_fourth() {
    let mut pair = Pair::new();
    let mut node = pair.bob_sends(&text("hello"));
    // Corrupt the ciphertext's last byte (the MAC).
    let enc = node.child("enc").unwrap().clone();
    let mut bytes = enc.bytes().unwrap().to_vec();
    *bytes.last_mut().unwrap() ^= 0xff;
    let enc = Node::new("enc")
        .with_attr("v", "2")
        .with_attr("type", enc.attr_str("type").unwrap().to_owned())
        .with_bytes(bytes);
    node = Node::new("message")
        .with_attr("from", pair.bob.jid.clone())
        .with_attr("id", node.attr_str("id").unwrap().to_owned())
        .with_attr("t", T)
        .with_children(vec![enc]);
    for count in 1..=5u32 {
        let received = pair.handle(&node);
        assert!(received.events.is_empty());
        let failure = received.decrypt_failure.as_ref().unwrap();
        assert_eq!(failure.retry_count, count);
        assert_eq!(failure.retry_sent, count < 5);
        assert_eq!(failure.sender, pair.bob.jid);
        assert_eq!(Some(failure.id.as_str()), node.attr_str("id"));
        if count == 5 {
            assert_eq!(
                received.replies.len(),
                1,
                "only the ack after the fourth retry"
            );
            assert_eq!(received.replies[0].tag(), "ack");
            continue;
        }
        let receipt = &received.replies[0];
        assert_eq!(receipt.attr_str("type"), Some("retry"));
        assert_eq!(receipt.attr_jid("to"), Some(pair.bob.jid.clone()));
        let retry = receipt.child("retry").unwrap();
        assert_eq!(retry.attr_str("count"), Some(count.to_string().as_str()));
        assert_eq!(retry.attr_str("id"), node.attr_str("id"));
        assert_eq!(retry.attr_str("t"), Some(T));
        assert_eq!(retry.attr_str("v"), Some("1"));
        assert_eq!(
            receipt.child("registration").unwrap().bytes(),
            Some(&77u32.to_be_bytes()[..])
        );
        let keys = receipt.child("keys");
        assert_eq!(keys.is_some(), count >= 2);
        if let Some(keys) = keys {
            // The fan-out reads the keys back, and our store holds the one-time prekey.
            let bundle = crate::fanout::bundle_from_retry_receipt(receipt)
                .unwrap()
                .unwrap();
            let (pre_key_id, _) = bundle.pre_key.unwrap();
            assert!(pair.us.signal.load_pre_key(pre_key_id).unwrap().is_some());
            assert_eq!(
                keys.child("device-identity").unwrap().bytes(),
                Some(&[9u8][..])
            );
        }
    }
}

#[test]
fn bad_input_is_refused_or_retried_never_a_panic() {
    let mut pair = Pair::new();
    let not_a_message = Node::new("receipt").with_attr("id", "X1");
    assert!(handle_message(
        &mut pair.us.signal,
        &pair.me,
        &mut pair.state,
        &not_a_message,
        now(),
        &mut OsRng
    )
    .is_err());
    let no_participant = Node::new("message")
        .with_attr("from", "120363000000000001@g.us".parse::<Jid>().unwrap())
        .with_attr("id", "X2");
    assert!(handle_message(
        &mut pair.us.signal,
        &pair.me,
        &mut pair.state,
        &no_participant,
        now(),
        &mut OsRng
    )
    .is_err());
    for (kind, bytes) in [
        ("pkmsg", vec![]),
        ("msg", vec![0x33]),
        ("skmsg", vec![1, 2, 3]),
    ] {
        let node = Node::new("message")
            .with_attr("from", pair.bob.jid.clone())
            .with_attr("id", format!("X{kind}"))
            .with_children(vec![Node::new("enc")
                .with_attr("type", kind)
                .with_bytes(bytes)]);
        let received = pair.handle(&node);
        assert!(received.decrypt_failure.is_some(), "{kind}");
    }
}

#[test]
fn bounded_state_forgets_the_oldest() {
    let mut state = ReceiveState::with_capacities(2, 2, 2);
    let chat: Jid = "15550002222@s.whatsapp.net".parse().unwrap();
    for n in 0..5 {
        let id = MessageId::parse(&format!("ID{n}")).unwrap();
        state.mark_seen(&chat, &chat, &id);
    }
    assert_eq!(state.remembered_messages(), 2);
    assert!(state.is_seen(&chat, &chat, &MessageId::parse("ID4").unwrap()));
    assert!(!state.is_seen(&chat, &chat, &MessageId::parse("ID0").unwrap()));
}
