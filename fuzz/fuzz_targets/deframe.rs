//! Arbitrary bytes, cut into arbitrary chunks, through the client's and the server's
//! `FrameDecoder`.
//!
//! Input layout: `[config] [cut count] [cut: u16 BE]* [stream...]`.
//! * `config` bit 0: server decoder (intro header and edge-routing prefix expected) or client;
//!   bits 1..=3 pick the frame-length limit from `MAX_FRAMES`.
//! * `cut count` (mod 16) cut points follow, each taken mod `stream.len() + 1`.
//!
//! Oracle: the stream fed as one chunk, byte by byte, and in the fuzzer's chunks must agree.
//! When the one-chunk run succeeds, all three yield the same frames, the same intro header and
//! routing info, and hold the same leftover bytes. When it fails, the other two fail with the
//! same error, and the frames each handed out before failing are a prefix of the byte-by-byte
//! run's (which hands out every frame that precedes the error). `wa_noise::fuzzing::
//! frame_decoder` runs too, for the decoder's own invariants (frame size, bounded buffer).

#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_noise::{FrameDecoder, FrameError, IntroHeader, MAX_FRAME_LENGTH};

const MAX_FRAMES: [usize; 8] = [0, 1, 3, 16, 255, 1000, 65_536, MAX_FRAME_LENGTH];

#[derive(Debug, PartialEq, Eq)]
struct Run {
    frames: Vec<Vec<u8>>,
    error: Option<FrameError>,
    intro: Option<IntroHeader>,
    routing_info: Option<Vec<u8>>,
    buffered: usize,
}

fn run<'a>(server: bool, max: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> Run {
    let mut decoder = if server {
        FrameDecoder::server()
    } else {
        FrameDecoder::new()
    }
    .with_max_frame_length(max);
    let mut frames = Vec::new();
    let mut error = None;
    'chunks: for chunk in chunks {
        if let Err(e) = decoder.push(chunk) {
            error = Some(e);
            break;
        }
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => frames.push(frame.to_vec()),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'chunks;
                }
            }
        }
    }
    if let Some(e) = error {
        // Sticky, and nothing is kept after an error.
        assert_eq!(decoder.push(&[]), Err(e), "error not sticky on push");
        assert_eq!(decoder.next_frame(), Err(e), "error not sticky on next_frame");
        assert_eq!(decoder.buffered_len(), 0, "bytes kept after an error");
    }
    Run {
        frames,
        error,
        intro: decoder.intro_header(),
        routing_info: decoder.routing_info().map(<[u8]>::to_vec),
        buffered: decoder.buffered_len(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&config, rest)) = data.split_first() else {
        return;
    };
    let server = config & 1 != 0;
    let max = MAX_FRAMES[usize::from(config >> 1) & 7];
    let (cut_count, rest) = match rest.split_first() {
        Some((&n, rest)) => (usize::from(n) % 16, rest),
        None => (0, rest),
    };
    let cut_bytes = rest.len().min(cut_count * 2);
    let (cut_bytes, stream) = rest.split_at(cut_bytes);
    let mut cuts: Vec<usize> = cut_bytes
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_be_bytes([c[0], c[1]])) % (stream.len() + 1))
        .collect();
    cuts.push(0);
    cuts.push(stream.len());
    cuts.sort_unstable();
    let chunks: Vec<&[u8]> = cuts.windows(2).map(|w| &stream[w[0]..w[1]]).collect();

    let whole = run(server, max, [stream]);
    let bytewise = run(server, max, stream.chunks(1));
    let chunked = run(server, max, chunks.iter().copied());

    match whole.error {
        None => {
            assert_eq!(bytewise, whole, "byte-by-byte differs from one chunk");
            assert_eq!(chunked, whole, "chunked differs from one chunk");
        }
        Some(error) => {
            assert_eq!(bytewise.error, Some(error), "byte-by-byte: another error");
            assert_eq!(chunked.error, Some(error), "chunked: another error");
            for other in [&whole, &chunked] {
                assert!(
                    bytewise.frames.starts_with(&other.frames),
                    "frames before the error are not a prefix of the byte-by-byte run's"
                );
            }
        }
    }

    let helper = wa_noise::fuzzing::frame_decoder(server, max, &chunks);
    match (helper, chunked.error) {
        (Ok(count), None) => assert_eq!(count, chunked.frames.len(), "helper frame count"),
        (Err(e), Some(error)) => assert_eq!(e, error, "helper error"),
        (helper, error) => panic!("helper {helper:?} vs decoder error {error:?}"),
    }
});
