//! What goes wrong, as the gateway reports it: a send the server refuses is `send_failed` with
//! its message id and the message reads `failed`; a message that does not decrypt is counted
//! (and the resend still lands); a logout without a connection clears the session here and
//! says the server was not told.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use axum::http::{Method, StatusCode};
use common::{
    call, key, paired_session, serve, simulator, two_accounts, wait_for_status, Fixture, TempDir,
};
use wa_binary::Jid;
use wa_sim::Fault;

const BOB: &str = "15550002222@s.whatsapp.net";

/// The value of a metric line (`name` with its labels, if any).
async fn metric(addr: std::net::SocketAddr, name: &str) -> u64 {
    let text = call(addr, Method::GET, "/metrics", None, None, &[]).await;
    let text = String::from_utf8(text.bytes).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} not in {text}"))
        .parse()
        .unwrap()
}

/// Our device JID, from the session's status.
async fn device_of(addr: std::net::SocketAddr, token: &str, id: &str) -> Jid {
    let status = call(
        addr,
        Method::GET,
        &format!("/api/v1/sessions/{id}"),
        Some(token),
        None,
        &[],
    )
    .await;
    status.json["jid"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_send_is_send_failed_with_its_id_and_reads_failed() {
    let Fixture {
        dir: _dir,
        sim,
        alice,
        bob: _bob,
        server,
        token,
    } = two_accounts("refused").await;
    let addr = server.addr;
    let id = paired_session(addr, &token, &sim, &alice.jid).await;
    let device = device_of(addr, &token, &id).await;

    sim.simulator()
        .inject(Fault::RefuseMessages {
            device,
            count: 1,
            code: 479,
        })
        .unwrap();
    let base = format!("/api/v1/sessions/{id}/messages");
    let body = format!(r#"{{"chat":"{BOB}","text":"refused","origin":"crm"}}"#);
    let refused = call(addr, Method::POST, &base, Some(&token), Some(&body), &[]).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_GATEWAY, "send_failed"),
        "{}",
        refused.json
    );
    let details = &refused.json["error"]["details"];
    assert_eq!(details["serverCode"], 479);
    let mid = details["waMessageId"].as_str().unwrap().to_owned();
    let message = call(
        addr,
        Method::GET,
        &format!("{base}/{mid}"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(message.status, StatusCode::OK, "{}", message.json);
    assert_eq!(message.json["status"], "failed");
    assert_eq!(message.json["chat"], BOB);

    // The next send goes through, with another id.
    let body = format!(r#"{{"chat":"{BOB}","text":"accepted"}}"#);
    let sent = call(addr, Method::POST, &base, Some(&token), Some(&body), &[]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
    assert_ne!(sent.json["waMessageId"].as_str(), Some(mid.as_str()));
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decrypt_failures_are_counted_and_the_resend_lands() {
    let Fixture {
        dir: _dir,
        sim,
        alice,
        bob,
        server,
        token,
    } = two_accounts("decrypt").await;
    let addr = server.addr;
    let id = paired_session(addr, &token, &sim, &alice.jid).await;
    let device = device_of(addr, &token, &id).await;
    assert_eq!(metric(addr, "wa_gateway_decrypt_failures_total").await, 0);

    sim.simulator()
        .inject(Fault::CorruptDeliveries { device, count: 1 })
        .unwrap();
    let incoming = sim
        .simulator()
        .send_text(&bob.jid, &alice.jid, "through a bad line")
        .unwrap();
    // Bob's phone answers our retry receipt; the resend is recorded as received.
    let path = format!("/api/v1/sessions/{id}/messages/{incoming}");
    wait_for_status(addr, &token, &path, "received").await;
    assert_eq!(metric(addr, "wa_gateway_decrypt_failures_total").await, 1);
    assert_eq!(
        metric(addr, r#"wa_gateway_received_total{kind="message"}"#).await,
        1
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_before_the_ack_counts_a_reconnect_and_a_retry() {
    let Fixture {
        dir: _dir,
        sim,
        alice,
        bob: _bob,
        server,
        token,
    } = two_accounts("reconnect").await;
    let addr = server.addr;
    let id = paired_session(addr, &token, &sim, &alice.jid).await;
    let device = device_of(addr, &token, &id).await;
    assert_eq!(metric(addr, "wa_gateway_reconnects_total").await, 0);
    assert_eq!(metric(addr, "wa_gateway_send_retries_total").await, 0);

    // The server routes the message, then the connection drops before its ack: the engine
    // reconnects and sends it again with the same id.
    sim.simulator()
        .inject(Fault::DropAfterRouting { device })
        .unwrap();
    let body = format!(r#"{{"chat":"{BOB}","text":"across a reconnect"}}"#);
    let sent = call(
        addr,
        Method::POST,
        &format!("/api/v1/sessions/{id}/messages"),
        Some(&token),
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
    assert_eq!(sent.json["replayed"], true);
    assert_eq!(metric(addr, "wa_gateway_send_retries_total").await, 1);
    assert!(metric(addr, "wa_gateway_reconnects_total").await >= 1);
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_without_a_connection_clears_here_and_says_so() {
    let dir = TempDir::new("logout-offline");
    let sim = simulator().await;
    let alice = sim.simulator().create_account(Some("15550001111")).unwrap();
    let token = key(&dir.0, "acme", "send,read,sessions");
    let server = serve(&dir.0, &sim, |_| {}).await;
    let id = paired_session(server.addr, &token, &sim, &alice.jid).await;
    let device = device_of(server.addr, &token, &id).await;
    server.stop();

    // The gateway comes back while the WhatsApp server is unreachable.
    let offline = wa_sim::Simulator::new(8)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let unreachable = offline.url();
    drop(offline);
    let server = common::serve(&dir.0, &sim, |config| {
        config.session.url = unreachable;
    })
    .await;
    let out = call(
        server.addr,
        Method::DELETE,
        &format!("/api/v1/sessions/{id}"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.json);
    assert_eq!(out.json["status"], "logged_out");
    assert_eq!(out.json["details"]["serverNotified"], false);
    assert!(out.json["details"]["reason"].is_string());
    // Nothing reached the server: the device is still linked there.
    assert!(!sim.simulator().device(&device).unwrap().removed);
    let store = wa_store::Store::open(wa_gateway::db::db_path(&dir.0)).unwrap();
    assert!(store.devices().unwrap().is_empty(), "credentials kept");
    server.stop();
}
