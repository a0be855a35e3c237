//! Outbox pruning in a running session: settled entries older than the configured retention
//! are deleted as later sends settle, so a send loop does not grow the store without bound;
//! recent entries (which answer repeated idempotency keys and late retry receipts) are kept.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wa_noise::CertVerifier;
use wa_session::{Clock, Event, SendOptions, Session, SessionConfig};
use wa_sim::{unix_now, Simulator};
use wa_store::{IdempotencyKey, OutboxState};

mod common;
use common::{expect, paired_device, TIMEOUT};

/// A clock the test moves.
#[derive(Debug)]
struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settled_entries_past_the_retention_are_pruned() {
    let sim = Simulator::new(0x9e7e);
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let me = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let (store, device, _) = paired_device(&sim, &me).await;
    let clock = Arc::new(TestClock(AtomicU64::new(unix_now())));
    let mut config =
        SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
    config.seed = Some(5);
    config.clock = clock.clone();
    config.outbox_retention = Duration::from_secs(3600);
    let (session, mut events) = Session::start(config, store.clone(), device).await.unwrap();
    expect(&mut events, |e| matches!(e, Event::Connected { .. })).await;

    // An ack's outcome reaches the outbox just after the send returns (with the next round,
    // or on its own shortly after): wait for it.
    let entry = |key: &'static str| {
        let store = store.clone();
        async move {
            let key = IdempotencyKey::new(key).unwrap();
            let deadline = tokio::time::Instant::now() + TIMEOUT;
            loop {
                let lookup = key.clone();
                let entry = store
                    .call(move |s| s.outbox_by_key(device, &lookup))
                    .await
                    .unwrap()
                    .unwrap();
                match entry {
                    Some(e) if e.state == OutboxState::Pending => {
                        assert!(tokio::time::Instant::now() < deadline, "never settled");
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    entry => return entry,
                }
            }
        }
    };
    session
        .send_text_with(&bob.jid, "one", &SendOptions::with_key("first").unwrap())
        .await
        .unwrap();
    assert!(matches!(
        entry("first").await.unwrap().state,
        OutboxState::Acked { .. }
    ));

    // Within the retention the entry stays (a repeated key is answered from it).
    clock.0.fetch_add(1800, Ordering::Relaxed);
    let again = session
        .send_text_with(&bob.jid, "one", &SendOptions::with_key("first").unwrap())
        .await
        .unwrap();
    assert!(again.replayed);
    session
        .send_text_with(&bob.jid, "two", &SendOptions::with_key("second").unwrap())
        .await
        .unwrap();
    assert!(entry("first").await.is_some());

    // Past it, the next settled send prunes it; the recent ones stay.
    clock.0.fetch_add(3 * 3600, Ordering::Relaxed);
    session
        .send_text_with(&bob.jid, "three", &SendOptions::with_key("third").unwrap())
        .await
        .unwrap();
    assert!(entry("first").await.is_none());
    assert!(entry("second").await.is_none());
    assert!(matches!(
        entry("third").await.unwrap().state,
        OutboxState::Acked { .. }
    ));
    let counts = store
        .call(move |s| s.outbox_counts(device))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(counts, (0, 1));
}
