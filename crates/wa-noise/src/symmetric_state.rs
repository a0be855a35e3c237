//! Noise `SymmetricState`: the handshake hash `h`, the chaining key `ck` and the handshake
//! `CipherState`.
//!
//! WhatsApp's protocol name is exactly 32 bytes, so it is used as-is as the initial `h` and `ck`
//! (Noise hashes only longer names). HKDF is RFC 5869 HKDF-SHA256 with `salt = ck` and empty
//! info, which is Noise's `HKDF(ck, ikm)` with two outputs.

use core::fmt;

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{cipher_state::CipherState, Error};

/// `Noise_XX_25519_AESGCM_SHA256` padded with four zero bytes to 32 bytes.
pub const PROTOCOL_NAME: &[u8; 32] = b"Noise_XX_25519_AESGCM_SHA256\0\0\0\0";

type Key = Zeroizing<[u8; 32]>;

/// HKDF-SHA256(salt, ikm, info = "") expanded to two 32-byte outputs.
pub(crate) fn hkdf2(salt: &[u8; 32], ikm: &[u8]) -> (Key, Key) {
    let mut okm = Zeroizing::new([0u8; 64]);
    // Expanding 64 bytes is far below HKDF-SHA256's 8160-byte limit, so this cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(salt), ikm).expand(&[], okm.as_mut_slice());
    let mut first = Zeroizing::new([0u8; 32]);
    let mut second = Zeroizing::new([0u8; 32]);
    let (a, b) = okm.split_at(32);
    first.copy_from_slice(a);
    second.copy_from_slice(b);
    (first, second)
}

pub(crate) struct SymmetricState {
    h: [u8; 32],
    ck: Key,
    cipher: Option<CipherState>,
}

impl SymmetricState {
    /// `InitializeSymmetric(PROTOCOL_NAME)` then `MixHash(prologue)`.
    pub(crate) fn new(prologue: &[u8]) -> Self {
        let mut state = Self {
            h: *PROTOCOL_NAME,
            ck: Zeroizing::new(*PROTOCOL_NAME),
            cipher: None,
        };
        state.mix_hash(prologue);
        state
    }

    /// h = SHA-256(h || data).
    pub(crate) fn mix_hash(&mut self, data: &[u8]) {
        let mut hasher = Sha256::new();
        hasher.update(self.h);
        hasher.update(data);
        self.h = hasher.finalize().into();
    }

    /// (ck, k) = HKDF(ck, ikm); the handshake cipher restarts at nonce 0.
    pub(crate) fn mix_key(&mut self, ikm: &[u8]) {
        let (ck, k) = hkdf2(&self.ck, ikm);
        self.ck = ck;
        self.cipher = Some(CipherState::new(&k));
    }

    /// Encrypts with AAD = h (or passes through before the first `mix_key`), then mixes the
    /// ciphertext into h.
    pub(crate) fn encrypt_and_hash(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        match &mut self.cipher {
            Some(cipher) => cipher.encrypt_append(&self.h, plaintext, &mut out)?,
            None => out.extend_from_slice(plaintext),
        }
        self.mix_hash(&out);
        Ok(out)
    }

    /// Decrypts with AAD = h, then mixes the ciphertext into h (only on success).
    pub(crate) fn decrypt_and_hash(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut buf = ciphertext.to_vec();
        let plaintext_len = match &mut self.cipher {
            Some(cipher) => cipher.decrypt_in_place(&self.h, &mut buf)?.len(),
            None => buf.len(),
        };
        buf.truncate(plaintext_len);
        self.mix_hash(ciphertext);
        Ok(buf)
    }

    /// `Split()`: (first, second) = HKDF(ck, empty). First is client→server.
    pub(crate) fn split(&self) -> (Key, Key) {
        hkdf2(&self.ck, &[])
    }

    /// The handshake hash (public: both peers know it; usable for channel binding).
    pub(crate) const fn handshake_hash(&self) -> &[u8; 32] {
        &self.h
    }

    /// The chaining key (secret; exposed only to test replays).
    #[cfg(any(test, feature = "test-util"))]
    pub(crate) fn chaining_key(&self) -> [u8; 32] {
        *self.ck
    }

    /// The handshake nonce counter (test replays compare it with recorded traces).
    #[cfg(any(test, feature = "test-util"))]
    pub(crate) fn nonce(&self) -> u64 {
        self.cipher.as_ref().map_or(0, CipherState::counter)
    }
}

impl fmt::Debug for SymmetricState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SymmetricState")
            .field("ck", &"[redacted]")
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}
