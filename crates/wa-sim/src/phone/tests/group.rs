//! Groups: the sender key goes pairwise once, content as skmsg; phash; LID addressing; admin
//! revokes and group reactions.

use wa_binary::Jid;

use super::harness::{enc_types, Net};
use crate::groups::participant_hash;
use crate::phone::{Directory as _, Outgoing, ReceivedKind, TargetKey};

fn three(seed: u64) -> (Net, [usize; 3]) {
    let mut net = Net::new(seed);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    let carol = net.account("15550003333", "100000000000003");
    (net, [alice, bob, carol])
}

fn skmsg_count(stanza: &wa_binary::Node<'_>) -> usize {
    stanza
        .children_with_tag("enc")
        .filter(|enc| enc.attr_str("type") == Some("skmsg"))
        .count()
}

#[test]
fn pn_group_sends_the_sender_key_once_then_only_skmsg() {
    let (mut net, [alice, bob, carol]) = three(10);
    let group = net.group("120363000000000001", false, &[alice, bob, carol]);
    let (bob_pn, carol_pn) = (net.pn(bob), net.pn(carol));

    let (id, first) = net.compose(alice, &group, Outgoing::Text("hi all".into()));
    assert_eq!(
        enc_types(&first),
        vec![
            (bob_pn.clone(), "pkmsg".to_owned()),
            (carol_pn, "pkmsg".to_owned())
        ]
    );
    assert_eq!(skmsg_count(&first), 1);
    assert_eq!(first.attr_str("addressing_mode"), None);
    let devices: Vec<Jid> = [alice, bob, carol]
        .iter()
        .flat_map(|&phone| net.server.devices(&net.pn(phone)))
        .collect();
    assert_eq!(
        first.attr_str("phash"),
        Some(participant_hash(&devices).as_str())
    );
    net.run(alice, first);
    for phone in [bob, carol] {
        let got = &net.phones[phone].received()[0];
        assert_eq!(
            (&got.id, &got.chat, &got.from),
            (&id, &group, &net.pn(alice))
        );
        assert_eq!(
            got.kind,
            ReceivedKind::Text {
                text: "hi all".into()
            }
        );
    }

    // Everyone holds Alice's key now: no <participants>, just the skmsg.
    let (_, second) = net.compose(alice, &group, Outgoing::Text("again".into()));
    assert!(second.child("participants").is_none());
    net.run(alice, second);
    // Bob's first group message distributes his own key.
    let (_, from_bob) = net.compose(bob, &group, Outgoing::Text("bob here".into()));
    assert_eq!(enc_types(&from_bob).len(), 2);
    net.run(bob, from_bob);

    assert_eq!(net.phones[carol].received().len(), 3);
    assert_eq!(net.phones[alice].received()[0].from, bob_pn);
    // Group delivery receipts come back per participant.
    let receipt = &net.phones[alice].receipts()[0];
    assert_eq!((&receipt.chat, &receipt.id), (&group, &id));
    assert!(net.retry_receipts().is_empty());
}

#[test]
fn lid_group_uses_lid_devices_participants_and_sender_key_names() {
    let (mut net, [alice, bob, carol]) = three(11);
    let group = net.group("120363000000000002", true, &[alice, bob, carol]);
    let (stanza_id, stanza) = net.compose(alice, &group, Outgoing::Text("lid group".into()));
    assert_eq!(stanza.attr_str("addressing_mode"), Some("lid"));
    let targets: Vec<Jid> = enc_types(&stanza).into_iter().map(|(jid, _)| jid).collect();
    assert_eq!(targets, vec![net.lid(bob), net.lid(carol)]);
    net.run(alice, stanza);
    let delivered = net.delivered(bob, "message")[0];
    assert_eq!(delivered.attr_jid("participant"), Some(net.lid(alice)));
    let got = &net.phones[bob].received()[0];
    assert_eq!(
        (&got.id, &got.from, &got.sender),
        (&stanza_id, &net.lid(alice), &net.lid(alice))
    );

    // Replies in the group decrypt too (Bob's key named by his LID).
    net.send(bob, &group, Outgoing::Text("reply".into()));
    assert_eq!(net.phones[carol].received()[1].from, net.lid(bob));
    assert!(net.retry_receipts().is_empty());
}

#[test]
fn admin_revoke_and_group_reactions_are_recorded() {
    let (mut net, [alice, bob, carol]) = three(12);
    let group = net.group("120363000000000003", false, &[alice, bob, carol]);
    let carol_pn = net.pn(carol);
    let spam = net.send(carol, &group, Outgoing::Text("spam".into()));

    let (_, react) = net.compose(
        bob,
        &group,
        Outgoing::Reaction {
            target: TargetKey::theirs(spam.clone(), carol_pn.clone()),
            emoji: "😮".into(),
        },
    );
    assert_eq!(react.attr_str("type"), Some("reaction"));
    net.run(bob, react);

    let (_, revoke) = net.compose(
        alice,
        &group,
        Outgoing::Revoke {
            target: TargetKey::theirs(spam.clone(), carol_pn),
        },
    );
    assert_eq!(
        (revoke.attr_str("type"), revoke.attr_str("edit")),
        (Some("text"), Some("8"))
    );
    net.run(alice, revoke);
    let own = net.send(bob, &group, Outgoing::Text("mine".into()));
    net.send(
        bob,
        &group,
        Outgoing::Revoke {
            target: TargetKey::own(own.clone()),
        },
    );

    let at_carol: Vec<_> = net.phones[carol]
        .received()
        .iter()
        .map(|r| r.kind.clone())
        .collect();
    assert_eq!(
        at_carol,
        vec![
            ReceivedKind::Reaction {
                target: spam.clone(),
                emoji: "😮".into()
            },
            ReceivedKind::Revoke {
                target: spam.clone(),
                admin: true
            },
            ReceivedKind::Text {
                text: "mine".into()
            },
            ReceivedKind::Revoke {
                target: own,
                admin: false
            },
        ]
    );
    assert_eq!(
        net.phones[bob].received().last().unwrap().kind,
        ReceivedKind::Revoke {
            target: spam,
            admin: true
        }
    );
    assert!(net.retry_receipts().is_empty());
}
