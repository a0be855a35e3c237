//! The simulated phones through the real router: texts, reactions (add, change, remove) and
//! revokes (own and admin) between accounts in one-to-one chats and in PN and LID groups, all
//! decrypted with real Signal sessions and sender keys; delivery receipts back to the sender;
//! an offline phone catching up in order; a forced decrypt failure and lost sessions recovered
//! by retry receipts; and what a connected companion of the sender and of the recipient get.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rand_core::OsRng;
use wa_sim::{
    Account, AddressingMode, DeviceKeys, Outgoing, ReceiptKind, Received, ReceivedKind, Simulator,
    TargetKey,
};

mod common;
use common::{login, recv};

fn sim_with(names: &[&str]) -> (Simulator, Vec<Account>) {
    let sim = Simulator::with_time(21, 1_760_000_000);
    let accounts = names
        .iter()
        .map(|phone| sim.create_account(Some(phone)).unwrap())
        .collect();
    (sim, accounts)
}

fn kinds(received: &[Received]) -> Vec<ReceivedKind> {
    received.iter().map(|r| r.kind.clone()).collect()
}

fn text(text: &str) -> ReceivedKind {
    ReceivedKind::Text {
        text: text.to_owned(),
    }
}

fn reaction(target: &str, emoji: &str) -> ReceivedKind {
    ReceivedKind::Reaction {
        target: target.to_owned(),
        emoji: emoji.to_owned(),
    }
}

fn revoke(target: &str, admin: bool) -> ReceivedKind {
    ReceivedKind::Revoke {
        target: target.to_owned(),
        admin,
    }
}

#[test]
fn phones_exchange_texts_reactions_and_revokes_in_a_chat() {
    let (sim, accounts) = sim_with(&["15550001111", "15550002222"]);
    let (alice, bob) = (&accounts[0], &accounts[1]);

    let hello = sim.send_text(&alice.jid, &bob.jid, "hello bob").unwrap();
    let received = sim.received(&bob.jid).unwrap();
    assert_eq!(kinds(&received), [text("hello bob")]);
    assert_eq!(received[0].id, hello);
    assert_eq!(received[0].from, alice.jid);
    assert_eq!(received[0].chat, alice.jid);
    assert_eq!(received[0].timestamp, 1_760_000_000);
    // Bob's phone sent a delivery receipt; the router took it back to Alice's phone.
    let receipts = sim.receipts(&alice.jid).unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].id, hello);
    assert_eq!(receipts[0].kind, ReceiptKind::Delivery);

    // Bob reacts, changes his reaction, removes it; Alice revokes her message.
    let theirs = TargetKey::theirs(hello.clone(), alice.jid.clone());
    for emoji in ["👍", "❤️", ""] {
        sim.send(
            &bob.jid,
            &alice.jid,
            &Outgoing::Reaction {
                target: theirs.clone(),
                emoji: emoji.to_owned(),
            },
        )
        .unwrap();
    }
    sim.send(
        &alice.jid,
        &bob.jid,
        &Outgoing::Revoke {
            target: TargetKey::own(hello.clone()),
        },
    )
    .unwrap();
    assert_eq!(
        kinds(&sim.received(&alice.jid).unwrap()),
        [
            reaction(&hello, "👍"),
            reaction(&hello, "❤️"),
            reaction(&hello, "")
        ]
    );
    assert_eq!(
        kinds(&sim.received(&bob.jid).unwrap()),
        [text("hello bob"), revoke(&hello, false)]
    );
}

#[test]
fn a_chat_by_lid_is_recorded_with_lid_jids() {
    let (sim, accounts) = sim_with(&["15550001111", "15550002222"]);
    let (alice, bob) = (&accounts[0], &accounts[1]);
    sim.send_text(&alice.jid, &bob.lid, "by lid").unwrap();
    let received = sim.received(&bob.jid).unwrap();
    assert_eq!(kinds(&received), [text("by lid")]);
    assert_eq!(received[0].from, alice.lid);
}

fn group_round(addressing: AddressingMode) {
    let (sim, accounts) = sim_with(&["15550001111", "15550002222", "15550003333"]);
    let (alice, bob, carol) = (&accounts[0], &accounts[1], &accounts[2]);
    let group = sim
        .create_group(
            "friends",
            &alice.jid,
            &[bob.jid.clone(), carol.jid.clone()],
            addressing,
        )
        .unwrap();
    let form = |account: &Account| addressing.jid_of(account).clone();

    // Bob writes twice (sender key distributed once, then skmsg only); Carol reacts; Alice,
    // the creator and so an admin, revokes Bob's second message.
    let first = sim.send_text(&bob.jid, &group, "one").unwrap();
    let second = sim.send_text(&bob.jid, &group, "two").unwrap();
    let bobs = |id: &str| TargetKey::theirs(id.to_owned(), form(bob));
    sim.send(
        &carol.jid,
        &group,
        &Outgoing::Reaction {
            target: bobs(&first),
            emoji: "🎉".to_owned(),
        },
    )
    .unwrap();
    sim.send(
        &alice.jid,
        &group,
        &Outgoing::Revoke {
            target: bobs(&second),
        },
    )
    .unwrap();

    let at_alice = sim.received(&alice.jid).unwrap();
    assert_eq!(
        kinds(&at_alice),
        [text("one"), text("two"), reaction(&first, "🎉")]
    );
    assert!(at_alice.iter().all(|r| r.chat == group));
    assert_eq!(at_alice[0].from, form(bob));
    assert_eq!(
        kinds(&sim.received(&bob.jid).unwrap()),
        [reaction(&first, "🎉"), revoke(&second, true)]
    );
    assert_eq!(
        kinds(&sim.received(&carol.jid).unwrap()),
        [text("one"), text("two"), revoke(&second, true)]
    );
}

#[test]
fn a_pn_group_works_by_sender_key() {
    group_round(AddressingMode::Pn);
}

#[test]
fn a_lid_group_works_by_sender_key_with_lid_participants() {
    group_round(AddressingMode::Lid);
}

#[test]
fn a_non_member_is_refused() {
    let (sim, accounts) = sim_with(&["15550001111", "15550002222", "15550003333"]);
    let group = sim
        .create_group(
            "g",
            &accounts[0].jid,
            &[accounts[1].jid.clone()],
            AddressingMode::Pn,
        )
        .unwrap();
    assert!(sim
        .send_text(&accounts[2].jid, &group, "let me in")
        .is_err());
}

#[test]
fn an_offline_phone_catches_up_in_order() {
    let (sim, accounts) = sim_with(&["15550001111", "15550002222"]);
    let (alice, bob) = (&accounts[0], &accounts[1]);
    sim.set_phone_online(&bob.jid, false).unwrap();
    let ids: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|t| sim.send_text(&alice.jid, &bob.jid, t).unwrap())
        .collect();
    assert!(sim.received(&bob.jid).unwrap().is_empty());
    assert!(sim.receipts(&alice.jid).unwrap().is_empty());
    assert_eq!(sim.waiting(&bob.jid), 3);

    sim.set_phone_online(&bob.jid, true).unwrap();
    let received = sim.received(&bob.jid).unwrap();
    assert_eq!(kinds(&received), [text("a"), text("b"), text("c")]);
    assert_eq!(
        received.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(sim.receipts(&alice.jid).unwrap().len(), 3);
}

#[test]
fn a_failed_decrypt_is_retried_and_delivered_once() {
    let (sim, accounts) = sim_with(&["15550001111", "15550002222"]);
    let (alice, bob) = (&accounts[0], &accounts[1]);
    sim.send_text(&alice.jid, &bob.jid, "warm up").unwrap();
    // Two failures: the second retry receipt carries fresh keys and Alice's phone starts a new
    // session from them.
    sim.fail_next_decrypts(&bob.jid, 2).unwrap();
    let id = sim.send_text(&alice.jid, &bob.jid, "hard to read").unwrap();
    let received = sim.received(&bob.jid).unwrap();
    assert_eq!(kinds(&received), [text("warm up"), text("hard to read")]);
    assert_eq!(received[1].id, id);
}

#[test]
fn lost_sessions_recover_through_retries_in_chats_and_groups() {
    let (sim, accounts) = sim_with(&["15550001111", "15550002222"]);
    let (alice, bob) = (&accounts[0], &accounts[1]);
    let group = sim
        .create_group(
            "g",
            &alice.jid,
            std::slice::from_ref(&bob.jid),
            AddressingMode::Lid,
        )
        .unwrap();
    sim.send_text(&alice.jid, &bob.jid, "1").unwrap();
    sim.send_text(&alice.jid, &group, "g1").unwrap();
    sim.lose_sessions(&bob.jid).unwrap();
    sim.send_text(&alice.jid, &bob.jid, "2").unwrap();
    sim.send_text(&alice.jid, &group, "g2").unwrap();
    assert_eq!(
        kinds(&sim.received(&bob.jid).unwrap()),
        [text("1"), text("g1"), text("2"), text("g2")]
    );
}

#[tokio::test]
async fn companions_get_their_copies_from_a_phone() {
    // On the system clock: the companions check the certificates against it.
    let sim = Simulator::new(22);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let alice_keys = DeviceKeys::generate(2, wa_sim::unix_now(), &mut OsRng);
    let alice1 = sim
        .register_device(&alice.jid, alice_keys.registration())
        .unwrap();
    let bob_keys = DeviceKeys::generate(2, wa_sim::unix_now(), &mut OsRng);
    let bob1 = sim
        .register_device(&bob.jid, bob_keys.registration())
        .unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let mut a1 = login(&running, &alice1, &alice_keys).await;
    let mut b1 = login(&running, &bob1, &bob_keys).await;

    let id = sim
        .send_text(&alice.jid, &bob.jid, "to all devices")
        .unwrap();
    // Bob's companion: a pkmsg from Alice's phone (no device part), with no ADV identity (a
    // primary phone has none).
    let at_bob = recv(&mut b1).await;
    assert_eq!(at_bob.attr_str("id"), Some(id.as_str()));
    assert_eq!(at_bob.attr_jid("from"), Some(alice.jid.clone()));
    let enc = at_bob.child("enc").unwrap();
    assert_eq!(enc.attr_str("type"), Some("pkmsg"));
    assert!(at_bob.child("device-identity").is_none());
    // Alice's companion: the device-sent copy, with the chat as `recipient`.
    let at_alice = recv(&mut a1).await;
    assert_eq!(at_alice.attr_jid("from"), Some(alice.jid.clone()));
    assert_eq!(at_alice.attr_jid("recipient"), Some(bob.jid.clone()));
    assert_eq!(
        at_alice.child("enc").and_then(|e| e.attr_str("type")),
        Some("pkmsg")
    );
    // Bob's phone got it too.
    assert_eq!(
        kinds(&sim.received(&bob.jid).unwrap()),
        [text("to all devices")]
    );
}
