//! Hostile input cannot make the decoder reserve memory out of proportion to its size.
//!
//! Regression for a review finding: every nesting level used to reserve room for as many
//! children as the *remaining* input could hold, so 63 levels of `<x>` nodes announcing 65,535
//! children each, over ~200 KB of padding, reserved about 430 MB before failing. A counting
//! global allocator (`stats_alloc`) observes the whole process, so this file holds one test.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::alloc::System;
use std::io::Write as _;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use wa_binary::{decode_frame, Dictionary};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// 63 nested nodes (`LIST_8 2, tag, LIST_16 65535` each), then zero padding so that every
/// announced child count passes a "fits in what is left" check.
fn nested_wide_lists() -> Vec<u8> {
    let mut payload = Vec::new();
    for _ in 0..63 {
        payload.extend_from_slice(&[0xf8, 0x02, 0x1e, 0xf9, 0xff, 0xff]);
    }
    payload.resize(payload.len() + 196_608, 0);
    payload
}

#[test]
fn reservations_stay_proportional_to_the_input() {
    let payload = nested_wide_lists();
    let mut plain = vec![0x00];
    plain.extend_from_slice(&payload);

    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(&payload).unwrap();
    let mut compressed = vec![0x02];
    compressed.extend_from_slice(&zlib.finish().unwrap());
    assert!(compressed.len() < 1_000, "{} bytes", compressed.len());

    for (what, frame, budget) in [
        // Borrowed decoding: a few node-sized slots per level at most.
        ("plain", &plain, 1 << 20),
        // Compressed: the inflated copy (~200 KB, grown by doubling) plus the same.
        ("zlib", &compressed, 2 << 20),
    ] {
        let region = Region::new(GLOBAL);
        let result = decode_frame(frame, Dictionary::V2);
        let stats = region.change();
        assert!(result.is_err(), "{what}: the input is malformed");
        drop(result);
        assert!(
            stats.bytes_allocated + stats.bytes_reallocated.unsigned_abs() < budget,
            "{what}: {} bytes allocated, {} reallocated for a {}-byte input",
            stats.bytes_allocated,
            stats.bytes_reallocated,
            frame.len()
        );
    }
}
