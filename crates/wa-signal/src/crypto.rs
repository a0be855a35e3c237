//! The primitives under the ratchet: HMAC-SHA256, HKDF-SHA256 and AES-256-CBC with PKCS#7.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Error;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 over the concatenation of `parts`.
#[allow(clippy::expect_used)] // HMAC takes keys of any length: this cannot fail
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 of the one-byte messages `first` and `second` under one key, keyed once (a
/// symmetric-ratchet step: the message key seed and the next chain key).
#[allow(clippy::expect_used)] // HMAC takes keys of any length: this cannot fail
pub(crate) fn hmac_sha256_bytes_pair(key: &[u8], first: u8, second: u8) -> ([u8; 32], [u8; 32]) {
    let keyed = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    let mut one = keyed.clone();
    one.update(&[first]);
    let mut two = keyed;
    two.update(&[second]);
    (
        one.finalize().into_bytes().into(),
        two.finalize().into_bytes().into(),
    )
}

/// HKDF-SHA256 (RFC 5869) with a constant output length of at most 255 blocks; written out so
/// that it is infallible. An empty salt equals 32 zero bytes (HMAC pads keys with zeros).
pub(crate) fn hkdf_sha256<const N: usize>(
    salt: &[u8],
    ikm: &[u8],
    info: &[u8],
) -> Zeroizing<[u8; N]> {
    let prk = Zeroizing::new(hmac_sha256(salt, &[ikm]));
    // The PRK keys every expand block: key the HMAC once and start each block from a copy.
    #[allow(clippy::expect_used)] // HMAC takes keys of any length: this cannot fail
    let keyed = HmacSha256::new_from_slice(prk.as_slice()).expect("HMAC accepts any key length");
    let mut okm = Zeroizing::new([0u8; N]);
    let mut previous = Zeroizing::new([0u8; 32]);
    let mut written = 0;
    let mut counter: u8 = 1;
    while written < N {
        let mut block = keyed.clone();
        if counter > 1 {
            block.update(previous.as_slice());
        }
        block.update(info);
        block.update(&[counter]);
        *previous = block.finalize().into_bytes().into();
        let take = (N - written).min(32);
        if let (Some(dst), Some(src)) = (okm.get_mut(written..written + take), previous.get(..take))
        {
            dst.copy_from_slice(src);
        }
        written += take;
        counter = counter.wrapping_add(1);
    }
    okm
}

/// AES-256-CBC with PKCS#7 padding.
pub(crate) fn aes_cbc_encrypt(key: &[u8; 32], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext)
}

/// AES-256-CBC decryption, checking the PKCS#7 padding.
///
/// # Errors
/// [`Error::DecryptionFailed`] for a length that is not a positive multiple of 16 or bad padding.
pub(crate) fn aes_cbc_decrypt(
    key: &[u8; 32],
    iv: &[u8; 16],
    ciphertext: &[u8],
) -> Result<Vec<u8>, Error> {
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return Err(Error::DecryptionFailed);
    }
    cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| Error::DecryptionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_cbc_round_trip_and_bad_padding() {
        let (key, iv) = ([7u8; 32], [9u8; 16]);
        for len in [0usize, 1, 15, 16, 17, 100] {
            let plaintext = vec![0x42u8; len];
            let ciphertext = aes_cbc_encrypt(&key, &iv, &plaintext);
            assert_eq!(ciphertext.len(), (len / 16 + 1) * 16);
            assert_eq!(aes_cbc_decrypt(&key, &iv, &ciphertext).unwrap(), plaintext);
        }
        let ciphertext = aes_cbc_encrypt(&key, &iv, b"x");
        assert!(aes_cbc_decrypt(&[8u8; 32], &iv, &ciphertext).is_err());
        assert!(aes_cbc_decrypt(&key, &iv, &ciphertext[..15]).is_err());
        assert!(aes_cbc_decrypt(&key, &iv, &[]).is_err());
    }

    #[test]
    fn a_keyed_pair_is_two_hmacs() {
        let key = [5u8; 32];
        let (one, two) = hmac_sha256_bytes_pair(&key, 1, 2);
        assert_eq!(one, hmac_sha256(&key, &[&[1]]));
        assert_eq!(two, hmac_sha256(&key, &[&[2]]));
        assert_ne!(one, two);
    }

    #[test]
    fn hkdf_matches_rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let okm = hkdf_sha256::<42>(&salt, &ikm, &info);
        assert_eq!(
            hex::encode(okm.as_slice()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
        assert_eq!(
            hkdf_sha256::<80>(&[], b"k", b"i").as_slice(),
            hkdf_sha256::<80>(&[0; 32], b"k", b"i").as_slice()
        );
    }
}
