//! The gateway over HTTP on loopback, with the simulator: pairing through a simulated
//! phone's scan, every route, every error code, idempotent replay, cross-organization access,
//! the rate limit and the reaction debounce.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::type_complexity
)]

mod common;

use axum::http::{Method, StatusCode};
use common::{
    call, key, paired_session, phone_received, serve, simulator, two_accounts, Fixture, TempDir,
};
use wa_sim::ReceivedKind;

const BOB: &str = "15550002222@s.whatsapp.net";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_pairs_sends_reacts_unreacts_and_revokes() {
    let Fixture {
        dir,
        sim,
        alice,
        bob,
        server,
        token,
    } = two_accounts("flow").await;
    let addr = server.addr;

    // While pairing, the QR is served as PNG and SVG.
    let created = call(
        addr,
        Method::POST,
        "/api/v1/sessions",
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json["id"].as_str().unwrap().to_owned();
    let png = call(
        addr,
        Method::GET,
        &format!("/api/v1/sessions/{id}/qr"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(&png.bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(png.headers["content-type"], "image/png");
    let svg = call(
        addr,
        Method::GET,
        &format!("/api/v1/sessions/{id}/qr?format=svg"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert!(String::from_utf8_lossy(&svg.bytes).contains("<svg"));
    let gif = call(
        addr,
        Method::GET,
        &format!("/api/v1/sessions/{id}/qr?format=gif"),
        Some(&token),
        None,
        &[],
    )
    .await;
    gif.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    sim.simulator()
        .scan(created.json["qr"].as_str().unwrap(), Some(&alice.jid))
        .unwrap();
    common::wait_status(addr, &token, &id, "connected").await;
    let status = call(
        addr,
        Method::GET,
        &format!("/api/v1/sessions/{id}"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert!(status.json["jid"]
        .as_str()
        .unwrap()
        .starts_with("15550001111:"));
    let listed = call(
        addr,
        Method::GET,
        "/api/v1/sessions",
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(listed.json["sessions"][0]["id"], id.as_str());
    // No QR once paired.
    let qr = call(
        addr,
        Method::GET,
        &format!("/api/v1/sessions/{id}/qr"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(qr.code(), "not_found");

    // A text, with an origin.
    let base = format!("/api/v1/sessions/{id}/messages");
    let body = format!(r#"{{"chat":"{BOB}","text":"hello","origin":"crm"}}"#);
    let sent = call(addr, Method::POST, &base, Some(&token), Some(&body), &[]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
    for field in [
        "mode",
        "outboxId",
        "replayed",
        "status",
        "timestamp",
        "waMessageId",
    ] {
        assert!(sent.json.get(field).is_some(), "SendResult lacks {field}");
    }
    assert_eq!(
        (sent.json["mode"].as_str(), sent.json["replayed"].as_bool()),
        (Some("sync"), Some(false))
    );
    let mid = sent.json["waMessageId"].as_str().unwrap().to_owned();
    phone_received(&sim, &bob.jid, |r| {
        r.id == mid && matches!(&r.kind, ReceivedKind::Text { text } if text == "hello")
    })
    .await;

    // React: it lands on Bob's phone, and the message shows it.
    let reaction = format!("{base}/{mid}/reaction");
    let body = format!(r#"{{"chat":"{BOB}","sender":"","emoji":"👍","origin":"crm"}}"#);
    let reacted = call(
        addr,
        Method::POST,
        &reaction,
        Some(&token),
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(reacted.status, StatusCode::OK, "{}", reacted.json);
    let reaction_id = reacted.json["waMessageId"].as_str().unwrap().to_owned();
    phone_received(&sim, &bob.jid, |r| {
        r.id == reaction_id && matches!(&r.kind, ReceivedKind::Reaction { target, emoji } if *target == mid && emoji == "👍")
    })
    .await;
    let message = call(
        addr,
        Method::GET,
        &format!("{base}/{mid}"),
        Some(&token),
        None,
        &[],
    )
    .await;
    // Bob's phone may already have sent its delivery receipt.
    assert!(
        ["sent", "delivered"].contains(&message.json["status"].as_str().unwrap()),
        "{}",
        message.json
    );
    assert_eq!(message.json["origin"], "crm");
    assert_eq!(message.json["reactions"][0]["emoji"], "👍");
    assert_eq!(message.json["reactions"][0]["actor"], "me");
    assert_eq!(
        message.json["reactions"][0]["reactor"],
        "15550001111@s.whatsapp.net"
    );

    // Bob reacts too: the gateway records his reaction from the incoming event.
    sim.simulator()
        .send(
            &bob.jid,
            &alice.jid,
            &wa_sim::Outgoing::Reaction {
                target: wa_sim::TargetKey::theirs(mid.clone(), alice.jid.clone()),
                emoji: "❤️".into(),
            },
        )
        .unwrap();
    let both = tokio::time::timeout(common::TIMEOUT, async {
        loop {
            let message = call(
                addr,
                Method::GET,
                &format!("{base}/{mid}"),
                Some(&token),
                None,
                &[],
            )
            .await;
            if message.json["reactions"].as_array().unwrap().len() == 2 {
                return message;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("Bob's reaction was not recorded");
    let theirs = both.json["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["actor"] == "contact")
        .unwrap()
        .clone();
    assert_eq!(
        (theirs["emoji"].as_str(), theirs["reactor"].as_str()),
        (Some("❤️"), Some(BOB))
    );

    // "remove" removes; removing again is a 200 no-op that sends nothing.
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let body = format!(r#"{{"chat":"{BOB}","emoji":"remove"}}"#);
    let removed = call(
        addr,
        Method::POST,
        &reaction,
        Some(&token),
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(removed.json["mode"], "sync", "{}", removed.json);
    let removal_id = removed.json["waMessageId"].as_str().unwrap().to_owned();
    phone_received(&sim, &bob.jid, |r| {
        r.id == removal_id
            && matches!(&r.kind, ReceivedKind::Reaction { emoji, .. } if emoji.is_empty())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let before = sim.simulator().received(&bob.jid).unwrap().len();
    let body = format!(r#"{{"chat":"{BOB}","emoji":"🎉"}}"#);
    let again = call(
        addr,
        Method::DELETE,
        &reaction,
        Some(&token),
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(
        (again.status, again.json["mode"].as_str()),
        (StatusCode::OK, Some("noop"))
    );
    assert!(again.json["waMessageId"].is_null());

    // Revoke: Bob's phone gets it, the message is deleted.
    let body = format!(r#"{{"chat":"{BOB}"}}"#);
    let revoked = call(
        addr,
        Method::DELETE,
        &format!("{base}/{mid}"),
        Some(&token),
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.json);
    phone_received(
        &sim,
        &bob.jid,
        |r| matches!(&r.kind, ReceivedKind::Revoke { target, admin: false } if *target == mid),
    )
    .await;
    assert_eq!(
        sim.simulator().received(&bob.jid).unwrap().len(),
        before + 1,
        "the no-op sent something"
    );
    let message = call(
        addr,
        Method::GET,
        &format!("{base}/{mid}"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(message.json["status"], "deleted");

    // A text from Bob is a received message we can react to with `sender` set.
    let incoming = sim
        .simulator()
        .send_text(&bob.jid, &alice.jid, "hi alice")
        .unwrap();
    let path = format!("{base}/{incoming}");
    common::wait_for_status(addr, &token, &path, "received").await;
    let body = format!(r#"{{"chat":"{BOB}","sender":"{BOB}","emoji":"😂"}}"#);
    let reacted = call(
        addr,
        Method::POST,
        &format!("{path}/reaction"),
        Some(&token),
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(reacted.status, StatusCode::OK, "{}", reacted.json);
    phone_received(&sim, &bob.jid, |r| matches!(&r.kind, ReceivedKind::Reaction { target, emoji } if *target == incoming && emoji == "😂")).await;

    // Logout: stopped, credentials gone, sends refused as disconnected.
    let out = call(
        addr,
        Method::DELETE,
        &format!("/api/v1/sessions/{id}"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(out.json["status"], "logged_out");
    // The server was told: it unlinked the device.
    assert_eq!(out.json["details"]["serverNotified"], true, "{}", out.json);
    let linked: wa_binary::Jid = status.json["jid"].as_str().unwrap().parse().unwrap();
    assert!(sim.simulator().device(&linked).unwrap().removed);
    let body = format!(r#"{{"chat":"{BOB}","text":"still there?"}}"#);
    let refused = call(addr, Method::POST, &base, Some(&token), Some(&body), &[]).await;
    refused.assert_error(StatusCode::SERVICE_UNAVAILABLE, "disconnected");
    let store = wa_store::Store::open(wa_gateway::db::db_path(&dir.0)).unwrap();
    assert!(
        store.devices().unwrap().is_empty(),
        "the credentials were kept"
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_have_stable_codes_and_other_organizations_see_nothing() {
    let Fixture {
        dir,
        sim,
        alice,
        bob,
        server,
        token,
    } = two_accounts("errors").await;
    let addr = server.addr;
    let reader = key(&dir.0, "acme", "read");
    let other = key(&dir.0, "globex", "send,read,sessions");
    let id = paired_session(addr, &token, &sim, &alice.jid).await;
    let base = format!("/api/v1/sessions/{id}/messages");
    let text = format!(r#"{{"chat":"{BOB}","text":"x"}}"#);

    let cases: Vec<(
        Method,
        String,
        Option<&str>,
        Option<String>,
        StatusCode,
        &str,
    )> = vec![
        (
            Method::POST,
            base.clone(),
            None,
            Some(text.clone()),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Method::POST,
            base.clone(),
            Some("wak_not-a-key"),
            Some(text.clone()),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Method::POST,
            base.clone(),
            Some("not.a.jwt"),
            Some(text.clone()),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Method::POST,
            base.clone(),
            Some(&reader),
            Some(text.clone()),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            Method::POST,
            "/api/v1/sessions".into(),
            Some(&reader),
            None,
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            Method::POST,
            "/api/v1/sessions/ses_nope/messages".into(),
            Some(&token),
            Some(text.clone()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::GET,
            format!("{base}/3EB0FFFF"),
            Some(&token),
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::GET,
            "/api/v2/nothing".into(),
            Some(&token),
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::POST,
            base.clone(),
            Some(&token),
            Some("{not json".into()),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Method::POST,
            base.clone(),
            Some(&token),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Method::POST,
            base.clone(),
            Some(&token),
            Some(r#"{"chat":5}"#.into()),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Method::POST,
            base.clone(),
            Some(&token),
            Some(format!(r#"{{"chat":"{BOB}","text":""}}"#)),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Method::POST,
            base.clone(),
            Some(&token),
            Some(r#"{"chat":"not a jid","text":"x"}"#.into()),
            StatusCode::BAD_REQUEST,
            "invalid_jid",
        ),
        (
            Method::POST,
            base.clone(),
            Some(&token),
            Some(r#"{"chat":"15550002222:3@s.whatsapp.net","text":"x"}"#.into()),
            StatusCode::BAD_REQUEST,
            "invalid_jid",
        ),
        (
            Method::POST,
            format!("{base}/not-an-id!/reaction"),
            Some(&token),
            Some(format!(r#"{{"chat":"{BOB}","emoji":"👍"}}"#)),
            StatusCode::BAD_REQUEST,
            "invalid_message_id",
        ),
        (
            Method::POST,
            format!("{base}/3EB0AA/reaction"),
            Some(&token),
            Some(format!(r#"{{"chat":"{BOB}"}}"#)),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Method::POST,
            format!("{base}/3EB0AA/reaction"),
            Some(&token),
            Some(format!(r#"{{"chat":"{BOB}","emoji":"two words"}}"#)),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Method::POST,
            format!("{base}/3EB0AA/reaction"),
            Some(&token),
            Some(format!(
                r#"{{"chat":"{BOB}","sender":"bogus","emoji":"👍"}}"#
            )),
            StatusCode::BAD_REQUEST,
            "invalid_jid",
        ),
        (
            Method::PUT,
            base.clone(),
            Some(&token),
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
        ),
        // A group we are not in: the server refuses its metadata.
        (
            Method::POST,
            base.clone(),
            Some(&token),
            Some(r#"{"chat":"120363000000000001@g.us","text":"x"}"#.into()),
            StatusCode::BAD_GATEWAY,
            "send_failed",
        ),
    ];
    for (method, path, token, body, status, code) in cases {
        let answer = call(addr, method.clone(), &path, token, body.as_deref(), &[]).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{method} {path} {body:?}: {}",
            answer.json
        );
        assert!(answer.json["error"]["message"].is_string());
        assert!(answer.json["error"].get("details").is_some());
    }
    let bad_key = call(
        addr,
        Method::POST,
        &base,
        Some(&token),
        Some(&text),
        &[("idempotency-key", "")],
    )
    .await;
    assert_eq!(bad_key.code(), "invalid_request");

    // missing_participant: a group message of another member, named without its author.
    let group = sim
        .simulator()
        .create_group(
            "Team",
            &bob.jid,
            &[alice.jid.clone(), bob.jid.clone()],
            wa_sim::AddressingMode::Pn,
        )
        .unwrap();
    let incoming = sim
        .simulator()
        .send_text(&bob.jid, &group, "hello team")
        .unwrap();
    let path = format!("{base}/{incoming}");
    common::wait_for_status(addr, &token, &path, "received").await;
    let body = format!(r#"{{"chat":"{group}","emoji":"👍"}}"#);
    let missing = call(
        addr,
        Method::POST,
        &format!("{path}/reaction"),
        Some(&token),
        Some(&body),
        &[],
    )
    .await;
    missing.assert_error(StatusCode::BAD_REQUEST, "missing_participant");

    // Another organization: not_found everywhere, and nothing sent.
    let before = sim.simulator().received(&bob.jid).unwrap().len();
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/sessions/{id}"), None),
        (Method::GET, format!("/api/v1/sessions/{id}/qr"), None),
        (Method::GET, format!("{base}/{incoming}"), None),
        (Method::POST, base.clone(), Some(text.clone())),
        (
            Method::POST,
            format!("{path}/reaction"),
            Some(format!(
                r#"{{"chat":"{group}","sender":"{BOB}","emoji":"👍"}}"#
            )),
        ),
        (
            Method::DELETE,
            format!("{path}/reaction"),
            Some(format!(r#"{{"chat":"{group}","sender":"{BOB}"}}"#)),
        ),
        (
            Method::DELETE,
            format!("{base}/{incoming}"),
            Some(format!(r#"{{"chat":"{group}","sender":"{BOB}"}}"#)),
        ),
        (Method::DELETE, format!("/api/v1/sessions/{id}"), None),
    ] {
        let answer = call(
            addr,
            method.clone(),
            &path,
            Some(&other),
            body.as_deref(),
            &[],
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{method} {path}"
        );
    }
    let listed = call(
        addr,
        Method::GET,
        "/api/v1/sessions",
        Some(&other),
        None,
        &[],
    )
    .await;
    assert_eq!(listed.json["sessions"].as_array().map(Vec::len), Some(0));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(sim.simulator().received(&bob.jid).unwrap().len(), before);
    common::wait_status(addr, &token, &id, "connected").await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_replay_and_reactions_are_debounced() {
    let Fixture {
        dir: _dir,
        sim,
        alice,
        bob,
        server,
        token,
    } = two_accounts("replay").await;
    let addr = server.addr;
    let id = paired_session(addr, &token, &sim, &alice.jid).await;
    let base = format!("/api/v1/sessions/{id}/messages");
    let text = format!(r#"{{"chat":"{BOB}","text":"once"}}"#);
    let key_header = [("idempotency-key", "order-42")];

    let first = call(
        addr,
        Method::POST,
        &base,
        Some(&token),
        Some(&text),
        &key_header,
    )
    .await;
    let second = call(
        addr,
        Method::POST,
        &base,
        Some(&token),
        Some(&text),
        &key_header,
    )
    .await;
    assert_eq!(first.json["replayed"], false);
    assert_eq!(second.json["replayed"], true);
    assert_eq!(first.json["waMessageId"], second.json["waMessageId"]);
    assert_eq!(first.json["outboxId"], "order-42");
    let mid = first.json["waMessageId"].as_str().unwrap().to_owned();
    phone_received(&sim, &bob.jid, |r| r.id == mid).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let copies = sim
        .simulator()
        .received(&bob.jid)
        .unwrap()
        .iter()
        .filter(|r| matches!(&r.kind, ReceivedKind::Text { text } if text == "once"))
        .count();
    assert_eq!(copies, 1);

    // A burst of four reactions to one message: the first goes out at once, the last one
    // wins the rest; the superseded two answer `coalesced` with the winner's id.
    let reaction = format!("{base}/{mid}/reaction");
    let mut tasks = Vec::new();
    for emoji in ["👍", "❤️", "😂", "🙏"] {
        let (token, reaction) = (token.clone(), reaction.clone());
        let body = format!(r#"{{"chat":"{BOB}","emoji":"{emoji}"}}"#);
        tasks.push(tokio::spawn(async move {
            call(
                addr,
                Method::POST,
                &reaction,
                Some(&token),
                Some(&body),
                &[],
            )
            .await
        }));
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let modes: Vec<&str> = answers
        .iter()
        .map(|a| a.json["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["sync", "coalesced", "coalesced", "sync"]);
    assert_eq!(
        answers[1].json["waMessageId"],
        answers[3].json["waMessageId"]
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let emojis: Vec<String> = sim
        .simulator()
        .received(&bob.jid)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.kind {
            ReceivedKind::Reaction { target, emoji } if target == mid => Some(emoji),
            _ => None,
        })
        .collect();
    assert_eq!(emojis, ["👍", "🙏"]);
    let message = call(
        addr,
        Method::GET,
        &format!("{base}/{mid}"),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(message.json["reactions"][0]["emoji"], "🙏");

    // Metrics count what happened; the OpenAPI document covers every route.
    let metrics = call(addr, Method::GET, "/metrics", None, None, &[]).await;
    let metrics = String::from_utf8(metrics.bytes).unwrap();
    assert!(
        metrics.contains(r#"wa_gateway_sends_total{kind="text",outcome="replayed"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"wa_gateway_sends_total{kind="reaction",outcome="coalesced"} 2"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"wa_gateway_sessions{state="connected"} 1"#));
    let openapi = call(addr, Method::GET, "/openapi.json", None, None, &[]).await;
    for path in wa_gateway::PATHS {
        assert!(openapi.json["paths"][path].is_object(), "{path}");
        let concrete = path.replace("{session}", &id).replace("{mid}", &mid);
        let answer = call(addr, Method::GET, &concrete, Some(&token), None, &[]).await;
        assert!(
            answer.json["error"]["message"] != "route not found",
            "{path} is not routed"
        );
    }
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_token_is_rate_limited() {
    let dir = TempDir::new("limit");
    let sim = simulator().await;
    let server = serve(&dir.0, &sim, |config| {
        config.rate_limit = 3;
    })
    .await;
    let (one, two) = (key(&dir.0, "acme", "read"), key(&dir.0, "acme", "read"));
    for _ in 0..3 {
        let answer = call(
            server.addr,
            Method::GET,
            "/api/v1/sessions",
            Some(&one),
            None,
            &[],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let limited = call(
        server.addr,
        Method::GET,
        "/api/v1/sessions",
        Some(&one),
        None,
        &[],
    )
    .await;
    limited.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    let other = call(
        server.addr,
        Method::GET,
        "/api/v1/sessions",
        Some(&two),
        None,
        &[],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    server.stop();
}
