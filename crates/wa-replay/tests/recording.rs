//! Recording in-process: the same scenario recorded twice gives the same transcript, and it
//! replays; a replay whose engine-facing inputs were changed (the seed, the prekey batch) fails
//! with a mismatch that names the frame and shows both nodes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use wa_replay::{record, replay, scenario, Error, Mismatch, Transcript};

fn fixture(name: &str) -> Transcript {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/transcripts")
        .join(format!("{name}.json"));
    Transcript::load(&path).unwrap()
}

async fn mismatch(transcript: &Transcript) -> Mismatch {
    match replay(transcript).await {
        Err(Error::Mismatch(mismatch)) => *mismatch,
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_twice_gives_the_same_transcript_and_it_replays() {
    let react = scenario("react-1to1").unwrap();
    let first = record(react).await.unwrap();
    let second = record(react).await.unwrap();
    assert_eq!(first.to_json(), second.to_json());
    replay(&first).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_seed_fails_at_the_client_hello() {
    let mut transcript = fixture("login");
    transcript.seed += 1;
    let mismatch = mismatch(&transcript).await;
    assert_eq!(
        (mismatch.connection, mismatch.entry, mismatch.client_frame),
        (0, 0, 0)
    );
    assert!(
        mismatch.expected.starts_with("handshake message"),
        "{mismatch}"
    );
    assert!(
        mismatch.actual.starts_with("handshake message"),
        "{mismatch}"
    );
    assert_ne!(mismatch.expected, mismatch.actual);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_upload_fails_at_that_frame_showing_both_nodes() {
    let mut transcript = fixture("login");
    transcript.settings.prekey_batch -= 1;
    let mismatch = mismatch(&transcript).await;
    let text = mismatch.to_string();
    assert!(
        text.starts_with("replay mismatch at connection 0"),
        "{text}"
    );
    // The prekey upload: recorded with five keys, written with four.
    assert!(
        mismatch
            .expected
            .contains("<iq xmlns=\"encrypt\" type=\"set\""),
        "{text}"
    );
    assert!(
        mismatch
            .actual
            .contains("<iq xmlns=\"encrypt\" type=\"set\""),
        "{text}"
    );
    assert_eq!(mismatch.expected.matches("<key>").count(), 5, "{text}");
    assert_eq!(mismatch.actual.matches("<key>").count(), 4, "{text}");
    // Everything before it matched: the handshake and the prekey count.
    assert_eq!(mismatch.client_frame, 3, "{text}");
}
