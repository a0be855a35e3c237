//! The crash test (issue 5): an engine process (`wa engine-loop`) sends reactions in a loop
//! to a contact of a simulator running in this test, is killed with SIGKILL mid-loop, and is
//! restarted on the same store file, where it resends what was pending and sends more.
//! Afterwards every outbox entry is acked; the contact's phone (and our own phone, for the
//! DeviceSentMessage copy) decrypted exactly the messages the outbox holds, each id once: a
//! message key used twice would make the phone refuse the second message as a duplicate, and
//! it would be missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wa_benches::loopback::{Loopback, ScratchDir};
use wa_store::{OutboxMessageId, OutboxState, StoreHandle};

/// Acked sends the first run reports before it is killed.
const ACKED_BEFORE_KILL: usize = 150;

/// New sends of the restarted run.
const SENT_AFTER_RESTART: u64 = 50;

fn engine(lo: &Loopback, store: &std::path::Path, device: i64, to: &str, count: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wa"))
        .args(["engine-loop", "--url", &lo.running.url(), "--root"])
        .arg(hex::encode(lo.running.root_public_key().as_bytes()))
        .arg("--store")
        .arg(store)
        .args([
            "--device",
            &device.to_string(),
            "--to",
            to,
            "--count",
            &count.to_string(),
        ])
        .args(["--in-flight", "16"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start wa engine-loop")
}

/// Reads `acked ID` lines until `stop` of them were seen or the output ends.
fn read_acked(child: &mut Child, stop: usize) -> (Vec<String>, bool) {
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    let mut settled = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("acked ") {
            acked.push(id.to_owned());
            if acked.len() >= stop {
                break;
            }
        } else if line == "settled" {
            settled = true;
        }
    }
    (acked, settled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_loop_and_restarted_loses_nothing_and_reuses_no_key() {
    let lo = Loopback::start(0xc4a5).await.unwrap();
    let me = lo.sim.create_account(Some("15550001111")).unwrap();
    let contact = lo.sim.create_account(Some("15550002222")).unwrap();
    let dir = ScratchDir::new("crash-test").unwrap();
    let path = dir.path().join("engine.db");
    let device = {
        let store = StoreHandle::open(&path).await.unwrap();
        lo.paired_device(&me, &store).await.unwrap()
    };
    let to = contact.jid.to_string();

    // First run: far more sends than it gets to make; killed once enough were acked.
    let mut child = engine(&lo, &path, device.get(), &to, 1_000_000);
    let acked_before = tokio::task::spawn_blocking(move || {
        let (acked, _) = read_acked(&mut child, ACKED_BEFORE_KILL);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        acked
    })
    .await
    .unwrap();
    assert_eq!(acked_before.len(), ACKED_BEFORE_KILL);
    // An acked send whose outcome was not written yet is pending too (resent with its id).
    let pending_ids: Vec<String> = {
        let store = StoreHandle::open(&path).await.unwrap();
        store
            .call(move |s| s.outbox_pending(device))
            .await
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|entry| entry.message_id.as_str().to_owned())
            .collect()
    };
    let pending_after_kill = pending_ids.len() as u64;
    let pending_unreported = pending_ids
        .iter()
        .filter(|id| !acked_before.contains(id))
        .count() as u64;

    // Second run on the same store: resends what is pending, then sends more (on ratchets
    // that must continue from the last committed state, not reuse a message key).
    let mut child = engine(&lo, &path, device.get(), &to, SENT_AFTER_RESTART);
    let (acked_after, status, settled) = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::task::spawn_blocking(move || {
            let (acked, settled) = read_acked(&mut child, usize::MAX);
            (acked, child.wait().unwrap(), settled)
        }),
    )
    .await
    .expect("the restarted engine did not finish")
    .unwrap();
    assert!(status.success(), "restarted engine failed: {status}");
    assert!(settled);
    assert_eq!(acked_after.len() as u64, SENT_AFTER_RESTART);

    // Every send that was started (has an outbox entry) is acked.
    let store = StoreHandle::open(&path).await.unwrap();
    let (pending, settled_entries) = store
        .call(move |s| s.outbox_counts(device))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending, 0);
    // At least what was acked before the kill, what was pending then (and not among those),
    // and the new sends.
    assert!(settled_entries >= ACKED_BEFORE_KILL as u64 + pending_unreported + SENT_AFTER_RESTART);

    for phone in [&contact.jid, &me.jid] {
        let received: Vec<_> = lo
            .sim
            .received(phone)
            .unwrap()
            .into_iter()
            .filter(|r| r.device.user() == phone.user())
            .collect();
        let ids: HashSet<String> = received.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids.len(), received.len(), "a message id recorded twice");
        assert_eq!(
            ids.len() as u64,
            settled_entries,
            "{phone}: decrypted {} distinct messages, the outbox holds {settled_entries} \
             ({pending_after_kill} were pending after the kill)",
            ids.len()
        );
        for id in &ids {
            let lookup = OutboxMessageId::new(id).unwrap();
            let entry = store
                .call(move |s| s.outbox_by_message_id(device, &lookup))
                .await
                .unwrap()
                .unwrap()
                .expect("a received message not in the outbox");
            assert!(
                matches!(entry.state, OutboxState::Acked { .. }),
                "{id}: {:?}",
                entry.state
            );
        }
        for id in acked_before.iter().chain(&acked_after) {
            assert!(ids.contains(id), "{id} was acked but never decrypted");
        }
    }
}
