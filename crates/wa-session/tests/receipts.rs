//! Receipts for our messages become `Event::Receipt`: the simulated phones' delivery receipts,
//! our own phone's `sender` receipt for its device-sent copy, and read receipts (several ids
//! in one), in a one-to-one chat and in a group.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use tokio::sync::mpsc::UnboundedReceiver;
use wa_binary::Jid;
use wa_session::content::MessageId;
use wa_session::receive::ReceiptKind;
use wa_session::Event;
use wa_sim::{AddressingMode, Simulator};

mod common;
use common::{companion, expect};

/// The next receipt event of `kind` from `from`.
async fn receipt(
    events: &mut UnboundedReceiver<Event>,
    kind: ReceiptKind,
    from: &Jid,
) -> (Jid, Vec<MessageId>) {
    let event = expect(
        events,
        |e| matches!(e, Event::Receipt { kind: k, from: f, .. } if *k == kind && f == from),
    )
    .await;
    let Event::Receipt {
        chat,
        message_ids,
        time,
        ..
    } = event
    else {
        unreachable!()
    };
    assert!(time.as_secs() > 0, "the server's time");
    (chat, message_ids)
}

#[tokio::test]
async fn delivery_sender_and_read_receipts_of_a_direct_chat() {
    let sim = Simulator::new(41);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let mut a = companion(&sim, &running, &alice, 41).await;

    // Sent by phone number, the message goes to Bob's LID: receipts come from LID devices.
    let first = a.session.send_text(&bob.jid, "one").await.unwrap();
    // Bob's phone's delivery receipt and our own phone's for its device-sent copy (which
    // names the chat the message went to), in either order.
    let mut got = Vec::new();
    for _ in 0..2 {
        if let Event::Receipt {
            chat,
            message_ids,
            from,
            kind,
            ..
        } = expect(&mut a.events, |e| matches!(e, Event::Receipt { .. })).await
        {
            got.push((kind, from, chat, message_ids));
        }
    }
    got.sort_by_key(|(kind, ..)| *kind == ReceiptKind::Sender);
    let one = vec![first.message_id.clone()];
    assert_eq!(
        got,
        [
            (
                ReceiptKind::Delivered,
                bob.lid.clone(),
                bob.lid.clone(),
                one.clone()
            ),
            (ReceiptKind::Sender, alice.lid.clone(), bob.lid.clone(), one),
        ]
    );

    let second = a.session.send_text(&bob.jid, "two").await.unwrap();
    sim.mark_read(
        &bob.jid,
        &alice.jid,
        &alice.jid,
        &[first.message_id.as_str(), second.message_id.as_str()],
    )
    .unwrap();
    // The simulator forwards one receipt per id (WhatsApp may batch them in a `<list>`).
    let mut read = Vec::new();
    while read.len() < 2 {
        let (chat, ids) = receipt(&mut a.events, ReceiptKind::Read, &bob.lid).await;
        assert_eq!(chat, bob.lid);
        read.extend(ids);
    }
    assert_eq!(read, vec![first.message_id, second.message_id]);
}

#[tokio::test]
async fn group_receipts_name_the_group_and_each_member_device() {
    let sim = Simulator::new(42);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let carol = sim.create_account(Some("15550003333")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let mut a = companion(&sim, &running, &alice, 42).await;
    let group = sim
        .create_group(
            "receipts",
            &alice.jid,
            &[bob.jid.clone(), carol.jid.clone()],
            AddressingMode::Lid,
        )
        .unwrap();

    let sent = a.session.send_text(&group, "hello").await.unwrap();
    for member in [&bob, &carol] {
        let (chat, ids) = receipt(&mut a.events, ReceiptKind::Delivered, &member.lid).await;
        assert_eq!((chat, ids), (group.clone(), vec![sent.message_id.clone()]));
    }
    sim.mark_read(&carol.jid, &group, &alice.lid, &[sent.message_id.as_str()])
        .unwrap();
    let (chat, ids) = receipt(&mut a.events, ReceiptKind::Read, &carol.lid).await;
    assert_eq!((chat, ids), (group, vec![sent.message_id]));
}
