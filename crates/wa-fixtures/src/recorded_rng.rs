//! An RNG that hands out recorded private keys, so that a replay generates exactly the key
//! pairs the peer generated. Anything but a 32-byte key draw, or a draw past the end, is
//! recorded as a failure instead of inventing randomness.

use std::collections::VecDeque;

use rand_core::{CryptoRng, RngCore};

/// Recorded 32-byte private keys, handed out in order.
#[derive(Default)]
pub(crate) struct RecordedKeys {
    keys: VecDeque<[u8; 32]>,
    /// Set when a draw could not be served from the recording.
    pub(crate) misuse: Option<String>,
}

impl RecordedKeys {
    pub(crate) fn new(keys: impl IntoIterator<Item = [u8; 32]>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
            misuse: None,
        }
    }

    /// Keys not drawn yet.
    pub(crate) fn remaining(&self) -> usize {
        self.keys.len()
    }
}

impl RngCore for RecordedKeys {
    fn next_u32(&mut self) -> u32 {
        self.misuse = Some("a u32 was drawn; only 32-byte keys were recorded".into());
        0
    }

    fn next_u64(&mut self) -> u64 {
        self.misuse = Some("a u64 was drawn; only 32-byte keys were recorded".into());
        0
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        match (dest.len(), self.keys.pop_front()) {
            (32, Some(key)) => dest.copy_from_slice(&key),
            (32, None) => self.misuse = Some("more keys drawn than were recorded".into()),
            (n, _) => {
                self.misuse = Some(format!("a {n}-byte draw; only 32-byte keys were recorded"));
            }
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for RecordedKeys {}
