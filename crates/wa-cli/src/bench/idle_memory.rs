//! `wa bench idle-memory [--quick] [--sessions N]`: `wa_benches::idle_memory`. This process
//! runs the simulator and prepares the store; a second `wa` process (the hidden
//! `wa bench idle-sessions`) runs the sessions and reads its own memory, so the simulator is
//! not counted. One line: `idle-memory 1000 sessions: 41.2 KiB/session (resident anonymous
//! memory, engine process only)`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::Context as _;
use wa_benches::idle_memory::{IdleReport, IdleSpec};
use wa_benches::loopback::{Loopback, ScratchDir};

/// Seed of the simulator.
const SEED: u64 = 0x1d1e;

/// Options of `wa bench idle-memory`.
#[derive(Debug, clap::Args)]
pub(crate) struct IdleMemoryArgs {
    /// 100 sessions instead of 1,000.
    #[arg(long)]
    quick: bool,
    /// How many sessions (overrides the default and --quick).
    #[arg(long)]
    sessions: Option<usize>,
}

/// Options of the hidden `wa bench idle-sessions` (the engine's process).
#[derive(Debug, clap::Args)]
pub(crate) struct IdleSessionsArgs {
    /// The simulator's WebSocket URL.
    #[arg(long)]
    url: String,
    /// The simulator's root public key, 64 hex digits.
    #[arg(long)]
    root: String,
    /// The store file with the paired devices.
    #[arg(long)]
    store: PathBuf,
    /// The devices' ids, comma-separated (the first is the warm-up).
    #[arg(long, value_delimiter = ',')]
    devices: Vec<i64>,
}

/// Prepares the devices, runs the engine's process, prints its figure.
pub(crate) fn run(args: &IdleMemoryArgs) -> anyhow::Result<()> {
    let count = args.sessions.unwrap_or(if args.quick { 100 } else { 1000 });
    anyhow::ensure!(count >= 2, "at least 2 sessions (one is the warm-up)");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    runtime.block_on(async {
        let lo = Loopback::start(SEED).await?;
        let dir = ScratchDir::new("idle-memory")?;
        let path = dir.path().join("engine.db");
        let devices = {
            let store = wa_store::StoreHandle::open(&path).await?;
            wa_benches::idle_memory::prepare(&lo, &store, count).await?
        };
        let ids: Vec<String> = devices.iter().map(|d| d.get().to_string()).collect();
        let mut child = Command::new(std::env::current_exe().context("own path")?)
            .args([
                "bench",
                "idle-sessions",
                "--url",
                &lo.running.url(),
                "--root",
            ])
            .arg(hex::encode(lo.running.root_public_key().as_bytes()))
            .arg("--store")
            .arg(&path)
            .arg("--devices")
            .arg(ids.join(","))
            .stdout(Stdio::piped())
            .spawn()
            .context("start the engine's process")?;
        let stdout = child.stdout.take().context("engine's output")?;
        let line =
            tokio::task::spawn_blocking(move || BufReader::new(stdout).lines().next().transpose())
                .await??
                .context("the engine's process printed nothing")?;
        let status = tokio::task::spawn_blocking(move || child.wait()).await??;
        anyhow::ensure!(status.success(), "the engine's process failed: {status}");
        let report = parse(&line).context("the engine's process printed something else")?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "idle-memory {count} sessions: {:.1} KiB/session (resident anonymous memory of \
             the engine's process, simulator in another process; {:.1} MiB before, {:.1} MiB \
             after)",
            report.per_session() as f64 / 1024.0,
            report.before as f64 / 1048576.0,
            report.after as f64 / 1048576.0,
        )?;
        Ok(())
    })
}

/// The engine's process: runs the sessions and prints `sessions before after`.
pub(crate) fn run_sessions(args: &IdleSessionsArgs) -> anyhow::Result<()> {
    let root: [u8; 32] = hex::decode(&args.root)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .context("--root must be 64 hex digits")?;
    let spec = IdleSpec {
        url: args.url.clone(),
        root: wa_noise::PublicKey::from_bytes(root),
        store: args.store.clone(),
        devices: args
            .devices
            .iter()
            .map(|&d| wa_store::DeviceId::from_raw(d))
            .collect(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let report = runtime.block_on(wa_benches::idle_memory::measure(&spec))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {} {}",
        report.sessions, report.before, report.after
    )?;
    out.flush()?;
    // Exit without tearing down a thousand sessions one by one.
    std::process::exit(0);
}

fn parse(line: &str) -> Option<IdleReport> {
    let mut fields = line.split_whitespace().map(str::parse::<u64>);
    let (Some(Ok(sessions)), Some(Ok(before)), Some(Ok(after))) =
        (fields.next(), fields.next(), fields.next())
    else {
        return None;
    };
    Some(IdleReport {
        sessions: usize::try_from(sessions).ok()?,
        before,
        after,
    })
}
