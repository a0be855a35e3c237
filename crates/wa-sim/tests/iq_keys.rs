//! The simulator's key and device-list IQs over a real WebSocket: prekey bundle fetch (exact
//! keys, one-time prekeys consumed in order until none are left, PN and LID device JIDs,
//! per-user 404s), a fetched bundle starting a working Signal session, usync device lists for
//! PN and LID users, and passive/active.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rand_core::OsRng;
use wa_binary::{Jid, Node, Server};
use wa_noise::PublicKey;
use wa_signal::session::{self, ResponderKeys, SessionRecord};
use wa_signal::{
    x3dh, CiphertextMessage, IdentityKey, IdentityKeyPair, PreKeyBundle, PreKeyId, RegistrationId,
    SignedPreKeyId,
};
use wa_sim::{unix_now, Account, DeviceInfo, DeviceKeys, Simulator};
use wa_transport::ClientConnection;

mod common;
use common::{error_of, recv};

/// A registered device and its private keys.
struct Device {
    info: DeviceInfo,
    keys: DeviceKeys,
}

fn register(sim: &Simulator, account: &Account, pre_keys: u32) -> Device {
    let keys = DeviceKeys::generate(pre_keys, unix_now(), &mut OsRng);
    let info = sim
        .register_device(&account.jid, keys.registration())
        .unwrap();
    Device { info, keys }
}

/// Alice (one device, which the tests log in as) and Bob (two devices with 3 and 0 one-time
/// prekeys) on a listening simulator.
struct Setup {
    sim: Simulator,
    alice: Device,
    bob: Account,
    bob_1: Device,
    bob_2: Device,
    running: wa_sim::RunningSimulator,
}

async fn setup() -> Setup {
    let sim = Simulator::new(7);
    let alice_account = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let alice = register(&sim, &alice_account, 1);
    let bob_1 = register(&sim, &bob, 3);
    let bob_2 = register(&sim, &bob, 0);
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    Setup {
        sim,
        alice,
        bob,
        bob_1,
        bob_2,
        running,
    }
}

/// Logs Alice's device in and returns the connection after `<success>`.
async fn login(setup: &Setup) -> ClientConnection {
    common::login(&setup.running, &setup.alice.info, &setup.alice.keys).await
}

/// Sends `<iq id to=s.whatsapp.net type xmlns>children</iq>` and returns the reply, checking
/// it echoes the id.
async fn iq(
    conn: &mut ClientConnection,
    id: &str,
    xmlns: &'static str,
    kind: &'static str,
    children: Vec<Node<'static>>,
) -> Node<'static> {
    let request = Node::new("iq")
        .with_attr("id", id.to_owned())
        .with_attr("to", Jid::server_only(Server::User))
        .with_attr("type", kind)
        .with_attr("xmlns", xmlns)
        .with_children(children);
    conn.send(&request).await.unwrap();
    let reply = recv(conn).await;
    assert_eq!(reply.tag(), "iq");
    assert_eq!(reply.attr_str("id"), Some(id), "id echoed");
    reply
}

fn not_found() -> Option<(String, String)> {
    Some(("404".to_owned(), "item-not-found".to_owned()))
}

/// `<key><user jid reason="identity"/>..</key>` (whatsmeow's shape) and the `<user>` entries of
/// the result list.
async fn fetch_bundles(conn: &mut ClientConnection, id: &str, jids: &[Jid]) -> Vec<Node<'static>> {
    let users = jids
        .iter()
        .map(|jid| {
            Node::new("user")
                .with_attr("jid", jid.clone())
                .with_attr("reason", "identity")
        })
        .collect();
    let reply = iq(
        conn,
        id,
        "encrypt",
        "get",
        vec![Node::new("key").with_children(users)],
    )
    .await;
    assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
    let list = reply.child("list").expect("<list>");
    let users: Vec<_> = list.children_with_tag("user").cloned().collect();
    assert_eq!(users.len(), jids.len(), "one <user> per requested device");
    for (user, jid) in users.iter().zip(jids) {
        assert_eq!(
            user.attr_jid("jid").as_ref(),
            Some(jid),
            "request order kept"
        );
    }
    users
}

fn bytes<const N: usize>(node: &Node<'_>, tag: &str) -> [u8; N] {
    let bytes = node.child(tag).and_then(Node::bytes).expect(tag);
    <[u8; N]>::try_from(bytes).expect("exact length")
}

fn id3(node: &Node<'_>) -> u32 {
    let [a, b, c] = bytes::<3>(node, "id");
    u32::from_be_bytes([0, a, b, c])
}

/// Parses a `<user>` bundle the way whatsmeow does.
fn parse_bundle(user: &Node<'_>) -> PreKeyBundle {
    assert_eq!(error_of(user), None, "{user:?}");
    assert_eq!(bytes::<1>(user, "type"), [0x05]);
    let skey = user.child("skey").expect("<skey>");
    PreKeyBundle {
        registration_id: RegistrationId(u32::from_be_bytes(bytes::<4>(user, "registration"))),
        identity_key: IdentityKey::from(PublicKey::from_bytes(bytes::<32>(user, "identity"))),
        signed_pre_key_id: SignedPreKeyId(id3(skey)),
        signed_pre_key: PublicKey::from_bytes(bytes::<32>(skey, "value")),
        signed_pre_key_signature: bytes::<64>(skey, "signature"),
        pre_key: user.child("key").map(|key| {
            (
                PreKeyId(id3(key)),
                PublicKey::from_bytes(bytes::<32>(key, "value")),
            )
        }),
    }
}

fn expected_bundle(keys: &DeviceKeys, pre_key: Option<usize>) -> PreKeyBundle {
    PreKeyBundle {
        registration_id: keys.registration_id,
        identity_key: keys.identity.identity_key(),
        signed_pre_key_id: keys.signed_pre_key.id(),
        signed_pre_key: *keys.signed_pre_key.key_pair().public_key(),
        signed_pre_key_signature: *keys.signed_pre_key.signature(),
        pre_key: pre_key.map(|index| {
            let record = &keys.pre_keys[index];
            (record.id(), *record.key_pair().public_key())
        }),
    }
}

#[tokio::test]
async fn bundle_fetch_returns_the_registered_keys_and_consumes_one_time_prekeys_in_order() {
    let setup = setup().await;
    let mut conn = login(&setup).await;
    let bob_1 = &setup.bob_1;
    for (round, index) in [Some(0), Some(1), Some(2), None, None]
        .into_iter()
        .enumerate()
    {
        let users = fetch_bundles(
            &mut conn,
            &format!("b-{round}"),
            std::slice::from_ref(&bob_1.info.jid),
        )
        .await;
        assert_eq!(
            parse_bundle(&users[0]),
            expected_bundle(&bob_1.keys, index),
            "round {round}"
        );
        assert_eq!(users[0].child("key").is_some(), index.is_some());
        let left = setup.sim.device(&bob_1.info.jid).unwrap().pre_key_count;
        assert_eq!(
            left,
            3usize.saturating_sub(round + 1),
            "one prekey consumed per fetch"
        );
    }
}

#[tokio::test]
async fn bundle_fetch_takes_pn_and_lid_device_jids_and_reports_unknown_devices_per_user() {
    let setup = setup().await;
    let mut conn = login(&setup).await;
    setup.sim.remove_device(&setup.bob_2.info.jid).unwrap();
    let unknown_account = Jid::new("15559999999", Server::User)
        .unwrap()
        .with_device(1)
        .unwrap();
    let unknown_device = setup.bob.jid.clone().with_device(42).unwrap();
    let primary = setup.bob.jid.clone(); // device 0: Bob's simulated phone
    let jids = [
        setup.bob_1.info.lid.clone(),
        unknown_account,
        setup.bob_1.info.jid.clone(),
        unknown_device,
        setup.bob_2.info.jid.clone(), // removed
        primary,
        setup.alice.info.lid.clone(), // one's own device is a device like any other
    ];
    let users = fetch_bundles(&mut conn, "mixed", &jids).await;
    assert_eq!(
        parse_bundle(&users[0]),
        expected_bundle(&setup.bob_1.keys, Some(0))
    );
    assert_eq!(
        parse_bundle(&users[2]),
        expected_bundle(&setup.bob_1.keys, Some(1))
    );
    assert_eq!(
        parse_bundle(&users[6]),
        expected_bundle(&setup.alice.keys, Some(0))
    );
    // The phone publishes its own keys: its bundle carries its identity.
    let phone = setup.sim.device(&setup.bob.jid).unwrap();
    assert_eq!(error_of(&users[5]), None, "{:?}", users[5]);
    assert_eq!(
        users[5].child("identity").and_then(Node::bytes),
        Some(&phone.identity_key.public_key().as_bytes()[..])
    );
    for index in [1, 3, 4] {
        assert_eq!(error_of(&users[index]), not_found(), "{:?}", users[index]);
        assert!(users[index].child("identity").is_none());
    }

    // A <user> without a JID refuses the whole IQ, before any prekey is consumed.
    let reply = iq(
        &mut conn,
        "bad",
        "encrypt",
        "get",
        vec![Node::new("key").with_children(vec![
            Node::new("user").with_attr("jid", setup.bob_1.info.jid.clone()),
            Node::new("user"),
        ])],
    )
    .await;
    assert_eq!(reply.attr_str("type"), Some("error"));
    assert_eq!(error_of(&reply).unwrap().0, "400");
    assert_eq!(
        setup
            .sim
            .device(&setup.bob_1.info.jid)
            .unwrap()
            .pre_key_count,
        1
    );
}

#[tokio::test]
async fn a_fetched_bundle_starts_a_session_the_device_can_decrypt() {
    let setup = setup().await;
    let mut conn = login(&setup).await;
    let bob_1 = &setup.bob_1;
    let users = fetch_bundles(&mut conn, "session", std::slice::from_ref(&bob_1.info.lid)).await;
    let bundle = parse_bundle(&users[0]);

    // The initiator is any Signal identity; initiate() checks the signed prekey signature.
    let initiator = IdentityKeyPair::generate(&mut OsRng);
    let state = x3dh::initiate(&initiator, RegistrationId(1234), &bundle, &mut OsRng)
        .expect("bundle signature verifies");
    let mut alice_session = SessionRecord::from_state(state);
    let plaintext = b"hello bob\x01";
    let CiphertextMessage::PreKey(message) =
        session::encrypt(&mut alice_session, plaintext).unwrap()
    else {
        panic!("the first message of a new session is a pkmsg");
    };
    assert_eq!(message.pre_key_id(), Some(bob_1.keys.pre_keys[0].id()));

    let mut bob_session = SessionRecord::new();
    let decrypted = session::decrypt_pre_key_message(
        &mut bob_session,
        &message,
        &ResponderKeys {
            identity: &bob_1.keys.identity,
            registration_id: bob_1.keys.registration_id,
            signed_pre_key: Some(&bob_1.keys.signed_pre_key),
            pre_key: Some(&bob_1.keys.pre_keys[0]),
        },
        &mut OsRng,
    )
    .expect("bob decrypts with the keys the simulator handed out");
    assert_eq!(decrypted.plaintext, plaintext);
    assert_eq!(decrypted.used_pre_key, Some(bob_1.keys.pre_keys[0].id()));
}

/// `<usync sid mode="query" last="true" index="0" context="message"><query>PROTOCOLS</query>
/// <list><user jid/>..</list></usync>` (whatsmeow's and Baileys' shape).
async fn usync(
    conn: &mut ClientConnection,
    id: &str,
    protocols: Vec<Node<'static>>,
    jids: &[Jid],
) -> Node<'static> {
    let users = jids
        .iter()
        .map(|jid| Node::new("user").with_attr("jid", jid.clone()))
        .collect();
    let usync = Node::new("usync")
        .with_attr("sid", format!("sid-{id}"))
        .with_attr("mode", "query")
        .with_attr("last", "true")
        .with_attr("index", "0")
        .with_attr("context", "message")
        .with_children(vec![
            Node::new("query").with_children(protocols),
            Node::new("list").with_children(users),
        ]);
    iq(conn, id, "usync", "get", vec![usync]).await
}

fn devices_query() -> Node<'static> {
    Node::new("devices").with_attr("version", "2")
}

/// The device ids of a `<user>` as whatsmeow's `parseDeviceList` reads them.
fn device_ids(user: &Node<'_>) -> Vec<u16> {
    let list = user
        .child("devices")
        .and_then(|devices| devices.child("device-list"))
        .expect("<devices><device-list>");
    list.children_with_tag("device")
        .map(|device| {
            let id: u16 = device.attr_str("id").unwrap().parse().unwrap();
            // Companions carry their key index; the primary phone has none.
            let key_index = (id != 0).then(|| id.to_string());
            assert_eq!(device.attr_str("key-index"), key_index.as_deref());
            id
        })
        .collect()
}

#[tokio::test]
async fn usync_lists_registered_devices_for_pn_and_lid_users() {
    let setup = setup().await;
    let mut conn = login(&setup).await;
    let bob_3 = register(&setup.sim, &setup.bob, 0);
    setup.sim.remove_device(&setup.bob_2.info.jid).unwrap();
    let stranger = Jid::new("15559999999", Server::User).unwrap();
    let jids = [
        setup.bob.jid.clone(),
        setup.bob.lid.clone(),
        stranger.clone(),
        setup.bob_1.info.jid.clone(), // a device JID is read as its user
    ];
    let reply = usync(&mut conn, "devices", vec![devices_query()], &jids).await;
    assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
    let answer = reply.child("usync").expect("<usync>");
    assert_eq!(answer.attr_str("sid"), Some("sid-devices"));
    let users: Vec<_> = answer
        .child("list")
        .expect("<usync><list>")
        .children_with_tag("user")
        .collect();
    assert_eq!(users.len(), 4);

    let expected = vec![0, setup.bob_1.info.jid.device(), bob_3.info.jid.device()];
    assert_eq!(expected, vec![0, 1, 3], "removed device 2 is left out");
    assert_eq!(users[0].attr_jid("jid"), Some(setup.bob.jid.clone()));
    assert_eq!(device_ids(users[0]), expected);
    assert_eq!(users[1].attr_jid("jid"), Some(setup.bob.lid.clone()));
    assert_eq!(device_ids(users[1]), expected);
    assert_eq!(users[2].attr_jid("jid"), Some(stranger));
    assert_eq!(error_of(users[2]), not_found());
    assert!(users[2].child("devices").is_none());
    assert_eq!(users[3].attr_jid("jid"), Some(setup.bob.jid.clone()));
    assert_eq!(device_ids(users[3]), expected);
    assert!(users[0].child("lid").is_none(), "no lid protocol asked");
}

#[tokio::test]
async fn usync_answers_the_lid_protocol_and_refuses_unsupported_ones() {
    let setup = setup().await;
    let mut conn = login(&setup).await;
    let jids = [setup.bob.jid.clone(), setup.bob.lid.clone()];
    let reply = usync(
        &mut conn,
        "lid",
        vec![devices_query(), Node::new("lid")],
        &jids,
    )
    .await;
    let list = reply.child("usync").and_then(|u| u.child("list")).unwrap();
    let users: Vec<_> = list.children_with_tag("user").collect();
    let lid = users[0].child("lid").and_then(|lid| lid.attr_jid("val"));
    assert_eq!(lid, Some(setup.bob.lid.clone()));
    assert!(
        users[1].child("lid").is_none(),
        "a LID user has no other LID"
    );
    assert_eq!(device_ids(users[1]), vec![0, 1, 2]);

    let reply = usync(&mut conn, "contact", vec![Node::new("contact")], &jids).await;
    assert_eq!(reply.attr_str("type"), Some("error"));
    assert_eq!(
        error_of(&reply),
        Some(("501".to_owned(), "feature-not-implemented".to_owned()))
    );
}

#[tokio::test]
async fn passive_and_active_get_results() {
    let setup = setup().await;
    let mut conn = login(&setup).await;
    for mode in ["active", "passive"] {
        let reply = iq(&mut conn, mode, "passive", "set", vec![Node::new(mode)]).await;
        assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
        assert!(reply.children().is_empty());
    }
    let reply = iq(
        &mut conn,
        "odd",
        "passive",
        "set",
        vec![Node::new("sleepy")],
    )
    .await;
    assert_eq!(error_of(&reply).unwrap().0, "400");
    // The connection stays usable.
    let reply = iq(&mut conn, "ping", "w:p", "get", vec![Node::new("ping")]).await;
    assert_eq!(reply.attr_str("type"), Some("result"));
}
