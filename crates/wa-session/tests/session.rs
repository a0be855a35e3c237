//! The session actor against the simulator: login from stored credentials, the prekey refill
//! after login, IQs by id (answers, errors, timeouts), and what each stream error or a server
//! restart does to the session (reconnect, stop as replaced, stop as logged out).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use wa_binary::{Jid, Node, Server};
use wa_noise::CertVerifier;
use wa_session::{Error, Event, Session, SessionConfig};
use wa_sim::{Account, DeviceInfo, Fault, RunningSimulator, Simulator, StreamErrorKind};
use wa_store::{DeviceId, StoreHandle};

mod common;
use common::TIMEOUT;

/// A simulator with one account and one companion registered from fresh credentials, which
/// are saved in an in-memory store as a paired device.
struct Setup {
    sim: Simulator,
    running: RunningSimulator,
    store: StoreHandle,
    device: DeviceId,
    info: DeviceInfo,
    _account: Account,
}

async fn setup(seed: u64) -> Setup {
    let sim = Simulator::new(seed);
    let account = sim.create_account(Some("15550001111")).unwrap();
    let (store, device, info) = common::paired_device(&sim, &account).await;
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    Setup {
        sim,
        running,
        store,
        device,
        info,
        _account: account,
    }
}

fn config(setup: &Setup) -> SessionConfig {
    let mut config = SessionConfig::new(
        setup.running.url(),
        CertVerifier::new(setup.running.root_public_key()),
    );
    config.seed = Some(7);
    config.iq_timeout = Duration::from_secs(5);
    config.min_backoff = Duration::from_millis(20);
    config.max_backoff = Duration::from_millis(200);
    config
}

async fn next_event(events: &mut UnboundedReceiver<Event>) -> Event {
    tokio::time::timeout(TIMEOUT, events.recv())
        .await
        .expect("no event in time")
        .expect("the session ended without an event")
}

/// Skips events until one matches.
async fn expect_event(
    events: &mut UnboundedReceiver<Event>,
    wanted: impl Fn(&Event) -> bool,
) -> Event {
    loop {
        let event = next_event(events).await;
        if wanted(&event) {
            return event;
        }
    }
}

fn is_connected(event: &Event) -> bool {
    matches!(event, Event::Connected { .. })
}

fn ping() -> Node<'static> {
    Node::new("iq")
        .with_attr("xmlns", "w:p")
        .with_attr("type", "get")
        .with_attr("to", Jid::server_only(Server::User))
        .with_children(vec![Node::new("ping")])
}

async fn wait_until(mut condition: impl FnMut() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached");
}

#[tokio::test]
async fn logs_in_from_the_store_and_refills_prekeys() {
    let setup = setup(1).await;
    let (session, mut events) = Session::start(config(&setup), setup.store.clone(), setup.device)
        .await
        .unwrap();
    let connected = next_event(&mut events).await;
    assert_eq!(
        connected,
        Event::Connected {
            jid: setup.info.jid.clone(),
            lid: Some(setup.info.lid.clone()),
        }
    );
    assert_eq!(
        next_event(&mut events).await,
        Event::PreKeysUploaded { count: 50 }
    );
    // The server holds them now, and they are in the store, marked uploaded.
    wait_until(|| setup.sim.device(&setup.info.jid).unwrap().pre_key_count == 50).await;
    let device = setup.device;
    let uploaded = setup
        .store
        .call(move |store| store.uploaded_prekey_count(device))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(uploaded, 50);
    assert!(setup.sim.is_online(&setup.info.jid));
    session.stop();
}

#[tokio::test]
async fn iqs_are_answered_by_id_and_errors_and_timeouts_are_typed() {
    let setup = setup(2).await;
    let mut config = config(&setup);
    config.iq_timeout = Duration::from_secs(1);
    let (session, mut events) = Session::start(config, setup.store.clone(), setup.device)
        .await
        .unwrap();
    expect_event(&mut events, is_connected).await;
    // Concurrent IQs each get their own answer.
    let (a, b) = tokio::join!(session.iq(ping()), session.iq(ping()));
    assert_eq!(a.unwrap().attr_str("type"), Some("result"));
    assert_eq!(b.unwrap().attr_str("type"), Some("result"));
    // An IQ the simulator does not implement: a typed error with code and text.
    let unknown = Node::new("iq")
        .with_attr("xmlns", "privacy")
        .with_attr("type", "get")
        .with_attr("to", Jid::server_only(Server::User))
        .with_children(vec![Node::new("privacy")]);
    match session.iq(unknown).await {
        Err(Error::Iq { code, text }) => {
            assert_eq!(code, 501);
            assert_eq!(text, "feature-not-implemented");
        }
        other => panic!("expected an IQ error, got {other:?}"),
    }
    // An IQ nobody answers (the server does not answer `type="result"`): a timeout.
    let unanswered = Node::new("iq")
        .with_attr("xmlns", "w:p")
        .with_attr("type", "result")
        .with_attr("to", Jid::server_only(Server::User));
    assert!(matches!(session.iq(unanswered).await, Err(Error::Timeout)));
    session.stop();
}

#[tokio::test]
async fn transient_stream_errors_and_restarts_reconnect() {
    let setup = setup(3).await;
    let (session, mut events) = Session::start(config(&setup), setup.store.clone(), setup.device)
        .await
        .unwrap();
    expect_event(&mut events, is_connected).await;
    for error in [
        StreamErrorKind::RestartRequired,
        StreamErrorKind::ServiceUnavailable,
    ] {
        setup
            .sim
            .inject(Fault::StreamError {
                device: setup.info.jid.clone(),
                error,
            })
            .unwrap();
        let lost = expect_event(&mut events, |e| matches!(e, Event::Disconnected { .. })).await;
        assert!(matches!(
            lost,
            Event::Disconnected {
                reconnecting: true,
                ..
            }
        ));
        expect_event(&mut events, is_connected).await;
    }
    setup.sim.restart();
    expect_event(&mut events, |e| matches!(e, Event::Disconnected { .. })).await;
    expect_event(&mut events, is_connected).await;
    // Still usable after all that.
    assert!(session.iq(ping()).await.is_ok());
    session.stop();
}

#[tokio::test]
async fn a_conflict_stops_the_session_as_replaced() {
    let setup = setup(4).await;
    let (session, mut events) = Session::start(config(&setup), setup.store.clone(), setup.device)
        .await
        .unwrap();
    expect_event(&mut events, is_connected).await;
    setup
        .sim
        .inject(Fault::StreamError {
            device: setup.info.jid.clone(),
            error: StreamErrorKind::Conflict,
        })
        .unwrap();
    expect_event(&mut events, |e| *e == Event::Replaced).await;
    // Stopped for good: no reconnect, and the handle reports it.
    assert!(tokio::time::timeout(TIMEOUT, events.recv())
        .await
        .unwrap()
        .is_none());
    assert!(matches!(session.iq(ping()).await, Err(Error::Disconnected)));
}

#[tokio::test]
async fn a_removed_device_is_logged_out_and_stops() {
    let setup = setup(5).await;
    let (_session, mut events) = Session::start(config(&setup), setup.store.clone(), setup.device)
        .await
        .unwrap();
    expect_event(&mut events, is_connected).await;
    setup
        .sim
        .inject(Fault::StreamError {
            device: setup.info.jid.clone(),
            error: StreamErrorKind::DeviceRemoved,
        })
        .unwrap();
    expect_event(&mut events, |e| *e == Event::LoggedOut).await;
    assert!(tokio::time::timeout(TIMEOUT, events.recv())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_device_removed_while_offline_gets_logged_out_at_login() {
    let setup = setup(6).await;
    setup.sim.remove_device(&setup.info.jid).unwrap();
    let (_session, mut events) = Session::start(config(&setup), setup.store.clone(), setup.device)
        .await
        .unwrap();
    assert_eq!(next_event(&mut events).await, Event::LoggedOut);
}

#[tokio::test]
async fn dropping_every_handle_stops_the_session() {
    let setup = setup(7).await;
    let (session, mut events) = Session::start(config(&setup), setup.store.clone(), setup.device)
        .await
        .unwrap();
    expect_event(&mut events, is_connected).await;
    expect_event(&mut events, |e| matches!(e, Event::PreKeysUploaded { .. })).await;
    drop(session);
    assert!(tokio::time::timeout(TIMEOUT, events.recv())
        .await
        .unwrap()
        .is_none());
    wait_until(|| !setup.sim.is_online(&setup.info.jid)).await;
}
