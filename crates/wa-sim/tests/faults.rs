//! Each fault kind over real connections, with what the other side sees: a connection dropped
//! before or after routing (and the resend after it delivered exactly once), withheld and
//! delayed acks, stream errors (conflict, device removed, restart required), a second login
//! replacing the first, a server restart, and seeded random drops.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use rand_core::OsRng;
use wa_binary::{Jid, Node};
use wa_noise::IntroHeader;
use wa_sim::{
    login_payload, Account, DeviceInfo, DeviceKeys, Fault, RunningSimulator, Simulator,
    StreamErrorKind,
};
use wa_transport::ClientConnection;

mod common;
use common::{assert_closed, assert_quiet, connect_with, login, recv};

struct Device {
    info: DeviceInfo,
    keys: DeviceKeys,
}

struct Pair {
    sim: Simulator,
    running: RunningSimulator,
    bob: Account,
    alice1: Device,
    bob1: Device,
}

async fn pair() -> Pair {
    let sim = Simulator::new(5);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let device = |account: &Account| {
        let keys = DeviceKeys::generate(1, wa_sim::unix_now(), &mut OsRng);
        let info = sim
            .register_device(&account.jid, keys.registration())
            .unwrap();
        Device { info, keys }
    };
    let alice1 = device(&alice);
    let bob1 = device(&bob);
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    Pair {
        sim,
        running,
        bob,
        alice1,
        bob1,
    }
}

async fn connect(p: &Pair, device: &Device) -> ClientConnection {
    login(&p.running, &device.info, &device.keys).await
}

/// A message from Alice to Bob's one device.
fn message(p: &Pair, id: &str) -> Node<'static> {
    Node::new("message")
        .with_attr("id", id.to_owned())
        .with_attr("to", p.bob.jid.clone())
        .with_attr("type", "text")
        .with_children(vec![Node::new("participants").with_children(vec![
            Node::new("to")
                .with_attr("jid", p.bob1.info.jid.clone())
                .with_children(vec![Node::new("enc")
                    .with_attr("v", "2")
                    .with_attr("type", "msg")
                    .with_bytes(id.as_bytes().to_vec())]),
        ])])
}

async fn wait_offline(sim: &Simulator, device: &Jid) {
    for _ in 0..200 {
        if !sim.is_online(device) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{device} still online");
}

#[tokio::test]
async fn a_drop_before_routing_loses_the_message_and_the_resend_delivers_it_once() {
    let p = pair().await;
    let mut b1 = connect(&p, &p.bob1).await;
    let mut a1 = connect(&p, &p.alice1).await;
    p.sim
        .inject(Fault::DropBeforeRouting {
            device: p.alice1.info.jid.clone(),
        })
        .unwrap();
    a1.send(&message(&p, "3EB0D1")).await.unwrap();
    assert_closed(&mut a1).await;
    assert_quiet(&mut b1).await;

    let mut a1 = connect(&p, &p.alice1).await;
    a1.send(&message(&p, "3EB0D1")).await.unwrap();
    assert_eq!(recv(&mut a1).await.attr("error"), None);
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0D1"));
    assert_quiet(&mut b1).await;
}

#[tokio::test]
async fn a_drop_after_routing_delivers_once_even_when_the_sender_resends() {
    let p = pair().await;
    let mut b1 = connect(&p, &p.bob1).await;
    let mut a1 = connect(&p, &p.alice1).await;
    p.sim
        .inject(Fault::DropAfterRouting {
            device: p.alice1.info.jid.clone(),
        })
        .unwrap();
    a1.send(&message(&p, "3EB0D2")).await.unwrap();
    // No ack: the connection closes.
    assert_closed(&mut a1).await;
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0D2"));

    let mut a1 = connect(&p, &p.alice1).await;
    a1.send(&message(&p, "3EB0D2")).await.unwrap();
    let ack = recv(&mut a1).await;
    assert_eq!(ack.attr_str("id"), Some("3EB0D2"));
    assert_eq!(ack.attr("error"), None);
    assert_quiet(&mut b1).await;
}

#[tokio::test]
async fn withheld_acks_are_never_sent_and_later_messages_are_acked() {
    let p = pair().await;
    let mut b1 = connect(&p, &p.bob1).await;
    let mut a1 = connect(&p, &p.alice1).await;
    p.sim
        .inject(Fault::WithholdAcks {
            device: p.alice1.info.jid.clone(),
            count: 1,
        })
        .unwrap();
    a1.send(&message(&p, "3EB0W1")).await.unwrap();
    a1.send(&message(&p, "3EB0W2")).await.unwrap();
    // Both delivered; only the second acked.
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0W1"));
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0W2"));
    assert_eq!(recv(&mut a1).await.attr_str("id"), Some("3EB0W2"));
    assert_quiet(&mut a1).await;
}

#[tokio::test]
async fn delayed_acks_arrive_late_and_after_later_ones() {
    let p = pair().await;
    let mut a1 = connect(&p, &p.alice1).await;
    let delay = Duration::from_millis(400);
    p.sim
        .inject(Fault::DelayAcks {
            device: p.alice1.info.jid.clone(),
            count: 1,
            delay,
        })
        .unwrap();
    let start = Instant::now();
    a1.send(&message(&p, "3EB0L1")).await.unwrap();
    a1.send(&message(&p, "3EB0L2")).await.unwrap();
    assert_eq!(recv(&mut a1).await.attr_str("id"), Some("3EB0L2"));
    assert_eq!(recv(&mut a1).await.attr_str("id"), Some("3EB0L1"));
    // A lower bound only: the ack was held back at least that long.
    assert!(start.elapsed() >= delay);
}

#[tokio::test]
async fn stream_errors_have_their_shapes_and_close_the_connection() {
    let p = pair().await;
    for kind in [
        StreamErrorKind::Conflict,
        StreamErrorKind::RestartRequired,
        StreamErrorKind::ServiceUnavailable,
    ] {
        let mut a1 = connect(&p, &p.alice1).await;
        p.sim
            .inject(Fault::StreamError {
                device: p.alice1.info.jid.clone(),
                error: kind,
            })
            .unwrap();
        let error = recv(&mut a1).await;
        assert_eq!(error, kind.to_node());
        assert_closed(&mut a1).await;
        wait_offline(&p.sim, &p.alice1.info.jid).await;
    }
}

#[tokio::test]
async fn device_removed_logs_the_device_out_for_good() {
    let p = pair().await;
    let mut a1 = connect(&p, &p.alice1).await;
    p.sim
        .inject(Fault::StreamError {
            device: p.alice1.info.jid.clone(),
            error: StreamErrorKind::DeviceRemoved,
        })
        .unwrap();
    let error = recv(&mut a1).await;
    assert_eq!(error.attr_str("code"), Some("401"));
    assert_eq!(
        error.child("conflict").and_then(|c| c.attr_str("type")),
        Some("device_removed")
    );
    assert_closed(&mut a1).await;
    assert!(p.sim.device(&p.alice1.info.jid).unwrap().removed);

    let payload = login_payload(p.alice1.info.jid.user(), p.alice1.info.jid.device()).unwrap();
    let mut again = connect_with(
        &p.running,
        p.alice1.keys.noise.clone(),
        IntroHeader::V3,
        &payload,
    )
    .await;
    let failure = recv(&mut again).await;
    assert_eq!(failure.tag(), "failure");
    assert_eq!(failure.attr_str("reason"), Some("401"));
}

#[tokio::test]
async fn a_second_login_of_the_same_device_replaces_the_first() {
    let p = pair().await;
    let mut first = connect(&p, &p.alice1).await;
    let mut second = connect(&p, &p.alice1).await;
    let error = recv(&mut first).await;
    assert_eq!(error, StreamErrorKind::Conflict.to_node());
    assert_closed(&mut first).await;
    // The new connection is the one that counts.
    second.send(&message(&p, "3EB0R1")).await.unwrap();
    assert_eq!(recv(&mut second).await.attr_str("id"), Some("3EB0R1"));
    assert!(p.sim.is_online(&p.alice1.info.jid));
}

#[tokio::test]
async fn a_restart_closes_every_connection_and_keeps_undelivered_messages() {
    let p = pair().await;
    let mut a1 = connect(&p, &p.alice1).await;
    let mut b1 = connect(&p, &p.bob1).await;
    p.sim.restart();
    assert_closed(&mut a1).await;
    assert_closed(&mut b1).await;
    wait_offline(&p.sim, &p.bob1.info.jid).await;

    let mut a1 = connect(&p, &p.alice1).await;
    a1.send(&message(&p, "3EB0S1")).await.unwrap();
    recv(&mut a1).await;
    let mut b1 = connect(&p, &p.bob1).await;
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0S1"));
}

#[tokio::test]
async fn random_drops_drop_at_their_rate_and_stop_at_zero() {
    let p = pair().await;
    p.sim
        .inject(Fault::RandomDrops {
            seed: 1,
            per_mille: 1000,
        })
        .unwrap();
    let mut a1 = connect(&p, &p.alice1).await;
    a1.send(&message(&p, "3EB0X1")).await.unwrap();
    assert_closed(&mut a1).await;
    wait_offline(&p.sim, &p.alice1.info.jid).await;

    p.sim
        .inject(Fault::RandomDrops {
            seed: 1,
            per_mille: 0,
        })
        .unwrap();
    let mut a1 = connect(&p, &p.alice1).await;
    a1.send(&message(&p, "3EB0X2")).await.unwrap();
    assert_eq!(recv(&mut a1).await.attr_str("id"), Some("3EB0X2"));
}

#[tokio::test]
async fn faults_for_unknown_devices_are_refused() {
    let p = pair().await;
    let nobody = Jid::parse("15550001111:77@s.whatsapp.net").unwrap();
    assert!(p
        .sim
        .inject(Fault::DropNow {
            device: nobody.clone()
        })
        .is_err());
    assert!(p
        .sim
        .inject(Fault::WithholdAcks {
            device: nobody,
            count: 1
        })
        .is_err());
}
