//! The fan-out against the simulator over a real connection: a registered companion logs in,
//! fetches device lists (usync) and prekey bundles (encrypt IQ) over the wire, sends 1:1 texts
//! and reactions (PN and LID chats), PN and LID group messages, and answers a retry receipt.
//! The simulated phones are real Signal endpoints: what they decrypted must be exactly what was
//! sent, and our own account's phone must get the DeviceSentMessage copy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;
use std::time::Duration;

use prost::Message as _;
use rand_core::OsRng;
use wa_binary::{Jid, Node};
use wa_noise::{CertVerifier, IntroHeader};
use wa_proto::common::MessageKey;
use wa_proto::e2e::{Message, ReactionMessage};
use wa_session::fanout::{
    bundles_from_list, devices_without_session, encrypt_direct, encrypt_group, encrypt_retry,
    Addressing, Bundles, DirectMessage, GroupMessage, MessageId, OwnIdentity, RetryMessage,
    RetryReceipt, StanzaAttrs,
};
use wa_signal::store::InMemoryStore;
use wa_sim::{
    login_payload, unix_now, Account, AddressingMode, DeviceKeys, Received, ReceivedKind,
    RunningSimulator, Simulator,
};
use wa_transport::ClientConnection;

mod common;

const TIMEOUT: Duration = Duration::from_secs(20);

/// Our device's Signal state: sessions and sender keys in one value, as the SQLite store is.
type Stores = InMemoryStore;

/// Alice's companion, logged in, with Bob and Carol as other accounts.
struct Setup {
    sim: Simulator,
    _running: RunningSimulator,
    conn: ClientConnection,
    store: Stores,
    own: OwnIdentity,
    alice: Account,
    bob: Account,
    carol: Account,
    next_iq: u32,
    next_message: u32,
}

async fn setup() -> Setup {
    let sim = Simulator::new(5);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let carol = sim.create_account(Some("15550003333")).unwrap();
    let keys = DeviceKeys::generate(5, unix_now(), &mut OsRng);
    let device = sim
        .register_device(&alice.jid, keys.registration())
        .unwrap();

    let mut identity = common::countersigned_identity(&sim, &device.jid, &keys.identity);
    identity.account_signature_key = None;
    let own = OwnIdentity::new(
        &alice.jid,
        Some(&alice.lid),
        device.jid.device(),
        identity.encode_to_vec(),
    )
    .unwrap();

    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let payload = login_payload(device.jid.user(), device.jid.device()).unwrap();
    let url = running.url();
    let verifier = CertVerifier::new(running.root_public_key());
    let connect = wa_transport::connect(
        &url,
        keys.noise.clone(),
        IntroHeader::V3,
        &verifier,
        &payload,
        unix_now(),
    );
    let mut conn = tokio::time::timeout(TIMEOUT, connect)
        .await
        .unwrap()
        .unwrap();
    let success = next(&mut conn, |n| n.tag() != "ib").await;
    assert_eq!(success.tag(), "success");
    Setup {
        sim,
        _running: running,
        conn,
        store: InMemoryStore::new(keys.identity.clone(), keys.registration_id),
        own,
        alice,
        bob,
        carol,
        next_iq: 0,
        next_message: 0,
    }
}

/// The next node that `wanted` accepts, within [`TIMEOUT`]; receipts and the like are skipped.
async fn next(conn: &mut ClientConnection, wanted: impl Fn(&Node<'_>) -> bool) -> Node<'static> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let node = tokio::time::timeout_at(deadline, conn.recv())
            .await
            .expect("timed out waiting for a node")
            .expect("recv")
            .expect("a node, not a close");
        if wanted(&node) {
            return node;
        }
    }
}

impl Setup {
    async fn iq(&mut self, xmlns: &str, children: Vec<Node<'static>>) -> Node<'static> {
        self.next_iq += 1;
        let id = format!("fanout-{}", self.next_iq);
        let request = Node::new("iq")
            .with_attr("id", id.clone())
            .with_attr("xmlns", xmlns.to_owned())
            .with_attr("type", "get")
            .with_attr("to", Jid::parse("s.whatsapp.net").unwrap())
            .with_children(children);
        self.conn.send(&request).await.unwrap();
        let reply = next(&mut self.conn, |n| {
            n.tag() == "iq" && n.attr_str("id") == Some(id.as_str())
        })
        .await;
        assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
        reply
    }

    /// Every device of `users`, as the usync devices query lists them.
    async fn devices(&mut self, users: &[&Jid]) -> Vec<Jid> {
        let list = users
            .iter()
            .map(|user| Node::new("user").with_attr("jid", (*user).clone()))
            .collect();
        let reply = self
            .iq(
                "usync",
                vec![Node::new("usync")
                    .with_attr("sid", "fanout")
                    .with_attr("mode", "query")
                    .with_attr("last", "true")
                    .with_attr("index", "0")
                    .with_attr("context", "message")
                    .with_children(vec![
                        Node::new("query")
                            .with_children(vec![Node::new("devices").with_attr("version", "2")]),
                        Node::new("list").with_children(list),
                    ])],
            )
            .await;
        let mut devices = Vec::new();
        for user in reply
            .child("usync")
            .and_then(|u| u.child("list"))
            .unwrap()
            .children_with_tag("user")
        {
            let jid = user.attr_jid("jid").unwrap();
            let device_list = user.child("devices").and_then(|d| d.child("device-list"));
            for device in device_list.unwrap().children_with_tag("device") {
                let id: u16 = device.attr_str("id").unwrap().parse().unwrap();
                devices.push(jid.clone().with_device(id).unwrap());
            }
        }
        devices
    }

    /// Bundles for the listed devices that have no session yet.
    async fn bundles_for(&mut self, devices: &[Jid]) -> Bundles {
        let missing = devices_without_session(&self.store, &self.own, devices).unwrap();
        if missing.is_empty() {
            return Bundles::new();
        }
        let users = missing
            .iter()
            .map(|jid| {
                Node::new("user")
                    .with_attr("jid", jid.clone())
                    .with_attr("reason", "identity")
            })
            .collect();
        let reply = self
            .iq("encrypt", vec![Node::new("key").with_children(users)])
            .await;
        let bundles = bundles_from_list(reply.child("list").unwrap()).unwrap();
        assert_eq!(bundles.len(), missing.len());
        bundles
    }

    fn message_id(&mut self) -> MessageId {
        self.next_message += 1;
        MessageId::parse(&format!("3EB0{:018X}", self.next_message)).unwrap()
    }

    /// Sends a stanza and returns its ack (checked error-free).
    async fn send(&mut self, stanza: &Node<'_>) -> Node<'static> {
        let id = stanza.attr_str("id").unwrap().to_owned();
        self.conn.send(stanza).await.unwrap();
        let ack = next(&mut self.conn, |n| {
            n.tag() == "ack" && n.attr_str("id") == Some(id.as_str())
        })
        .await;
        assert_eq!(ack.attr("error"), None, "{ack:?}");
        ack
    }

    /// A 1:1 message to `chat` (and our own devices), fetched, encrypted and sent.
    async fn send_direct(&mut self, chat: &Jid, mine: &Jid, message: &Message) -> MessageId {
        let devices = self.devices(&[chat, mine]).await;
        let bundles = self.bundles_for(&devices).await;
        let attrs = StanzaAttrs::for_message(self.message_id(), message);
        let sent = encrypt_direct(
            &mut self.store,
            &self.own,
            &DirectMessage {
                chat,
                devices: &devices,
                message,
                attrs: &attrs,
            },
            &bundles,
            &mut OsRng,
        )
        .unwrap();
        assert!(sent.skipped.is_empty());
        self.send(&sent.stanza).await;
        attrs.id().clone()
    }
}

/// What `account`'s phone decrypted with this id, waiting for it to arrive.
async fn received(sim: &Simulator, account: &Jid, id: &MessageId) -> Received {
    for _ in 0..400 {
        let all = sim.received(account).unwrap();
        let matching: Vec<_> = all.iter().filter(|r| r.id == id.as_str()).collect();
        assert!(matching.len() <= 1, "delivered once: {matching:?}");
        if let Some(found) = matching.first() {
            return (*found).clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{account} never decrypted {id}");
}

fn text(body: &str) -> Message {
    Message {
        conversation: Some(body.to_owned()),
        ..Message::default()
    }
}

fn reaction(
    chat: &Jid,
    target: &str,
    from_me: bool,
    participant: Option<&Jid>,
    emoji: &str,
) -> Message {
    Message {
        reaction_message: Some(ReactionMessage {
            key: Some(MessageKey {
                remote_jid: Some(chat.to_string()),
                from_me: Some(from_me),
                id: Some(target.to_owned()),
                participant: participant.map(ToString::to_string),
            }),
            text: Some(emoji.to_owned()),
            grouping_key: None,
            sender_timestamp_ms: Some(1_700_000_000_000),
        }),
        ..Message::default()
    }
}

#[tokio::test]
async fn one_to_one_text_and_reaction_reach_the_peer_and_our_own_phone() {
    let mut s = setup().await;
    let bob = s.bob.jid.clone();
    let alice = s.alice.jid.clone();

    let id = s.send_direct(&bob, &alice, &text("hello bob")).await;
    let at_bob = received(&s.sim, &bob, &id).await;
    assert_eq!(at_bob.from, alice);
    assert_eq!(at_bob.chat, alice, "for Bob the chat is Alice");
    assert_eq!(
        at_bob.kind,
        ReceivedKind::Text {
            text: "hello bob".into()
        }
    );
    // Our own phone got the DeviceSentMessage, naming Bob's chat.
    let at_alice = received(&s.sim, &alice, &id).await;
    assert_eq!(at_alice.chat, bob);
    assert_eq!(
        at_alice.kind,
        ReceivedKind::Text {
            text: "hello bob".into()
        }
    );

    // Bob's phone writes; we react to it, then remove the reaction (sessions exist now).
    let target = s.sim.send_text(&bob, &alice, "hi alice").unwrap();
    let react = reaction(&bob, &target, false, None, "👍");
    let id = s.send_direct(&bob, &alice, &react).await;
    assert_eq!(
        received(&s.sim, &bob, &id).await.kind,
        ReceivedKind::Reaction {
            target: target.clone(),
            emoji: "👍".into()
        }
    );
    let unreact = reaction(&bob, &target, false, None, "");
    let id = s.send_direct(&bob, &alice, &unreact).await;
    assert_eq!(
        received(&s.sim, &bob, &id).await.kind,
        ReceivedKind::Reaction {
            target,
            emoji: String::new()
        }
    );
    assert_eq!(
        received(&s.sim, &alice, &id).await.chat,
        bob,
        "own copy of the removal"
    );
}

#[tokio::test]
async fn a_lid_chat_is_sent_with_lid_devices() {
    let mut s = setup().await;
    let bob = s.bob.lid.clone();
    let alice = s.alice.lid.clone();
    let id = s.send_direct(&bob, &alice, &text("by lid")).await;
    let at_bob = received(&s.sim, &s.bob.jid, &id).await;
    assert_eq!(at_bob.from, alice);
    assert_eq!(
        at_bob.kind,
        ReceivedKind::Text {
            text: "by lid".into()
        }
    );
    let at_alice = received(&s.sim, &s.alice.jid, &id).await;
    assert_eq!(at_alice.chat, bob);
}

async fn group_round(mode: AddressingMode) {
    let mut s = setup().await;
    let lid = mode == AddressingMode::Lid;
    let form = |account: &Account| {
        if lid {
            account.lid.clone()
        } else {
            account.jid.clone()
        }
    };
    let group = s
        .sim
        .create_group(
            "fanout",
            &s.alice.jid,
            &[s.bob.jid.clone(), s.carol.jid.clone()],
            mode,
        )
        .unwrap();
    let addressing = if lid { Addressing::Lid } else { Addressing::Pn };
    let members = [form(&s.alice), form(&s.bob), form(&s.carol)];
    let devices = s.devices(&members.iter().collect::<Vec<_>>()).await;
    let bundles = s.bundles_for(&devices).await;

    let first = text("hello group");
    let attrs = StanzaAttrs::for_message(s.message_id(), &first);
    let sent = encrypt_group(
        &mut s.store,
        &s.own,
        &GroupMessage {
            group: &group,
            addressing,
            devices: &devices,
            message: &first,
            attrs: &attrs,
        },
        &bundles,
        &HashSet::new(),
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(
        sent.stanza.attr_str("addressing_mode"),
        lid.then_some("lid")
    );
    let ack = s.send(&sent.stanza).await;
    assert_eq!(
        ack.attr("phash"),
        None,
        "our phash is the server's: {ack:?}"
    );
    for account in [&s.bob, &s.carol, &s.alice] {
        let got = received(&s.sim, &account.jid, attrs.id()).await;
        assert_eq!(got.chat, group);
        assert_eq!(got.from, form(&s.alice));
        assert_eq!(
            got.kind,
            ReceivedKind::Text {
                text: "hello group".into()
            }
        );
    }

    // Steady state: a reaction to Bob's message, skmsg only.
    let target = s.sim.send_text(&s.bob.jid, &group, "from bob").unwrap();
    let bob_form = form(&s.bob);
    let react = reaction(&group, &target, false, Some(&bob_form), "🔥");
    let attrs = StanzaAttrs::for_message(s.message_id(), &react);
    let again = encrypt_group(
        &mut s.store,
        &s.own,
        &GroupMessage {
            group: &group,
            addressing,
            devices: &devices,
            message: &react,
            attrs: &attrs,
        },
        &Bundles::new(),
        &sent.holders_after(&HashSet::new()),
        &mut OsRng,
    )
    .unwrap();
    assert!(again.stanza.child("participants").is_none());
    s.send(&again.stanza).await;
    for account in [&s.bob, &s.carol] {
        assert_eq!(
            received(&s.sim, &account.jid, attrs.id()).await.kind,
            ReceivedKind::Reaction {
                target: target.clone(),
                emoji: "🔥".into()
            }
        );
    }
}

#[tokio::test]
async fn a_pn_group_message_and_reaction_by_sender_key() {
    group_round(AddressingMode::Pn).await;
}

#[tokio::test]
async fn a_lid_group_message_and_reaction_by_sender_key() {
    group_round(AddressingMode::Lid).await;
}

#[tokio::test]
async fn a_retry_receipt_is_answered_for_that_device() {
    let mut s = setup().await;
    let bob = s.bob.jid.clone();
    let alice = s.alice.jid.clone();
    // Establish the session first, then make Bob's phone fail the next decrypt.
    let id = s.send_direct(&bob, &alice, &text("one")).await;
    received(&s.sim, &bob, &id).await;
    s.sim.fail_next_decrypts(&bob, 1).unwrap();
    let message = text("two");
    let id = s.send_direct(&bob, &alice, &message).await;

    let node = next(&mut s.conn, |n| {
        n.tag() == "receipt" && n.attr_str("type") == Some("retry")
    })
    .await;
    let receipt = RetryReceipt::parse(&node).unwrap();
    assert_eq!(receipt.id(), &id);
    assert_eq!(receipt.count(), 1);
    let attrs = StanzaAttrs::for_message(id.clone(), &message);
    let resend = encrypt_retry(
        &mut s.store,
        &s.own,
        &receipt,
        &RetryMessage {
            chat: &bob,
            message: &message,
            attrs: &attrs,
        },
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(
        resend.child("enc").and_then(|e| e.attr_str("count")),
        Some("1")
    );
    s.send(&resend).await;
    assert_eq!(
        received(&s.sim, &bob, &id).await.kind,
        ReceivedKind::Text { text: "two".into() }
    );
}
