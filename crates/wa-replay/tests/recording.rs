//! Recording in-process: the same scenario recorded twice gives the same transcript, which
//! replays; a replay with a different seed, or against a transcript whose engine frame was
//! changed, fails with a readable mismatch.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use wa_replay::{record, replay, scenario, Dir, Entry, Error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_twice_gives_the_same_transcript_and_it_replays() {
    let login = scenario("react-1to1").unwrap();
    let first = record(login).await.unwrap();
    let second = record(login).await.unwrap();
    assert_eq!(first.to_json(), second.to_json());
    replay(&first).await.unwrap();
}
