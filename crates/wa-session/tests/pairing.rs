//! Pairing and login against the simulator over a real WebSocket, with nothing but this
//! crate's pairing steps on the client side: registration payload, `pair-device`, the QR
//! scanned by a simulated phone, `pair-success` countersigned, 515, the credentials kept in
//! an SQLite file, then a new connection that logs in from what the file holds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::time::Duration;

use prost::Message as _;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use wa_binary::{Jid, Node, Server};
use wa_noise::{CertVerifier, IntroHeader, KeyPair};
use wa_proto::adv::AdvSignedDeviceIdentity;
use wa_proto::wa6::ClientPayload;
use wa_session::{
    load_paired, on_pair_device, on_pair_success, pair_error_reply, qr_string, save_paired,
    AdvSecret, ClientConfig, Credentials, PairingError, PairingRef, QrClientType,
};
use wa_sim::{unix_now, RunningSimulator, Simulator};
use wa_store::Store;
use wa_transport::ClientConnection;

/// Every network await is bounded, so a bug fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(20);

async fn connect(
    running: &RunningSimulator,
    noise: KeyPair,
    payload: &ClientPayload,
) -> ClientConnection {
    let verifier = CertVerifier::new(running.root_public_key());
    let url = running.url();
    let connect =
        wa_transport::connect(&url, noise, IntroHeader::V3, &verifier, payload, unix_now());
    tokio::time::timeout(TIMEOUT, connect)
        .await
        .expect("connect timed out")
        .expect("handshake")
}

/// The next node other than `<ib>`, or `None` when the server closed.
async fn recv(conn: &mut ClientConnection) -> Option<Node<'static>> {
    loop {
        let received = tokio::time::timeout(TIMEOUT, conn.recv())
            .await
            .expect("recv timed out");
        match received {
            Ok(Some(node)) if node.tag() == "ib" => {}
            Ok(Some(node)) => return Some(node),
            Ok(None) | Err(wa_transport::Error::Closed) => return None,
            Err(error) => panic!("recv: {error}"),
        }
    }
}

/// A store file in the temp directory, removed (with its WAL files) on drop.
struct TempStore(PathBuf);

impl TempStore {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Self(std::env::temp_dir().join(format!(
            "wa-session-{name}-{}-{nanos}.db",
            std::process::id()
        )))
    }
}

impl Drop for TempStore {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Connects with the registration payload and handles `pair-device`: returns the
/// connection and its refs.
async fn register(
    running: &RunningSimulator,
    creds: &Credentials,
) -> (ClientConnection, Vec<PairingRef>) {
    let payload = ClientConfig::default().registration_payload(creds);
    let mut conn = connect(running, creds.noise_key.clone(), &payload).await;
    let request = recv(&mut conn).await.expect("pair-device");
    let pair = on_pair_device(&request).expect("a pair-device request");
    assert_eq!(pair.refs.len(), 6);
    conn.send(&pair.reply).await.unwrap();
    (conn, pair.refs)
}

fn qr(reference: &PairingRef, creds: &Credentials) -> String {
    let client_type = QrClientType::for_platform(ClientConfig::default().platform_type);
    qr_string(reference, creds, client_type)
}

#[tokio::test]
async fn pair_then_log_in_from_the_stored_credentials() {
    let running = Simulator::new(21).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let creds = Credentials::generate(unix_now(), &mut rng);
    let file = TempStore::new("pair");

    // Registration, pair-device, the phone scans the QR.
    let (mut conn, refs) = register(&running, &creds).await;
    let info = sim.scan(&qr(&refs[0], &creds), None).unwrap();

    // pair-success: checked, stored, answered.
    let request = recv(&mut conn).await.expect("pair-success");
    let success = on_pair_success(&request, &creds, &mut rng).expect("a valid pair-success");
    assert_eq!(success.paired.jid, info.jid);
    assert_eq!(success.paired.lid.as_ref(), Some(&info.lid));
    assert_eq!(success.paired.platform.as_deref(), Some("android"));
    assert_eq!(success.paired.key_index, u32::from(info.jid.device()));
    let device_id = {
        let mut store = Store::open(&file.0).unwrap();
        save_paired(&mut store, &creds, &success.paired).unwrap()
    };
    conn.send(&success.reply).await.unwrap();

    // The server registers the device and asks for a restart.
    let restart = recv(&mut conn).await.expect("stream:error");
    assert_eq!(restart.tag(), "stream:error", "{restart:?}");
    assert_eq!(restart.attr_str("code"), Some("515"));
    assert!(recv(&mut conn).await.is_none(), "closed after 515");
    let registered = sim.device(&info.jid).unwrap();
    assert_eq!(registered.identity_key, creds.identity.identity_key());
    assert_eq!(registered.registration_id, creds.registration_id);
    // What the server keeps is what we countersigned.
    let kept = AdvSignedDeviceIdentity::decode(sim.device_identity(&info.jid).unwrap().as_slice())
        .unwrap();
    assert_eq!(kept.details, success.paired.account.details);
    assert_eq!(
        kept.account_signature,
        success.paired.account.account_signature
    );
    drop(creds);

    // A new process: everything comes from the file.
    let store = Store::open(&file.0).unwrap();
    let device = load_paired(&store, device_id).unwrap();
    assert_eq!(device.jid, info.jid);
    let payload = ClientConfig::default().login_payload(&device.jid).unwrap();
    let mut conn = connect(&running, device.noise_key.clone(), &payload).await;
    let welcome = recv(&mut conn).await.expect("success");
    assert_eq!(welcome.tag(), "success", "{welcome:?}");

    // The session works: a ping is answered.
    let ping = Node::new("iq")
        .with_attr("id", "ping-1")
        .with_attr("to", Jid::server_only(Server::User))
        .with_attr("type", "get")
        .with_attr("xmlns", "w:p")
        .with_children(vec![Node::new("ping")]);
    conn.send(&ping).await.unwrap();
    let pong = recv(&mut conn).await.expect("pong");
    assert_eq!(pong.attr_str("type"), Some("result"));
}

#[tokio::test]
async fn a_qr_with_another_adv_secret_registers_nothing() {
    let running = Simulator::new(22).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let creds = Credentials::generate(unix_now(), &mut rng);

    // The phone scans a QR whose ADV secret is not ours: the HMAC cannot match.
    let (mut conn, refs) = register(&running, &creds).await;
    let forged = Credentials {
        adv_secret: AdvSecret::from_bytes([9; 32]),
        ..creds.clone()
    };
    let info = sim.scan(&qr(&refs[1], &forged), None).unwrap();
    let request = recv(&mut conn).await.expect("pair-success");
    let error = on_pair_success(&request, &creds, &mut rng).unwrap_err();
    assert_eq!(error, PairingError::HmacMismatch);
    conn.send(&pair_error_reply(&request, &error).unwrap())
        .await
        .unwrap();

    // The server gives up on the pairing; the device never exists.
    assert!(recv(&mut conn).await.is_none(), "closed after the refusal");
    assert!(sim.device(&info.jid).is_err());
}
