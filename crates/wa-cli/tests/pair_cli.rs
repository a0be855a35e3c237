//! `wa pair` as a user runs it against a simulator: it draws the QR code in the terminal,
//! the simulated phone scans the code it also prints as text, and it prints the paired JID,
//! saves the device in the data directory and exits 0.

// Test code: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use wa_sim::Simulator;

/// Every wait is bounded so a broken binary fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_shows_the_qr_and_prints_the_paired_jid() {
    let sim = Simulator::new(5);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let dir = std::env::temp_dir().join(format!("wa-pair-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let mut child = Command::new(env!("CARGO_BIN_EXE_wa"))
        .arg("pair")
        .arg("--data")
        .arg(&dir)
        .args(["--url", &running.url()])
        .args(["--root", &hex::encode(running.root_public_key().as_bytes())])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let next = |seen: &mut Vec<String>| {
        let line = lines
            .recv_timeout(TIMEOUT)
            .unwrap_or_else(|_| panic!("wa pair stopped or stalled after {seen:?}"));
        seen.push(line.clone());
        line
    };
    let qr = loop {
        let line = next(&mut seen);
        if let Some(text) = line.strip_prefix("QR text: ") {
            break text.to_owned();
        }
    };
    assert!(
        seen.iter()
            .any(|line| line.contains('▀') || line.contains('▄')),
        "no QR drawn: {seen:?}"
    );
    let device = sim.scan(&qr, Some(&alice.jid)).unwrap();
    let paired = loop {
        let line = next(&mut seen);
        if let Some(jid) = line.strip_prefix("Paired: ") {
            break jid.to_owned();
        }
    };
    assert_eq!(paired, device.jid.to_string());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    let store = wa_store::Store::open(dir.join("wa.db")).unwrap();
    assert_eq!(store.devices().unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
