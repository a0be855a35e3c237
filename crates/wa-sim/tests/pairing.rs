//! Pairing over a real WebSocket, with a Rust client doing what whatsmeow and Baileys do:
//! registration payload, `pair-device` refs, a QR scanned through `Simulator::scan`,
//! `pair-success` checked (HMAC, account signature) and countersigned, 515, then login.
//! Also: QR errors, unknown, expired and spent refs, keys that do not match, bad device
//! signatures, existing and new accounts, and seeded refs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use hmac::{Hmac, Mac as _};
use prost::Message as _;
use rand_core::{OsRng, RngCore as _};
use sha2::Sha256;
use wa_binary::{Jid, Node, Server};
use wa_noise::{IntroHeader, KeyPair};
use wa_proto::adv::{
    AdvDeviceIdentity, AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac,
};
use wa_proto::wa6::client_payload::DevicePairingRegistrationData;
use wa_proto::wa6::ClientPayload;
use wa_sim::{
    login_payload, unix_now, DeviceInfo, DeviceKeys, Error, QrError, QrField, RunningSimulator,
    Simulator,
};
use wa_transport::ClientConnection;

mod common;
use common::{assert_closed, connect_with, recv};

/// A new client: its keys and its ADV secret (the QR's fourth field).
struct NewClient {
    keys: DeviceKeys,
    adv_secret: [u8; 32],
}

impl NewClient {
    fn generate() -> Self {
        let mut adv_secret = [0; 32];
        OsRng.fill_bytes(&mut adv_secret);
        Self {
            keys: DeviceKeys::generate(0, unix_now(), &mut OsRng),
            adv_secret,
        }
    }

    /// The registration `ClientPayload` (PROTOCOL.md section 1).
    fn payload(&self) -> ClientPayload {
        let keys = &self.keys;
        ClientPayload {
            passive: Some(false),
            pull: Some(false),
            device_pairing_data: Some(DevicePairingRegistrationData {
                e_regid: Some(keys.registration_id.0.to_be_bytes().to_vec()),
                e_keytype: Some(vec![5]),
                e_ident: Some(public(&keys.identity.identity_key())),
                e_skey_id: Some(keys.signed_pre_key.id().0.to_be_bytes()[1..].to_vec()),
                e_skey_val: Some(
                    keys.signed_pre_key
                        .key_pair()
                        .public_key()
                        .as_bytes()
                        .to_vec(),
                ),
                e_skey_sig: Some(keys.signed_pre_key.signature().to_vec()),
                build_hash: Some(vec![0x11; 16]),
                device_props: None,
            }),
            ..ClientPayload::default()
        }
    }

    /// The QR as Baileys 6 shows it.
    fn qr(&self, reference: &str) -> String {
        format!(
            "{reference},{},{},{}",
            base64(self.keys.noise.public_key().as_bytes()),
            base64(&public(&self.keys.identity.identity_key())),
            base64(&self.adv_secret)
        )
    }

    /// The QR as whatsmeow and Baileys 7 show it (link prefix, client type).
    fn link_qr(&self, reference: &str) -> String {
        format!(
            "https://wa.me/settings/linked_devices#{},1",
            self.qr(reference)
        )
    }

    /// Connects with the registration payload, reads `pair-device`, acknowledges it and
    /// returns its refs.
    async fn register(&self, running: &RunningSimulator) -> (ClientConnection, Vec<String>) {
        let mut conn = connect_with(
            running,
            self.keys.noise.clone(),
            IntroHeader::V3,
            &self.payload(),
        )
        .await;
        let request = recv(&mut conn).await;
        assert_eq!(request.tag(), "iq", "{request:?}");
        assert_eq!(request.attr_str("type"), Some("set"));
        assert_eq!(request.attr_str("xmlns"), Some("md"));
        assert_eq!(request.attr_jid("from"), Some(server()));
        assert_eq!(request.children().len(), 1, "whatsmeow wants one child");
        let refs: Vec<String> = request
            .child("pair-device")
            .expect("<pair-device>")
            .children_with_tag("ref")
            .map(|r| String::from_utf8(r.bytes().unwrap().to_vec()).unwrap())
            .collect();
        assert_eq!(refs.len(), 6);
        conn.send(&result_to(&request)).await.unwrap();
        (conn, refs)
    }
}

/// What the client reads in `pair-success`, checked as Baileys and whatsmeow check it.
struct PairSuccess {
    iq_id: String,
    device: Jid,
    lid: Jid,
    /// The account-signed identity (HMAC and account signature verified).
    signed: AdvSignedDeviceIdentity,
    details: AdvDeviceIdentity,
}

impl PairSuccess {
    async fn receive(conn: &mut ClientConnection, client: &NewClient) -> Self {
        let node = recv(conn).await;
        assert_eq!(node.tag(), "iq", "{node:?}");
        assert_eq!(node.attr_str("type"), Some("set"));
        assert_eq!(node.attr_jid("from"), Some(server()));
        let t: u64 = node.attr_str("t").unwrap().parse().unwrap();
        assert!(t.abs_diff(unix_now()) < 60, "t is the server clock");
        let success = node.child("pair-success").expect("<pair-success>");
        let device_node = success.child("device").unwrap();
        assert_eq!(
            success.child("platform").unwrap().attr_str("name"),
            Some("android")
        );
        let container = AdvSignedDeviceIdentityHmac::decode(
            success.child("device-identity").unwrap().bytes().unwrap(),
        )
        .unwrap();
        assert_eq!(
            container.hmac(),
            hmac_sha256(&client.adv_secret, container.details()),
            "HMAC keyed with the QR's ADV secret"
        );
        let signed = AdvSignedDeviceIdentity::decode(container.details()).unwrap();
        let message = [
            &[6, 0][..],
            signed.details(),
            &public(&client.keys.identity.identity_key()),
        ]
        .concat();
        wa_curve25519::try_verify(
            signed.account_signature_key(),
            &message,
            signed.account_signature(),
        )
        .expect("account signature");
        assert_eq!(signed.device_signature, None);
        let details = AdvDeviceIdentity::decode(signed.details()).unwrap();
        Self {
            iq_id: node.attr_str("id").unwrap().to_owned(),
            device: device_node.attr_jid("jid").unwrap(),
            lid: device_node.attr_jid("lid").unwrap(),
            signed,
            details,
        }
    }

    /// The `pair-device-sign` answer signed with `signer`'s identity, the account key left
    /// out as whatsmeow and Baileys leave it out.
    fn answer(&self, signer: &DeviceKeys) -> Node<'static> {
        let message = [
            &[6, 1][..],
            self.signed.details(),
            &public(&signer.identity.identity_key()),
            self.signed.account_signature_key(),
        ]
        .concat();
        let signature = wa_curve25519::sign_with_rng(
            &signer.identity.private_key().to_bytes(),
            &message,
            &mut OsRng,
        );
        let confirmed = AdvSignedDeviceIdentity {
            account_signature_key: None,
            device_signature: Some(signature.to_vec()),
            ..self.signed.clone()
        };
        Node::new("iq")
            .with_attr("to", server())
            .with_attr("type", "result")
            .with_attr("id", self.iq_id.clone())
            .with_children(vec![Node::new("pair-device-sign").with_children(vec![
                Node::new("device-identity")
                    .with_attr("key-index", self.details.key_index().to_string())
                    .with_bytes(confirmed.encode_to_vec()),
            ])])
    }
}

fn server() -> Jid {
    Jid::server_only(Server::User)
}

fn public(key: &wa_signal::IdentityKey) -> Vec<u8> {
    key.public_key().as_bytes().to_vec()
}

fn result_to(request: &Node<'_>) -> Node<'static> {
    Node::new("iq")
        .with_attr("to", server())
        .with_attr("type", "result")
        .with_attr("id", request.attr_str("id").unwrap().to_owned())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Standard base64 with padding, as the clients write QR keys.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The whole pairing of `client` on `phone`'s account (or a new one): returns what `scan`
/// said and what `pair-success` carried, after the 515 and the close.
async fn pair(
    running: &RunningSimulator,
    client: &NewClient,
    phone: Option<&Jid>,
) -> (DeviceInfo, PairSuccess) {
    let (mut conn, refs) = client.register(running).await;
    let info = running
        .simulator()
        .scan(&client.link_qr(&refs[2]), phone)
        .unwrap();
    let success = PairSuccess::receive(&mut conn, client).await;
    conn.send(&success.answer(&client.keys)).await.unwrap();
    let restart = recv(&mut conn).await;
    assert_eq!(restart.tag(), "stream:error", "{restart:?}");
    assert_eq!(restart.attr_str("code"), Some("515"));
    assert_closed(&mut conn).await;
    (info, success)
}

async fn login(
    running: &RunningSimulator,
    device: &DeviceInfo,
    keys: &DeviceKeys,
) -> ClientConnection {
    common::login(running, device, keys).await
}

#[tokio::test]
async fn full_pairing_then_login_with_the_same_noise_key() {
    let running = Simulator::new(11).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let client = NewClient::generate();
    let (info, success) = pair(&running, &client, None).await;

    // A new account: its first companion is device 1.
    assert_eq!(info.jid.device(), 1);
    assert_eq!(
        (success.device.clone(), success.lid.clone()),
        (info.jid.clone(), info.lid.clone())
    );
    assert_eq!(info.lid.server(), &Server::Lid);
    assert_eq!(
        sim.device(&info.jid).unwrap(),
        info,
        "registered as scan said"
    );
    assert_eq!(info.identity_key, client.keys.identity.identity_key());
    assert_eq!(info.registration_id, client.keys.registration_id);
    assert_eq!(info.signed_pre_key.id, client.keys.signed_pre_key.id());

    // The ADV details.
    assert_eq!(success.details.key_index(), 1);
    assert_eq!(success.details.account_type(), AdvEncryptionType::E2ee);
    assert_eq!(success.details.device_type(), AdvEncryptionType::E2ee);
    assert!(success.details.timestamp().abs_diff(unix_now()) < 60);
    // The server keeps the account-signed identity it sent.
    assert_eq!(
        sim.device_identity(&info.lid).unwrap(),
        success.signed.encode_to_vec()
    );

    let mut conn = login(&running, &info, &client.keys).await;
    let ping = Node::new("iq")
        .with_attr("id", "ping-1")
        .with_attr("to", server())
        .with_attr("type", "get")
        .with_attr("xmlns", "w:p")
        .with_children(vec![Node::new("ping")]);
    conn.send(&ping).await.unwrap();
    assert_eq!(recv(&mut conn).await.attr_str("type"), Some("result"));

    // Another noise key cannot log in as the paired device.
    let payload = login_payload(info.jid.user(), info.jid.device()).unwrap();
    let mut other = connect_with(
        &running,
        KeyPair::generate(&mut OsRng),
        IntroHeader::V3,
        &payload,
    )
    .await;
    assert_eq!(recv(&mut other).await.attr_str("reason"), Some("401"));
}

#[tokio::test]
async fn scanning_with_an_existing_phone_adds_the_device_to_that_account() {
    let running = Simulator::new(12).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let account = sim.create_account(Some("15550002222")).unwrap();
    let first_keys = DeviceKeys::generate(2, unix_now(), &mut OsRng);
    let first = sim
        .register_device(&account.jid, first_keys.registration())
        .unwrap();

    // The phone is named by its LID: the same account.
    let client = NewClient::generate();
    let (info, success) = pair(&running, &client, Some(&account.lid)).await;
    assert_eq!(info.jid.to_string(), "15550002222:2@s.whatsapp.net");
    assert_eq!(info.lid.user(), account.lid.user());
    assert_eq!(success.details.key_index(), 2);

    // The directly registered device has an identity signed by the same account key.
    let first_identity =
        AdvSignedDeviceIdentity::decode(sim.device_identity(&first.jid).unwrap().as_slice())
            .unwrap();
    assert_eq!(
        first_identity.account_signature_key(),
        success.signed.account_signature_key()
    );
    let first_details = AdvDeviceIdentity::decode(first_identity.details()).unwrap();
    assert_eq!(first_details.key_index(), 1);
    assert_eq!(first_details.raw_id(), success.details.raw_id());
    wa_curve25519::try_verify(
        first_identity.account_signature_key(),
        &[
            &[6, 0][..],
            first_identity.details(),
            &public(&first.identity_key),
        ]
        .concat(),
        first_identity.account_signature(),
    )
    .unwrap();

    // usync, asked by the first device, lists both.
    let mut conn = login(&running, &first, &first_keys).await;
    let usync = Node::new("iq")
        .with_attr("id", "usync-1")
        .with_attr("to", server())
        .with_attr("type", "get")
        .with_attr("xmlns", "usync")
        .with_children(vec![Node::new("usync")
            .with_attr("sid", "sid-1")
            .with_attr("mode", "query")
            .with_attr("last", "true")
            .with_attr("index", "0")
            .with_attr("context", "message")
            .with_children(vec![
                Node::new("query")
                    .with_children(vec![Node::new("devices").with_attr("version", "2")]),
                Node::new("list")
                    .with_children(vec![Node::new("user").with_attr("jid", account.jid.clone())]),
            ])]);
    conn.send(&usync).await.unwrap();
    let reply = recv(&mut conn).await;
    let ids: Vec<String> = reply
        .child("usync")
        .and_then(|u| u.child("list"))
        .and_then(|l| l.child("user"))
        .and_then(|u| u.child("devices"))
        .and_then(|d| d.child("device-list"))
        .expect("device list")
        .children_with_tag("device")
        .map(|d| d.attr_str("id").unwrap().to_owned())
        .collect();
    assert!(
        ids.contains(&"1".to_owned()) && ids.contains(&"2".to_owned()),
        "{ids:?}"
    );

    // And the paired device logs in.
    drop(login(&running, &info, &client.keys).await);
}

#[tokio::test]
async fn scanning_without_a_phone_creates_a_new_account_each_time() {
    let running = Simulator::new(13).listen("127.0.0.1:0").await.unwrap();
    let (a, _) = pair(&running, &NewClient::generate(), None).await;
    let (b, _) = pair(&running, &NewClient::generate(), None).await;
    assert_ne!(a.jid.user(), b.jid.user());
    assert_eq!((a.jid.device(), b.jid.device()), (1, 1));
}

#[tokio::test]
async fn qr_parse_errors() {
    let sim = Simulator::new(14);
    let client = NewClient::generate();
    let good = client.qr("2@ref");
    let cases = [
        ("nonsense".to_owned(), QrError::FieldCount(1)),
        (good.replacen("2@ref", "", 1), QrError::EmptyRef),
        (format!("{good},1,2"), QrError::FieldCount(6)),
        (format!("{good},!"), QrError::ClientType),
        (
            good.replacen(',', ",*", 1),
            QrError::Base64(QrField::NoiseKey),
        ),
        (format!("{good}AA"), QrError::Base64(QrField::AdvSecret)),
        (
            format!("2@ref,AAAA,{}", good.splitn(3, ',').nth(2).unwrap()),
            QrError::KeyLength(QrField::NoiseKey),
        ),
    ];
    for (qr, expected) in cases {
        match sim.scan(&qr, None) {
            Err(Error::InvalidQr(error)) => assert_eq!(error, expected, "{qr}"),
            other => panic!("{qr}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn unknown_and_expired_refs_are_refused() {
    let running = Simulator::new(15).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let client = NewClient::generate();
    let (conn, refs) = client.register(&running).await;
    assert!(matches!(
        sim.scan(&client.qr("2@notissued"), None),
        Err(Error::UnknownPairingRef)
    ));
    // Refs expire with their connection. Probed with another client's keys, so that a probe
    // reaching the connection before the server saw it close does not pair it.
    drop(conn);
    let expired = NewClient::generate().qr(&refs[0]);
    let mut result = sim.scan(&expired, None);
    for _ in 0..100 {
        if matches!(result, Err(Error::UnknownPairingRef)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        result = sim.scan(&expired, None);
    }
    assert!(
        matches!(result, Err(Error::UnknownPairingRef)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_qr_whose_keys_do_not_match_its_connection_is_refused() {
    let running = Simulator::new(16).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let client = NewClient::generate();
    let (mut conn, refs) = client.register(&running).await;

    let other = NewClient::generate();
    let other_noise = NewClient {
        keys: DeviceKeys {
            noise: other.keys.noise.clone(),
            ..client.keys.clone()
        },
        adv_secret: client.adv_secret,
    };
    let other_identity = NewClient {
        keys: DeviceKeys {
            identity: other.keys.identity.clone(),
            ..client.keys.clone()
        },
        adv_secret: client.adv_secret,
    };
    for impostor in [&other_noise, &other_identity] {
        assert!(matches!(
            sim.scan(&impostor.qr(&refs[0]), None),
            Err(Error::QrKeyMismatch)
        ));
    }
    // The refused scans spent nothing: the right QR still pairs.
    sim.scan(&client.qr(&refs[0]), None).unwrap();
    PairSuccess::receive(&mut conn, &client).await;
}

#[tokio::test]
async fn a_scanned_qr_cannot_be_scanned_again() {
    let running = Simulator::new(17).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let client = NewClient::generate();
    let (mut conn, refs) = client.register(&running).await;
    sim.scan(&client.qr(&refs[0]), None).unwrap();
    for reference in [&refs[0], &refs[5]] {
        assert!(matches!(
            sim.scan(&client.qr(reference), None),
            Err(Error::PairingRefUsed)
        ));
    }
    let success = PairSuccess::receive(&mut conn, &client).await;
    conn.send(&success.answer(&client.keys)).await.unwrap();
    assert_eq!(recv(&mut conn).await.attr_str("code"), Some("515"));
    assert_closed(&mut conn).await;
    // Still refused once the connection is gone.
    assert!(matches!(
        sim.scan(&client.qr(&refs[1]), None),
        Err(Error::PairingRefUsed)
    ));
}

#[tokio::test]
async fn a_bad_device_signature_registers_nothing() {
    let running = Simulator::new(18).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let client = NewClient::generate();
    let (mut conn, refs) = client.register(&running).await;
    let info = sim.scan(&client.qr(&refs[0]), None).unwrap();
    let success = PairSuccess::receive(&mut conn, &client).await;
    // Signed by another identity than the one the device registered with.
    let forger = NewClient::generate();
    conn.send(&success.answer(&forger.keys)).await.unwrap();
    let failure = recv(&mut conn).await;
    assert_eq!(failure.tag(), "failure", "{failure:?}");
    assert_eq!(failure.attr_str("reason"), Some("401"));
    assert_closed(&mut conn).await;

    assert!(matches!(sim.device(&info.jid), Err(Error::UnknownDevice)));
    let payload = login_payload(info.jid.user(), info.jid.device()).unwrap();
    let mut login = connect_with(
        &running,
        client.keys.noise.clone(),
        IntroHeader::V3,
        &payload,
    )
    .await;
    assert_eq!(recv(&mut login).await.attr_str("reason"), Some("401"));
}

#[tokio::test]
async fn a_device_refusing_pair_success_is_disconnected_unregistered() {
    let running = Simulator::new(19).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let client = NewClient::generate();
    let (mut conn, refs) = client.register(&running).await;
    let info = sim.scan(&client.qr(&refs[0]), None).unwrap();
    let success = PairSuccess::receive(&mut conn, &client).await;
    // whatsmeow's answer when the HMAC does not match.
    let refusal = Node::new("iq")
        .with_attr("to", server())
        .with_attr("type", "error")
        .with_attr("id", success.iq_id.clone())
        .with_children(vec![Node::new("error")
            .with_attr("code", "401")
            .with_attr("text", "hmac-mismatch")]);
    conn.send(&refusal).await.unwrap();
    assert_closed(&mut conn).await;
    assert!(matches!(sim.device(&info.jid), Err(Error::UnknownDevice)));
}

#[tokio::test]
async fn a_registration_with_a_bad_signed_prekey_gets_failure_400() {
    let running = Simulator::new(20).listen("127.0.0.1:0").await.unwrap();
    let client = NewClient::generate();
    let mut payload = client.payload();
    payload
        .device_pairing_data
        .as_mut()
        .unwrap()
        .e_skey_sig
        .as_mut()
        .unwrap()[3] ^= 1;
    let mut conn = connect_with(
        &running,
        client.keys.noise.clone(),
        IntroHeader::V2,
        &payload,
    )
    .await;
    let failure = recv(&mut conn).await;
    assert_eq!(failure.tag(), "failure");
    assert_eq!(failure.attr_str("reason"), Some("400"));
    assert_closed(&mut conn).await;
}

#[tokio::test]
async fn keep_alive_pings_are_answered_while_waiting_for_a_scan() {
    let running = Simulator::new(21).listen("127.0.0.1:0").await.unwrap();
    let client = NewClient::generate();
    let (mut conn, _refs) = client.register(&running).await;
    let ping = Node::new("iq")
        .with_attr("id", "ka-1")
        .with_attr("to", server())
        .with_attr("type", "get")
        .with_attr("xmlns", "w:p")
        .with_children(vec![Node::new("ping")]);
    conn.send(&ping).await.unwrap();
    let pong = recv(&mut conn).await;
    assert_eq!(pong.attr_str("id"), Some("ka-1"));
    assert_eq!(pong.attr_str("type"), Some("result"));
    // Anything else needs a logged-in device.
    let count = Node::new("iq")
        .with_attr("id", "count-1")
        .with_attr("to", server())
        .with_attr("type", "get")
        .with_attr("xmlns", "encrypt")
        .with_children(vec![Node::new("count")]);
    conn.send(&count).await.unwrap();
    let refused = recv(&mut conn).await;
    assert_eq!(refused.attr_str("type"), Some("error"));
    assert_eq!(common::error_of(&refused).unwrap().0, "401");
}

#[tokio::test]
async fn refs_are_deterministic_given_the_seed() {
    let mut seen = Vec::new();
    for seed in [5, 5, 6] {
        let running = Simulator::with_time(seed, unix_now())
            .listen("127.0.0.1:0")
            .await
            .unwrap();
        let (_conn, refs) = NewClient::generate().register(&running).await;
        seen.push(refs);
    }
    assert_eq!(seen[0], seen[1]);
    assert_ne!(seen[0], seen[2]);
}
