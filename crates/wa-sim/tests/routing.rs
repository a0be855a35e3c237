//! Message routing between real connections: per-device fan-out in a chat (the sender's own
//! other devices get `recipient`), acks with the server clock, offline delivery at login,
//! re-delivery of unacknowledged messages, one delivery per id (retries excepted), receipts
//! and retry receipts back to the sending device, and groups by sender key in PN and LID
//! addressing with the `phash` check. The `<enc>` payloads are opaque to the server, so they
//! are plain bytes here; the simulated devices' own tests cover real Signal traffic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use rand_core::OsRng;
use wa_binary::{Jid, Node};
use wa_sim::{
    participant_hash, Account, AddressingMode, DeviceInfo, DeviceKeys, RunningSimulator, Simulator,
};
use wa_transport::ClientConnection;

mod common;
use common::{assert_quiet, login, recv, recv_any};

/// A companion device registered on an account, with its keys to log in.
struct Device {
    info: DeviceInfo,
    keys: DeviceKeys,
}

fn add_device(sim: &Simulator, account: &Account) -> Device {
    let keys = DeviceKeys::generate(2, wa_sim::unix_now(), &mut OsRng);
    let info = sim
        .register_device(&account.jid, keys.registration())
        .unwrap();
    Device { info, keys }
}

async fn connect(running: &RunningSimulator, device: &Device) -> ClientConnection {
    login(running, &device.info, &device.keys).await
}

fn enc(kind: &str, payload: &[u8]) -> Node<'static> {
    Node::new("enc")
        .with_attr("v", "2")
        .with_attr("type", kind.to_owned())
        .with_bytes(payload.to_vec())
}

/// `<message id to type="text"><participants><to jid><enc/></to>..</participants></message>`.
fn direct(id: &str, to: &Jid, devices: &[(&Jid, &[u8])]) -> Node<'static> {
    let participants = devices
        .iter()
        .map(|(jid, payload)| {
            Node::new("to")
                .with_attr("jid", (*jid).clone())
                .with_children(vec![enc("msg", payload)])
        })
        .collect();
    Node::new("message")
        .with_attr("id", id.to_owned())
        .with_attr("to", to.clone())
        .with_attr("type", "text")
        .with_children(vec![Node::new("participants").with_children(participants)])
}

fn payload_of(message: &Node<'_>, kind: &str) -> Vec<u8> {
    message
        .children_with_tag("enc")
        .find(|enc| enc.attr_str("type") == Some(kind))
        .and_then(Node::bytes)
        .map(<[u8]>::to_vec)
        .unwrap_or_else(|| panic!("no {kind} enc in {message:?}"))
}

struct Chat {
    /// The simulator's (manual) clock reading: every server timestamp.
    now: u64,
    sim: Simulator,
    running: RunningSimulator,
    alice: Account,
    bob: Account,
    alice1: Device,
    alice2: Device,
    bob1: Device,
    bob2: Device,
}

async fn chat() -> Chat {
    // A manual clock (so timestamps are known), set to the real time so that the client's
    // certificate check, which uses the system clock, passes.
    let now = wa_sim::unix_now();
    let sim = Simulator::with_time(3, now);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    // The payloads here are opaque bytes: keep the simulated phones from trying to decrypt
    // them (and answering with retry receipts).
    sim.set_phone_online(&alice.jid, false).unwrap();
    sim.set_phone_online(&bob.jid, false).unwrap();
    let alice1 = add_device(&sim, &alice);
    let alice2 = add_device(&sim, &alice);
    let bob1 = add_device(&sim, &bob);
    let bob2 = add_device(&sim, &bob);
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    Chat {
        now,
        sim,
        running,
        alice,
        bob,
        alice1,
        alice2,
        bob1,
        bob2,
    }
}

#[tokio::test]
async fn a_chat_message_fans_out_per_device_and_is_acked_with_the_server_time() {
    let c = chat().await;
    let mut a1 = connect(&c.running, &c.alice1).await;
    let mut a2 = connect(&c.running, &c.alice2).await;
    let mut b1 = connect(&c.running, &c.bob1).await;
    let mut b2 = connect(&c.running, &c.bob2).await;

    let message = direct(
        "3EB0AAAAAAAAAAAAAAAAAA",
        &c.bob.jid,
        &[
            (&c.bob1.info.jid, b"for bob1"),
            (&c.bob2.info.jid, b"for bob2"),
            (&c.alice2.info.jid, b"for alice2"),
        ],
    );
    a1.send(&message).await.unwrap();
    let ack = recv(&mut a1).await;
    assert_eq!(ack.tag(), "ack");
    assert_eq!(ack.attr_str("class"), Some("message"));
    assert_eq!(ack.attr_str("id"), Some("3EB0AAAAAAAAAAAAAAAAAA"));
    assert_eq!(ack.attr_str("t"), Some(c.now.to_string().as_str()));
    assert_eq!(ack.attr_jid("from"), Some(c.bob.jid.clone()));
    assert_eq!(ack.attr("error"), None);

    for (conn, expected) in [(&mut b1, &b"for bob1"[..]), (&mut b2, b"for bob2")] {
        let received = recv(conn).await;
        assert_eq!(received.tag(), "message");
        assert_eq!(received.attr_jid("from"), Some(c.alice1.info.jid.clone()));
        assert_eq!(received.attr_str("id"), Some("3EB0AAAAAAAAAAAAAAAAAA"));
        assert_eq!(received.attr_str("type"), Some("text"));
        assert_eq!(received.attr_str("t"), Some(c.now.to_string().as_str()));
        assert_eq!(received.attr("recipient"), None);
        assert_eq!(payload_of(&received, "msg"), expected);
    }
    let own = recv(&mut a2).await;
    assert_eq!(own.attr_jid("from"), Some(c.alice1.info.jid.clone()));
    assert_eq!(own.attr_jid("recipient"), Some(c.bob.jid.clone()));
    assert_eq!(payload_of(&own, "msg"), b"for alice2");
    // The sender does not get its own message back.
    assert_quiet(&mut a1).await;
}

#[tokio::test]
async fn a_chat_addressed_by_lid_is_delivered_from_the_senders_lid() {
    let c = chat().await;
    let mut a1 = connect(&c.running, &c.alice1).await;
    let mut b1 = connect(&c.running, &c.bob1).await;
    a1.send(&direct("3EB0LID", &c.bob.lid, &[(&c.bob1.info.lid, b"x")]))
        .await
        .unwrap();
    assert_eq!(recv(&mut a1).await.attr("error"), None);
    let received = recv(&mut b1).await;
    assert_eq!(received.attr_jid("from"), Some(c.alice1.info.lid.clone()));
}

#[tokio::test]
async fn an_offline_device_gets_its_messages_at_login_and_unacknowledged_ones_again() {
    let c = chat().await;
    let mut a1 = connect(&c.running, &c.alice1).await;
    for id in ["3EB0OFF1", "3EB0OFF2"] {
        a1.send(&direct(
            id,
            &c.bob.jid,
            &[(&c.bob1.info.jid, id.as_bytes())],
        ))
        .await
        .unwrap();
        assert_eq!(recv(&mut a1).await.attr("error"), None);
    }
    assert_eq!(c.sim.waiting(&c.bob1.info.jid), 2);

    // Bob logs in: both, in order, right after <success>.
    let mut b1 = connect(&c.running, &c.bob1).await;
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0OFF1"));
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0OFF2"));
    // He acknowledges only the first (a delivery receipt), then drops.
    let receipt = Node::new("receipt")
        .with_attr("id", "3EB0OFF1")
        .with_attr("to", c.alice.jid.clone());
    b1.send(&receipt).await.unwrap();
    assert_eq!(recv(&mut b1).await.attr_str("class"), Some("receipt"));
    drop(b1);
    wait_until(|| !c.sim.is_online(&c.bob1.info.jid)).await;

    // The second comes again on the next login; the first does not.
    let mut b1 = connect(&c.running, &c.bob1).await;
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0OFF2"));
    assert_quiet(&mut b1).await;
}

#[tokio::test]
async fn a_resent_id_is_not_delivered_twice_but_a_retry_is() {
    let c = chat().await;
    let mut a1 = connect(&c.running, &c.alice1).await;
    let mut b1 = connect(&c.running, &c.bob1).await;
    let message = direct("3EB0DUP", &c.bob.jid, &[(&c.bob1.info.jid, b"once")]);
    a1.send(&message).await.unwrap();
    let first_ack = recv(&mut a1).await;
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0DUP"));

    // The sender did not see the ack (say) and sends the same id again: acked, not delivered.
    a1.send(&message).await.unwrap();
    let second_ack = recv(&mut a1).await;
    assert_eq!(second_ack.attr_str("t"), first_ack.attr_str("t"));
    assert_quiet(&mut b1).await;

    // A retry (<enc count>) answering the device's retry receipt goes through.
    let retry = Node::new("message")
        .with_attr("id", "3EB0DUP")
        .with_attr("to", c.bob.jid.clone())
        .with_attr("type", "text")
        .with_children(vec![Node::new("participants").with_children(vec![
            Node::new("to")
                .with_attr("jid", c.bob1.info.jid.clone())
                .with_children(vec![enc("pkmsg", b"again").with_attr("count", "1")]),
        ])]);
    a1.send(&retry).await.unwrap();
    recv(&mut a1).await;
    let again = recv(&mut b1).await;
    assert_eq!(payload_of(&again, "pkmsg"), b"again");
}

#[tokio::test]
async fn receipts_and_retry_receipts_reach_the_sending_device() {
    let c = chat().await;
    let mut a1 = connect(&c.running, &c.alice1).await;
    let mut a2 = connect(&c.running, &c.alice2).await;
    let mut b1 = connect(&c.running, &c.bob1).await;
    a1.send(&direct("3EB0RCPT", &c.bob.jid, &[(&c.bob1.info.jid, b"m")]))
        .await
        .unwrap();
    recv(&mut a1).await;
    recv(&mut b1).await;

    let retry = Node::new("receipt")
        .with_attr("id", "3EB0RCPT")
        .with_attr("to", c.alice.jid.clone())
        .with_attr("type", "retry")
        .with_children(vec![
            Node::new("retry")
                .with_attr("count", "1")
                .with_attr("id", "3EB0RCPT")
                .with_attr("t", c.now.to_string())
                .with_attr("v", "1"),
            Node::new("registration").with_bytes(vec![0, 0, 1, 2]),
        ]);
    b1.send(&retry).await.unwrap();
    let ack = recv(&mut b1).await;
    assert_eq!(ack.attr_str("class"), Some("receipt"));
    assert_eq!(ack.attr_str("type"), Some("retry"));

    let forwarded = recv(&mut a1).await;
    assert_eq!(forwarded.tag(), "receipt");
    assert_eq!(forwarded.attr_jid("from"), Some(c.bob1.info.jid.clone()));
    assert_eq!(forwarded.attr_str("type"), Some("retry"));
    assert_eq!(forwarded.attr_str("id"), Some("3EB0RCPT"));
    assert_eq!(
        forwarded.child("retry").and_then(|r| r.attr_str("count")),
        Some("1")
    );
    assert_eq!(
        forwarded.child("registration").and_then(Node::bytes),
        Some(&[0, 0, 1, 2][..])
    );
    // Only the device that sent the message hears about it.
    assert_quiet(&mut a2).await;
}

#[tokio::test]
async fn bad_messages_get_an_ack_with_an_error_code() {
    let c = chat().await;
    let carol = c.sim.create_account(Some("15550003333")).unwrap();
    let carol1 = add_device(&c.sim, &carol);
    let mut a1 = connect(&c.running, &c.alice1).await;
    let stranger = Jid::parse("15559999999@s.whatsapp.net").unwrap();
    let cases = [
        // Unknown user.
        (direct("3EB0E1", &stranger, &[]), "404"),
        // A <to> for a device of a third account.
        (
            direct("3EB0E2", &c.bob.jid, &[(&carol1.info.jid, b"x")]),
            "400",
        ),
        // No `to`.
        (Node::new("message").with_attr("id", "3EB0E3"), "400"),
        // Unknown group.
        (
            direct(
                "3EB0E4",
                &Jid::parse("120363000000000000@g.us").unwrap(),
                &[],
            ),
            "404",
        ),
    ];
    for (message, code) in cases {
        a1.send(&message).await.unwrap();
        let ack = recv(&mut a1).await;
        assert_eq!(ack.attr_str("error"), Some(code), "{message:?} -> {ack:?}");
    }
    // A device that does not exist (or was removed since the sender fetched the list) is
    // skipped, not refused: the rest still gets the message.
    let mut b1 = connect(&c.running, &c.bob1).await;
    let gone = Jid::parse("15550002222:42@s.whatsapp.net").unwrap();
    a1.send(&direct(
        "3EB0E5",
        &c.bob.jid,
        &[(&gone, b"x"), (&c.bob1.info.jid, b"y")],
    ))
    .await
    .unwrap();
    assert_eq!(recv(&mut a1).await.attr("error"), None);
    assert_eq!(payload_of(&recv(&mut b1).await, "msg"), b"y");
}

async fn wait_until(mut condition: impl FnMut() -> bool) {
    for _ in 0..200 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached");
}

/// Carol sends to a group of Alice, Bob and Carol: every member device but hers gets the
/// skmsg, and the devices she included get their pairwise enc too.
async fn group_round(addressing: AddressingMode) {
    let c = chat().await;
    let carol = c.sim.create_account(Some("15550003333")).unwrap();
    c.sim.set_phone_online(&carol.jid, false).unwrap();
    let carol1 = add_device(&c.sim, &carol);
    let group = c
        .sim
        .create_group(
            "g",
            &carol.jid,
            &[c.alice.jid.clone(), c.bob.jid.clone()],
            addressing,
        )
        .unwrap();
    let lid = addressing == AddressingMode::Lid;
    let form = |device: &Device| {
        if lid {
            device.info.lid.clone()
        } else {
            device.info.jid.clone()
        }
    };
    let mut k1 = connect(&c.running, &carol1).await;
    let mut a1 = connect(&c.running, &c.alice1).await;
    let mut b1 = connect(&c.running, &c.bob1).await;

    // Every member's devices, their simulated phones (device 0) included.
    let mut member_devices: Vec<Jid> = [&c.alice1, &c.alice2, &c.bob1, &c.bob2, &carol1]
        .iter()
        .map(|d| form(d))
        .collect();
    for account in [&c.alice, &c.bob, &carol] {
        member_devices.push(if lid {
            account.lid.clone()
        } else {
            account.jid.clone()
        });
    }
    let phash = participant_hash(&member_devices);
    let message = Node::new("message")
        .with_attr("id", "3EB0GROUP")
        .with_attr("to", group.clone())
        .with_attr("type", "text")
        .with_attr("phash", phash.clone())
        .with_children(vec![
            Node::new("participants").with_children(vec![Node::new("to")
                .with_attr("jid", form(&c.alice1))
                .with_children(vec![enc("pkmsg", b"skdm for alice1")])]),
            enc("skmsg", b"group ciphertext"),
        ]);
    k1.send(&message).await.unwrap();
    let ack = recv(&mut k1).await;
    assert_eq!(ack.attr("error"), None, "{ack:?}");
    assert_eq!(ack.attr("phash"), None, "phash matched: {ack:?}");

    let to_alice = recv(&mut a1).await;
    assert_eq!(to_alice.attr_jid("from"), Some(group.clone()));
    assert_eq!(to_alice.attr_jid("participant"), Some(form(&carol1)));
    assert_eq!(payload_of(&to_alice, "pkmsg"), b"skdm for alice1");
    assert_eq!(payload_of(&to_alice, "skmsg"), b"group ciphertext");
    let to_bob = recv(&mut b1).await;
    assert_eq!(payload_of(&to_bob, "skmsg"), b"group ciphertext");
    assert_eq!(to_bob.children().len(), 1, "{to_bob:?}");
    if lid {
        assert_eq!(to_bob.attr_str("addressing_mode"), Some("lid"));
        assert_eq!(
            to_bob.attr_jid("participant_pn"),
            Some(carol1.info.jid.clone())
        );
    } else {
        assert_eq!(to_bob.attr("addressing_mode"), None);
    }
    // Offline members' devices get it when they log in.
    assert_eq!(c.sim.waiting(&c.bob2.info.jid), 1);

    // A stale phash: still delivered, and the ack carries the server's.
    let skmsg_only = |id: &str| {
        Node::new("message")
            .with_attr("id", id.to_owned())
            .with_attr("to", group.clone())
            .with_attr("type", "text")
            .with_attr("phash", "2:AAAAAAAA")
            .with_children(vec![enc("skmsg", b"2")])
    };
    k1.send(&skmsg_only("3EB0GROUP2")).await.unwrap();
    let ack = recv(&mut k1).await;
    assert_eq!(ack.attr_str("phash"), Some(phash.as_str()));
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0GROUP2"));

    // Bob's receipt goes back to Carol's device, from the group with Bob as participant.
    let receipt = Node::new("receipt")
        .with_attr("id", "3EB0GROUP")
        .with_attr("to", group.clone())
        .with_attr("participant", form(&carol1));
    b1.send(&receipt).await.unwrap();
    recv(&mut b1).await;
    let forwarded = recv(&mut k1).await;
    assert_eq!(forwarded.tag(), "receipt");
    assert_eq!(forwarded.attr_jid("from"), Some(group.clone()));
    assert_eq!(forwarded.attr_jid("participant"), Some(form(&c.bob1)));

    // A non-member cannot send to the group.
    let dave = c.sim.create_account(Some("15550004444")).unwrap();
    let dave1 = add_device(&c.sim, &dave);
    let mut d1 = connect(&c.running, &dave1).await;
    d1.send(&skmsg_only("3EB0GROUP3")).await.unwrap();
    assert_eq!(recv(&mut d1).await.attr_str("error"), Some("403"));
}

#[tokio::test]
async fn a_pn_group_message_fans_out_by_sender_key() {
    group_round(AddressingMode::Pn).await;
}

#[tokio::test]
async fn a_lid_group_message_uses_lid_participants() {
    group_round(AddressingMode::Lid).await;
}

#[tokio::test]
async fn the_backlog_ends_with_ib_offline_and_its_count() {
    let c = chat().await;
    let mut a1 = connect(&c.running, &c.alice1).await;
    let ib = recv_any(&mut a1).await;
    assert_eq!(ib.tag(), "ib");
    assert_eq!(
        ib.child("offline").and_then(|o| o.attr_str("count")),
        Some("0")
    );
    a1.send(&direct("3EB0IB", &c.bob.jid, &[(&c.bob1.info.jid, b"m")]))
        .await
        .unwrap();
    recv(&mut a1).await;
    let mut b1 = connect(&c.running, &c.bob1).await;
    assert_eq!(recv_any(&mut b1).await.attr_str("id"), Some("3EB0IB"));
    let ib = recv_any(&mut b1).await;
    assert_eq!(
        ib.attr_jid("from"),
        Some(Jid::parse("s.whatsapp.net").unwrap())
    );
    assert_eq!(
        ib.child("offline").and_then(|o| o.attr_str("count")),
        Some("1")
    );
}
