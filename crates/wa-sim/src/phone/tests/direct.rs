//! One-to-one chats: texts, reactions, removals and revokes both ways; pkmsg then msg; the
//! device-sent copy for the account's own other device; LID addressing.

use wa_binary::Jid;

use super::harness::{enc_types, Net};
use crate::phone::{Outgoing, ReceiptKind, ReceivedKind, TargetKey};

fn text(s: &str) -> Outgoing {
    Outgoing::Text(s.into())
}

#[test]
fn text_goes_as_pkmsg_then_msg_and_is_recorded_both_ways() {
    let mut net = Net::new(1);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let (alice_pn, bob_pn) = (net.pn(alice), net.pn(bob));

    let (id, stanza) = net.compose(alice, &bob_pn, text("hello bob"));
    assert!(id.starts_with("3EB0") && id.len() == 22, "{id}");
    assert!(id[4..]
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
    assert_eq!(stanza.attr_str("type"), Some("text"));
    assert_eq!(stanza.attr_jid("to"), Some(bob_pn.clone()));
    assert_eq!(
        enc_types(&stanza),
        vec![(bob_pn.clone(), "pkmsg".to_owned())]
    );
    assert!(
        stanza.child("device-identity").is_none(),
        "a primary phone has no ADV identity"
    );
    net.run(alice, stanza);

    let got = &net.phones[bob].received()[0];
    assert_eq!(got.id, id);
    assert_eq!(got.from, alice_pn);
    assert_eq!(got.chat, alice_pn);
    assert_eq!(got.sender, alice_pn);
    assert_eq!(got.device, bob_pn);
    assert_eq!(got.timestamp, net.now);
    assert_eq!(
        got.kind,
        ReceivedKind::Text {
            text: "hello bob".into()
        }
    );
    // Bob's delivery receipt reached Alice.
    let receipts = net.phones[alice].receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(
        (receipts[0].id.as_str(), &receipts[0].kind),
        (id.as_str(), &ReceiptKind::Delivery)
    );
    assert_eq!(receipts[0].device, bob_pn);

    // Bob answers over the session Alice started: a plain msg. So is Alice's next one.
    let (_, reply) = net.compose(bob, &alice_pn, text("hi alice"));
    assert_eq!(
        enc_types(&reply),
        vec![(alice_pn.clone(), "msg".to_owned())]
    );
    net.run(bob, reply);
    let (_, again) = net.compose(alice, &bob_pn, text("again"));
    assert_eq!(enc_types(&again), vec![(bob_pn.clone(), "msg".to_owned())]);
    net.run(alice, again);

    assert_eq!(
        net.phones[alice].received()[0].kind,
        ReceivedKind::Text {
            text: "hi alice".into()
        }
    );
    assert_eq!(net.phones[bob].received().len(), 2);
    assert!(net.delivered(alice, "message").len() == 1 && net.delivered(bob, "message").len() == 2);
    assert!(net.retry_receipts().is_empty());
}

#[test]
fn reactions_removals_and_revokes_are_recorded_both_ways() {
    let mut net = Net::new(2);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let (alice_pn, bob_pn) = (net.pn(alice), net.pn(bob));
    let hello = net.send(alice, &bob_pn, text("hello"));

    // Bob reacts to Alice's message, then removes the reaction.
    let (_, react) = net.compose(
        bob,
        &alice_pn,
        Outgoing::Reaction {
            target: TargetKey::theirs(hello.clone(), alice_pn.clone()),
            emoji: "👍".into(),
        },
    );
    assert_eq!(react.attr_str("type"), Some("reaction"));
    assert_eq!(react.attr_str("edit"), None);
    let enc = react.child("participants").unwrap().children()[0]
        .child("enc")
        .unwrap();
    assert_eq!(enc.attr_str("decrypt-fail"), Some("hide"));
    net.run(bob, react);
    let (_, unreact) = net.compose(
        bob,
        &alice_pn,
        Outgoing::Reaction {
            target: TargetKey::theirs(hello.clone(), alice_pn.clone()),
            emoji: String::new(),
        },
    );
    assert_eq!(unreact.attr_str("edit"), Some("7"));
    net.run(bob, unreact);

    // Alice revokes her message; Bob revokes one of his own.
    let (_, revoke) = net.compose(
        alice,
        &bob_pn,
        Outgoing::Revoke {
            target: TargetKey::own(hello.clone()),
        },
    );
    assert_eq!(
        (revoke.attr_str("type"), revoke.attr_str("edit")),
        (Some("text"), Some("7"))
    );
    net.run(alice, revoke);
    let mine = net.send(bob, &alice_pn, text("oops"));
    net.send(
        bob,
        &alice_pn,
        Outgoing::Revoke {
            target: TargetKey::own(mine.clone()),
        },
    );

    let at_alice: Vec<_> = net.phones[alice]
        .received()
        .iter()
        .map(|r| r.kind.clone())
        .collect();
    assert_eq!(
        at_alice,
        vec![
            ReceivedKind::Reaction {
                target: hello.clone(),
                emoji: "👍".into()
            },
            ReceivedKind::Reaction {
                target: hello.clone(),
                emoji: String::new()
            },
            ReceivedKind::Text {
                text: "oops".into()
            },
            ReceivedKind::Revoke {
                target: mine,
                admin: false
            },
        ]
    );
    assert_eq!(
        net.phones[bob].received().last().unwrap().kind,
        ReceivedKind::Revoke {
            target: hello,
            admin: false
        }
    );
    assert!(net.phones[alice]
        .received()
        .iter()
        .all(|r| r.from == bob_pn && r.chat == bob_pn));
    assert!(net.retry_receipts().is_empty());
}

#[test]
fn own_other_devices_get_the_device_sent_copy() {
    let mut net = Net::new(3);
    let alice = net.account("15550001111", "100000000000001");
    let alice_web = net.companion(alice, 1);
    let bob = net.account("15550002222", "100000000000002");
    let (alice_pn, bob_pn) = (net.pn(alice), net.pn(bob));
    let alice_web_jid = alice_pn.clone().with_device(1).unwrap();

    // The phone covers Bob's device and its own companion, never itself.
    let (id, stanza) = net.compose(alice, &bob_pn, text("from the phone"));
    let targets: Vec<Jid> = enc_types(&stanza).into_iter().map(|(jid, _)| jid).collect();
    assert_eq!(targets, vec![bob_pn.clone(), alice_web_jid.clone()]);
    net.run(alice, stanza);
    let copy = &net.phones[alice_web].received()[0];
    assert_eq!(
        (copy.id.as_str(), &copy.from, &copy.chat),
        (id.as_str(), &alice_pn, &bob_pn)
    );
    assert_eq!(
        copy.kind,
        ReceivedKind::Text {
            text: "from the phone".into()
        }
    );
    // The companion's receipt for its own account's message is a `sender` receipt.
    let receipt_kinds: Vec<_> = net.phones[alice]
        .receipts()
        .iter()
        .map(|r| r.kind.clone())
        .collect();
    assert!(
        receipt_kinds.contains(&ReceiptKind::Other("sender".into())),
        "{receipt_kinds:?}"
    );

    // The companion sends; the phone unwraps the copy (chat = the destination).
    let id = net.send(alice_web, &bob_pn, text("from the web"));
    let at_phone = net.phones[alice].received().last().unwrap().clone();
    assert_eq!(
        (at_phone.id, at_phone.from, at_phone.chat),
        (id.clone(), alice_pn, bob_pn)
    );
    assert_eq!(at_phone.sender, alice_web_jid);
    assert_eq!(net.phones[bob].received().last().unwrap().id, id);
    assert!(net.retry_receipts().is_empty());
}

#[test]
fn lid_chats_address_devices_and_senders_by_lid() {
    let mut net = Net::new(4);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let (alice_lid, bob_lid) = (net.lid(alice), net.lid(bob));

    let (_, stanza) = net.compose(alice, &bob_lid, text("by lid"));
    assert_eq!(
        enc_types(&stanza),
        vec![(bob_lid.clone(), "pkmsg".to_owned())]
    );
    net.run(alice, stanza);
    let got = &net.phones[bob].received()[0];
    assert_eq!((&got.from, &got.chat), (&alice_lid, &alice_lid));
    net.send(bob, &alice_lid, text("back by lid"));
    assert_eq!(net.phones[alice].received()[0].from, bob_lid);
    assert!(net.retry_receipts().is_empty());
}

#[test]
fn same_seed_same_bytes() {
    fn run(seed: u64) -> Vec<Vec<u8>> {
        let mut net = Net::new(seed);
        let alice = net.account("15550001111", "100000000000001");
        let bob = net.account("15550002222", "100000000000002");
        let carol = net.account("15550003333", "100000000000003");
        let bob_pn = net.pn(bob);
        let group = net.group("120363000000000001", true, &[alice, bob, carol]);
        let mut stanzas = Vec::new();
        for chat in [&bob_pn, &group, &bob_pn] {
            let (_, stanza) = net.compose(alice, chat, Outgoing::Text("same".into()));
            stanzas.push(stanza.clone());
            net.run(alice, stanza);
        }
        stanzas.extend(net.trace.iter().map(|delivery| delivery.node.clone()));
        stanzas
            .iter()
            .map(|stanza| {
                wa_binary::encode_frame_to_vec(stanza, wa_binary::Dictionary::V3).unwrap()
            })
            .collect()
    }
    let first = run(7);
    assert_eq!(first, run(7));
    assert_ne!(first, run(8));
}
