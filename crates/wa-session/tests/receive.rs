//! The receive path against the simulator over a real connection: Alice's companion logs in,
//! Bob's simulated phone sends a text, a reaction, its change and removal, a revoke, and a
//! message in a LID group; each `<message>` goes through `handle_message`, the replies go back
//! and Bob's phone sees the delivery receipts. A corrupted message gets a retry receipt and
//! the phone's resend decrypts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use prost::Message as _;
use rand_core::OsRng;
use wa_binary::{Jid, Node};
use wa_noise::{CertVerifier, IntroHeader};
use wa_session::content::UnixMillis;
use wa_session::fanout::OwnIdentity;
use wa_session::receive::{
    handle_message, ReactionChange, ReceiveEvent, ReceiveIdentity, ReceiveState, Received,
};
use wa_sim::{
    login_payload, unix_now, Account, AddressingMode, DeviceKeys, Outgoing, ReceiptKind,
    RunningSimulator, Simulator, TargetKey,
};
use wa_transport::ClientConnection;

mod common;

const TIMEOUT: Duration = Duration::from_secs(20);

struct Setup {
    sim: Simulator,
    _running: RunningSimulator,
    conn: ClientConnection,
    db: wa_store::Store,
    device: wa_store::DeviceId,
    me: ReceiveIdentity,
    state: ReceiveState,
    alice: Account,
    bob: Account,
}

async fn setup() -> Setup {
    let sim = Simulator::new(7);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
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
    let me = ReceiveIdentity::new(own, identity.encode_to_vec(), keys.signed_pre_key.id());

    // Our keys in an SQLite store, as a paired device keeps them.
    let mut db = wa_store::Store::open_in_memory().unwrap();
    let stored = db
        .create_device(&wa_store::NewDevice {
            noise_key: keys.noise.clone(),
            identity_key: keys.identity.clone(),
            registration_id: keys.registration_id,
            signed_prekey_id: keys.signed_pre_key.id(),
        })
        .unwrap();
    db.put_signed_prekey(stored, &keys.signed_pre_key).unwrap();
    db.insert_prekeys(stored, &keys.pre_keys).unwrap();

    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let payload = login_payload(device.jid.user(), device.jid.device()).unwrap();
    let verifier = CertVerifier::new(running.root_public_key());
    let url = running.url();
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
    let success = next_node(&mut conn, |n| n.tag() != "ib").await;
    assert_eq!(success.tag(), "success");
    Setup {
        sim,
        _running: running,
        conn,
        db,
        device: stored,
        me,
        state: ReceiveState::new(),
        alice,
        bob,
    }
}

async fn next_node(
    conn: &mut ClientConnection,
    wanted: impl Fn(&Node<'_>) -> bool,
) -> Node<'static> {
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
    async fn next_message(&mut self, id: &str) -> Node<'static> {
        next_node(&mut self.conn, |n| {
            n.tag() == "message" && n.attr_str("id") == Some(id)
        })
        .await
    }

    fn handle(&mut self, node: &Node<'_>) -> Received {
        let mut store = self.db.device_store(self.device).unwrap();
        let now = UnixMillis::new(unix_now() * 1000);
        handle_message(&mut store, &self.me, &mut self.state, node, now, &mut OsRng).unwrap()
    }

    async fn send_replies(&mut self, received: &Received) {
        for reply in &received.replies {
            self.conn.send(reply).await.unwrap();
        }
    }

    /// Bob's phone sends `content` to `chat`; we receive, handle and answer it.
    async fn receive(&mut self, chat: &Jid, content: &Outgoing) -> (String, ReceiveEvent) {
        let id = self.sim.send(&self.bob.jid, chat, content).unwrap();
        let node = self.next_message(&id).await;
        let received = self.handle(&node);
        assert!(received.decrypt_failure.is_none(), "{received:?}");
        assert_eq!(received.events.len(), 1, "{received:?}");
        self.send_replies(&received).await;
        (id, received.events[0].clone())
    }

    /// Waits until Bob's phone has a delivery receipt for each of `ids`.
    async fn wait_for_receipts(&self, ids: &[String]) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let receipts = self.sim.receipts(&self.bob.jid).unwrap();
            let delivered = ids.iter().all(|id| {
                receipts
                    .iter()
                    .any(|r| &r.id == id && r.kind == ReceiptKind::Delivery)
            });
            if delivered {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "receipts: {receipts:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn text_reactions_and_revoke_from_another_account() {
    let mut s = setup().await;
    let alice = s.alice.jid.clone();
    let (text_id, event) = s
        .receive(&alice, &Outgoing::Text("hello alice".into()))
        .await;
    let ReceiveEvent::Message(message) = event else {
        panic!("{event:?}")
    };
    assert_eq!(message.text.as_deref(), Some("hello alice"));
    assert_eq!(message.chat, s.bob.jid);
    assert_eq!(message.author.to_non_ad(), s.bob.jid);

    let mut ids = vec![text_id.clone()];
    let mut changes = Vec::new();
    for emoji in ["👍", "😂", ""] {
        let reaction = Outgoing::Reaction {
            target: TargetKey::own(text_id.clone()),
            emoji: emoji.into(),
        };
        let (id, event) = s.receive(&alice, &reaction).await;
        let ReceiveEvent::Reaction(reaction) = event else {
            panic!("{event:?}")
        };
        assert_eq!(reaction.target, message.key());
        assert_eq!(reaction.actor, s.bob.jid);
        changes.push(reaction.change);
        ids.push(id);
    }
    assert_eq!(
        changes,
        [
            ReactionChange::Added,
            ReactionChange::Changed,
            ReactionChange::Removed
        ]
    );

    let revoke = Outgoing::Revoke {
        target: TargetKey::own(text_id.clone()),
    };
    let (id, event) = s.receive(&alice, &revoke).await;
    let ReceiveEvent::Revoke(revoke) = event else {
        panic!("{event:?}")
    };
    assert_eq!(revoke.target, message.key());
    assert!(!revoke.admin);
    ids.push(id);
    s.wait_for_receipts(&ids).await;
}

#[tokio::test]
async fn a_message_in_a_lid_group() {
    let mut s = setup().await;
    let group = s
        .sim
        .create_group(
            "receive",
            &s.bob.jid,
            &[s.alice.jid.clone()],
            AddressingMode::Lid,
        )
        .unwrap();
    let (id, event) = s
        .receive(&group, &Outgoing::Text("hello group".into()))
        .await;
    let ReceiveEvent::Message(message) = event else {
        panic!("{event:?}")
    };
    assert_eq!(message.chat, group);
    assert_eq!(message.author.to_non_ad(), s.bob.lid);
    assert_eq!(message.text.as_deref(), Some("hello group"));
    s.wait_for_receipts(std::slice::from_ref(&id)).await;

    // The second message comes under the sender key alone.
    let (_, event) = s.receive(&group, &Outgoing::Text("again".into())).await;
    assert!(matches!(event, ReceiveEvent::Message(m) if m.text.as_deref() == Some("again")));
}

#[tokio::test]
async fn fail_then_the_resend_decrypts() {
    let mut s = setup().await;
    let alice = s.alice.jid.clone();
    let id = s
        .sim
        .send(&s.bob.jid, &alice, &Outgoing::Text("first try".into()))
        .unwrap();
    let node = s.next_message(&id).await;
    // Corrupt the enc's last byte (its MAC).
    let enc = node.child("enc").unwrap();
    let mut bytes = enc.bytes().unwrap().to_vec();
    *bytes.last_mut().unwrap() ^= 0x5a;
    let corrupted = Node::new("message")
        .with_attr("from", node.attr_jid("from").unwrap())
        .with_attr("id", id.clone())
        .with_attr("t", node.attr_str("t").unwrap().to_owned());
    let mut children = vec![Node::new("enc")
        .with_attr("v", "2")
        .with_attr("type", enc.attr_str("type").unwrap().to_owned())
        .with_bytes(bytes)];
    children.extend(node.children_with_tag("device-identity").cloned());
    let corrupted = corrupted.with_children(children);

    let received = s.handle(&corrupted);
    let failure = received.decrypt_failure.clone().unwrap();
    assert_eq!((failure.id.as_str(), failure.retry_count), (id.as_str(), 1));
    assert!(received.events.is_empty());
    assert_eq!(received.replies[0].attr_str("type"), Some("retry"));
    s.send_replies(&received).await;

    let resend = s.next_message(&id).await;
    assert!(resend.child("enc").unwrap().attr("count").is_some());
    let received = s.handle(&resend);
    let [ReceiveEvent::Message(message)] = &received.events[..] else {
        panic!("{received:?}")
    };
    assert_eq!(message.text.as_deref(), Some("first try"));
    s.send_replies(&received).await;
    s.wait_for_receipts(&[id]).await;
}
