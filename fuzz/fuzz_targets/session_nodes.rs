//! Arbitrary bytes as a frame payload (dictionary v3, then v2), decoded into a node that every
//! receive-side reader of `wa-session` is run on, as the session actor would on a stanza or IQ
//! answer from the server: `read_receipt`, `RetryReceipt::parse`, `read_notification` and
//! `notification_ack`, `parse_lids` and `lid_mappings_in`, `GroupInfo::parse`,
//! `parse_devices`, `bundles_from_list`, `parse_ack`. The node is also wrapped in an `<iq>`
//! (and an `<iq><usync><list>`) so the IQ readers get past their outer layers.
//!
//! Oracle beyond "no panic": what a reader accepts is consistent with the node it read:
//! * an ack has the node's `id`; a receipt has at least one message id, its first the node's
//!   `id`, and a chat without a device;
//! * every LID mapping pairs a `@lid` user with a phone-number user, and `lid_mappings_in`
//!   names no mapping twice;
//! * every usync device belongs to its user (same user and server);
//! * every group member is in the group's addressing form;
//! * a notification's ack is an `<ack>` carrying the notification's `id` when it had one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_binary::{decode_frame, Dictionary, Jid, Node, Server};
use wa_session::content::UnixMillis;
use wa_session::fanout::{bundles_from_list, Addressing, OwnIdentity, RetryReceipt};
use wa_session::receive::{notification_ack, read_notification, read_receipt};
use wa_session::send::{
    lid_mappings_in, parse_ack, parse_devices, parse_lids, GroupInfo, LidMapping,
};

fuzz_target!(|data: &[u8]| {
    for dict in [Dictionary::V3, Dictionary::V2] {
        if let Ok(node) = decode_frame(data, dict) {
            read_all(&node);
            let iq = Node::new("iq").with_children(vec![node.clone()]);
            read_all(&iq);
            let usync = Node::new("iq")
                .with_children(vec![Node::new("usync")
                    .with_children(vec![Node::new("list").with_children(vec![node])])]);
            read_all(&usync);
        }
    }
});

fn own() -> OwnIdentity {
    let pn: Jid = "15550001111@s.whatsapp.net".parse().unwrap();
    let lid: Jid = "100000000000001@lid".parse().unwrap();
    OwnIdentity::new(&pn, Some(&lid), 7, vec![1, 2, 3]).unwrap()
}

fn read_all(node: &Node<'_>) {
    let id = node.attr_str("id");

    if let Ok(ack) = parse_ack(node) {
        assert_eq!(Some(ack.id.as_str()), id, "ack id");
    }

    if let Ok(Some(receipt)) = read_receipt(node, &own(), UnixMillis::new(1_700_000_000_000)) {
        let first = receipt
            .message_ids
            .first()
            .expect("a receipt names a message");
        assert_eq!(Some(first.as_str()), id, "receipt id");
        assert_eq!(receipt.chat.device(), 0, "receipt chat has no device");
    }
    let _ = RetryReceipt::parse(node);

    let _ = read_notification(node);
    let ack = notification_ack(node);
    assert_eq!(ack.tag(), "ack");
    if let Some(id) = id {
        assert_eq!(ack.attr_str("id"), Some(id), "notification ack id");
    }

    if let Ok(mappings) = parse_lids(node) {
        mappings.iter().for_each(check_mapping);
    }
    let inline = lid_mappings_in(node);
    inline.iter().for_each(check_mapping);
    for (index, mapping) in inline.iter().enumerate() {
        assert!(!inline[..index].contains(mapping), "duplicate mapping");
    }

    if let Ok(info) = GroupInfo::parse(node) {
        for member in &info.members {
            assert_eq!(
                Addressing::of(&member.jid),
                Some(info.addressing),
                "member form"
            );
        }
    }

    if let Ok(users) = parse_devices(node) {
        for (user, devices) in &users {
            for device in devices {
                assert_eq!(device.user(), user.user(), "device of another user");
                assert_eq!(device.server(), user.server(), "device on another server");
            }
        }
    }

    let _ = bundles_from_list(node);
}

fn check_mapping(mapping: &LidMapping) {
    assert_eq!(*mapping.lid.server(), Server::Lid, "lid side");
    assert_eq!(*mapping.pn.server(), Server::User, "pn side");
}
