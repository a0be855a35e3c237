//! The string hash behind the token perfect-hash tables.
//!
//! This file is compiled twice: by `build.rs`, which searches for a seed and displacements that
//! place every token in its own slot, and by the library, which looks tokens up with the same
//! function. Both must agree bit for bit, so the code lives in one file.

/// Number of first-level buckets (a power of two).
pub(crate) const BUCKETS: usize = 256;
/// Number of slots in a table (a power of two, about 60% full with 1,259 tokens).
pub(crate) const SLOTS: usize = 2048;

/// A 64-bit hash of `bytes` under `seed`.
///
/// Eight bytes are mixed in per multiplication (tokens are short: one to seven rounds), then a
/// finaliser spreads the bits.
pub(crate) fn hash(seed: u64, bytes: &[u8]) -> u64 {
    const MUL: u64 = 0xff51_afd7_ed55_8ccd;
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let mut h = seed ^ len.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        h = (h ^ word).wrapping_mul(MUL);
        h ^= h >> 32;
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let word = tail
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        h = (h ^ word).wrapping_mul(MUL);
        h ^= h >> 32;
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

/// The first-level bucket of a hash.
pub(crate) fn bucket(h: u64) -> usize {
    // Only the low bits are kept: the mask makes the truncation intended.
    #[allow(clippy::cast_possible_truncation)]
    let low = h as usize;
    low & (BUCKETS - 1)
}

/// The slot of a hash under a bucket's displacement pair.
pub(crate) fn slot(h: u64, d1: u32, d2: u32) -> usize {
    // Two 21-bit fields of the hash: the masks make the truncation intended.
    #[allow(clippy::cast_possible_truncation)]
    let f1 = ((h >> 21) & 0x1f_ffff) as u32;
    #[allow(clippy::cast_possible_truncation)]
    let f2 = ((h >> 42) & 0x1f_ffff) as u32;
    let mixed = f1.wrapping_add(d1.wrapping_mul(f2)).wrapping_add(d2);
    usize::try_from(mixed).unwrap_or(0) & (SLOTS - 1)
}
