//! Replays every transcript under `fixtures/transcripts/`: a fresh engine must write every
//! recorded frame byte for byte. A change on the wire fails here; if it is intended,
//! re-record with `wa record --all --out-dir fixtures/transcripts` (see the README there).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use wa_replay::{replay, Transcript, SCENARIOS};

fn transcripts() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/transcripts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_checked_in_transcript_replays_byte_for_byte() {
    let files = transcripts();
    let mut failures = Vec::new();
    let mut scenarios = Vec::new();
    for file in &files {
        let transcript = Transcript::load(file).unwrap();
        scenarios.push(transcript.scenario.clone());
        if let Err(error) = replay(&transcript).await {
            failures.push(format!("{}: {error}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for scenario in SCENARIOS {
        assert!(
            scenarios.iter().any(|name| name == scenario.name),
            "no transcript of {}",
            scenario.name
        );
    }
}
