//! Faults over the control API (`/sim/faults`, `/sim/restart`) against logged-in WebSocket
//! clients: each kind has its effect, and bad requests are refused before anything happens.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod http_client;

use std::time::{Duration, Instant};

use rand_core::OsRng;
use serde_json::{json, Value};
use wa_binary::Node;
use wa_sim::{unix_now, Account, DeviceInfo, DeviceKeys, RunningSimulator, StreamErrorKind};
use wa_transport::ClientConnection;

use common::{assert_closed, assert_quiet, login, recv};
use http_client::{get, post, request, start, Response};

/// Alice's and Bob's first companions, registered (not yet connected).
struct Pair {
    running: RunningSimulator,
    bob: Account,
    alice1: (DeviceInfo, DeviceKeys),
    bob1: (DeviceInfo, DeviceKeys),
}

impl Pair {
    async fn new() -> Self {
        let running = start().await;
        let sim = running.simulator();
        let device = |account: &Account| {
            let keys = DeviceKeys::generate(1, unix_now(), &mut OsRng);
            let info = sim
                .register_device(&account.jid, keys.registration())
                .unwrap();
            (info, keys)
        };
        let alice = sim.create_account(Some("15550001111")).unwrap();
        let bob = sim.create_account(Some("15550002222")).unwrap();
        let alice1 = device(&alice);
        let bob1 = device(&bob);
        Self {
            running,
            bob,
            alice1,
            bob1,
        }
    }

    async fn alice1(&self) -> ClientConnection {
        login(&self.running, &self.alice1.0, &self.alice1.1).await
    }

    async fn bob1(&self) -> ClientConnection {
        login(&self.running, &self.bob1.0, &self.bob1.1).await
    }

    fn alice1_jid(&self) -> String {
        self.alice1.0.jid.to_string()
    }

    /// A message from Alice to Bob's first companion (its ciphertext is not looked at).
    fn message(&self, id: &str) -> Node<'static> {
        Node::new("message")
            .with_attr("id", id.to_owned())
            .with_attr("to", self.bob.jid.clone())
            .with_attr("type", "text")
            .with_children(vec![Node::new("participants").with_children(vec![
                Node::new("to")
                    .with_attr("jid", self.bob1.0.jid.clone())
                    .with_children(vec![Node::new("enc")
                        .with_attr("v", "2")
                        .with_attr("type", "msg")
                        .with_bytes(id.as_bytes().to_vec())]),
            ])])
    }

    async fn fault(&self, body: &Value) -> Response {
        post(&self.running, "/sim/faults", body).await
    }

    /// Injects a fault that must be accepted.
    async fn inject(&self, body: &Value) {
        let response = self.fault(body).await;
        assert_eq!(response.status, 204, "{body}: {:?}", response.body);
        assert!(response.body.is_empty());
    }

    /// Waits until the API shows the device offline.
    async fn wait_offline(&self, device: &str) {
        let path = format!("/sim/devices/{device}");
        let deadline = Instant::now() + common::TIMEOUT;
        while get(&self.running, &path).await.json()["online"] == true {
            assert!(Instant::now() < deadline, "{device} still online");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn drop_now_closes_the_connection() {
    let p = Pair::new().await;
    let mut a1 = p.alice1().await;
    let path = format!("/sim/devices/{}", p.alice1_jid());
    assert_eq!(get(&p.running, &path).await.json()["online"], true);
    // Named by its LID device JID.
    p.inject(&json!({ "kind": "drop_now", "device": p.alice1.0.lid.to_string() }))
        .await;
    assert_closed(&mut a1).await;
    p.wait_offline(&p.alice1_jid()).await;
}

#[tokio::test]
async fn drops_before_and_after_routing() {
    let p = Pair::new().await;
    let mut b1 = p.bob1().await;
    let mut a1 = p.alice1().await;
    p.inject(&json!({ "kind": "drop_before_routing", "device": p.alice1_jid() }))
        .await;
    a1.send(&p.message("3EB0B1")).await.unwrap();
    assert_closed(&mut a1).await;
    assert_quiet(&mut b1).await;

    let mut a1 = p.alice1().await;
    p.inject(&json!({ "kind": "drop_after_routing", "device": p.alice1_jid() }))
        .await;
    a1.send(&p.message("3EB0A1")).await.unwrap();
    assert_closed(&mut a1).await;
    assert_eq!(recv(&mut b1).await.attr_str("id"), Some("3EB0A1"));
}

#[tokio::test]
async fn withheld_and_delayed_acks() {
    let p = Pair::new().await;
    let mut a1 = p.alice1().await;
    p.inject(&json!({ "kind": "withhold_acks", "device": p.alice1_jid() }))
        .await;
    a1.send(&p.message("3EB0W1")).await.unwrap();
    a1.send(&p.message("3EB0W2")).await.unwrap();
    assert_eq!(recv(&mut a1).await.attr_str("id"), Some("3EB0W2"));
    assert_quiet(&mut a1).await;

    let delay = Duration::from_millis(300);
    p.inject(&json!({
        "kind": "delay_acks", "device": p.alice1_jid(), "count": 2, "delay_ms": 300
    }))
    .await;
    let start = Instant::now();
    for id in ["3EB0D1", "3EB0D2", "3EB0D3"] {
        a1.send(&p.message(id)).await.unwrap();
    }
    // The third, not delayed, overtakes the two delayed ones.
    assert_eq!(recv(&mut a1).await.attr_str("id"), Some("3EB0D3"));
    let mut late = [
        recv(&mut a1).await.attr_str("id").unwrap().to_owned(),
        recv(&mut a1).await.attr_str("id").unwrap().to_owned(),
    ];
    late.sort();
    assert_eq!(late, ["3EB0D1", "3EB0D2"]);
    assert!(start.elapsed() >= delay);
}

#[tokio::test]
async fn stream_errors_by_name() {
    let p = Pair::new().await;
    for (name, kind) in [
        ("conflict", StreamErrorKind::Conflict),
        ("restart_required", StreamErrorKind::RestartRequired),
        ("service_unavailable", StreamErrorKind::ServiceUnavailable),
        ("device_removed", StreamErrorKind::DeviceRemoved),
    ] {
        let mut a1 = p.alice1().await;
        p.inject(&json!({ "kind": "stream_error", "device": p.alice1_jid(), "error": name }))
            .await;
        assert_eq!(recv(&mut a1).await, kind.to_node(), "{name}");
        assert_closed(&mut a1).await;
        p.wait_offline(&p.alice1_jid()).await;
    }
    // The last one removed the device: it is gone for faults too.
    let path = format!("/sim/devices/{}", p.alice1_jid());
    assert_eq!(get(&p.running, &path).await.json()["removed"], true);
    p.fault(&json!({ "kind": "drop_now", "device": p.alice1_jid() }))
        .await
        .assert_error(404, "unknown_device");
}

#[tokio::test]
async fn random_drops_at_full_rate_then_off() {
    let p = Pair::new().await;
    let mut a1 = p.alice1().await;
    p.inject(&json!({ "kind": "random_drops", "seed": 3, "per_mille": 1000 }))
        .await;
    a1.send(&p.message("3EB0R1")).await.unwrap();
    assert_closed(&mut a1).await;

    // Without a seed, and at rate 0: off again.
    p.inject(&json!({ "kind": "random_drops", "per_mille": 0 }))
        .await;
    let mut a1 = p.alice1().await;
    a1.send(&p.message("3EB0R2")).await.unwrap();
    assert_eq!(recv(&mut a1).await.attr_str("id"), Some("3EB0R2"));
}

#[tokio::test]
async fn restart_closes_every_connection_and_keeps_state() {
    let p = Pair::new().await;
    let mut a1 = p.alice1().await;
    let mut b1 = p.bob1().await;
    let response = post(&p.running, "/sim/restart", &json!({})).await;
    assert_eq!(response.status, 204);
    assert_closed(&mut a1).await;
    assert_closed(&mut b1).await;
    // Both log in again.
    drop(p.alice1().await);
    drop(p.bob1().await);
    request(p.running.local_addr(), "GET", "/sim/restart", None)
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn fault_errors() {
    let p = Pair::new().await;
    let device = p.alice1_jid();
    let cases = [
        (json!({}), 400, "invalid_json"),
        (
            json!({ "kind": "explode", "device": device }),
            400,
            "invalid_json",
        ),
        (json!({ "kind": "drop_now" }), 400, "invalid_json"),
        (
            json!({ "kind": "drop_now", "device": device, "count": 2 }),
            400,
            "invalid_json",
        ),
        (
            json!({ "kind": "delay_acks", "device": device }),
            400,
            "invalid_json",
        ),
        (
            json!({ "kind": "stream_error", "device": device }),
            400,
            "invalid_json",
        ),
        (
            json!({ "kind": "stream_error", "device": device, "error": "boom" }),
            400,
            "invalid_json",
        ),
        (
            json!({ "kind": "random_drops", "device": device, "per_mille": 5 }),
            400,
            "invalid_json",
        ),
        (
            json!({ "kind": "drop_now", "device": "@@" }),
            400,
            "invalid_jid",
        ),
        (
            json!({ "kind": "withhold_acks", "device": device, "count": 0 }),
            400,
            "invalid_fault",
        ),
        (
            json!({ "kind": "withhold_acks", "device": device, "count": 10_001 }),
            400,
            "invalid_fault",
        ),
        (
            json!({ "kind": "delay_acks", "device": device, "delay_ms": 3_600_001 }),
            400,
            "invalid_fault",
        ),
        (
            json!({ "kind": "random_drops", "per_mille": 1001 }),
            400,
            "invalid_fault",
        ),
        (
            json!({ "kind": "drop_now", "device": "15550001111:9@s.whatsapp.net" }),
            404,
            "unknown_device",
        ),
        (
            json!({ "kind": "withhold_acks", "device": "15559999999:1@s.whatsapp.net" }),
            404,
            "unknown_account",
        ),
    ];
    for (body, status, code) in cases {
        let response = p.fault(&body).await;
        response.assert_error(status, code);
        if body["kind"] == "explode" {
            let message = response.json()["error"]["message"].to_string();
            assert!(message.contains("drop_now"), "names the kinds: {message}");
        }
    }
    // None of the refused faults was armed: Alice's next message is routed and acked.
    let mut a1 = p.alice1().await;
    a1.send(&p.message("3EB0OK")).await.unwrap();
    let ack = recv(&mut a1).await;
    assert_eq!((ack.tag(), ack.attr_str("id")), ("ack", Some("3EB0OK")));
}
