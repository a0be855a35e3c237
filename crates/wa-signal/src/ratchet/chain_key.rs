//! A chain key and its symmetric ratchet step.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::MessageKeySeed;
use crate::crypto::{hmac_sha256, hmac_sha256_bytes_pair};

/// A chain key with the counter of the next message key it yields. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ChainKey {
    key: [u8; 32],
    #[zeroize(skip)]
    index: u32,
}

impl ChainKey {
    /// A stored chain key at `index`.
    #[must_use]
    pub const fn new(key: [u8; 32], index: u32) -> Self {
        Self { key, index }
    }

    pub(crate) fn from_slice(bytes: &[u8], index: u32) -> Option<Self> {
        <[u8; 32]>::try_from(bytes)
            .ok()
            .map(|key| Self { key, index })
    }

    /// The secret bytes (for storage).
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// The counter of the next message key.
    #[must_use]
    pub const fn index(&self) -> u32 {
        self.index
    }

    /// The message key seed at [`Self::index`]: HMAC(ck, 0x01).
    #[must_use]
    pub fn message_key_seed(&self) -> MessageKeySeed {
        MessageKeySeed::new(hmac_sha256(&self.key, &[&[0x01]]), self.index)
    }

    /// The next chain key: HMAC(ck, 0x02), index + 1.
    #[must_use]
    pub fn next(&self) -> Self {
        Self {
            key: hmac_sha256(&self.key, &[&[0x02]]),
            index: self.index.wrapping_add(1),
        }
    }

    /// [`message_key_seed`](Self::message_key_seed) and [`next`](Self::next) together, with
    /// the HMAC keyed once.
    ///
    /// ```
    /// use wa_signal::ratchet::ChainKey;
    /// let chain = ChainKey::new([7; 32], 4);
    /// let (seed, next) = chain.step();
    /// assert_eq!(seed.as_bytes(), chain.message_key_seed().as_bytes());
    /// assert_eq!((next.as_bytes(), next.index()), (chain.next().as_bytes(), 5));
    /// ```
    #[must_use]
    pub fn step(&self) -> (MessageKeySeed, Self) {
        let (seed, next) = hmac_sha256_bytes_pair(&self.key, 0x01, 0x02);
        (
            MessageKeySeed::new(seed, self.index),
            Self {
                key: next,
                index: self.index.wrapping_add(1),
            },
        )
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainKey")
            .field("index", &self.index)
            .field("key", &"[redacted]")
            .finish()
    }
}
