//! The transport phase: one cipher per direction, AAD empty, counters from 0.

use core::fmt;

use crate::{
    cipher_state::{CipherState, TAG_LENGTH},
    frame::{self, MAX_FRAME_LENGTH},
    Error, FrameError,
};

/// Largest plaintext whose ciphertext still fits in one frame.
pub const MAX_PLAINTEXT_LENGTH: usize = MAX_FRAME_LENGTH - TAG_LENGTH;

/// Encrypts outgoing and decrypts incoming frames after a completed handshake.
///
/// Only a finished handshake creates one (there is no public constructor). Keys are zeroized on
/// drop; `Debug` shows only the counters. [`into_halves`](Self::into_halves) separates the two
/// directions for a reader and a writer that run independently.
#[must_use]
pub struct Transport {
    sender: TransportSender,
    receiver: TransportReceiver,
    handshake_hash: [u8; 32],
    #[cfg(feature = "test-keys")]
    keys: zeroize::Zeroizing<[[u8; 32]; 2]>,
}

impl Transport {
    pub(crate) fn new(send_key: &[u8; 32], recv_key: &[u8; 32], handshake_hash: [u8; 32]) -> Self {
        Self {
            sender: TransportSender(CipherState::new(send_key)),
            receiver: TransportReceiver(CipherState::new(recv_key)),
            handshake_hash,
            #[cfg(feature = "test-keys")]
            keys: zeroize::Zeroizing::new([*send_key, *recv_key]),
        }
    }

    /// Appends `ciphertext || tag` (plaintext length + 16 bytes) to `out`, encrypting in place.
    pub fn encrypt(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.sender.encrypt(plaintext, out)
    }

    /// Appends a whole frame to `out`: the 3-byte length then `ciphertext || tag`.
    pub fn encrypt_frame(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.sender.encrypt_frame(plaintext, out)
    }

    /// Decrypts one frame's payload into a new buffer.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        self.receiver.decrypt(ciphertext)
    }

    /// Decrypts one frame's payload in place (e.g. a slice from
    /// [`FrameDecoder::next_frame`](crate::FrameDecoder::next_frame)) and returns the plaintext
    /// part. On failure the bytes are untouched and the receive counter does not advance.
    pub fn decrypt_in_place<'a>(&mut self, frame: &'a mut [u8]) -> Result<&'a mut [u8], Error> {
        self.receiver.decrypt_in_place(frame)
    }

    /// The final handshake hash, identical on both sides (usable for channel binding).
    #[must_use]
    pub const fn handshake_hash(&self) -> &[u8; 32] {
        &self.handshake_hash
    }

    /// Frames encrypted so far (the next send nonce).
    #[must_use]
    pub const fn send_counter(&self) -> u64 {
        self.sender.counter()
    }

    /// Frames decrypted so far (the next receive nonce).
    #[must_use]
    pub const fn recv_counter(&self) -> u64 {
        self.receiver.counter()
    }

    /// Separates the directions, e.g. for a writer task and a reader task.
    pub fn into_halves(self) -> (TransportSender, TransportReceiver) {
        (self.sender, self.receiver)
    }

    /// TEST ONLY: the split keys as `(send, receive)`, to compare with recorded vectors. Needs
    /// the `test-keys` feature, which keeps a second copy of the keys in every transport.
    #[cfg(feature = "test-keys")]
    #[must_use]
    pub fn split_keys_for_testing(&self) -> ([u8; 32], [u8; 32]) {
        let [send, recv] = *self.keys;
        (send, recv)
    }

    /// TEST ONLY: a transport from recorded split keys (counters at 0), to replay captured
    /// frames without a handshake. Never use outside tests: it bypasses authentication.
    #[cfg(feature = "test-util")]
    pub fn from_split_keys_for_testing(send_key: &[u8; 32], recv_key: &[u8; 32]) -> Self {
        Self::new(send_key, recv_key, [0u8; 32])
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("sender", &self.sender)
            .field("receiver", &self.receiver)
            .finish_non_exhaustive()
    }
}

/// The sending direction of a [`Transport`].
#[must_use]
pub struct TransportSender(CipherState);

impl TransportSender {
    /// Appends `ciphertext || tag` (plaintext length + 16 bytes) to `out`, encrypting in place.
    pub fn encrypt(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        check_plaintext_length(plaintext.len())?;
        self.0.encrypt_append(&[], plaintext, out)
    }

    /// Appends a whole frame to `out`: the 3-byte length then `ciphertext || tag`.
    pub fn encrypt_frame(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        check_plaintext_length(plaintext.len())?;
        let start = out.len();
        frame::write_frame_length(plaintext.len() + TAG_LENGTH, out)?;
        self.0
            .encrypt_append(&[], plaintext, out)
            .inspect_err(|_| out.truncate(start))
    }

    /// Frames encrypted so far (the next nonce).
    #[must_use]
    pub const fn counter(&self) -> u64 {
        self.0.counter()
    }
}

impl fmt::Debug for TransportSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TransportSender").field(&self.0).finish()
    }
}

/// The receiving direction of a [`Transport`].
#[must_use]
pub struct TransportReceiver(CipherState);

impl TransportReceiver {
    /// Decrypts one frame's payload into a new buffer.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut buf = ciphertext.to_vec();
        let len = self.0.decrypt_in_place(&[], &mut buf)?.len();
        buf.truncate(len);
        Ok(buf)
    }

    /// Decrypts one frame's payload in place and returns the plaintext part. On failure the
    /// bytes are untouched and the counter does not advance.
    pub fn decrypt_in_place<'a>(&mut self, frame: &'a mut [u8]) -> Result<&'a mut [u8], Error> {
        self.0.decrypt_in_place(&[], frame)
    }

    /// Frames decrypted so far (the next nonce).
    #[must_use]
    pub const fn counter(&self) -> u64 {
        self.0.counter()
    }
}

impl fmt::Debug for TransportReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TransportReceiver").field(&self.0).finish()
    }
}

fn check_plaintext_length(len: usize) -> Result<(), Error> {
    if len > MAX_PLAINTEXT_LENGTH {
        return Err(FrameError::TooLarge {
            len: len + TAG_LENGTH,
            max: MAX_FRAME_LENGTH,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pair() -> (Transport, Transport) {
        (
            Transport::new(&[1; 32], &[2; 32], [0; 32]),
            Transport::new(&[2; 32], &[1; 32], [0; 32]),
        )
    }

    #[test]
    fn frame_layout_and_halves() {
        let (a, b) = pair();
        let (mut a_send, _) = a.into_halves();
        let (_, mut b_recv) = b.into_halves();
        let mut out = vec![0xaa];
        a_send.encrypt_frame(b"hello", &mut out).unwrap();
        assert_eq!(&out[..4], &[0xaa, 0, 0, 5 + 16]);
        assert_eq!(out.len(), 1 + 3 + 5 + 16);
        assert_eq!(b_recv.decrypt(&out[4..]).unwrap(), b"hello");
        assert_eq!((a_send.counter(), b_recv.counter()), (1, 1));
    }

    #[test]
    fn oversized_plaintext_rejected_without_output() {
        let (mut a, _) = pair();
        let big = vec![0u8; MAX_PLAINTEXT_LENGTH + 1];
        let mut out = Vec::new();
        let err = Error::Frame(FrameError::TooLarge {
            len: MAX_FRAME_LENGTH + 1,
            max: MAX_FRAME_LENGTH,
        });
        assert_eq!(a.encrypt_frame(&big, &mut out), Err(err.clone()));
        assert_eq!(a.encrypt(&big, &mut out), Err(err));
        assert!(out.is_empty());
        assert_eq!(a.send_counter(), 0);
        a.encrypt_frame(&big[1..], &mut out).unwrap();
        assert_eq!(&out[..3], &[0xff, 0xff, 0xff]);
    }

    #[test]
    fn debug_redacts_keys() {
        let (a, _) = pair();
        let text = format!("{a:?}");
        assert!(text.contains("[redacted]"), "{text}");
        assert!(!text.contains("keys"), "{text}");
    }
}
