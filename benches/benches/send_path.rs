//! The in-process send path per message over established sessions (issue 5, benchmark 1):
//! protobuf, padding, Signal or sender-key encryption, stanza encoding and the Noise frame, for
//! each of `wa_benches::send_path::Scenario::ALL`.
//!
//! Each group `send_path/<scenario>` has `ours` (the engine's public API, as the session actor
//! chains it) and `floor` (the same cryptography on the bare primitive crates), measured in the
//! same run: report `ours / floor`. `wa bench send-path` prints that ratio directly.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use wa_benches::send_path::{Floor, Scenario, SendPath};

fn send_path(c: &mut Criterion) {
    for scenario in Scenario::ALL {
        let mut ours = SendPath::new(scenario, 0x5eed).unwrap();
        let mut floor = Floor::new(ours.floor_spec());
        let mut group = c.benchmark_group(format!("send_path/{}", scenario.name()));
        if matches!(scenario, Scenario::GroupFirst { .. }) {
            group
                .sample_size(20)
                .measurement_time(Duration::from_secs(8));
        }
        group.bench_function("ours", |b| b.iter(|| black_box(ours.send().unwrap())));
        group.bench_function("floor", |b| b.iter(|| black_box(floor.run())));
        group.finish();
    }
}

criterion_group!(benches, send_path);
criterion_main!(benches);
