//! AES-256-CBC with PKCS#7 padding, the cipher of every sender key message.

use aes::Aes256;
use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};

use super::SenderKeyError;

/// Encrypts `plaintext` (any length; PKCS#7 adds 1..=16 bytes).
pub(super) fn encrypt(key: &[u8; 32], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    cbc::Encryptor::<Aes256>::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext)
}

/// Decrypts and strips PKCS#7.
///
/// # Errors
/// [`SenderKeyError::DecryptionFailed`] when the ciphertext is not whole blocks or the padding
/// is wrong. (Callers check the signature first, so this is no padding oracle.)
pub(super) fn decrypt(
    key: &[u8; 32],
    iv: &[u8; 16],
    ciphertext: &[u8],
) -> Result<Vec<u8>, SenderKeyError> {
    cbc::Decryptor::<Aes256>::new(key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| SenderKeyError::DecryptionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_padding() {
        let (key, iv) = ([7u8; 32], [9u8; 16]);
        for len in [0usize, 1, 15, 16, 17, 100] {
            let plaintext = vec![0x42u8; len];
            let ciphertext = encrypt(&key, &iv, &plaintext);
            assert_eq!(ciphertext.len(), (len / 16 + 1) * 16);
            assert_eq!(decrypt(&key, &iv, &ciphertext).unwrap(), plaintext);
        }
        let ciphertext = encrypt(&key, &iv, b"x");
        assert!(decrypt(&[8u8; 32], &iv, &ciphertext).is_err());
        assert!(decrypt(&key, &iv, &ciphertext[..15]).is_err());
        assert!(decrypt(&key, &iv, &[]).is_err());
    }
}
