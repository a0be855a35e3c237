//! Device-list changes: the simulator tells devices that fetched an account's device list
//! when the account gains or loses a device (`<notification type="devices">`); the session
//! drops its cached list, so the next send reaches the new device.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use wa_session::receive::ReceiveEvent;
use wa_session::send::TargetRef;
use wa_session::Event;
use wa_sim::{ReceivedKind, Simulator};

mod common;
use common::{companion, expect};

#[tokio::test]
async fn a_contact_device_added_after_a_send_gets_the_next_reaction() {
    let sim = Simulator::new(61);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let a = companion(&sim, &running, &alice, 61).await;

    // Alice's session learns Bob's device list (his phone only) by sending.
    let sent = a.session.send_text(&bob.jid, "before").await.unwrap();
    // Bob adds a companion; the server tells Alice's session.
    let mut b = companion(&sim, &running, &bob, 62).await;

    let reacted = a
        .session
        .react(&bob.jid, &TargetRef::mine(sent.message_id.clone()), "👍")
        .await
        .unwrap();
    let event = expect(&mut b.events, |e| matches!(e, Event::Incoming(_))).await;
    let Event::Incoming(incoming) = event else {
        unreachable!()
    };
    let ReceiveEvent::Reaction(reaction) = *incoming else {
        panic!("{incoming:?}")
    };
    assert_eq!(reaction.id, reacted.message_id);
    assert_eq!(reaction.target.id(), &sent.message_id);
    assert_eq!(reaction.emoji.as_deref(), Some("👍"));

    // Bob's companion is removed again: the next send still reaches his phone.
    sim.remove_device(&b.info.jid).unwrap();
    let after = a.session.send_text(&bob.jid, "after").await.unwrap();
    let mut found = false;
    for _ in 0..1000 {
        found = sim.received(&bob.jid).unwrap().iter().any(|r| {
            r.id == after.message_id.as_str()
                && r.kind
                    == ReceivedKind::Text {
                        text: "after".into(),
                    }
        });
        if found {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(found, "Bob's phone got the message sent after the removal");
}
