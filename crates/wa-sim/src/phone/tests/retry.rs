//! Retry receipts: forced decrypt failures, lost sessions, giving up.

use super::harness::Net;
use crate::phone::{Outgoing, ReceivedKind};

fn text(s: &str) -> Outgoing {
    Outgoing::Text(s.into())
}

/// `(count, has <keys>)` of each retry receipt delivered so far.
fn retries(net: &Net) -> Vec<(String, bool)> {
    net.retry_receipts()
        .iter()
        .map(|receipt| {
            let retry = receipt.child("retry").unwrap();
            assert_eq!(retry.attr_str("v"), Some("1"));
            assert_eq!(
                receipt
                    .child("registration")
                    .unwrap()
                    .bytes()
                    .unwrap()
                    .len(),
                4
            );
            (
                retry.attr_str("count").unwrap().to_owned(),
                receipt.child("keys").is_some(),
            )
        })
        .collect()
}

/// The `<enc>` of each retry answer (a `<message>` with `count`) delivered so far.
fn resends(net: &Net) -> Vec<(String, String)> {
    net.trace
        .iter()
        .filter_map(|delivery| {
            let enc = delivery.node.child("enc")?;
            let count = enc.attr_str("count")?;
            Some((count.to_owned(), enc.attr_str("type").unwrap().to_owned()))
        })
        .collect()
}

#[test]
fn a_forced_failure_asks_for_a_retry_and_the_resend_decrypts() {
    let mut net = Net::new(20);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let bob_pn = net.pn(bob);
    net.phones[bob].behaviour_mut().fail_next_decrypts = 1;

    let id = net.send(alice, &bob_pn, text("try again"));
    assert_eq!(retries(&net), vec![("1".to_owned(), false)]);
    let retry = net.retry_receipts()[0];
    assert_eq!(
        retry.child("retry").unwrap().attr_str("id"),
        Some(id.as_str())
    );
    // Bob never processed the pkmsg, so the resend is a pkmsg again, marked count=1.
    assert_eq!(resends(&net), vec![("1".to_owned(), "pkmsg".to_owned())]);
    let resend = net.delivered(bob, "message")[1];
    assert_eq!(resend.attr_str("id"), Some(id.as_str()));
    assert_eq!(net.phones[bob].received().len(), 1);
    assert_eq!(
        net.phones[bob].received()[0].kind,
        ReceivedKind::Text {
            text: "try again".into()
        }
    );
    assert_eq!(net.phones[bob].behaviour_mut().fail_next_decrypts, 0);
}

#[test]
fn the_second_retry_carries_keys_and_the_sender_starts_a_new_session() {
    let mut net = Net::new(21);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let (alice_pn, bob_pn) = (net.pn(alice), net.pn(bob));
    net.send(alice, &bob_pn, text("set up"));
    net.send(bob, &alice_pn, text("acked"));
    net.phones[bob].behaviour_mut().fail_next_decrypts = 2;

    net.send(alice, &bob_pn, text("twice"));
    assert_eq!(
        retries(&net),
        vec![("1".to_owned(), false), ("2".to_owned(), true)]
    );
    // The first answer rides the old session; the second a new one from Bob's keys.
    assert_eq!(
        resends(&net),
        vec![
            ("1".to_owned(), "msg".to_owned()),
            ("2".to_owned(), "pkmsg".to_owned())
        ]
    );
    let texts: Vec<_> = net.phones[bob]
        .received()
        .iter()
        .map(|r| r.kind.clone())
        .collect();
    assert_eq!(
        texts.last(),
        Some(&ReceivedKind::Text {
            text: "twice".into()
        })
    );
    // Both directions keep working on the new session.
    net.send(bob, &alice_pn, text("still here"));
    net.send(alice, &bob_pn, text("good"));
    assert_eq!(net.phones[bob].received().len(), 3);
    assert_eq!(net.retry_receipts().len(), 2);
}

#[test]
fn lost_sessions_recover_through_a_retry_with_keys() {
    let mut net = Net::new(22);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let (alice_pn, bob_pn) = (net.pn(alice), net.pn(bob));
    net.send(alice, &bob_pn, text("before"));
    net.send(bob, &alice_pn, text("reply"));
    net.phones[bob].lose_sessions();

    net.send(alice, &bob_pn, text("after"));
    // Bob has no session: the plain retry fails again; the one with keys works.
    assert_eq!(
        retries(&net),
        vec![("1".to_owned(), false), ("2".to_owned(), true)]
    );
    assert_eq!(
        net.phones[bob].received().last().unwrap().kind,
        ReceivedKind::Text {
            text: "after".into()
        }
    );
    net.send(bob, &alice_pn, text("back"));
    assert_eq!(
        net.phones[alice].received().last().unwrap().kind,
        ReceivedKind::Text {
            text: "back".into()
        }
    );
    assert_eq!(net.retry_receipts().len(), 2);
}

#[test]
fn a_group_retry_resends_pairwise_with_the_sender_key() {
    let mut net = Net::new(23);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let carol = net.account("15550003333", "100000000000003");
    let group = net.group("120363000000000009", true, &[alice, bob, carol]);
    net.send(alice, &group, text("first"));
    net.phones[bob].behaviour_mut().fail_next_decrypts = 1;

    let id = net.send(alice, &group, text("second"));
    assert_eq!(retries(&net), vec![("1".to_owned(), false)]);
    let resend = net.delivered(bob, "message").last().copied().unwrap();
    assert_eq!(resend.attr_jid("from"), Some(group.clone()));
    assert_eq!(resend.attr_jid("participant"), Some(net.lid(alice)));
    assert_eq!(resend.children_with_tag("enc").count(), 1, "pairwise only");
    let got = net.phones[bob].received().last().unwrap().clone();
    assert_eq!((got.id, got.chat), (id, group.clone()));
    assert_eq!(
        got.kind,
        ReceivedKind::Text {
            text: "second".into()
        }
    );

    // Bob lost everything; the group recovers through a retry with keys.
    net.phones[bob].lose_sessions();
    net.send(alice, &group, text("third"));
    assert_eq!(
        net.phones[bob].received().last().unwrap().kind,
        ReceivedKind::Text {
            text: "third".into()
        }
    );
    net.send(alice, &group, text("fourth"));
    assert_eq!(net.phones[bob].received().len(), 4);
    assert_eq!(net.phones[carol].received().len(), 4);
    // And Bob's new sender key reaches the others.
    net.send(bob, &group, text("bob again"));
    assert_eq!(
        net.phones[carol].received().last().unwrap().kind,
        ReceivedKind::Text {
            text: "bob again".into()
        }
    );
}

#[test]
fn retries_stop_after_four_receipts() {
    let mut net = Net::new(24);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let bob_pn = net.pn(bob);
    net.phones[bob].behaviour_mut().fail_next_decrypts = 100;

    net.send(alice, &bob_pn, text("never"));
    let counts: Vec<String> = retries(&net).into_iter().map(|(count, _)| count).collect();
    assert_eq!(counts, ["1", "2", "3", "4"]);
    assert!(net.phones[bob].received().is_empty());
}

#[test]
fn duplicate_deliveries_are_acknowledged_not_recorded_twice() {
    let mut net = Net::new(25);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let bob_pn = net.pn(bob);
    net.send(alice, &bob_pn, text("once"));
    let delivered = net.delivered(bob, "message")[0].clone();
    let receipts = net.phones[bob]
        .receive_message(&delivered, net.now)
        .unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(
        receipts[0].attr_str("type"),
        None,
        "a delivery receipt, not a retry"
    );
    assert_eq!(net.phones[bob].received().len(), 1);
}
