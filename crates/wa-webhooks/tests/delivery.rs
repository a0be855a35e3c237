//! The worker against a real HTTP receiver on loopback: delivery and signatures, retries after
//! failures, dead deliveries, restarts, filters, ordering and concurrency.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use wa_webhooks::{
    headers, verify_request, DeliveryState, Envelope, EventType, ManualClock, OrgId, SessionState,
    WorkerConfig,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_once_with_a_valid_signature() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let store = store_on(&db, &clock);
    let receiver = Receiver::start().await;
    let org = OrgId::new("acme");
    let sub = store
        .create_subscription(&org, &receiver.url, &EventType::ALL)
        .unwrap();
    let worker = spawn_worker(&store, test_config());

    let event = reaction(1);
    let queued = store.enqueue(&org, &event).unwrap();
    assert_eq!(queued.deliveries.len(), 1);
    let got = receiver.wait_for_requests(1).await;
    eventually(|| store.metrics().delivered == 1).await;

    let req = &got[0];
    assert_eq!(req.header("content-type"), "application/json");
    assert_eq!(req.header(headers::EVENT), "message.reaction");
    assert_eq!(req.header(headers::DELIVERY), queued.deliveries[0].as_str());
    assert_eq!(req.header(headers::TIMESTAMP), START.as_secs().to_string());
    verify_request(
        &sub.secret,
        &req.header(headers::TIMESTAMP),
        &req.body,
        &req.header(headers::SIGNATURE),
        START.as_secs(),
        300,
    )
    .unwrap();
    let envelope: Envelope = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(envelope.id, queued.event_id);
    assert_eq!(envelope.created_at, START);
    assert_eq!(envelope.event, event);

    let record = store
        .delivery(&org, &queued.deliveries[0])
        .unwrap()
        .unwrap();
    assert_eq!(record.state, DeliveryState::Delivered);
    assert_eq!((record.attempts, record.last_status), (1, Some(200)));
    let m = store.metrics();
    assert_eq!(
        (m.delivered, m.failed_attempts, m.dead, m.queue_depth),
        (1, 0, 0, 0)
    );
    worker.shutdown().await;
    assert_eq!(receiver.received().len(), 1, "delivered exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_after_a_500_and_a_dropped_connection() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let store = store_on(&db, &clock);
    let receiver = Receiver::start().await;
    receiver.script(&[Reply::Status(500), Reply::Drop]);
    let org = OrgId::new("acme");
    let sub = store
        .create_subscription(&org, &receiver.url, &[EventType::MessageReaction])
        .unwrap();
    let worker = spawn_worker(&store, test_config());
    let delivery = store.enqueue(&org, &reaction(1)).unwrap().deliveries[0].clone();

    // First attempt: 500. The delivery waits 0.5–1 s (the first backoff) before a retry.
    receiver.wait_for_requests(1).await;
    eventually(|| store.metrics().failed_attempts == 1).await;
    let rec = store.delivery(&org, &delivery).unwrap().unwrap();
    assert_eq!(
        (rec.state, rec.attempts, rec.last_status),
        (DeliveryState::Pending, 1, Some(500))
    );
    assert!(
        rec.next_attempt_at > START && rec.next_attempt_at <= START.plus(Duration::from_secs(1))
    );
    assert_eq!(
        receiver.received().len(),
        1,
        "no retry before the backoff has passed"
    );

    // Second attempt: the receiver reads the request and drops the connection.
    clock.advance(Duration::from_secs(1));
    receiver.wait_for_requests(2).await;
    eventually(|| store.metrics().failed_attempts == 2).await;
    let rec = store.delivery(&org, &delivery).unwrap().unwrap();
    assert_eq!((rec.attempts, rec.last_status), (2, None));
    assert_eq!(rec.last_error.as_deref(), Some("connection"));

    // Third attempt succeeds.
    clock.advance(Duration::from_secs(2));
    let got = receiver.wait_for_requests(3).await;
    eventually(|| store.metrics().delivered == 1).await;
    let rec = store.delivery(&org, &delivery).unwrap().unwrap();
    assert_eq!(
        (rec.state, rec.attempts, rec.last_status),
        (DeliveryState::Delivered, 3, Some(200))
    );

    // Same delivery id and body each time, each attempt signed with its own timestamp.
    let replies: Vec<Reply> = got.iter().map(|r| r.reply).collect();
    assert_eq!(
        replies,
        [Reply::Status(500), Reply::Drop, Reply::Status(200)]
    );
    for req in &got {
        assert_eq!(req.header(headers::DELIVERY), delivery.as_str());
        assert_eq!(req.body, got[0].body);
        let ts = req.header(headers::TIMESTAMP);
        verify_request(
            &sub.secret,
            &ts,
            &req.body,
            &req.header(headers::SIGNATURE),
            ts.parse().unwrap(),
            0,
        )
        .unwrap();
    }
    assert_eq!(
        got[0].header(headers::TIMESTAMP),
        START.as_secs().to_string()
    );
    assert_eq!(
        got[2].header(headers::TIMESTAMP),
        (START.as_secs() + 3).to_string()
    );
    let m = store.metrics();
    assert_eq!(
        (m.delivered, m.failed_attempts, m.dead, m.queue_depth),
        (1, 2, 0, 0)
    );
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_after_max_attempts_and_the_next_event_still_goes_out() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let store = store_on(&db, &clock);
    let receiver = Receiver::start().await;
    receiver.script(&[Reply::Status(503); 5]);
    let org = OrgId::new("acme");
    store
        .create_subscription(&org, &receiver.url, &EventType::ALL)
        .unwrap();
    let worker = spawn_worker(&store, test_config());
    let first = store.enqueue(&org, &reaction(1)).unwrap().deliveries[0].clone();
    let second = store.enqueue(&org, &reaction(2)).unwrap().deliveries[0].clone();

    for failed in 1..=5u64 {
        eventually(|| store.metrics().failed_attempts == failed).await;
        clock.advance(Duration::from_secs(8)); // past any backoff of this policy
    }
    eventually(|| store.metrics().delivered == 1).await;
    let dead = store.delivery(&org, &first).unwrap().unwrap();
    assert_eq!(
        (dead.state, dead.attempts, dead.last_status),
        (DeliveryState::Dead, 5, Some(503))
    );
    assert!(dead.finished_at.is_some());
    let next = store.delivery(&org, &second).unwrap().unwrap();
    assert_eq!((next.state, next.attempts), (DeliveryState::Delivered, 1));
    // The dead one is kept for inspection.
    let listed = store
        .list_deliveries(&org, Some(DeliveryState::Dead), 10)
        .unwrap();
    assert_eq!(listed, [dead]);
    let m = store.metrics();
    assert_eq!(
        (m.delivered, m.failed_attempts, m.dead, m.queue_depth),
        (1, 5, 1, 0)
    );
    let order: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.header(headers::DELIVERY))
        .collect();
    let mut want = vec![first.to_string(); 5];
    want.push(second.to_string());
    assert_eq!(
        order, want,
        "the second event waits until the first is given up on"
    );
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_worker_on_the_same_file_delivers_what_was_pending() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let receiver = Receiver::start().await;
    receiver.script(&[Reply::Hang]);
    let org = OrgId::new("acme");
    let ids: Vec<_>;
    let hanging;
    {
        let store = store_on(&db, &clock);
        store
            .create_subscription(&org, &receiver.url, &EventType::ALL)
            .unwrap();
        let worker = spawn_worker(&store, test_config());
        ids = (1..=3)
            .map(|n| store.enqueue(&org, &reaction(n)).unwrap().deliveries[0].clone())
            .collect();
        // The first request is in flight when the process "dies".
        hanging = receiver.wait_for_requests(1).await[0].header(headers::DELIVERY);
        drop(worker);
        drop(store);
    }
    assert_eq!(hanging, ids[0].as_str());

    let store = store_on(&db, &clock);
    assert_eq!(store.metrics().queue_depth, 3, "pending rows survive");
    let worker = spawn_worker(&store, test_config());
    let got = receiver.wait_for_requests(4).await;
    eventually(|| store.metrics().delivered == 3).await;
    let order: Vec<String> = got[1..]
        .iter()
        .map(|r| r.header(headers::DELIVERY))
        .collect();
    let want: Vec<String> = ids.iter().map(ToString::to_string).collect();
    assert_eq!(order, want);
    assert_eq!(store.metrics().queue_depth, 0);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_subscription_gets_only_the_types_it_asked_for() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let store = store_on(&db, &clock);
    let (reactions, statuses) = (Receiver::start().await, Receiver::start().await);
    let org = OrgId::new("acme");
    store
        .create_subscription(&org, &reactions.url, &[EventType::MessageReaction])
        .unwrap();
    store
        .create_subscription(&org, &statuses.url, &[EventType::SessionStatus])
        .unwrap();
    // Another organization's subscription to everything receives none of acme's events.
    let other = Receiver::start().await;
    store
        .create_subscription(&OrgId::new("other"), &other.url, &EventType::ALL)
        .unwrap();
    let worker = spawn_worker(&store, test_config());

    assert_eq!(
        store.enqueue(&org, &reaction(1)).unwrap().deliveries.len(),
        1
    );
    assert_eq!(
        store
            .enqueue(&org, &status(SessionState::Connected))
            .unwrap()
            .deliveries
            .len(),
        1
    );
    let revoked = wa_webhooks::Event::Revoked(wa_webhooks::RevokedEvent {
        session_id: "s1".into(),
        chat: "15550001111@s.whatsapp.net".into(),
        target_message_id: "3EB0FF".into(),
        target_sender: None,
        revoked_by: "15550001111@s.whatsapp.net".into(),
        kind: wa_webhooks::RevokeKind::Own,
        timestamp: 1_700_000_000,
        origin: None,
    });
    assert!(store.enqueue(&org, &revoked).unwrap().deliveries.is_empty());

    eventually(|| store.metrics().delivered == 2).await;
    assert_eq!(store.metrics().queue_depth, 0, "nothing else is queued");
    let r = reactions.received();
    let s = statuses.received();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].header(headers::EVENT), "message.reaction");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].header(headers::EVENT), "session.status");
    assert!(other.received().is_empty());
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_per_subscription_holds_across_retries() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let store = store_on(&db, &clock);
    let receiver = Receiver::start().await;
    receiver.script(&[Reply::Status(500)]);
    let org = OrgId::new("acme");
    store
        .create_subscription(&org, &receiver.url, &EventType::ALL)
        .unwrap();
    let worker = spawn_worker(&store, test_config());
    let ids: Vec<String> = (1..=5)
        .map(|n| store.enqueue(&org, &reaction(n)).unwrap().deliveries[0].to_string())
        .collect();

    eventually(|| store.metrics().failed_attempts == 1).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "later events wait behind the failed one"
    );
    clock.advance(Duration::from_secs(1));
    let got = receiver.wait_for_requests(6).await;
    eventually(|| store.metrics().delivered == 5).await;
    let order: Vec<String> = got.iter().map(|r| r.header(headers::DELIVERY)).collect();
    let mut want = vec![ids[0].clone()];
    want.extend(ids.iter().cloned());
    assert_eq!(order, want);
    let targets: Vec<String> = got[1..]
        .iter()
        .map(|r| {
            let e: Envelope = serde_json::from_slice(&r.body).unwrap();
            match e.event {
                wa_webhooks::Event::Reaction(r) => r.target_message_id.to_string(),
                other => panic!("unexpected {other:?}"),
            }
        })
        .collect();
    assert_eq!(
        targets,
        ["3EB00001", "3EB00002", "3EB00003", "3EB00004", "3EB00005"]
    );
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_does_not_hold_up_other_subscriptions() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let store = store_on(&db, &clock);
    let (slow, fast) = (Receiver::start().await, Receiver::start().await);
    slow.set_fallback(Reply::Hang);
    let org = OrgId::new("acme");
    store
        .create_subscription(&org, &slow.url, &EventType::ALL)
        .unwrap();
    store
        .create_subscription(&org, &fast.url, &EventType::ALL)
        .unwrap();
    let worker = spawn_worker(&store, test_config());
    store.enqueue(&org, &reaction(1)).unwrap();
    store.enqueue(&org, &reaction(2)).unwrap();

    slow.wait_for_requests(1).await;
    fast.wait_for_requests(2).await;
    eventually(|| store.metrics().delivered == 2).await;
    // The slow receiver's request is still open.
    eventually(|| store.metrics().in_flight == 1).await;
    assert_eq!(
        store.metrics().queue_depth,
        2,
        "the slow subscription's two events wait"
    );
    assert_eq!(
        slow.received().len(),
        1,
        "one request at a time per subscription"
    );
    drop(worker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_outlasts_the_timeout_is_a_failed_attempt() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let store = store_on(&db, &clock);
    let receiver = Receiver::start().await;
    receiver.script(&[Reply::Hang]);
    let org = OrgId::new("acme");
    store
        .create_subscription(&org, &receiver.url, &EventType::ALL)
        .unwrap();
    let config = WorkerConfig {
        request_timeout: Duration::from_millis(200),
        ..test_config()
    };
    let worker = spawn_worker(&store, config);
    let id = store.enqueue(&org, &reaction(1)).unwrap().deliveries[0].clone();
    eventually(|| store.metrics().failed_attempts == 1).await;
    let rec = store.delivery(&org, &id).unwrap().unwrap();
    assert_eq!(rec.state, DeliveryState::Pending);
    assert_eq!(rec.last_error.as_deref(), Some("timeout"));
    clock.advance(Duration::from_secs(1));
    eventually(|| store.metrics().delivered == 1).await;
    guarded(worker.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_queued_through_another_store_are_found_by_polling() {
    let db = TempDb::new();
    let clock = ManualClock::new(START);
    let store = store_on(&db, &clock);
    let receiver = Receiver::start().await;
    let org = OrgId::new("acme");
    store
        .create_subscription(&org, &receiver.url, &EventType::ALL)
        .unwrap();
    let config = WorkerConfig {
        poll_interval: Duration::from_secs(10),
        ..test_config()
    };
    let worker = spawn_worker(&store, config);
    // One delivery first, so the worker is known to be idle, asleep until its next poll.
    store.enqueue(&org, &reaction(1)).unwrap();
    eventually(|| store.metrics().delivered == 1).await;
    // Another process (here: a second open of the file) queues an event; it cannot wake us.
    let other = store_on(&db, &clock);
    let id = other.enqueue(&org, &reaction(2)).unwrap().deliveries[0].clone();
    clock.advance(Duration::from_secs(10));
    let got = receiver.wait_for_requests(2).await;
    assert_eq!(got[1].header(headers::DELIVERY), id.as_str());
    worker.shutdown().await;
}
