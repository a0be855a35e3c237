//! `wa bench send-path [--quick]`: the in-process send-path scenarios of
//! `wa_benches::send_path`, timed without criterion so users can measure their own hardware.
//!
//! Per scenario: set up (sessions with every peer device, outside the timing), warm up, then
//! alternate timed runs of our send path and of its cryptographic floor; each run is a batch of
//! sends, and the figure is the median over runs of the time per send. One line per scenario:
//! `send-path 1to1-1dev: 3.4 us/msg, floor 2.9 us, ratio 1.17`.

use std::io::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use wa_benches::send_path::{Floor, Scenario, SendPath};

mod idle_memory;
mod send_loop;

/// Seed of the scenario set-up (identities, sessions): fixed, so runs are comparable.
const SEED: u64 = 0x5eed;

/// `wa bench` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum BenchCommand {
    /// Per-message cost of building, encrypting, encoding and framing a reaction over
    /// established sessions, beside the raw cryptography of the same work (`ratio = ours /
    /// floor`). In-process: no network, no disk.
    SendPath(SendPathArgs),
    /// End to end: one engine session (SQLite store on disk) sending reactions through the
    /// actor to a contact of an in-process simulator, waiting for acks; throughput and
    /// latency (call to result) at several offered rates. The simulator, and the simulated
    /// phones' decryption, run in this process on the same cores.
    SendLoop(SendPathArgs),
    /// Idle memory: many sessions logged in to a simulator and idle, in one process; its
    /// resident memory growth per session. The simulator runs in a second process (this
    /// one); the sessions in a child `wa`.
    IdleMemory(idle_memory::IdleMemoryArgs),
    /// The engine's process of `idle-memory` (not for users).
    #[command(hide = true)]
    IdleSessions(idle_memory::IdleSessionsArgs),
}

/// Options of `wa bench send-path`.
#[derive(Debug, clap::Args)]
pub(crate) struct SendPathArgs {
    /// A few seconds in all: shorter warm-up, fewer and shorter runs.
    #[arg(long)]
    quick: bool,
}

/// How long to measure.
#[derive(Debug, Clone, Copy)]
struct Plan {
    warm_up: Duration,
    run: Duration,
    runs: usize,
}

impl Plan {
    const fn new(quick: bool) -> Self {
        if quick {
            Self {
                warm_up: Duration::from_millis(100),
                run: Duration::from_millis(30),
                runs: 7,
            }
        } else {
            Self {
                warm_up: Duration::from_secs(1),
                run: Duration::from_millis(200),
                runs: 21,
            }
        }
    }
}

/// Runs the subcommand.
pub(crate) fn run(command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::SendPath(args) => send_path(Plan::new(args.quick)),
        BenchCommand::SendLoop(args) => send_loop::run(args.quick),
        BenchCommand::IdleMemory(args) => idle_memory::run(args),
        BenchCommand::IdleSessions(args) => idle_memory::run_sessions(args),
    }
}

fn send_path(plan: Plan) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for scenario in Scenario::ALL {
        let name = scenario.name();
        let mut ours =
            SendPath::new(scenario, SEED).with_context(|| format!("set-up of {name}"))?;
        let mut floor = Floor::new(ours.floor_spec());
        let mut send = || ours.send().map(drop);
        let mut crypto = || {
            std::hint::black_box(floor.run());
            Ok(())
        };
        let batch_ours = calibrate(&mut send, plan)?;
        let batch_floor = calibrate(&mut crypto, plan)?;
        let mut ours_us = Vec::with_capacity(plan.runs);
        let mut floor_us = Vec::with_capacity(plan.runs);
        for _ in 0..plan.runs {
            ours_us.push(time_batch(&mut send, batch_ours)?);
            floor_us.push(time_batch(&mut crypto, batch_floor)?);
        }
        let ours_us = median(&mut ours_us);
        let floor_us = median(&mut floor_us);
        writeln!(
            out,
            "send-path {name}: {ours_us:.1} us/msg, floor {floor_us:.1} us, ratio {:.2}",
            ours_us / floor_us
        )?;
        out.flush()?;
    }
    Ok(())
}

/// Warms `op` up for the plan's warm-up time and returns how many calls fill one run.
fn calibrate<F>(op: &mut F, plan: Plan) -> anyhow::Result<u32>
where
    F: FnMut() -> Result<(), wa_benches::send_path::BenchError>,
{
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < plan.warm_up || calls < 3 {
        op()?;
        calls = calls.saturating_add(1);
    }
    let per_call_ns = (start.elapsed().as_nanos() / u128::from(calls)).max(1);
    let batch = (plan.run.as_nanos() / per_call_ns).clamp(1, 1_000_000_000);
    Ok(u32::try_from(batch).unwrap_or(1_000_000_000))
}

/// Microseconds per call over `batch` calls.
fn time_batch<F>(op: &mut F, batch: u32) -> anyhow::Result<f64>
where
    F: FnMut() -> Result<(), wa_benches::send_path::BenchError>,
{
    let start = Instant::now();
    for _ in 0..batch {
        op()?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(batch))
}

/// The median (the lower middle for an even count); 0 for none.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn batches_fill_a_run() {
        let plan = Plan {
            warm_up: Duration::from_millis(5),
            run: Duration::from_millis(10),
            runs: 1,
        };
        let mut op = || {
            std::thread::sleep(Duration::from_millis(1));
            Ok(())
        };
        let batch = calibrate(&mut op, plan).unwrap();
        assert!((2..=12).contains(&batch), "{batch}");
        assert!(time_batch(&mut op, 2).unwrap() >= 1000.0);
    }
}
