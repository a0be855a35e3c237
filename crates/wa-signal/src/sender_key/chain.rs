//! The sender chain: a seed stepped by HMAC once per message, and the message keys it yields.

use std::fmt;

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::SenderKeyError;

type HmacSha256 = Hmac<Sha256>;

/// Length of a chain key seed and of a message key seed.
pub const SEED_LENGTH: usize = 32;

const MESSAGE_KEY_SEED: u8 = 0x01;
const CHAIN_KEY_SEED: u8 = 0x02;
const MESSAGE_KEY_INFO: &[u8] = b"WhisperGroup";

/// A sender chain key: the seed for one `iteration`. Secret: not `Copy`, zeroized on drop,
/// redacted in `Debug`.
#[derive(Clone)]
pub struct SenderChainKey {
    iteration: u32,
    seed: Zeroizing<[u8; SEED_LENGTH]>,
}

impl SenderChainKey {
    /// The chain key `seed` at `iteration`.
    #[must_use]
    pub fn new(iteration: u32, seed: [u8; SEED_LENGTH]) -> Self {
        Self {
            iteration,
            seed: Zeroizing::new(seed),
        }
    }

    /// The iteration of the next message this chain key encrypts or decrypts.
    #[must_use]
    pub const fn iteration(&self) -> u32 {
        self.iteration
    }

    /// The 32-byte seed.
    #[must_use]
    pub fn seed(&self) -> &[u8; SEED_LENGTH] {
        &self.seed
    }

    /// The message key of this iteration: seed HMAC-SHA256(chain seed, 0x01).
    #[must_use]
    pub fn message_key(&self) -> SenderMessageKey {
        SenderMessageKey::from_zeroizing(self.iteration, hmac_byte(&self.seed, MESSAGE_KEY_SEED))
    }

    /// The chain key of the next iteration: HMAC-SHA256(chain seed, 0x02).
    ///
    /// # Errors
    /// [`SenderKeyError::IterationOverflow`] at iteration `u32::MAX`.
    pub fn next(&self) -> Result<Self, SenderKeyError> {
        let iteration = self
            .iteration
            .checked_add(1)
            .ok_or(SenderKeyError::IterationOverflow)?;
        Ok(Self {
            iteration,
            seed: hmac_byte(&self.seed, CHAIN_KEY_SEED),
        })
    }
}

impl fmt::Debug for SenderChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderChainKey")
            .field("iteration", &self.iteration)
            .field("seed", &"[redacted]")
            .finish()
    }
}

/// The key of one message: its iteration and the seed that HKDF expands into IV and AES key.
/// Secret: not `Copy`, zeroized on drop, redacted in `Debug`.
#[derive(Clone)]
pub struct SenderMessageKey {
    iteration: u32,
    seed: Zeroizing<[u8; SEED_LENGTH]>,
}

impl SenderMessageKey {
    /// The message key seed of `iteration`.
    #[must_use]
    pub fn new(iteration: u32, seed: [u8; SEED_LENGTH]) -> Self {
        Self::from_zeroizing(iteration, Zeroizing::new(seed))
    }

    fn from_zeroizing(iteration: u32, seed: Zeroizing<[u8; SEED_LENGTH]>) -> Self {
        Self { iteration, seed }
    }

    /// The iteration this key belongs to.
    #[must_use]
    pub const fn iteration(&self) -> u32 {
        self.iteration
    }

    /// The 32-byte seed (what records store).
    #[must_use]
    pub fn seed(&self) -> &[u8; SEED_LENGTH] {
        &self.seed
    }

    /// HKDF-SHA256(seed, salt empty, info "WhisperGroup", 48) split into IV (16) and key (32).
    pub(crate) fn iv_and_cipher_key(&self) -> (Zeroizing<[u8; 16]>, Zeroizing<[u8; 32]>) {
        let mut okm = Zeroizing::new([0u8; 48]);
        // 48 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
        let _ = Hkdf::<Sha256>::new(None, self.seed.as_slice())
            .expand(MESSAGE_KEY_INFO, okm.as_mut_slice());
        let mut iv = Zeroizing::new([0u8; 16]);
        let mut key = Zeroizing::new([0u8; 32]);
        let (iv_part, key_part) = okm.split_at(16);
        iv.copy_from_slice(iv_part);
        key.copy_from_slice(key_part);
        (iv, key)
    }
}

impl fmt::Debug for SenderMessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderMessageKey")
            .field("iteration", &self.iteration)
            .field("seed", &"[redacted]")
            .finish()
    }
}

fn hmac_byte(key: &[u8; SEED_LENGTH], byte: u8) -> Zeroizing<[u8; SEED_LENGTH]> {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(&[byte]);
    let mut out = Zeroizing::new([0u8; SEED_LENGTH]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_seeds() {
        let chain = SenderChainKey::new(3, [0xab; 32]);
        let text = format!("{chain:?} {:?}", chain.message_key());
        assert!(text.contains("[redacted]"));
        assert!(!text.contains("ab, ") && !text.contains("171"));
    }

    #[test]
    fn chain_steps() {
        let chain = SenderChainKey::new(u32::MAX - 1, [1; 32]);
        let next = chain.next().unwrap();
        assert_eq!(next.iteration(), u32::MAX);
        assert_ne!(next.seed(), chain.seed());
        assert_eq!(next.next().unwrap_err(), SenderKeyError::IterationOverflow);
        assert_eq!(chain.message_key().iteration(), u32::MAX - 1);
    }
}
