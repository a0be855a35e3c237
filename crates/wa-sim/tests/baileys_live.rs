//! Issue 4's proof: real Baileys clients from npm against the simulator. For Baileys 6.17.16
//! (dictionary v2) and 7.0.0-rc14 (dictionary v3), installed from the lock files in
//! `interop/baileys-sim/v6` and `v7`, node runs `interop/baileys-sim/run.mjs` against a
//! simulator started here, in two scenarios:
//!
//! * `paired`: Baileys logs in as a companion registered through `POST /sim/devices`, receives
//!   a text from another account's simulated phone, reacts (add, change, remove), sends a text
//!   and revokes it (the simulated device must record all of it), then reports the phone's
//!   reaction, reaction removal and revoke as events;
//! * `pair`: Baileys starts without credentials, shows the QR, the simulated phone scans it
//!   (`POST /sim/scan`), Baileys verifies the signed device identity in `pair-success`, the
//!   server closes with 515 and Baileys logs in again with the saved credentials.
//!
//! The script prints one line per check and exits 0 only if all pass; its output is shown on
//! failure. Needs `node` and `npm`; installs `node_modules` with `npm ci --ignore-scripts` once
//! if missing. Without them the tests skip with a loud message, unless `WA_INTEROP_REQUIRED=1`
//! (set by CI), which turns a skip into a failure.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use wa_sim::{RunningSimulator, Simulator};

/// A whole scenario run (node start included); each wait inside it is bounded at 20 s.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// The two installed Baileys versions.
#[derive(Debug, Clone, Copy)]
enum Version {
    V6,
    V7,
}

impl Version {
    const fn dir_name(self) -> &'static str {
        match self {
            Self::V6 => "v6",
            Self::V7 => "v7",
        }
    }
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/baileys-sim")
}

fn required() -> bool {
    std::env::var("WA_INTEROP_REQUIRED").is_ok_and(|v| v == "1")
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether node can run `version`, installing its packages once if needed. `Err` says why not.
fn prepare(version: Version) -> Result<(), String> {
    if !runs("node") {
        return Err("`node` is not on PATH".into());
    }
    let dir = interop_dir().join(version.dir_name());
    let installed = |d: &Path| d.join("node_modules/baileys/package.json").is_file();
    if installed(&dir) {
        return Ok(());
    }
    if !runs("npm") {
        return Err(format!(
            "{} has no node_modules and `npm` is not on PATH",
            dir.display()
        ));
    }
    let _ = writeln!(
        std::io::stderr(),
        "baileys_live: running `npm ci --ignore-scripts` in {}",
        dir.display()
    );
    let out = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("npm ci: {e}"))?;
    if out.status.success() && installed(&dir) {
        Ok(())
    } else {
        Err(format!(
            "`npm ci --ignore-scripts` in {} failed ({}):\n{}{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `true` when `version` can run; otherwise skips loudly, or panics under
/// `WA_INTEROP_REQUIRED=1`.
fn available(version: Version) -> bool {
    // Tests run in parallel: each version is prepared (and `npm ci` run) once.
    static V6: OnceLock<Result<(), String>> = OnceLock::new();
    static V7: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = match version {
        Version::V6 => &V6,
        Version::V7 => &V7,
    };
    match ready.get_or_init(|| prepare(version)) {
        Ok(()) => true,
        Err(why) if required() => {
            panic!("Baileys live test required (WA_INTEROP_REQUIRED=1) but unavailable: {why}")
        }
        Err(why) => {
            // Straight to stderr: libtest captures `eprintln!` of passing tests.
            let stars = "*".repeat(78);
            let _ = writeln!(
                std::io::stderr(),
                "\n{stars}\n* SKIPPED Baileys live test ({}): {why}\n* Install node and npm to \
                 run it (CI sets WA_INTEROP_REQUIRED=1, which makes a skip fail)\n{stars}\n",
                version.dir_name()
            );
            false
        }
    }
}

/// How one node run ended.
struct Outcome {
    /// `None` when it was killed at [`RUN_TIMEOUT`].
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

/// Runs `node run.mjs VERSION SCENARIO` against `running`, blocking until it exits or times out.
fn run_node(
    running_url: &str,
    http: &str,
    root_hex: &str,
    version: Version,
    scenario: &str,
) -> Outcome {
    let dir = interop_dir();
    let mut child = Command::new("node")
        .arg(dir.join("run.mjs"))
        .args([version.dir_name(), scenario])
        .env("SIM_WS", running_url)
        .env("SIM_HTTP", http)
        .env("SIM_ROOT", root_hex)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = thread::spawn(move || read_all(&mut stdout));
    let err = thread::spawn(move || read_all(&mut stderr));
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(100));
    };
    Outcome {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

fn read_all(pipe: &mut impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = pipe.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts a simulator, runs one scenario with one Baileys version, asserts every check passed.
async fn scenario(version: Version, scenario: &'static str, seed: u64) {
    if !available(version) {
        return;
    }
    // One node client at a time: the machines running this have few cores, and a starved
    // client makes the bounded waits inside the script flaky.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let running: RunningSimulator = Simulator::new(seed)
        .listen("127.0.0.1:0")
        .await
        .expect("listen");
    let url = running.url();
    let http = format!("http://{}", running.local_addr());
    let root = hex(running.root_public_key().as_bytes());
    // The simulator keeps serving on this runtime while a blocking thread waits for node.
    let outcome = tokio::task::spawn_blocking(move || {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        run_node(&url, &http, &root, version, scenario)
    })
    .await
    .expect("node runner");
    drop(running);
    let verdict = match outcome.status {
        Some(status) if status.success() => return,
        Some(status) => format!("exited with {status}"),
        None => format!("did not finish within {RUN_TIMEOUT:?} and was killed"),
    };
    panic!(
        "Baileys {} scenario `{scenario}` {verdict}\n---- stdout ----\n{}\n---- stderr ----\n{}",
        version.dir_name(),
        outcome.stdout,
        outcome.stderr
    );
}

#[tokio::test]
async fn baileys_v6_paired_login_messages_reactions_revokes() {
    scenario(Version::V6, "paired", 61).await;
}

#[tokio::test]
async fn baileys_v6_pairs_by_qr_and_logs_in_again() {
    scenario(Version::V6, "pair", 62).await;
}

#[tokio::test]
async fn baileys_v7_paired_login_messages_reactions_revokes() {
    scenario(Version::V7, "paired", 71).await;
}

#[tokio::test]
async fn baileys_v7_pairs_by_qr_and_logs_in_again() {
    scenario(Version::V7, "pair", 72).await;
}
