//! A gateway restart with sends in flight loses nothing: sessions come back connected from
//! the data directory, and every send retried with its idempotency key after the restart is
//! answered (with the first id when the first attempt was answered) and reaches the phone
//! exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{call, key, paired_session, serve, simulator, wait_status, TempDir};
use wa_sim::{Fault, ReceivedKind};

const SENDS: usize = 30;
/// How many sends are acked before the others' acks are withheld.
const ANSWERED: usize = 3;

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

    // The first ANSWERED sends are acked; the simulator routes the rest to the phone but
    // withholds their acks, so they are certainly in flight (delivered, unacknowledged) when
    // the gateway stops.
    let status = call(
        first.addr,
        Method::GET,
        &format!("/api/v1/sessions/{id}"),
        Some(&token),
        None,
        &[],
    )
    .await;
    let device: wa_binary::Jid = status.json["jid"].as_str().unwrap().parse().unwrap();
    let send = |n: usize, addr| {
        let (token, path) = (token.clone(), path.clone());
        async move {
            let body = format!(r#"{{"chat":"15550002222@s.whatsapp.net","text":"restart-{n}"}}"#);
            let key = format!("restart-{n}");
            call(
                addr,
                Method::POST,
                &path,
                Some(&token),
                Some(&body),
                &[("idempotency-key", &key)],
            )
            .await
        }
    };
    let mut answered: HashMap<usize, String> = HashMap::new();
    for n in 0..ANSWERED {
        let answer = send(n, first.addr).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
        answered.insert(n, answer.json["waMessageId"].as_str().unwrap().to_owned());
    }
    let withheld = u32::try_from(SENDS - ANSWERED).unwrap();
    sim.simulator()
        .inject(Fault::WithholdAcks {
            device,
            count: withheld,
        })
        .unwrap();
    let tasks: Vec<_> = (ANSWERED..SENDS)
        .map(|n| tokio::spawn(send(n, first.addr)))
        .collect();
    // Stop once the phone has every text: all routed, none of the last ones acked.
    tokio::time::timeout(common::TIMEOUT, async {
        while texts_received(&sim, &bob.jid).len() < SENDS {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the phone did not get every text");
    first.stop();
    for task in tasks {
        if let Ok(answer) = task.await {
            assert_ne!(
                answer.status,
                StatusCode::OK,
                "a send whose ack was withheld was answered: {}",
                answer.json
            );
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

    // Every text reached Bob's phone exactly once, with the id the API gave: the in-flight
    // ones were resent after the restart under their first ids.
    let texts = texts_received(&sim, &bob.jid);
    assert_eq!(texts.len(), SENDS, "a text arrived twice: {texts:?}");
    for n in 0..SENDS {
        let text = format!("restart-{n}");
        let got: Vec<&String> = texts
            .iter()
            .filter(|(t, _)| *t == text)
            .map(|(_, id)| id)
            .collect();
        assert_eq!(got, [&ids[&n]], "{text}");
    }
    second.stop();
}

/// The texts `phone` decrypted, with their message ids.
fn texts_received(sim: &wa_sim::RunningSimulator, phone: &wa_binary::Jid) -> Vec<(String, String)> {
    sim.simulator()
        .received(phone)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.kind {
            ReceivedKind::Text { text } => Some((text, r.id)),
            _ => None,
        })
        .collect()
}
