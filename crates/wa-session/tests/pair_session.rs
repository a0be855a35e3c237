//! Pairing through the session actor against the simulator: a fresh store, QR codes as
//! events, the phone's scan, the device stored and logged in; QR rotation and expiry; a
//! tampered `pair-success` refused with nothing stored; and a new process logging in from the
//! same store file without pairing again.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::time::Duration;

use data_encoding::BASE64;
use tokio::sync::mpsc::UnboundedReceiver;
use wa_noise::CertVerifier;
use wa_session::{load_paired, Error, Event, QrCode, Session, SessionConfig};
use wa_sim::{RunningSimulator, Simulator};
use wa_store::{DeviceId, StoreHandle};

/// Every wait is bounded, so a bug fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(20);

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

fn config(running: &RunningSimulator, seed: u64) -> SessionConfig {
    let mut config =
        SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
    config.seed = Some(seed);
    config.iq_timeout = Duration::from_secs(5);
    config.min_backoff = Duration::from_millis(20);
    config.max_backoff = Duration::from_millis(200);
    config
}

async fn next_event(events: &mut UnboundedReceiver<Event>) -> Option<Event> {
    tokio::time::timeout(TIMEOUT, events.recv())
        .await
        .expect("no event in time")
}

async fn expect_qr(events: &mut UnboundedReceiver<Event>) -> QrCode {
    match next_event(events).await {
        Some(Event::Qr { code }) => code,
        other => panic!("expected a QR code, got {other:?}"),
    }
}

/// The pairing ref inside a QR code.
fn reference(code: &str) -> &str {
    let fields = code.split_once('#').unwrap().1;
    fields.split(',').next().unwrap()
}

async fn stored_devices(store: &StoreHandle) -> Vec<DeviceId> {
    store
        .call(|store| store.devices())
        .await
        .unwrap()
        .unwrap()
        .iter()
        .map(|device| device.id)
        .collect()
}

#[tokio::test]
async fn pairs_logs_in_and_a_new_process_logs_in_from_the_file() {
    let running = Simulator::new(31).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let file = TempStore::new("pair-session");
    let store = StoreHandle::open(&file.0).await.unwrap();

    let (pairing, mut events) = Session::pair(config(&running, 3), store.clone())
        .await
        .unwrap();
    let code = expect_qr(&mut events).await;
    assert_eq!(format!("{code:?}"), "QrCode([redacted])");
    let info = sim.scan(&code, None).unwrap();

    let Some(Event::Paired { jid, lid, device }) = next_event(&mut events).await else {
        panic!("expected Paired");
    };
    assert_eq!(jid, info.jid);
    assert_eq!(lid.as_ref(), Some(&info.lid));
    assert_eq!(
        next_event(&mut events).await,
        Some(Event::Connected {
            jid: info.jid.clone(),
            lid: Some(info.lid.clone()),
        })
    );
    assert_eq!(
        next_event(&mut events).await,
        Some(Event::PreKeysUploaded { count: 50 })
    );

    // The store holds the device, and the server knows it under the same keys.
    let stored = store
        .call(move |store| load_paired(store, device))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.jid, info.jid);
    let registered = sim.device(&info.jid).unwrap();
    assert_eq!(registered.identity_key, stored.identity.identity_key());
    assert_eq!(registered.registration_id, stored.registration_id);
    assert!(sim.is_online(&info.jid));

    // The session works, then stops; its events end.
    let session = pairing.session().await.unwrap();
    let ping = wa_binary::Node::new("iq")
        .with_attr("xmlns", "w:p")
        .with_attr("type", "get")
        .with_attr("to", wa_binary::Jid::server_only(wa_binary::Server::User))
        .with_children(vec![wa_binary::Node::new("ping")]);
    assert_eq!(
        session.iq(ping).await.unwrap().attr_str("type"),
        Some("result")
    );
    session.stop();
    while next_event(&mut events).await.is_some() {}
    drop(store);

    // A new process: the same file, no pairing.
    let store = StoreHandle::open(&file.0).await.unwrap();
    assert_eq!(stored_devices(&store).await, [device]);
    let (session, mut events) = Session::start(config(&running, 4), store, device)
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut events).await,
        Some(Event::Connected {
            jid: info.jid.clone(),
            lid: Some(info.lid.clone()),
        })
    );
    session.stop();
}

#[tokio::test]
async fn codes_rotate_until_the_refs_run_out() {
    let running = Simulator::new(32).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let store = StoreHandle::open_in_memory().await.unwrap();
    let mut config = config(&running, 5);
    config.qr_first_timeout = Duration::from_millis(300);
    config.qr_next_timeout = Duration::from_millis(100);
    let (pairing, mut events) = Session::pair(config, store.clone()).await.unwrap();

    let mut codes = Vec::new();
    let reason = loop {
        match next_event(&mut events).await {
            Some(Event::Qr { code }) => codes.push(code),
            Some(Event::PairingFailed { reason }) => break reason,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(reason, "every QR code expired");
    assert!(next_event(&mut events).await.is_none(), "nothing after");
    // One code per ref the simulator sent, each with another ref.
    assert_eq!(codes.len(), 6);
    let mut refs: Vec<&str> = codes.iter().map(|code| reference(code)).collect();
    refs.sort_unstable();
    refs.dedup();
    assert_eq!(refs.len(), 6);
    assert!(matches!(
        pairing.session().await,
        Err(Error::PairingFailed(reason)) if reason == "every QR code expired"
    ));

    // The connection is gone, and its refs with it. A scan that came too early would spend
    // them, so the server is given time to notice the close first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let scanned = sim.scan(&codes[0], None);
    assert!(
        matches!(scanned, Err(wa_sim::Error::UnknownPairingRef)),
        "{scanned:?}"
    );
    assert!(stored_devices(&store).await.is_empty());
}

#[tokio::test]
async fn a_later_code_pairs() {
    let running = Simulator::new(33).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let store = StoreHandle::open_in_memory().await.unwrap();
    let mut config = config(&running, 6);
    config.qr_first_timeout = Duration::from_millis(100);
    let (pairing, mut events) = Session::pair(config, store.clone()).await.unwrap();
    let first = expect_qr(&mut events).await;
    let second = expect_qr(&mut events).await;
    assert_ne!(reference(&first), reference(&second));
    let info = sim.scan(&second, None).unwrap();
    assert!(matches!(
        next_event(&mut events).await,
        Some(Event::Paired { jid, .. }) if jid == info.jid
    ));
    assert!(matches!(
        next_event(&mut events).await,
        Some(Event::Connected { .. })
    ));
    // Every ref of the connection is spent by the scan.
    assert!(matches!(
        sim.scan(&first, None),
        Err(wa_sim::Error::PairingRefUsed)
    ));
    pairing.session().await.unwrap().stop();
}

#[tokio::test]
async fn a_tampered_pair_success_is_refused_and_nothing_is_stored() {
    let running = Simulator::new(34).listen("127.0.0.1:0").await.unwrap();
    let sim = running.simulator();
    let store = StoreHandle::open_in_memory().await.unwrap();
    let (pairing, mut events) = Session::pair(config(&running, 7), store.clone())
        .await
        .unwrap();
    let code = expect_qr(&mut events).await;

    // The phone HMACs the identity with another ADV secret than the one we showed.
    let mut fields: Vec<String> = code.split(',').map(str::to_owned).collect();
    fields[3] = BASE64.encode(&[9; 32]);
    let info = sim.scan(&fields.join(","), None).unwrap();

    match next_event(&mut events).await {
        Some(Event::PairingFailed { reason }) => {
            assert!(reason.contains("HMAC mismatch"), "{reason}");
        }
        other => panic!("expected PairingFailed, got {other:?}"),
    }
    assert!(next_event(&mut events).await.is_none(), "nothing after");
    assert!(matches!(
        pairing.session().await,
        Err(Error::PairingFailed(_))
    ));
    assert!(stored_devices(&store).await.is_empty());
    // The server got our error reply and gave up: the device never exists.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(sim.device(&info.jid).is_err());
}
