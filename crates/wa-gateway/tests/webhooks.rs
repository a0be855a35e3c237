//! Webhooks end to end: a real gateway on loopback with the simulator, and a loopback receiver
//! that records every POST. Reactions, revokes and status changes arrive signed; a failed
//! delivery is redelivered with the same delivery id; `origin` is carried; subscriptions
//! belong to one organization. Receipts move the message status forward.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::post;
use serde_json::Value;
use wa_gateway::wa_webhooks::{
    headers, verify_signature, RetryPolicy, WebhookSecret, WorkerConfig,
};

use common::{call, key, paired_session, serve, simulator, TempDir, TIMEOUT};

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    delivery: String,
    event: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    json: Value,
}

#[derive(Debug, Default)]
struct Inbox {
    hits: Vec<Hit>,
    /// Answer 500 to this many requests first.
    fail_first: usize,
}

/// A receiver on loopback.
#[derive(Clone)]
struct Receiver {
    url: String,
    inbox: Arc<Mutex<Inbox>>,
}

async fn hook(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut inbox = inbox.lock().unwrap();
    inbox.hits.push(Hit {
        delivery: header(headers::DELIVERY),
        event: header(headers::EVENT),
        timestamp: header(headers::TIMESTAMP),
        signature: header(headers::SIGNATURE),
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        body: body.to_vec(),
    });
    if inbox.fail_first > 0 {
        inbox.fail_first -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

impl Receiver {
    async fn start(fail_first: usize) -> Self {
        let inbox = Arc::new(Mutex::new(Inbox {
            hits: Vec::new(),
            fail_first,
        }));
        let app = axum::Router::new()
            .route("/hook", post(hook))
            .with_state(Arc::clone(&inbox));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, inbox }
    }

    fn hits(&self) -> Vec<Hit> {
        self.inbox.lock().unwrap().hits.clone()
    }

    /// Waits for the first accepted hit (after any failed ones) matching `wanted`.
    async fn wait_for(&self, what: &str, wanted: impl Fn(&Hit) -> bool) -> Hit {
        tokio::time::timeout(TIMEOUT, async {
            loop {
                if let Some(hit) = self.hits().into_iter().find(|h| wanted(h)) {
                    return hit;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no webhook for {what}; got {:#?}", self.hits()))
    }
}

/// Fast retries so a redelivery comes within the test's patience.
fn quick_webhooks(config: &mut wa_gateway::GatewayConfig) {
    config.webhooks = WorkerConfig {
        retry: RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
        },
        poll_interval: Duration::from_millis(100),
        ..WorkerConfig::default()
    };
}

fn data(hit: &Hit) -> &Value {
    &hit.json["data"]
}

/// Polls the message until its status is `status`.
async fn wait_message_status(
    addr: std::net::SocketAddr,
    token: &str,
    path: &str,
    status: &str,
) -> Value {
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let answer = call(addr, Method::GET, path, Some(token), None, &[]).await;
            if answer.json["status"] == status {
                return answer.json;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{path} never became {status}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_revokes_and_status_changes_are_delivered_signed_with_receipts_applied() {
    let dir = TempDir::new("webhooks");
    let sim = simulator().await;
    let alice = sim.simulator().create_account(Some("15550001111")).unwrap();
    let bob = sim.simulator().create_account(Some("15550002222")).unwrap();
    let receiver = Receiver::start(1).await;
    let server = serve(&dir.0, &sim, quick_webhooks).await;
    let addr = server.addr;
    let token = key(&dir.0, "acme", "send,read,sessions,webhooks");

    let created = call(
        addr,
        Method::POST,
        "/api/v1/webhooks",
        Some(&token),
        Some(&format!(
            r#"{{"url":"{}","events":["message.reaction","message.revoked","session.status"]}}"#,
            receiver.url
        )),
        &[],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let hook_id = created.json["id"].as_str().unwrap().to_owned();
    let secret = WebhookSecret::from_text(created.json["secret"].as_str().unwrap());
    assert!(secret.expose().starts_with("whsec_"));

    // Pairing and connecting are session.status events; the first delivery fails (500) and
    // is redelivered with the same delivery id, before anything later.
    let session = paired_session(addr, &token, &sim, &alice.jid).await;
    let connected = receiver
        .wait_for("connected", |h| {
            h.event == "session.status" && data(h)["status"] == "connected"
        })
        .await;
    assert_eq!(data(&connected)["sessionId"], session.as_str());
    let hits = receiver.hits();
    let first = &hits[0];
    assert_eq!(data(first)["status"], "pairing");
    assert_eq!(
        hits[1].delivery, first.delivery,
        "the retry keeps its delivery id"
    );
    assert_eq!(hits[1].body, first.body);
    let statuses: Vec<&str> = hits
        .iter()
        .skip(1)
        .filter(|h| h.event == "session.status")
        .map(|h| data(h)["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pairing", "connecting", "connected"]);

    // A text to Bob's phone number, tagged with an origin.
    let base = format!("/api/v1/sessions/{session}/messages");
    let sent = call(
        addr,
        Method::POST,
        &base,
        Some(&token),
        Some(r#"{"chat":"15550002222@s.whatsapp.net","text":"hello","origin":"crm"}"#),
        &[],
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
    let mid = sent.json["waMessageId"].as_str().unwrap().to_owned();
    let message_path = format!("{base}/{mid}");

    // Bob's phone sends a delivery receipt (from his LID): sent -> delivered; then he reads it.
    wait_message_status(addr, &token, &message_path, "delivered").await;
    sim.simulator()
        .mark_read(&bob.jid, &alice.jid, &alice.jid, &[mid.as_str()])
        .unwrap();
    let read = wait_message_status(addr, &token, &message_path, "read").await;
    assert_eq!(read["chat"], "15550002222@s.whatsapp.net");

    // Bob reacts, changes his reaction, removes it: added, changed, removed, each carrying
    // the origin of the message he reacted to and the chat it was sent to.
    for (emoji, action) in [("👍", "added"), ("❤️", "changed"), ("", "removed")] {
        sim.simulator()
            .send(
                &bob.jid,
                &alice.jid,
                &wa_sim::Outgoing::Reaction {
                    target: wa_sim::TargetKey::theirs(mid.clone(), alice.jid.clone()),
                    emoji: emoji.into(),
                },
            )
            .unwrap();
        let hit = receiver
            .wait_for(action, |h| {
                h.event == "message.reaction" && data(h)["action"] == action
            })
            .await;
        let d = data(&hit);
        assert_eq!(d["targetMessageId"], mid.as_str());
        assert_eq!(d["chat"], "15550002222@s.whatsapp.net");
        assert_eq!(d["fromMe"], false);
        assert_eq!(d["origin"], "crm");
        assert!(d.get("targetSender").is_none(), "our own message: {d}");
        assert!(d["actor"].as_str().is_some_and(|a| !a.is_empty()));
        if emoji.is_empty() {
            assert!(d.get("emoji").is_none());
        } else {
            assert_eq!(d["emoji"], emoji);
        }
        if action == "changed" {
            assert_eq!(d["previousEmoji"], "👍");
        }
    }

    // Bob revokes a message of his own: message.revoked, kind own.
    let his = sim
        .simulator()
        .send_text(&bob.jid, &alice.jid, "oops")
        .unwrap();
    sim.simulator()
        .send(
            &bob.jid,
            &alice.jid,
            &wa_sim::Outgoing::Revoke {
                target: wa_sim::TargetKey::own(his.clone()),
            },
        )
        .unwrap();
    let revoked = receiver
        .wait_for("revoke", |h| h.event == "message.revoked")
        .await;
    let d = data(&revoked);
    assert_eq!(d["targetMessageId"], his.as_str());
    assert_eq!(d["kind"], "own");
    assert!(d["revokedBy"].as_str().is_some_and(|a| !a.is_empty()));
    assert!(d.get("origin").is_none());

    // Our own reaction through the API carries the origin given with it.
    let ours = call(
        addr,
        Method::POST,
        &format!("{message_path}/reaction"),
        Some(&token),
        Some(r#"{"chat":"15550002222@s.whatsapp.net","emoji":"🎉","origin":"ops"}"#),
        &[],
    )
    .await;
    assert_eq!(ours.status, StatusCode::OK, "{}", ours.json);
    let hit = receiver
        .wait_for("our reaction", |h| {
            h.event == "message.reaction" && data(h)["fromMe"] == true
        })
        .await;
    assert_eq!(data(&hit)["origin"], "ops");
    assert_eq!(data(&hit)["action"], "added");
    assert_eq!(data(&hit)["actor"], "15550001111@s.whatsapp.net");

    // Every request is signed with the subscription's secret.
    for hit in receiver.hits() {
        assert_eq!(
            verify_signature(&secret, &hit.timestamp, &hit.body, &hit.signature),
            Ok(()),
            "{}",
            hit.event
        );
        assert_eq!(hit.json["type"], hit.event.as_str());
    }

    // The deliveries list shows the redelivered one with both attempts; /metrics counts.
    let deliveries = call(
        addr,
        Method::GET,
        &format!("/api/v1/webhooks/{hook_id}/deliveries?limit=500"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(deliveries.status, StatusCode::OK, "{}", deliveries.json);
    let list = deliveries.json["deliveries"].as_array().unwrap();
    let retried = list
        .iter()
        .find(|d| d["id"] == first.delivery.as_str())
        .unwrap();
    assert_eq!(retried["state"], "delivered");
    assert_eq!(retried["attempts"], 2);
    assert_eq!(retried["lastStatus"], 204);
    let metrics = call(addr, Method::GET, "/metrics", None, None, &[]).await;
    let text = String::from_utf8(metrics.bytes).unwrap();
    assert!(
        text.contains("wa_gateway_webhook_failed_attempts_total 1\n"),
        "{text}"
    );
    assert!(text.contains("wa_gateway_webhooks_delivered_total "));
    assert!(text.contains("wa_gateway_webhook_queue_depth "));
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_belong_to_one_organization_and_need_the_webhooks_capability() {
    let dir = TempDir::new("webhook-orgs");
    let sim = simulator().await;
    let server = serve(&dir.0, &sim, quick_webhooks).await;
    let addr = server.addr;
    let acme = key(&dir.0, "acme", "webhooks");
    let other = key(&dir.0, "other", "webhooks,send,read,sessions");
    let no_cap = key(&dir.0, "acme", "send,read,sessions");

    let body = r#"{"url":"http://127.0.0.1:9/hook","events":["session.status"]}"#;
    let created = call(
        addr,
        Method::POST,
        "/api/v1/webhooks",
        Some(&acme),
        Some(body),
        &[],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.json["events"],
        serde_json::json!(["session.status"])
    );

    // Listing shows it, without the secret.
    let listed = call(
        addr,
        Method::GET,
        "/api/v1/webhooks",
        Some(&acme),
        None,
        &[],
    )
    .await;
    assert_eq!(listed.json["webhooks"][0]["id"], id.as_str());
    assert!(listed.json["webhooks"][0].get("secret").is_none());

    // Another organization sees nothing and can neither delete it nor read its deliveries.
    let theirs = call(
        addr,
        Method::GET,
        "/api/v1/webhooks",
        Some(&other),
        None,
        &[],
    )
    .await;
    assert_eq!(theirs.json["webhooks"], serde_json::json!([]));
    let path = format!("/api/v1/webhooks/{id}");
    let denied = call(addr, Method::DELETE, &path, Some(&other), None, &[]).await;
    denied.assert_error(StatusCode::NOT_FOUND, "not_found");
    let denied = call(
        addr,
        Method::GET,
        &format!("{path}/deliveries"),
        Some(&other),
        None,
        &[],
    )
    .await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);

    // Without the capability: forbidden. Bad input: invalid_request.
    let forbidden = call(
        addr,
        Method::GET,
        "/api/v1/webhooks",
        Some(&no_cap),
        None,
        &[],
    )
    .await;
    forbidden.assert_error(StatusCode::FORBIDDEN, "forbidden");
    for bad in [
        r#"{"url":"ftp://example.com/","events":["session.status"]}"#,
        r#"{"url":"http://127.0.0.1:9/","events":["message.*"]}"#,
        r#"{"url":"http://127.0.0.1:9/","events":[]}"#,
        r#"{"url":"http://127.0.0.1:9/"}"#,
    ] {
        let refused = call(
            addr,
            Method::POST,
            "/api/v1/webhooks",
            Some(&acme),
            Some(bad),
            &[],
        )
        .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{bad}"
        );
    }

    // Still there for its owner, who deletes it; a second delete is not_found.
    let deliveries = call(
        addr,
        Method::GET,
        &format!("{path}/deliveries"),
        Some(&acme),
        None,
        &[],
    )
    .await;
    assert_eq!(deliveries.json["deliveries"], serde_json::json!([]));
    let deleted = call(addr, Method::DELETE, &path, Some(&acme), None, &[]).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.json);
    let again = call(addr, Method::DELETE, &path, Some(&acme), None, &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let listed = call(
        addr,
        Method::GET,
        "/api/v1/webhooks",
        Some(&acme),
        None,
        &[],
    )
    .await;
    assert_eq!(listed.json["webhooks"], serde_json::json!([]));
    server.stop();
}
