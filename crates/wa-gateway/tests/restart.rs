//! A gateway restart with sends in flight loses nothing: sessions come back connected from
//! the data directory, and every send retried with its idempotency key after the restart is
//! answered (with the first id when the first attempt was answered) and reaches the phone
//! exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{call, key, paired_session, serve, simulator, wait_status, TempDir};
use wa_sim::ReceivedKind;

const SENDS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_sends_in_flight_loses_nothing() {
    let dir = TempDir::new("restart");
    let sim = simulator().await;
    let alice = sim.simulator().create_account(Some("15550001111")).unwrap();
    let bob = sim.simulator().create_account(Some("15550002222")).unwrap();
    let first = serve(&dir.0, &sim, |config| {
        config.rate_limit = 1000;
    })
    .await;
    let token = key(&dir.0, "acme", "send,read,sessions");
    let id = paired_session(first.addr, &token, &sim, &alice.jid).await;
    let path = format!("/api/v1/sessions/{id}/messages");

    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for n in 0..SENDS {
        let (token, path, addr, done) =
            (token.clone(), path.clone(), first.addr, Arc::clone(&done));
        tasks.push(tokio::spawn(async move {
            let body = format!(r#"{{"chat":"15550002222@s.whatsapp.net","text":"restart-{n}"}}"#);
            let key = format!("restart-{n}");
            let answer = call(
                addr,
                Method::POST,
                &path,
                Some(&token),
                Some(&body),
                &[("idempotency-key", &key)],
            )
            .await;
            done.fetch_add(1, Ordering::SeqCst);
            answer
        }));
    }
    // Stop once a few were answered, with the rest in flight.
    tokio::time::timeout(common::TIMEOUT, async {
        while done.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("no send was answered");
    first.stop();
    let mut answered: HashMap<usize, String> = HashMap::new();
    for (n, task) in tasks.into_iter().enumerate() {
        if let Ok(answer) = task.await {
            if answer.status == StatusCode::OK {
                answered.insert(n, answer.json["waMessageId"].as_str().unwrap().to_owned());
            }
        }
    }

    let second = serve(&dir.0, &sim, |config| {
        config.rate_limit = 1000;
    })
    .await;
    wait_status(second.addr, &token, &id, "connected").await;
    let mut ids = HashMap::new();
    for n in 0..SENDS {
        let body = format!(r#"{{"chat":"15550002222@s.whatsapp.net","text":"restart-{n}"}}"#);
        let key = format!("restart-{n}");
        let answer = call(
            second.addr,
            Method::POST,
            &path,
            Some(&token),
            Some(&body),
            &[("idempotency-key", &key)],
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "retry of {key}: {}",
            answer.json
        );
        let mid = answer.json["waMessageId"].as_str().unwrap().to_owned();
        if let Some(first_id) = answered.get(&n) {
            assert_eq!(&mid, first_id, "{key} changed id across the restart");
            assert_eq!(answer.json["replayed"], true);
        }
        ids.insert(n, mid);
    }

    // Every text reached Bob's phone exactly once, with the id the API gave.
    tokio::time::timeout(common::TIMEOUT, async {
        loop {
            let texts: Vec<(String, String)> = sim
                .simulator()
                .received(&bob.jid)
                .unwrap()
                .into_iter()
                .filter_map(|r| match r.kind {
                    ReceivedKind::Text { text } => Some((text, r.id)),
                    _ => None,
                })
                .collect();
            if texts.len() >= SENDS {
                assert_eq!(texts.len(), SENDS, "a text arrived twice");
                for n in 0..SENDS {
                    let text = format!("restart-{n}");
                    let got: Vec<&String> = texts
                        .iter()
                        .filter(|(t, _)| *t == text)
                        .map(|(_, id)| id)
                        .collect();
                    assert_eq!(got, [&ids[&n]], "{text}");
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("not every text arrived");
    assert!(
        answered.len() < SENDS,
        "every send finished before the stop"
    );
    eprintln!(
        "{} of {SENDS} sends were answered before the stop",
        answered.len()
    );
    second.stop();
}
