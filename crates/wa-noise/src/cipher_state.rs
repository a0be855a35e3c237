//! Noise `CipherState`: an AES-256-GCM key and a nonce counter.
//!
//! The 12-byte nonce is 4 zero bytes then the counter as a big-endian u64 (Baileys' layout);
//! whatsmeow writes 8 zero bytes then a u32, which is the same bytes while the counter fits in
//! 32 bits. The counter is therefore capped at `u32::MAX`: past it the two peers would disagree,
//! so [`Error::NonceExhausted`] is returned instead of ever reusing or diverging.

use core::fmt;

use aes_gcm::{
    aead::{generic_array::GenericArray, AeadInPlace, KeyInit},
    Aes256Gcm, Nonce, Tag,
};

use crate::Error;

/// Length of the GCM authentication tag appended to every ciphertext.
pub const TAG_LENGTH: usize = 16;

/// Highest counter value that may be used as a nonce.
const MAX_NONCE: u64 = u32::MAX as u64;

/// An AES-256-GCM key with its nonce counter. The expanded AES key and the GHASH key derived
/// from it are zeroized on drop (the `zeroize` features of `aes`, `ghash` and `polyval`, turned
/// on in Cargo.toml); `Debug` shows only the counter.
pub(crate) struct CipherState {
    cipher: Aes256Gcm,
    n: u64,
}

impl CipherState {
    /// A cipher state with counter 0.
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(GenericArray::from_slice(key)),
            n: 0,
        }
    }

    /// The next nonce value to be used.
    pub(crate) const fn counter(&self) -> u64 {
        self.n
    }

    #[cfg(test)]
    pub(crate) fn set_counter(&mut self, n: u64) {
        self.n = n;
    }

    fn nonce(&self) -> Result<Nonce<aes_gcm::aead::consts::U12>, Error> {
        if self.n > MAX_NONCE {
            return Err(Error::NonceExhausted);
        }
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&self.n.to_be_bytes());
        Ok(*Nonce::from_slice(&nonce))
    }

    /// Appends `ciphertext || tag` of `plaintext` to `out`, encrypting in place in `out`.
    pub(crate) fn encrypt_append(
        &mut self,
        ad: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let nonce = self.nonce()?;
        let start = out.len();
        out.reserve(plaintext.len() + TAG_LENGTH);
        out.extend_from_slice(plaintext);
        let (_, body) = out.split_at_mut(start);
        match self.cipher.encrypt_in_place_detached(&nonce, ad, body) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                self.n += 1;
                Ok(())
            }
            Err(_) => {
                // Only possible for inputs beyond GCM's 64 GiB limit.
                out.truncate(start);
                Err(Error::Frame(crate::FrameError::TooLarge {
                    len: plaintext.len(),
                    max: crate::frame::MAX_FRAME_LENGTH,
                }))
            }
        }
    }

    /// Decrypts `ciphertext || tag` in place and returns the plaintext part of `buf`.
    ///
    /// On failure `buf` is untouched (the tag is checked before decrypting) and the counter is
    /// not advanced.
    pub(crate) fn decrypt_in_place<'a>(
        &mut self,
        ad: &[u8],
        buf: &'a mut [u8],
    ) -> Result<&'a mut [u8], Error> {
        let nonce = self.nonce()?;
        let Some(body_len) = buf.len().checked_sub(TAG_LENGTH) else {
            return Err(Error::Decrypt);
        };
        let (body, tag) = buf.split_at_mut(body_len);
        let tag = Tag::clone_from_slice(tag);
        self.cipher
            .decrypt_in_place_detached(&nonce, ad, body, &tag)
            .map_err(|_| Error::Decrypt)?;
        self.n += 1;
        Ok(body)
    }
}

impl fmt::Debug for CipherState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CipherState")
            .field("key", &"[redacted]")
            .field("n", &self.n)
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_counter() {
        let mut tx = CipherState::new(&[1u8; 32]);
        let mut rx = CipherState::new(&[1u8; 32]);
        for i in 0..3u8 {
            let mut out = vec![0xee];
            tx.encrypt_append(b"ad", &[i; 5], &mut out).unwrap();
            assert_eq!(out.len(), 1 + 5 + TAG_LENGTH);
            assert_eq!(out[0], 0xee);
            let pt = rx.decrypt_in_place(b"ad", &mut out[1..]).unwrap();
            assert_eq!(pt, &[i; 5]);
        }
        assert_eq!(tx.counter(), 3);
        assert_eq!(rx.counter(), 3);
    }

    #[test]
    fn failed_decrypt_leaves_buffer_and_counter() {
        let mut tx = CipherState::new(&[1u8; 32]);
        let mut rx = CipherState::new(&[1u8; 32]);
        let mut out = Vec::new();
        tx.encrypt_append(b"", b"hello", &mut out).unwrap();
        let mut bad = out.clone();
        bad[0] ^= 1;
        let copy = bad.clone();
        assert_eq!(rx.decrypt_in_place(b"", &mut bad), Err(Error::Decrypt));
        assert_eq!(bad, copy);
        assert_eq!(rx.counter(), 0);
        assert_eq!(
            rx.decrypt_in_place(b"x", &mut out.clone()),
            Err(Error::Decrypt)
        );
        assert_eq!(
            rx.decrypt_in_place(b"", &mut [0u8; 15]),
            Err(Error::Decrypt)
        );
        assert_eq!(rx.decrypt_in_place(b"", &mut out).unwrap(), b"hello");
    }

    #[test]
    fn nonce_layout_and_exhaustion() {
        let mut cs = CipherState::new(&[2u8; 32]);
        cs.set_counter(0x0102_0304);
        assert_eq!(
            cs.nonce().unwrap().as_slice(),
            &[0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
        );
        cs.set_counter(MAX_NONCE);
        let mut out = Vec::new();
        cs.encrypt_append(b"", b"last", &mut out).unwrap();
        let before = out.len();
        assert_eq!(
            cs.encrypt_append(b"", b"one too many", &mut out),
            Err(Error::NonceExhausted)
        );
        assert_eq!(out.len(), before);
        assert_eq!(
            cs.decrypt_in_place(b"", &mut [0u8; 32]),
            Err(Error::NonceExhausted)
        );
    }

    #[test]
    fn debug_redacts_key() {
        let text = format!("{:?}", CipherState::new(&[0x42u8; 32]));
        assert!(text.contains("[redacted]"));
    }
}
