//! The durable outbox against the simulator: a send repeated with its idempotency key is
//! answered from the first (one copy at the phone); a send whose ack never came is sent again
//! with the same id by the next session on the same store file (one copy at the phone); retry
//! receipts from a phone that failed to decrypt, or lost its sessions, are answered and the
//! phone ends up with the message.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::time::Duration;

use wa_binary::Jid;
use wa_noise::CertVerifier;
use wa_session::content::MessageId;
use wa_session::{Event, SendOptions, Session, SessionConfig};
use wa_sim::{Account, Fault, Received, ReceivedKind, RunningSimulator, Simulator};
use wa_store::{DeviceId, OutboxState, StoreHandle};

mod common;
use common::{companion, expect};

/// Every copy `account`'s phone decrypted with this id, waiting for the first; asserts one.
async fn received_once(sim: &Simulator, account: &Jid, id: &str) -> Received {
    for _ in 0..1000 {
        let matching: Vec<_> = sim
            .received(account)
            .unwrap()
            .into_iter()
            .filter(|r| r.id == id)
            .collect();
        assert!(matching.len() <= 1, "delivered once: {matching:?}");
        if let Some(found) = matching.into_iter().next() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{account} never decrypted {id}");
}

/// The id of the text `text` at `account`'s phone, waiting for it.
async fn id_of_text(sim: &Simulator, account: &Jid, text: &str) -> String {
    for _ in 0..1000 {
        let found = sim.received(account).unwrap().into_iter().find(|r| {
            r.kind
                == ReceivedKind::Text {
                    text: text.to_owned(),
                }
        });
        if let Some(found) = found {
            return found.id;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{account} never decrypted {text:?}");
}

fn text(s: &str) -> ReceivedKind {
    ReceivedKind::Text { text: s.to_owned() }
}

struct Accounts {
    sim: Simulator,
    running: RunningSimulator,
    alice: Account,
    bob: Account,
}

async fn accounts(seed: u64) -> Accounts {
    let sim = Simulator::new(seed);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    Accounts {
        sim,
        running,
        alice,
        bob,
    }
}

#[tokio::test]
async fn the_same_key_twice_sends_once_and_replays_the_first_result() {
    let a = accounts(51).await;
    let alice1 = companion(&a.sim, &a.running, &a.alice, 51).await;
    let bob = a.bob.jid.clone();

    let options = SendOptions::with_key("order-42/confirmation").unwrap();
    let first = alice1
        .session
        .send_text_with(&bob, "confirmed", &options)
        .await
        .unwrap();
    assert!(!first.replayed);
    let again = alice1
        .session
        .send_text_with(&bob, "confirmed", &options)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.message_id, first.message_id);
    assert_eq!(again.server_timestamp, first.server_timestamp);
    // The same key with other content is still the first send.
    let other = alice1
        .session
        .send_text_with(&bob, "something else", &options)
        .await
        .unwrap();
    assert_eq!(other.message_id, first.message_id);

    // Another key is another message.
    let next = alice1
        .session
        .send_text_with(&bob, "next", &SendOptions::with_key("order-43").unwrap())
        .await
        .unwrap();
    assert_ne!(next.message_id, first.message_id);
    received_once(&a.sim, &bob, next.message_id.as_str()).await;

    let at_bob = received_once(&a.sim, &bob, first.message_id.as_str()).await;
    assert_eq!(at_bob.kind, text("confirmed"));
    let texts: Vec<_> = a
        .sim
        .received(&bob)
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(texts, [text("confirmed"), text("next")]);
}

/// A companion of `account` whose store is the file at `path`; returns its device id.
async fn paired_on_file(sim: &Simulator, account: &Account, path: PathBuf) -> (Jid, DeviceId) {
    let store = StoreHandle::open(path).await.unwrap();
    let (device, info) = common::paired_device_in(sim, account, &store).await;
    (info.jid, device)
}

async fn start_on_file(
    running: &RunningSimulator,
    path: PathBuf,
    device: DeviceId,
    seed: u64,
) -> (Session, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let store = StoreHandle::open(path).await.unwrap();
    let mut config =
        SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
    config.seed = Some(seed);
    config.iq_timeout = Duration::from_secs(10);
    let (session, mut events) = Session::start(config, store, device).await.unwrap();
    expect(&mut events, |e| matches!(e, Event::Connected { .. })).await;
    (session, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_never_acked_is_resent_with_its_id_after_a_restart() {
    let a = accounts(52).await;
    let dir = std::env::temp_dir().join(format!("wa-session-outbox-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("engine.db");
    let (me, device) = paired_on_file(&a.sim, &a.alice, path.clone()).await;
    let bob = a.bob.jid.clone();
    let options = SendOptions::with_key("crash-test").unwrap();

    // First run: one message acked, then one routed whose ack never comes.
    let (session, events) = start_on_file(&a.running, path.clone(), device, 52).await;
    session.send_text(&bob, "before").await.unwrap();
    a.sim
        .inject(Fault::WithholdAcks {
            device: me.clone(),
            count: 1,
        })
        .unwrap();
    let sending = {
        let (session, bob, options) = (session.clone(), bob.clone(), options.clone());
        tokio::spawn(async move { session.send_text_with(&bob, "in flight", &options).await })
    };
    let id = id_of_text(&a.sim, &bob, "in flight").await;
    // "Crash": the session goes away before the ack.
    session.stop();
    let outcome = tokio::time::timeout(common::TIMEOUT, sending)
        .await
        .unwrap()
        .unwrap();
    assert!(outcome.is_err(), "no ack came: {outcome:?}");
    drop((session, events));

    let store = StoreHandle::open(path.clone()).await.unwrap();
    let pending = store
        .call(move |s| s.outbox_pending(device))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].message_id.as_str(), id);

    // Second run: the session sends the entry again with its id on its own, before anything
    // else; then the same key gets that result.
    let (session, _events) = start_on_file(&a.running, path.clone(), device, 53).await;
    let mut resent = false;
    for _ in 0..1000 {
        let pending = store
            .call(move |s| s.outbox_pending(device))
            .await
            .unwrap()
            .unwrap();
        if pending.is_empty() {
            resent = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(resent, "acked after the resend at start");
    let result = session
        .send_text_with(&bob, "in flight", &options)
        .await
        .unwrap();
    assert!(result.replayed);
    assert_eq!(result.message_id.as_str(), id);
    assert!(result.server_timestamp > 0);

    // The phone has it exactly once (and our own phone its device-sent copy once).
    assert_eq!(
        received_once(&a.sim, &bob, &id).await.kind,
        text("in flight")
    );
    received_once(&a.sim, &a.alice.jid, &id).await;
    // New sends still work and come after it.
    let after = session.send_text(&bob, "after").await.unwrap();
    received_once(&a.sim, &bob, after.message_id.as_str()).await;
    let id = MessageId::parse(&id).unwrap();
    let state = store
        .call(move |s| {
            s.outbox_by_message_id(
                device,
                &wa_store::OutboxMessageId::new(id.as_str()).unwrap(),
            )
        })
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .state;
    assert!(matches!(state, OutboxState::Acked { .. }));
    session.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_retry_receipt_is_answered_with_the_message() {
    let a = accounts(54).await;
    let alice1 = companion(&a.sim, &a.running, &a.alice, 54).await;
    let bob = a.bob.jid.clone();
    let first = alice1.session.send_text(&bob, "one").await.unwrap();
    received_once(&a.sim, &bob, first.message_id.as_str()).await;

    // Bob's phone fails the next decrypt and sends a retry receipt; we resend.
    a.sim.fail_next_decrypts(&bob, 1).unwrap();
    let second = alice1.session.send_text(&bob, "two").await.unwrap();
    assert_eq!(
        received_once(&a.sim, &bob, second.message_id.as_str())
            .await
            .kind,
        text("two")
    );
}

#[tokio::test]
async fn a_phone_that_lost_its_sessions_gets_the_message_over_a_new_one() {
    let a = accounts(55).await;
    let alice1 = companion(&a.sim, &a.running, &a.alice, 55).await;
    let bob = a.bob.jid.clone();
    let first = alice1.session.send_text(&bob, "one").await.unwrap();
    received_once(&a.sim, &bob, first.message_id.as_str()).await;

    // The phone forgot every session: the first retry has no keys (our resend on the old
    // session fails again), the second brings keys and we start a new session from them.
    a.sim.lose_sessions(&bob).unwrap();
    let second = alice1.session.send_text(&bob, "two").await.unwrap();
    assert_eq!(
        received_once(&a.sim, &bob, second.message_id.as_str())
            .await
            .kind,
        text("two")
    );
    // And later messages use the new session.
    let third = alice1.session.send_text(&bob, "three").await.unwrap();
    received_once(&a.sim, &bob, third.message_id.as_str()).await;
}
