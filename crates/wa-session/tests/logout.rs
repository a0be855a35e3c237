//! `Session::logout`: the server unlinks the device (it is removed, and its credentials no
//! longer log in), the session stops; without a connection nothing is sent and it says so; a
//! companion cannot unlink another device.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use wa_binary::{Jid, Node, Server};
use wa_noise::CertVerifier;
use wa_session::{Error, Event, Session, SessionConfig};
use wa_sim::Simulator;

mod common;
use common::{expect, TIMEOUT};

#[tokio::test]
async fn logout_unlinks_the_device_and_stops() {
    let sim = Simulator::new(71);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let (store, device, info) = common::paired_device(&sim, &alice).await;
    let mut config =
        SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
    config.iq_timeout = Duration::from_secs(10);
    let (session, mut events) = Session::start(config.clone(), store.clone(), device)
        .await
        .unwrap();
    expect(&mut events, |e| matches!(e, Event::Connected { .. })).await;
    assert!(!sim.device(&info.jid).unwrap().removed);

    session.logout().await.unwrap();
    assert!(
        sim.device(&info.jid).unwrap().removed,
        "the server removed it"
    );
    // The session stopped: its events end and it sends nothing more.
    tokio::time::timeout(TIMEOUT, async { while events.recv().await.is_some() {} })
        .await
        .expect("the session did not stop");
    assert!(matches!(
        session.send_text(&alice.jid, "still there?").await,
        Err(Error::Disconnected)
    ));

    // The same credentials are refused from now on.
    let (_again, mut events) = Session::start(config, store, device).await.unwrap();
    let ended = expect(&mut events, |e| {
        matches!(e, Event::LoggedOut | Event::Connected { .. })
    })
    .await;
    assert_eq!(ended, Event::LoggedOut);
}

#[tokio::test]
async fn logout_while_disconnected_tells_nobody() {
    let sim = Simulator::new(72);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let (store, device, info) = common::paired_device(&sim, &alice).await;
    // A server address where nobody listens: the session never connects.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/ws/chat", closed.local_addr().unwrap());
    drop(closed);
    let mut config = SessionConfig::new(url, CertVerifier::new(running.root_public_key()));
    config.iq_timeout = Duration::from_secs(10);
    let (session, mut events) = Session::start(config, store, device).await.unwrap();
    expect(&mut events, |e| matches!(e, Event::Disconnected { .. })).await;

    assert!(matches!(session.logout().await, Err(Error::Disconnected)));
    assert!(!sim.device(&info.jid).unwrap().removed);
}

#[tokio::test]
async fn a_companion_cannot_unlink_another_device() {
    let sim = Simulator::new(73);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let (store, device, _info) = common::paired_device(&sim, &alice).await;
    let (_other_store, _other, other) = common::paired_device(&sim, &alice).await;
    let mut config =
        SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
    config.iq_timeout = Duration::from_secs(10);
    let (session, mut events) = Session::start(config, store, device).await.unwrap();
    expect(&mut events, |e| matches!(e, Event::Connected { .. })).await;

    let unlink_other = Node::new("iq")
        .with_attr("xmlns", "md")
        .with_attr("type", "set")
        .with_attr("to", Jid::server_only(Server::User))
        .with_children(vec![Node::new("remove-companion-device")
            .with_attr("jid", other.jid.clone())
            .with_attr("reason", "user_initiated")]);
    assert!(matches!(
        session.iq(unlink_other).await,
        Err(Error::Iq { code: 403, .. })
    ));
    assert!(!sim.device(&other.jid).unwrap().removed);
}
