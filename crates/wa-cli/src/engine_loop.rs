//! `wa engine-loop` (hidden): the engine process of the crash test
//! (`tests/crash_restart.rs`). It logs in to a running simulator with a paired device from a
//! store file, resends what a killed previous run left pending, sends `--count` reactions to
//! `--to`, prints `acked ID` per acked send, and `settled` once nothing is pending.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use wa_benches::engine_loop::EngineLoop;

/// Options of `wa engine-loop`.
#[derive(Debug, clap::Args)]
pub(crate) struct EngineLoopArgs {
    /// The simulator's WebSocket URL.
    #[arg(long)]
    url: String,
    /// The simulator's root public key, 64 hex digits.
    #[arg(long)]
    root: String,
    /// The store file with the paired device.
    #[arg(long)]
    store: PathBuf,
    /// The paired device's id in the store.
    #[arg(long)]
    device: i64,
    /// The contact (user JID) the reactions go to.
    #[arg(long)]
    to: String,
    /// New reactions to send.
    #[arg(long, default_value_t = 0)]
    count: u64,
    /// Calls in flight.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
}

/// Runs the loop to its end.
pub(crate) fn run(args: &EngineLoopArgs) -> anyhow::Result<()> {
    let root: [u8; 32] = hex::decode(&args.root)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .context("--root must be 64 hex digits")?;
    let spec = EngineLoop {
        url: args.url.clone(),
        root: wa_noise::PublicKey::from_bytes(root),
        store: args.store.clone(),
        device: wa_store::DeviceId::from_raw(args.device),
        to: args.to.parse().context("--to")?,
        count: args.count,
        in_flight: args.in_flight,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let mut out = std::io::stdout().lock();
    runtime.block_on(wa_benches::engine_loop::run(&spec, |id| {
        let _ = writeln!(out, "acked {id}");
        let _ = out.flush();
    }))?;
    writeln!(out, "settled")?;
    Ok(())
}
