//! `wa bench send-loop [--quick]`: `wa_benches::send_loop` at several offered loads, one line
//! per load and recipient behaviour:
//! `send-loop 1to1 decrypting rate=5000/s: 4998 acked/s, p50 0.8 ms, p99 2.1 ms, cpu 61 us/ack`
//! (the CPU time of the whole process, simulator included, per acked send).

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use wa_benches::send_loop::{Load, LoadReport, Recipient, SendLoop};

/// Seed of the simulator and the session (fixed, so runs are comparable).
const SEED: u64 = 0x100f;

/// The loads measured, in order: open-loop rates, then closed loops.
const LOADS: [Load; 5] = [
    Load::Rate(1_000),
    Load::Rate(5_000),
    Load::Rate(20_000),
    Load::InFlight(64),
    Load::InFlight(1_024),
];

/// Runs every load with the recipient decrypting, then with it offline.
pub(crate) fn run(quick: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    runtime.block_on(measure(quick))
}

async fn measure(quick: bool) -> anyhow::Result<()> {
    let duration = if quick {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(5)
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# in-process simulator: its routing and (decrypting) its phones' Signal decryption \
         share the cores with the engine"
    )?;
    for recipient in [Recipient::Decrypting, Recipient::Offline] {
        // A fresh engine and store per recipient mode, so outbox growth of one does not
        // weigh on the other.
        let bench = SendLoop::start(SEED).await.context("send-loop set-up")?;
        bench.set_recipient(recipient)?;
        for load in LOADS {
            let report = bench.run(load, duration).await?;
            writeln!(out, "{}", line(recipient, load, &report))?;
            out.flush()?;
        }
    }
    Ok(())
}

fn line(recipient: Recipient, load: Load, report: &LoadReport) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut line = format!(
        "send-loop 1to1 {} {}: {:.0} acked/s, p50 {:.1} ms, p99 {:.1} ms",
        recipient.name(),
        load.label(),
        report.acked_per_second(),
        ms(report.percentile(50)),
        ms(report.percentile(99)),
    );
    if let Some(cpu) = report.cpu_per_ack() {
        line.push_str(&format!(", cpu {:.0} us/ack", cpu.as_secs_f64() * 1e6));
    }
    if report.failed > 0 {
        line.push_str(&format!(", {} failed", report.failed));
    }
    line
}
