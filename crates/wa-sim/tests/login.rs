//! The simulator over a real WebSocket on 127.0.0.1, driven by `wa_transport::connect`: login
//! (success, unknown, removed, wrong key, registration), ping, prekey upload and count, refused
//! uploads, unsupported IQs and stanzas, and determinism of the seed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rand_core::OsRng;
use wa_binary::{Jid, Node, Server};
use wa_noise::{CertVerifier, IntroHeader, KeyPair};
use wa_proto::wa6::client_payload::DevicePairingRegistrationData;
use wa_proto::wa6::ClientPayload;
use wa_signal::keys::serialize_public_key;
use wa_signal::{PreKeyId, PreKeyRecord, SignedPreKeyId, SignedPreKeyRecord};
use wa_sim::{
    login_payload, unix_now, Account, DeviceInfo, DeviceKeys, RunningSimulator, Simulator,
};
use wa_transport::{ClientConnection, Error as TransportError};

/// Every await on the network is bounded, so a bug fails the test instead of hanging it.
mod common;
use common::{assert_closed, connect_with, error_of as error_code, recv};

struct Setup {
    running: RunningSimulator,
    account: Account,
    device: DeviceInfo,
    keys: DeviceKeys,
}

/// A simulator with one account and one registered device holding `pre_keys` one-time prekeys.
async fn setup(pre_keys: u32) -> Setup {
    let sim = Simulator::new(1);
    let account = sim.create_account(Some("15550001111")).unwrap();
    let keys = DeviceKeys::generate(pre_keys, unix_now(), &mut OsRng);
    let device = sim
        .register_device(&account.jid, keys.registration())
        .unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    Setup {
        running,
        account,
        device,
        keys,
    }
}

/// Logs the setup's device in and returns the connection after `<success>`.
async fn login(setup: &Setup) -> ClientConnection {
    common::login(&setup.running, &setup.device, &setup.keys).await
}

/// Sends an IQ and returns the reply.
async fn iq(conn: &mut ClientConnection, request: Node<'_>) -> Node<'static> {
    conn.send(&request).await.unwrap();
    let reply = recv(conn).await;
    assert_eq!(reply.tag(), "iq");
    assert_eq!(reply.attr_str("id"), request.attr_str("id"), "id echoed");
    assert_eq!(
        reply.attr_jid("from"),
        Some(Jid::server_only(Server::User)),
        "from = the request's to"
    );
    reply
}

fn server_jid() -> Jid {
    Jid::server_only(Server::User)
}

fn count_request(id: &str) -> Node<'static> {
    Node::new("iq")
        .with_attr("id", id.to_owned())
        .with_attr("to", server_jid())
        .with_attr("type", "get")
        .with_attr("xmlns", "encrypt")
        .with_children(vec![Node::new("count")])
}

async fn server_count(conn: &mut ClientConnection) -> u64 {
    let reply = iq(conn, count_request("count-1")).await;
    assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
    reply
        .child("count")
        .and_then(|count| count.attr_str("value"))
        .expect("<count value>")
        .parse()
        .unwrap()
}

fn id3(id: u32) -> Vec<u8> {
    id.to_be_bytes()[1..].to_vec()
}

/// The upload IQ as whatsmeow builds it (PROTOCOL.md section 5).
fn upload_request(
    keys: &DeviceKeys,
    signed: &SignedPreKeyRecord,
    signature: &[u8],
    pre_keys: &[PreKeyRecord],
) -> Node<'static> {
    let list = pre_keys
        .iter()
        .map(|key| {
            Node::new("key").with_children(vec![
                Node::new("id").with_bytes(id3(key.id().0)),
                Node::new("value").with_bytes(key.key_pair().public_key().as_bytes().to_vec()),
            ])
        })
        .collect();
    Node::new("iq")
        .with_attr("id", "upload-1")
        .with_attr("to", server_jid())
        .with_attr("type", "set")
        .with_attr("xmlns", "encrypt")
        .with_children(vec![
            Node::new("registration").with_bytes(keys.registration_id.0.to_be_bytes().to_vec()),
            Node::new("type").with_bytes(vec![5]),
            Node::new("identity").with_bytes(
                keys.identity
                    .identity_key()
                    .public_key()
                    .as_bytes()
                    .to_vec(),
            ),
            Node::new("list").with_children(list),
            Node::new("skey").with_children(vec![
                Node::new("id").with_bytes(id3(signed.id().0)),
                Node::new("value").with_bytes(signed.key_pair().public_key().as_bytes().to_vec()),
                Node::new("signature").with_bytes(signature.to_vec()),
            ]),
        ])
}

fn fresh_pre_keys(from: u32, count: u32) -> Vec<PreKeyRecord> {
    (from..from + count)
        .map(|id| PreKeyRecord::generate(PreKeyId(id), &mut OsRng))
        .collect()
}

#[tokio::test]
async fn known_device_logs_in_with_success_carrying_its_lid() {
    let setup = setup(0).await;
    for header in [IntroHeader::V3, IntroHeader::V2] {
        let payload = login_payload(setup.account.jid.user(), setup.device.jid.device()).unwrap();
        let mut conn =
            connect_with(&setup.running, setup.keys.noise.clone(), header, &payload).await;
        let success = recv(&mut conn).await;
        assert_eq!(success.tag(), "success");
        assert_eq!(success.attr_jid("lid"), Some(setup.device.lid.clone()));
        let t: u64 = success.attr_str("t").unwrap().parse().unwrap();
        assert!(t.abs_diff(unix_now()) < 60, "t is the server clock");
    }
    assert_eq!(setup.device.jid.to_string(), "15550001111:1@s.whatsapp.net");
    assert_eq!(setup.device.lid.user(), setup.account.lid.user());
    assert_eq!(setup.account.lid.user().len(), 15);
    assert_eq!(setup.account.lid.server(), &Server::Lid);
}

#[tokio::test]
async fn ping_round_trip() {
    let setup = setup(0).await;
    let mut conn = login(&setup).await;
    let ping = Node::new("iq")
        .with_attr("id", "ping-1")
        .with_attr("to", server_jid())
        .with_attr("type", "get")
        .with_attr("xmlns", "w:p")
        .with_children(vec![Node::new("ping")]);
    let reply = iq(&mut conn, ping).await;
    assert_eq!(reply.attr_str("type"), Some("result"));
    assert!(reply.children().is_empty());
}

#[tokio::test]
async fn prekey_upload_then_count() {
    let setup = setup(3).await;
    let mut conn = login(&setup).await;
    assert_eq!(server_count(&mut conn).await, 3, "registered prekeys count");

    let signed = SignedPreKeyRecord::generate(
        SignedPreKeyId(2),
        &setup.keys.identity,
        unix_now(),
        &mut OsRng,
    );
    let pre_keys = fresh_pre_keys(100, 30);
    let reply = iq(
        &mut conn,
        upload_request(&setup.keys, &signed, signed.signature(), &pre_keys),
    )
    .await;
    assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
    assert_eq!(server_count(&mut conn).await, 33);

    let stored = setup.running.simulator().device(&setup.device.jid).unwrap();
    assert_eq!(stored.pre_key_count, 33);
    assert_eq!(stored.signed_pre_key.id, SignedPreKeyId(2));
    assert_eq!(
        stored.signed_pre_key.public_key,
        *signed.key_pair().public_key()
    );
    // The LID device JID names the same device.
    assert_eq!(
        setup.running.simulator().device(&setup.device.lid).unwrap(),
        stored
    );
}

#[tokio::test]
async fn upload_with_a_bad_signature_is_refused_and_stores_nothing() {
    let setup = setup(2).await;
    let mut conn = login(&setup).await;
    let before = setup.running.simulator().device(&setup.device.jid).unwrap();

    let signed = SignedPreKeyRecord::generate(
        SignedPreKeyId(2),
        &setup.keys.identity,
        unix_now(),
        &mut OsRng,
    );
    let mut signature = *signed.signature();
    signature[10] ^= 0x01;
    let reply = iq(
        &mut conn,
        upload_request(&setup.keys, &signed, &signature, &fresh_pre_keys(100, 5)),
    )
    .await;
    assert_eq!(reply.attr_str("type"), Some("error"));
    assert_eq!(
        error_code(&reply),
        Some(("400".to_owned(), "bad-request".to_owned()))
    );
    assert_eq!(server_count(&mut conn).await, 2);
    assert_eq!(
        setup.running.simulator().device(&setup.device.jid).unwrap(),
        before,
        "nothing stored"
    );

    // A signature by another identity key is refused too.
    let other = DeviceKeys::generate(0, unix_now(), &mut OsRng);
    let forged =
        SignedPreKeyRecord::generate(SignedPreKeyId(3), &other.identity, unix_now(), &mut OsRng);
    let reply = iq(
        &mut conn,
        upload_request(&setup.keys, &forged, forged.signature(), &[]),
    )
    .await;
    assert_eq!(error_code(&reply).unwrap().0, "400");
}

#[tokio::test]
async fn upload_with_malformed_fields_is_refused() {
    let setup = setup(0).await;
    let mut conn = login(&setup).await;
    let signed = SignedPreKeyRecord::generate(
        SignedPreKeyId(2),
        &setup.keys.identity,
        unix_now(),
        &mut OsRng,
    );
    let good = upload_request(
        &setup.keys,
        &signed,
        signed.signature(),
        &fresh_pre_keys(1, 2),
    );

    // Each case breaks one field of an otherwise valid upload.
    let mut cases: Vec<(&str, Node<'static>)> = Vec::new();
    let mut short_id = good.clone();
    mutate_child(&mut short_id, &["list", "key", "id"], vec![0, 1]);
    cases.push(("2-byte prekey id", short_id));
    let mut short_key = good.clone();
    mutate_child(&mut short_key, &["list", "key", "value"], vec![7; 31]);
    cases.push(("31-byte prekey", short_key));
    let mut short_sig = good.clone();
    mutate_child(&mut short_sig, &["skey", "signature"], vec![0; 63]);
    cases.push(("63-byte signature", short_sig));
    let mut bad_type = good.clone();
    mutate_child(&mut bad_type, &["type"], vec![6]);
    cases.push(("key type 6", bad_type));
    let mut other_identity = good.clone();
    mutate_child(
        &mut other_identity,
        &["identity"],
        KeyPair::generate(&mut OsRng)
            .public_key()
            .as_bytes()
            .to_vec(),
    );
    cases.push(("another identity", other_identity));
    let mut short_registration = good.clone();
    mutate_child(&mut short_registration, &["registration"], vec![0, 1]);
    cases.push(("3-byte registration id", short_registration));

    for (name, request) in cases {
        let reply = iq(&mut conn, request).await;
        assert_eq!(
            error_code(&reply).map(|(code, _)| code).as_deref(),
            Some("400"),
            "{name}: {reply:?}"
        );
    }
    assert_eq!(server_count(&mut conn).await, 0, "nothing stored");
    let reply = iq(&mut conn, good).await;
    assert_eq!(
        reply.attr_str("type"),
        Some("result"),
        "the unbroken upload"
    );
    assert_eq!(server_count(&mut conn).await, 2);
}

/// Replaces the bytes of the first node on `path` below `node`.
fn mutate_child(node: &mut Node<'static>, path: &[&str], bytes: Vec<u8>) {
    let Some((first, rest)) = path.split_first() else {
        node.content = wa_binary::Content::Bytes(bytes.into());
        return;
    };
    let wa_binary::Content::Nodes(children) = &mut node.content else {
        panic!("no children");
    };
    let child = children.iter_mut().find(|c| c.tag() == *first).unwrap();
    mutate_child(child, rest, bytes);
}

#[tokio::test]
async fn unknown_device_gets_failure_401_and_is_disconnected() {
    let setup = setup(0).await;
    // Unknown device id on a known account, and an unknown account.
    for payload in [
        login_payload(setup.account.jid.user(), 7).unwrap(),
        login_payload("15559999999", 1).unwrap(),
    ] {
        let mut conn = connect_with(
            &setup.running,
            setup.keys.noise.clone(),
            IntroHeader::V3,
            &payload,
        )
        .await;
        let failure = recv(&mut conn).await;
        assert_eq!(failure.tag(), "failure");
        assert_eq!(failure.attr_str("reason"), Some("401"));
        assert_closed(&mut conn).await;
    }
}

#[tokio::test]
async fn known_device_with_another_noise_key_gets_failure_401() {
    let setup = setup(0).await;
    let payload = login_payload(setup.account.jid.user(), setup.device.jid.device()).unwrap();
    let mut conn = connect_with(
        &setup.running,
        KeyPair::generate(&mut OsRng),
        IntroHeader::V3,
        &payload,
    )
    .await;
    let failure = recv(&mut conn).await;
    assert_eq!(failure.attr_str("reason"), Some("401"));
    assert_closed(&mut conn).await;
}

#[tokio::test]
async fn removed_device_gets_failure_401() {
    let setup = setup(4).await;
    let sim = setup.running.simulator();
    sim.remove_device(&setup.device.jid).unwrap();
    assert!(sim.device(&setup.device.jid).unwrap().removed);
    let payload = login_payload(setup.account.jid.user(), setup.device.jid.device()).unwrap();
    let mut conn = connect_with(
        &setup.running,
        setup.keys.noise.clone(),
        IntroHeader::V3,
        &payload,
    )
    .await;
    let failure = recv(&mut conn).await;
    assert_eq!(failure.tag(), "failure");
    assert_eq!(failure.attr_str("reason"), Some("401"));
    assert_closed(&mut conn).await;
}

#[tokio::test]
async fn a_registration_payload_without_keys_gets_failure_400() {
    let setup = setup(0).await;
    let payload = ClientPayload {
        passive: Some(false),
        device_pairing_data: Some(DevicePairingRegistrationData::default()),
        ..ClientPayload::default()
    };
    let mut conn = connect_with(
        &setup.running,
        KeyPair::generate(&mut OsRng),
        IntroHeader::V3,
        &payload,
    )
    .await;
    // Pairing itself is tested in tests/pairing.rs.
    let failure = recv(&mut conn).await;
    assert_eq!(failure.tag(), "failure");
    assert_eq!(failure.attr_str("reason"), Some("400"));
    assert_closed(&mut conn).await;
}

#[tokio::test]
async fn unsupported_iq_gets_501_and_the_connection_stays_usable() {
    let setup = setup(0).await;
    let mut conn = login(&setup).await;
    let privacy = Node::new("iq")
        .with_attr("id", "privacy-1")
        .with_attr("to", server_jid())
        .with_attr("type", "get")
        .with_attr("xmlns", "privacy")
        .with_children(vec![Node::new("privacy")]);
    let reply = iq(&mut conn, privacy).await;
    assert_eq!(reply.attr_str("type"), Some("error"));
    assert_eq!(
        error_code(&reply),
        Some(("501".to_owned(), "feature-not-implemented".to_owned()))
    );
    // An IQ with no children at all is refused the same way.
    let empty = Node::new("iq")
        .with_attr("id", "empty-1")
        .with_attr("to", server_jid())
        .with_attr("type", "set")
        .with_attr("xmlns", "encrypt");
    assert_eq!(error_code(&iq(&mut conn, empty).await).unwrap().0, "501");
    // Unsupported non-IQ stanzas (calls are not simulated) get a negative ack.
    conn.send(
        &Node::new("call")
            .with_attr("id", "3EB0AAAA")
            .with_attr("to", "15550002222@s.whatsapp.net"),
    )
    .await
    .unwrap();
    let ack = recv(&mut conn).await;
    assert_eq!(ack.tag(), "ack");
    assert_eq!(ack.attr_str("id"), Some("3EB0AAAA"));
    assert_eq!(ack.attr_str("class"), Some("call"));
    assert_eq!(ack.attr_str("error"), Some("501"));
    assert_eq!(server_count(&mut conn).await, 0, "still serving");
}

#[tokio::test]
async fn a_client_trusting_another_root_rejects_the_chain() {
    let setup = setup(0).await;
    let payload = login_payload(setup.account.jid.user(), 1).unwrap();
    let result = wa_transport::connect(
        &setup.running.url(),
        setup.keys.noise.clone(),
        IntroHeader::V3,
        &CertVerifier::whatsapp(),
        &payload,
        unix_now(),
    )
    .await;
    assert!(
        matches!(result, Err(TransportError::Noise(wa_noise::Error::Cert(_)))),
        "{result:?}"
    );
}

#[test]
fn the_seed_determines_keys_and_accounts() {
    let a = Simulator::with_time(7, 1_750_000_000);
    let b = Simulator::with_time(7, 1_750_000_000);
    let c = Simulator::with_time(8, 1_750_000_000);
    assert_eq!(a.root_public_key(), b.root_public_key());
    assert_eq!(a.server_static_public_key(), b.server_static_public_key());
    assert_ne!(a.root_public_key(), c.root_public_key());
    let (account_a, account_b) = (
        a.create_account(None).unwrap(),
        b.create_account(None).unwrap(),
    );
    assert_eq!(account_a, account_b);
    assert_eq!(
        a.create_account(Some("4915112345678")).unwrap().lid,
        b.create_account(Some("4915112345678")).unwrap().lid
    );
}

#[test]
fn account_and_registration_errors() {
    let sim = Simulator::new(3);
    for bad in ["", "1234", "0123456", "12345a", "1234567890123456"] {
        assert!(
            matches!(
                sim.create_account(Some(bad)),
                Err(wa_sim::Error::InvalidPhone)
            ),
            "{bad:?}"
        );
    }
    let account = sim.create_account(Some("15550003333")).unwrap();
    assert!(matches!(
        sim.create_account(Some("15550003333")),
        Err(wa_sim::Error::PhoneTaken)
    ));

    let keys = DeviceKeys::generate(0, unix_now(), &mut OsRng);
    let mut registration = keys.registration();
    registration.signed_pre_key.signature[0] ^= 1;
    assert!(matches!(
        sim.register_device(&account.jid, registration),
        Err(wa_sim::Error::Registration(
            wa_sim::RegistrationError::BadSignature
        ))
    ));
    let stranger = Jid::new("15550004444", Server::User).unwrap();
    assert!(matches!(
        sim.register_device(&stranger, keys.registration()),
        Err(wa_sim::Error::UnknownAccount)
    ));
    // Registering by LID works and ids count up from 1.
    let first = sim
        .register_device(&account.lid, keys.registration())
        .unwrap();
    let second = sim
        .register_device(&account.jid, keys.registration())
        .unwrap();
    assert_eq!((first.jid.device(), second.jid.device()), (1, 2));
    // The signed prekey signature is over 0x05 || key, as clients sign it.
    assert!(wa_curve25519::verify(
        keys.identity.identity_key().public_key().as_bytes(),
        &serialize_public_key(keys.signed_pre_key.key_pair().public_key()),
        keys.signed_pre_key.signature(),
    ));
}
