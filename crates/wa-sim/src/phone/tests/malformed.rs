//! Bad input: malformed stanzas are errors (or retry receipts for undecryptable bytes), never
//! panics; impossible sends are errors.

use wa_binary::{Jid, Node, Server};

use super::harness::Net;
use crate::error::Error;
use crate::phone::Outgoing;

fn two() -> (Net, usize, usize) {
    let mut net = Net::new(30);
    let alice = net.account("15550001111", "100000000000001");
    let bob = net.account("15550002222", "100000000000002");
    (net, alice, bob)
}

fn enc(kind: &str, bytes: &[u8]) -> Node<'static> {
    Node::new("enc")
        .with_attr("v", "2")
        .with_attr("type", kind.to_owned())
        .with_bytes(bytes.to_vec())
}

#[test]
fn unreadable_messages_are_errors() {
    let (mut net, alice, bob) = two();
    let alice_pn = net.pn(alice);
    let group = Jid::new("120363000000000001", Server::Group).unwrap();
    let ok_enc = || enc("msg", &[0x33, 1, 2, 3]);
    let base = || {
        Node::new("message")
            .with_attr("id", "X")
            .with_attr("t", "5")
    };
    let cases = [
        ("not a message", Node::new("receipt").with_attr("id", "X")),
        (
            "no id",
            Node::new("message")
                .with_attr("from", alice_pn.clone())
                .with_children(vec![ok_enc()]),
        ),
        ("no from", base().with_children(vec![ok_enc()])),
        (
            "from not a jid",
            base()
                .with_attr("from", "nobody")
                .with_children(vec![ok_enc()]),
        ),
        (
            "no participant",
            base()
                .with_attr("from", group)
                .with_children(vec![enc("skmsg", &[1])]),
        ),
        ("no enc", base().with_attr("from", alice_pn.clone())),
        (
            "unknown enc",
            base()
                .with_attr("from", alice_pn.clone())
                .with_children(vec![enc("frank", &[1])]),
        ),
        (
            "two pairwise",
            base()
                .with_attr("from", alice_pn.clone())
                .with_children(vec![ok_enc(), ok_enc()]),
        ),
        (
            "enc without bytes",
            base()
                .with_attr("from", alice_pn.clone())
                .with_children(vec![Node::new("enc").with_attr("type", "msg")]),
        ),
        (
            "skmsg outside a group",
            base()
                .with_attr("from", alice_pn)
                .with_children(vec![enc("skmsg", &[1])]),
        ),
        (
            "from itself",
            base()
                .with_attr("from", net.pn(bob))
                .with_children(vec![ok_enc()]),
        ),
        (
            "server sender",
            base()
                .with_attr("from", Jid::server_only(Server::User))
                .with_children(vec![ok_enc()]),
        ),
    ];
    for (what, stanza) in cases {
        let result = net.phones[bob].receive_message(&stanza, 9);
        assert!(
            matches!(result, Err(Error::MalformedStanza(_))),
            "{what}: {result:?}"
        );
    }
    assert!(net.phones[bob].received().is_empty());
}

#[test]
fn undecryptable_bytes_get_a_retry_receipt() {
    let (mut net, alice, bob) = two();
    let alice_pn = net.pn(alice);
    for (kind, bytes) in [
        ("msg", &[0x33, 1, 2][..]),
        ("pkmsg", &[0x33][..]),
        ("msg", &[][..]),
        ("pkmsg", &[0x42; 80][..]),
    ] {
        let stanza = Node::new("message")
            .with_attr("from", alice_pn.clone())
            .with_attr("id", format!("ID{kind}{}", bytes.len()))
            .with_attr("t", "5")
            .with_children(vec![enc(kind, bytes)]);
        let out = net.phones[bob].receive_message(&stanza, 9).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].attr_str("type"), Some("retry"));
        assert_eq!(out[0].attr_jid("to"), Some(alice_pn.clone()));
        assert_eq!(out[0].child("retry").unwrap().attr_str("t"), Some("5"));
    }
    // A group message with a skmsg from an unknown sender key, too.
    let group = Jid::new("120363000000000001", Server::Group).unwrap();
    let stanza = Node::new("message")
        .with_attr("from", group.clone())
        .with_attr("participant", alice_pn.clone())
        .with_attr("id", "G")
        .with_children(vec![enc("skmsg", &[0x33, 0, 0])]);
    let out = net.phones[bob].receive_message(&stanza, 9).unwrap();
    assert_eq!(out[0].attr_str("type"), Some("retry"));
    assert_eq!(out[0].attr_jid("to"), Some(group));
    assert_eq!(out[0].attr_jid("participant"), Some(alice_pn));
    assert!(net.phones[bob].received().is_empty());
}

#[test]
fn unreadable_receipts_are_errors_and_unknown_retries_are_ignored() {
    let (mut net, alice, bob) = two();
    let bob_pn = net.pn(bob);
    let group = Jid::new("120363000000000001", Server::Group).unwrap();
    let retry = |count: &str| {
        Node::new("retry")
            .with_attr("count", count.to_owned())
            .with_attr("id", "R")
    };
    let registration = || Node::new("registration").with_bytes(vec![0, 0, 0, 1]);
    let receipt = || {
        Node::new("receipt")
            .with_attr("id", "R")
            .with_attr("from", bob_pn.clone())
    };
    let cases = [
        ("not a receipt", Node::new("message").with_attr("id", "R")),
        (
            "no id",
            Node::new("receipt").with_attr("from", bob_pn.clone()),
        ),
        ("no from", Node::new("receipt").with_attr("id", "R")),
        (
            "group without participant",
            Node::new("receipt")
                .with_attr("id", "R")
                .with_attr("from", group),
        ),
        ("retry without retry", receipt().with_attr("type", "retry")),
        (
            "retry without count",
            receipt()
                .with_attr("type", "retry")
                .with_children(vec![retry("x")]),
        ),
        (
            "retry count 0",
            receipt()
                .with_attr("type", "retry")
                .with_children(vec![retry("0")]),
        ),
        (
            "bad keys",
            receipt().with_attr("type", "retry").with_children(vec![
                retry("2"),
                registration(),
                Node::new("keys")
                    .with_children(vec![Node::new("identity").with_bytes(vec![1; 31])]),
            ]),
        ),
    ];
    for (what, stanza) in cases {
        let result = net.phones[alice].receive_receipt(&mut net.server, &stanza, 9);
        assert!(
            matches!(result, Err(Error::MalformedStanza(_))),
            "{what}: {result:?}"
        );
    }
    // A retry for a message the phone never sent is dropped quietly.
    let unknown = receipt()
        .with_attr("type", "retry")
        .with_children(vec![retry("1"), registration()]);
    assert!(net.phones[alice]
        .receive_receipt(&mut net.server, &unknown, 9)
        .unwrap()
        .is_empty());
    // Read receipts with a list are noted per id.
    let read = receipt().with_attr("type", "read").with_children(vec![
        Node::new("list").with_children(vec![Node::new("item").with_attr("id", "S")])
    ]);
    assert!(net.phones[alice]
        .receive_receipt(&mut net.server, &read, 9)
        .unwrap()
        .is_empty());
    let ids: Vec<_> = net.phones[alice]
        .receipts()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, ["R", "S"]);
}

#[test]
fn impossible_sends_are_errors() {
    let (mut net, alice, bob) = two();
    let carol = net.account("15550003333", "100000000000003");
    let others = net.group("120363000000000004", false, &[bob, carol]);
    let cases = [
        (Jid::server_only(Server::User), "server"),
        (Jid::new("123", Server::Newsletter).unwrap(), "newsletter"),
        (
            Jid::new("120363000000000077", Server::Group).unwrap(),
            "unknown group",
        ),
        (others, "not a member"),
        (
            Jid::new("15559999999", Server::User).unwrap(),
            "unknown user",
        ),
    ];
    for (chat, what) in cases {
        let result =
            net.phones[alice].compose(&mut net.server, &chat, &Outgoing::Text("x".into()), 9);
        let expected = match what {
            "server" | "newsletter" => matches!(result, Err(Error::UnsupportedChat)),
            "unknown group" => matches!(result, Err(Error::UnknownGroup)),
            "not a member" => matches!(result, Err(Error::NotInGroup)),
            _ => matches!(result, Err(Error::NoReachableDevice)),
        };
        assert!(expected, "{what}: {result:?}");
    }
}
