//! Offering load to the session and measuring each call, from the call to its `SendResult`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{Load, SendLoop, EMOJI};
use crate::loopback::LoopError;

/// How long calls still in flight at the end of a run may take to return.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the open loop wakes up to start the calls that are due.
const TICK: Duration = Duration::from_millis(1);

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Calls started.
    pub started: u64,
    /// Calls that returned a `SendResult`.
    pub acked: u64,
    /// Calls that returned an error.
    pub failed: u64,
    /// From the first call to the last return.
    pub elapsed: Duration,
    /// CPU time the whole process used during the run (engine, store and simulator), when
    /// the platform tells.
    pub cpu: Option<Duration>,
    /// Latency of every acked call, sorted, in microseconds.
    latencies_us: Vec<u32>,
}

impl LoadReport {
    /// Acked calls per second of the run.
    #[must_use]
    pub fn acked_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.acked as f64 / secs
        } else {
            0.0
        }
    }

    /// CPU time per acked call (engine, store and simulator together), when known.
    #[must_use]
    pub fn cpu_per_ack(&self) -> Option<Duration> {
        let acked = u32::try_from(self.acked).ok().filter(|&n| n > 0)?;
        Some(self.cpu? / acked)
    }

    /// The `p`th percentile (0 to 100) of the acked calls' latency (zero when none).
    #[must_use]
    pub fn percentile(&self, p: u32) -> Duration {
        let n = self.latencies_us.len();
        if n == 0 {
            return Duration::ZERO;
        }
        let rank = (n * p.min(100) as usize).div_ceil(100).clamp(1, n);
        let us = self.latencies_us.get(rank - 1).copied().unwrap_or(0);
        Duration::from_micros(u64::from(us))
    }

    fn from_outcomes(started: u64, elapsed: Duration, outcomes: &[Outcome]) -> Self {
        let mut latencies_us: Vec<u32> = outcomes
            .iter()
            .filter_map(|o| o.acked.then_some(o.micros))
            .collect();
        latencies_us.sort_unstable();
        let acked = latencies_us.len() as u64;
        Self {
            started,
            acked,
            failed: outcomes.len() as u64 - acked,
            elapsed,
            cpu: None,
            latencies_us,
        }
    }
}

/// One call's end.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    acked: bool,
    micros: u32,
}

pub(super) async fn run(
    bench: &SendLoop,
    load: Load,
    duration: Duration,
) -> Result<LoadReport, LoopError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let chat = Arc::new(bench.contact_jid());
    let target = Arc::new(bench.target.clone());
    let session = bench.session.clone();
    let call = move |tx: mpsc::UnboundedSender<Outcome>| {
        let (session, chat, target) = (session.clone(), chat.clone(), target.clone());
        async move {
            let start = Instant::now();
            let acked = session.react(&chat, &target, EMOJI).await.is_ok();
            let micros = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
            let _ = tx.send(Outcome { acked, micros });
        }
    };
    let cpu_before = super::cpu::process_cpu_time();
    let start = Instant::now();
    let mut started: u64 = 0;
    match load {
        Load::Rate(rate) => {
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let elapsed = start.elapsed().min(duration);
                let due = u64::try_from(elapsed.as_micros() * u128::from(rate) / 1_000_000)
                    .unwrap_or(u64::MAX);
                while started < due {
                    tokio::spawn(call(tx.clone()));
                    started += 1;
                }
                if elapsed >= duration {
                    break;
                }
            }
        }
        Load::InFlight(n) => {
            let deadline = start + duration;
            for _ in 0..n {
                let (call, tx) = (call.clone(), tx.clone());
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        call(tx.clone()).await;
                    }
                });
            }
            // Started = returned, for a closed loop; counted from the outcomes below.
        }
    }
    drop(tx);
    let mut outcomes = Vec::with_capacity(usize::try_from(started).unwrap_or(0));
    let collect = async {
        while let Some(outcome) = rx.recv().await {
            outcomes.push(outcome);
        }
    };
    if tokio::time::timeout(DRAIN_TIMEOUT, collect).await.is_err() {
        return Err(LoopError::Setup(
            "calls still unanswered a minute after the run",
        ));
    }
    let elapsed = start.elapsed();
    if matches!(load, Load::InFlight(_)) {
        started = outcomes.len() as u64;
    }
    let mut report = LoadReport::from_outcomes(started, elapsed, &outcomes);
    report.cpu = super::cpu::process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_rank_the_acked_calls() {
        let outcomes: Vec<Outcome> = (1..=100)
            .map(|micros| Outcome {
                acked: true,
                micros,
            })
            .chain([Outcome {
                acked: false,
                micros: 1,
            }])
            .collect();
        let report = LoadReport::from_outcomes(101, Duration::from_secs(2), &outcomes);
        assert_eq!(report.acked, 100);
        assert_eq!(report.failed, 1);
        assert_eq!(report.percentile(50), Duration::from_micros(50));
        assert_eq!(report.percentile(99), Duration::from_micros(99));
        assert_eq!(report.percentile(100), Duration::from_micros(100));
        assert!((report.acked_per_second() - 50.0).abs() < 1e-9);
        assert_eq!(LoadReport::default().percentile(50), Duration::ZERO);
    }
}
