//! The gateway's Prometheus metrics: small counters and fixed-bucket histograms kept here
//! (no metrics crate), rendered in the text exposition format by [`Metrics::render`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// What the gateway counts.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (kind, outcome) -> count.
    sends: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// kind -> latency of sends that reached the engine.
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    /// kind of incoming event -> count.
    received: Mutex<BTreeMap<&'static str, u64>>,
    decrypt_failures: AtomicU64,
    retries: AtomicU64,
    reconnects: AtomicU64,
}

impl Metrics {
    /// Counts one send request of `kind` (`text`, `reaction`, `unreaction`, `revoke`) with
    /// its outcome (`ok`, `replayed`, `coalesced`, `noop`, or an error code) and, when the
    /// engine was called, its latency.
    pub fn send(&self, kind: &'static str, outcome: &'static str, latency: Option<Duration>) {
        if let Ok(mut sends) = self.sends.lock() {
            *sends.entry((kind, outcome)).or_default() += 1;
        }
        if let (Some(latency), Ok(mut histograms)) = (latency, self.latency.lock()) {
            histograms
                .entry(kind)
                .or_default()
                .observe(latency.as_secs_f64());
        }
    }

    /// Counts an incoming event (`message`, `reaction`, `revoke`).
    pub fn received(&self, kind: &'static str) {
        if let Ok(mut received) = self.received.lock() {
            *received.entry(kind).or_default() += 1;
        }
    }

    /// Counts a message that could not be decrypted.
    pub fn decrypt_failure(&self) {
        self.decrypt_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a send the engine had to repeat (its result came back `replayed`).
    pub fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a reconnect.
    pub fn reconnect(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text, with `sessions` (state -> count) as a gauge.
    ///
    /// ```
    /// use std::time::Duration;
    /// let metrics = wa_gateway::Metrics::default();
    /// metrics.send("reaction", "ok", Some(Duration::from_millis(3)));
    /// let text = metrics.render(&[("connected", 1)]);
    /// assert!(text.contains(r#"wa_gateway_sends_total{kind="reaction",outcome="ok"} 1"#));
    /// assert!(text.contains(r#"wa_gateway_send_duration_seconds_bucket{kind="reaction",le="0.005"} 1"#));
    /// assert!(text.contains(r#"wa_gateway_sessions{state="connected"} 1"#));
    /// ```
    #[must_use]
    pub fn render(&self, sessions: &[(&'static str, u64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP wa_gateway_sends_total Send requests by kind and outcome."
        );
        let _ = writeln!(out, "# TYPE wa_gateway_sends_total counter");
        if let Ok(sends) = self.sends.lock() {
            for ((kind, outcome), count) in sends.iter() {
                let _ = writeln!(
                    out,
                    "wa_gateway_sends_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {count}"
                );
            }
        }
        let _ = writeln!(out, "# HELP wa_gateway_send_duration_seconds Latency of sends through the engine, until the server's ack.");
        let _ = writeln!(out, "# TYPE wa_gateway_send_duration_seconds histogram");
        if let Ok(histograms) = self.latency.lock() {
            for (kind, histogram) in histograms.iter() {
                for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter()) {
                    let _ = writeln!(
                        out,
                        "wa_gateway_send_duration_seconds_bucket{{kind=\"{kind}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "wa_gateway_send_duration_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "wa_gateway_send_duration_seconds_sum{{kind=\"{kind}\"}} {}",
                    histogram.sum
                );
                let _ = writeln!(
                    out,
                    "wa_gateway_send_duration_seconds_count{{kind=\"{kind}\"}} {}",
                    histogram.count
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP wa_gateway_received_total Incoming messages, reactions and revokes."
        );
        let _ = writeln!(out, "# TYPE wa_gateway_received_total counter");
        if let Ok(received) = self.received.lock() {
            for (kind, count) in received.iter() {
                let _ = writeln!(out, "wa_gateway_received_total{{kind=\"{kind}\"}} {count}");
            }
        }
        for (name, help, value) in [
            (
                "wa_gateway_decrypt_failures_total",
                "Incoming messages that could not be decrypted.",
                &self.decrypt_failures,
            ),
            (
                "wa_gateway_send_retries_total",
                "Sends the engine repeated before their ack.",
                &self.retries,
            ),
            (
                "wa_gateway_reconnects_total",
                "Connections lost and retried.",
                &self.reconnects,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        let _ = writeln!(out, "# HELP wa_gateway_sessions Sessions by state.");
        let _ = writeln!(out, "# TYPE wa_gateway_sessions gauge");
        for (state, count) in sessions {
            let _ = writeln!(out, "wa_gateway_sessions{{state=\"{state}\"}} {count}");
        }
        out
    }
}
