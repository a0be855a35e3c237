//! Two engine sessions (and the simulated phones) talking through the simulator, both
//! directions through the public API: a text arrives as an event; the other side reacts,
//! changes, removes its reaction and the sender sees Added, Changed, Removed; a revoke arrives
//! as a revoke; in a LID group an admin revokes another member's message and everyone's
//! events say `admin`. A simulated phone's messages arrive as events too and the phone gets
//! our delivery receipts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use wa_session::receive::{ReactionChange, ReceiveEvent};
use wa_session::send::TargetRef;
use wa_session::Event;
use wa_sim::{AddressingMode, Outgoing, ReceiptKind, Simulator};

mod common;
use common::{companion, expect};

/// The next incoming event (skipping connection events).
async fn incoming(events: &mut UnboundedReceiver<Event>) -> ReceiveEvent {
    match expect(events, |e| matches!(e, Event::Incoming(_))).await {
        Event::Incoming(event) => *event,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn two_engines_text_react_change_remove_and_revoke() {
    let sim = Simulator::new(31);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let mut a = companion(&sim, &running, &alice, 1).await;
    let mut b = companion(&sim, &running, &bob, 2).await;

    let sent = a.session.send_text(&bob.jid, "hello bob").await.unwrap();
    let ReceiveEvent::Message(message) = incoming(&mut b.events).await else {
        panic!("expected a message");
    };
    assert_eq!(message.id, sent.message_id);
    // Sent by phone number, addressed (as WhatsApp does) to Bob's LID: the chat is Alice's LID.
    assert_eq!(message.chat, alice.lid);
    assert_eq!(message.text.as_deref(), Some("hello bob"));

    // Bob reacts, changes his mind, removes it: Alice sees Added, Changed, Removed.
    let target = TargetRef::theirs(sent.message_id.clone(), Some(alice.jid.clone()));
    b.session.react(&alice.jid, &target, "👍").await.unwrap();
    b.session.react(&alice.jid, &target, "❤️").await.unwrap();
    b.session.unreact(&alice.jid, &target).await.unwrap();
    let mut changes = Vec::new();
    for _ in 0..3 {
        let ReceiveEvent::Reaction(reaction) = incoming(&mut a.events).await else {
            panic!("expected a reaction");
        };
        assert_eq!(reaction.chat, bob.lid);
        assert_eq!(reaction.target.id(), &sent.message_id);
        assert!(
            reaction.target.from_me(),
            "the target is Alice's own message"
        );
        changes.push((reaction.change, reaction.emoji.clone()));
    }
    assert_eq!(
        changes,
        [
            (ReactionChange::Added, Some("👍".to_owned())),
            (ReactionChange::Changed, Some("❤️".to_owned())),
            (ReactionChange::Removed, None),
        ]
    );

    // Alice revokes her message: Bob sees a revoke of it, not an admin one.
    a.session
        .revoke(&bob.jid, &TargetRef::mine(sent.message_id.clone()))
        .await
        .unwrap();
    let ReceiveEvent::Revoke(revoke) = incoming(&mut b.events).await else {
        panic!("expected a revoke");
    };
    assert_eq!(revoke.target.id(), &sent.message_id);
    assert!(!revoke.admin);
    assert_eq!(revoke.revoker.to_non_ad(), alice.lid);

    // Each account's phone saw all five: what the other side sent, and its own companion's
    // messages as device-sent copies.
    let kinds = |account| {
        sim.received(account)
            .unwrap()
            .into_iter()
            .map(|r| r.kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&bob.jid).len(), 5);
    assert_eq!(kinds(&alice.jid), kinds(&bob.jid));
}

#[tokio::test]
async fn a_phone_message_arrives_as_an_event_and_gets_a_receipt() {
    let sim = Simulator::new(32);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let mut a = companion(&sim, &running, &alice, 3).await;

    let id = sim
        .send_text(&bob.jid, &alice.jid, "from the phone")
        .unwrap();
    let ReceiveEvent::Message(message) = incoming(&mut a.events).await else {
        panic!("expected a message");
    };
    assert_eq!(message.id.as_str(), id);
    assert_eq!(message.author.to_non_ad(), bob.jid);
    sim.send(
        &bob.jid,
        &alice.jid,
        &Outgoing::Revoke {
            target: wa_sim::TargetKey::own(id.clone()),
        },
    )
    .unwrap();
    let ReceiveEvent::Revoke(revoke) = incoming(&mut a.events).await else {
        panic!("expected a revoke");
    };
    assert_eq!(revoke.target.id().as_str(), id);
    // Our delivery receipts reached the phone.
    for _ in 0..500 {
        let receipts = sim.receipts(&bob.jid).unwrap();
        if receipts
            .iter()
            .filter(|r| r.kind == ReceiptKind::Delivery)
            .count()
            >= 2
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no delivery receipts: {:?}", sim.receipts(&bob.jid));
}

#[tokio::test]
async fn an_admin_revoke_in_a_lid_group_reaches_everyone_as_admin() {
    let sim = Simulator::new(33);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let carol = sim.create_account(Some("15550003333")).unwrap();
    let group = sim
        .create_group(
            "friends",
            &alice.jid,
            &[bob.jid.clone(), carol.jid.clone()],
            AddressingMode::Lid,
        )
        .unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let mut a = companion(&sim, &running, &alice, 4).await;
    let mut b = companion(&sim, &running, &bob, 5).await;

    let sent = b.session.send_text(&group, "oops").await.unwrap();
    let ReceiveEvent::Message(message) = incoming(&mut a.events).await else {
        panic!("expected a message");
    };
    assert_eq!(message.chat, group);
    assert_eq!(
        message.author.to_non_ad(),
        bob.lid,
        "LID group: authors by LID"
    );

    // Alice (the creator, so an admin) revokes Bob's message, naming him as she saw him.
    let target = TargetRef::theirs(sent.message_id.clone(), Some(message.author.to_non_ad()));
    a.session.revoke(&group, &target).await.unwrap();
    let ReceiveEvent::Revoke(revoke) = incoming(&mut b.events).await else {
        panic!("expected a revoke");
    };
    assert_eq!(revoke.target.id(), &sent.message_id);
    assert!(revoke.admin, "{revoke:?}");
    let at_carol = sim.received(&carol.jid).unwrap();
    assert!(at_carol.iter().any(|r| r.kind
        == wa_sim::ReceivedKind::Revoke {
            target: sent.message_id.to_string(),
            admin: true
        }));
}
