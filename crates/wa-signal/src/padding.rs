//! The padding WhatsApp puts inside every Signal plaintext (pairwise and group): `n` bytes of
//! value `n`, with `n` in 1..=16 (whatsmeow and Baileys 6 pick 1..=15, Baileys 7 1..=16).

use rand_core::{CryptoRng, RngCore};

use crate::Error;

/// Largest pad a receiver accepts.
pub const MAX_PAD: u8 = 16;

/// Appends `n` bytes of value `n` to `message`, `n` drawn from 1..=15 as whatsmeow does.
///
/// ```
/// let mut message = b"hi".to_vec();
/// wa_signal::padding::pad(&mut message, &mut rand_core::OsRng);
/// assert_eq!(wa_signal::padding::unpad(&message)?, b"hi");
/// # Ok::<(), wa_signal::Error>(())
/// ```
pub fn pad<R: RngCore + CryptoRng>(message: &mut Vec<u8>, rng: &mut R) {
    let mut byte = [0u8; 1];
    rng.fill_bytes(&mut byte);
    let n = byte[0] % 15 + 1;
    pad_with(message, n);
}

/// Appends exactly `n` bytes of value `n` (replaying recorded vectors; `n` in 1..=16).
pub fn pad_with(message: &mut Vec<u8>, n: u8) {
    message.resize(message.len() + usize::from(n), n);
}

/// Strips the padding, checking every pad byte.
///
/// # Errors
/// [`Error::InvalidPadding`] when the message is empty, the last byte is 0 or above 16 or longer
/// than the message, or any pad byte differs from it.
pub fn unpad(padded: &[u8]) -> Result<&[u8], Error> {
    let (&n, _) = padded.split_last().ok_or(Error::InvalidPadding)?;
    if n == 0 || n > MAX_PAD {
        return Err(Error::InvalidPadding);
    }
    let body_len = padded
        .len()
        .checked_sub(usize::from(n))
        .ok_or(Error::InvalidPadding)?;
    let (body, pad) = padded.split_at(body_len);
    if pad.iter().all(|&b| b == n) {
        Ok(body)
    } else {
        Err(Error::InvalidPadding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_unpadding() {
        assert_eq!(unpad(&[1, 2, 2]).unwrap(), &[1]);
        assert_eq!(unpad(&[16; 16]).unwrap(), &[] as &[u8]);
        for bad in [&[][..], &[0], &[17; 17], &[1, 3, 2], &[3, 3]] {
            assert_eq!(unpad(bad), Err(Error::InvalidPadding), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn pad_then_unpad(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), n in 1u8..=16) {
            let mut padded = body.clone();
            pad_with(&mut padded, n);
            proptest::prop_assert_eq!(unpad(&padded).unwrap(), body.as_slice());
        }
    }
}
