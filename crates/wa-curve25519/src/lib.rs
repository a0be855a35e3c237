//! Curve25519 keys as WhatsApp and Signal use them: [`PublicKey`], [`PrivateKey`] and
//! [`KeyPair`] (X25519 Diffie-Hellman, zeroized private keys, constant-time equality), shared by
//! the Noise and Signal layers, and XEdDSA signatures over them.
//!
//! WhatsApp (like Signal) keeps one kind of key pair, an X25519 key pair, and signs with it
//! through XEdDSA (<https://signal.org/docs/specifications/xeddsa/>): the X25519 private scalar
//! is turned into an Ed25519 signing scalar, and the Montgomery `u` public key is mapped to the
//! Edwards point it stands for. A signature is the usual Ed25519 pair `R || s` (64 bytes).
//!
//! Two signers exist in the wild and this crate verifies both:
//! * the spec's signer negates the scalar so that the Edwards public key always has sign bit 0
//!   (what [`sign`] does), so bit 7 of `signature[63]` is 0;
//! * the older curve25519-donna/curve25519-js signer (libsignal-node, Baileys, WhatsApp's own
//!   certificate chain) keeps the scalar and stores the Edwards sign bit in bit 7 of
//!   `signature[63]`, the bit `s` never uses.
//!
//! [`verify`] therefore takes the sign bit from `signature[63]`, clears it, rejects a
//! non-canonical `s`, and checks `[s]B == R + [h]A` with `h = SHA-512(R || A || M)`.
//!
//! ```
//! use wa_curve25519::{public_key, sign, verify};
//!
//! let private = [7u8; 32]; // any 32 bytes: it is clamped like an X25519 scalar
//! let public = public_key(&private);
//! let signature = sign(&private, b"hello", &[42u8; 64]);
//! assert!(verify(&public, b"hello", &signature));
//! assert!(!verify(&public, b"hullo", &signature));
//! ```

mod keys;

pub use keys::{KeyPair, PrivateKey, PublicKey};

use curve25519_dalek::{
    edwards::EdwardsPoint,
    montgomery::MontgomeryPoint,
    scalar::{clamp_integer, Scalar},
};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

/// Length of a signature: `R` (32 bytes) then `s` (32 bytes, bit 255 carrying the sign bit).
pub const SIGNATURE_LENGTH: usize = 64;
/// Length of a Curve25519 (Montgomery `u`) public key and of a private scalar.
pub const KEY_LENGTH: usize = 32;

/// Why [`try_verify`] rejected its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The public key is not 32 bytes long.
    #[error("public key must be 32 bytes, got {0}")]
    PublicKeyLength(usize),
    /// The signature is not 64 bytes long.
    #[error("signature must be 64 bytes, got {0}")]
    SignatureLength(usize),
    /// The signature does not verify for this key and message.
    #[error("signature verification failed")]
    BadSignature,
}

/// The X25519 public key (Montgomery `u`, 32 bytes) of a private key; the key is clamped first.
#[must_use]
pub fn public_key(private_key: &[u8; KEY_LENGTH]) -> [u8; KEY_LENGTH] {
    MontgomeryPoint::mul_base_clamped(*private_key).to_bytes()
}

/// Signs `message` with an X25519 private key, using 64 bytes of fresh randomness `random`.
///
/// This is the spec's `xeddsa_sign`: the scalar is negated when needed so that the Edwards public
/// key has sign bit 0, hence bit 7 of the last byte of the result is always 0. The randomness only
/// has to be secret and unpredictable; a repeated `random` yields the same signature (no key
/// leak, the nonce also depends on the key and message).
#[must_use]
pub fn sign(
    private_key: &[u8; KEY_LENGTH],
    message: &[u8],
    random: &[u8; SIGNATURE_LENGTH],
) -> [u8; SIGNATURE_LENGTH] {
    let clamped = Zeroizing::new(clamp_integer(*private_key));
    let mut a = Scalar::from_bytes_mod_order(*clamped);
    let edwards = EdwardsPoint::mul_base(&a);
    let mut public = edwards.compress().to_bytes();
    // calculate_key_pair: keep A's sign bit at 0 by negating the scalar when it is 1.
    if public[31] & 0x80 != 0 {
        a = -a;
        public[31] &= 0x7f;
    }
    let mut a_bytes = Zeroizing::new(a.to_bytes());

    // r = hash_1(a || M || Z) mod L, hash_1(X) = SHA-512(2^256 - 2 - 1 as 32 LE bytes || X).
    let mut prefix = [0xffu8; 32];
    prefix[0] = 0xfe;
    let mut nonce_hash = Sha512::new();
    nonce_hash.update(prefix);
    nonce_hash.update(a_bytes.as_slice());
    nonce_hash.update(message);
    nonce_hash.update(random);
    let mut wide = Zeroizing::new([0u8; 64]);
    wide.copy_from_slice(&nonce_hash.finalize());
    let mut r = Scalar::from_bytes_mod_order_wide(&wide);
    let big_r = EdwardsPoint::mul_base(&r).compress().to_bytes();

    let h = challenge(&big_r, &public, message);
    let mut s = r + h * a;

    let mut signature = [0u8; SIGNATURE_LENGTH];
    signature[..32].copy_from_slice(&big_r);
    signature[32..].copy_from_slice(s.as_bytes());

    a.zeroize();
    r.zeroize();
    s.zeroize();
    a_bytes.zeroize();
    signature
}

/// [`sign`] with randomness drawn from `rng`.
#[must_use]
pub fn sign_with_rng<R: RngCore + CryptoRng>(
    private_key: &[u8; KEY_LENGTH],
    message: &[u8],
    rng: &mut R,
) -> [u8; SIGNATURE_LENGTH] {
    let mut random = Zeroizing::new([0u8; SIGNATURE_LENGTH]);
    rng.fill_bytes(random.as_mut_slice());
    sign(private_key, message, &random)
}

/// Verifies an XEdDSA signature made by either signer (see the crate docs).
///
/// Returns `false` for a public key that is not a canonical field element, not on the curve or
/// of small order, a non-canonical `s` (`s >= L`), or a signature that does not match. Runs in variable time:
/// everything it touches is public.
#[must_use]
pub fn verify(
    public_key: &[u8; KEY_LENGTH],
    message: &[u8],
    signature: &[u8; SIGNATURE_LENGTH],
) -> bool {
    if !is_canonical_u(public_key) {
        return false;
    }
    let sign_bit = signature[63] >> 7;
    let Some(a_point) = MontgomeryPoint(*public_key).to_edwards(sign_bit) else {
        return false;
    };
    // A small-order key has no secret behind it: with such a key anyone can make signatures
    // that pass the equation below (peers choose the keys we check in Signal).
    if a_point.is_small_order() {
        return false;
    }
    let a_compressed = a_point.compress().to_bytes();

    let mut big_r = [0u8; 32];
    big_r.copy_from_slice(&signature[..32]);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&signature[32..]);
    s_bytes[31] &= 0x7f;
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
        return false;
    };

    let h = challenge(&big_r, &a_compressed, message);
    // R' = [s]B - [h]A must encode to exactly the R in the signature.
    let r_check = EdwardsPoint::vartime_double_scalar_mul_basepoint(&h, &-a_point, &s);
    r_check.compress().to_bytes() == big_r
}

/// [`verify`] for byte slices of unchecked length, with a typed reason on failure.
pub fn try_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let public_key: &[u8; KEY_LENGTH] = public_key
        .try_into()
        .map_err(|_| Error::PublicKeyLength(public_key.len()))?;
    let signature: &[u8; SIGNATURE_LENGTH] = signature
        .try_into()
        .map_err(|_| Error::SignatureLength(signature.len()))?;
    if verify(public_key, message, signature) {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}

/// h = SHA-512(R || A || M) mod L.
fn challenge(big_r: &[u8; 32], public: &[u8; 32], message: &[u8]) -> Scalar {
    let mut hash = Sha512::new();
    hash.update(big_r);
    hash.update(public);
    hash.update(message);
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&hash.finalize());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// `u < p = 2^255 - 19`, read as a 256-bit little-endian integer (the spec rejects `u >= p`).
fn is_canonical_u(u: &[u8; 32]) -> bool {
    // p in little-endian bytes is ed ff .. ff 7f; u >= p needs the top bytes to be that pattern.
    let top_is_p = u[31] == 0x7f && u[1..31].iter().all(|&b| b == 0xff);
    u[31] & 0x80 == 0 && !(top_is_p && u[0] >= 0xed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_u_boundaries() {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(!is_canonical_u(&p));
        let mut p_minus_one = p;
        p_minus_one[0] = 0xec;
        assert!(is_canonical_u(&p_minus_one));
        let mut high = [0u8; 32];
        high[31] = 0x80;
        assert!(!is_canonical_u(&high));
        assert!(is_canonical_u(&[9u8; 32]));
    }

    #[test]
    fn spec_signer_clears_sign_bit() {
        for seed in 0u8..32 {
            let private = [seed.wrapping_mul(37).wrapping_add(1); 32];
            let signature = sign(&private, b"m", &[seed; 64]);
            assert_eq!(signature[63] & 0x80, 0);
            assert!(verify(&public_key(&private), b"m", &signature));
        }
    }
}
