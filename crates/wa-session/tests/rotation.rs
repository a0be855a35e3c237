//! Sender key rotation: after a member is removed from a group (the server's `w:gp2`
//! notification), the next group message is under a new sender key, distributed to the
//! remaining devices: they read it, the removed member's phone cannot.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use wa_binary::Jid;
use wa_session::Event;
use wa_sim::{AddressingMode, ReceivedKind, Simulator};

mod common;
use common::{companion, expect};

/// Waits until `account`'s phone decrypted `id`; returns what it was.
async fn phone_got(sim: &Simulator, account: &Jid, id: &str) -> ReceivedKind {
    for _ in 0..1000 {
        if let Some(found) = sim
            .received(account)
            .unwrap()
            .into_iter()
            .find(|r| r.id == id)
        {
            return found.kind;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{account} never decrypted {id}");
}

fn text(text: &str) -> ReceivedKind {
    ReceivedKind::Text { text: text.into() }
}

async fn removed_member_cannot_read_the_next_message(mode: AddressingMode, seed: u64) {
    let sim = Simulator::new(seed);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let carol = sim.create_account(Some("15550003333")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let mut a = companion(&sim, &running, &alice, seed).await;
    let group = sim
        .create_group(
            "rotation",
            &alice.jid,
            &[bob.jid.clone(), carol.jid.clone()],
            mode,
        )
        .unwrap();

    let first = a.session.send_text(&group, "everyone").await.unwrap();
    for member in [&bob, &carol] {
        assert_eq!(
            phone_got(&sim, &member.jid, first.message_id.as_str()).await,
            text("everyone")
        );
    }

    sim.remove_participant(&group, &carol.jid).unwrap();
    // Stanzas reach the session in order: once Bob's text is an event, the removal
    // notification before it has been handled.
    sim.send_text(&bob.jid, &alice.jid, "ping").unwrap();
    expect(&mut a.events, |e| matches!(e, Event::Incoming(_))).await;

    let second = a.session.send_text(&group, "without carol").await.unwrap();
    assert_eq!(
        phone_got(&sim, &bob.jid, second.message_id.as_str()).await,
        text("without carol")
    );
    assert!(
        !sim.phone_can_read_group_message(
            &carol.jid,
            &group,
            &alice.jid,
            second.message_id.as_str()
        )
        .unwrap(),
        "the removed member's old sender key must not decrypt the next message"
    );
    assert!(sim
        .received(&carol.jid)
        .unwrap()
        .iter()
        .all(|r| r.id != second.message_id.as_str()));
}

#[tokio::test]
async fn lid_group_rotates_its_sender_key_when_a_member_is_removed() {
    removed_member_cannot_read_the_next_message(AddressingMode::Lid, 71).await;
}

#[tokio::test]
async fn pn_group_rotates_its_sender_key_when_a_member_is_removed() {
    removed_member_cannot_read_the_next_message(AddressingMode::Pn, 72).await;
}
