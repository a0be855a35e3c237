//! The root key and the DH ratchet step.

use wa_curve25519::{PrivateKey, PublicKey};

use super::{secret_32, ChainKey};
use crate::{crypto::hkdf_sha256, Error};

secret_32!(
    /// The root key: mixed with each new DH output into the next root key and a chain key.
    RootKey
);

impl RootKey {
    /// One DH ratchet step: HKDF(ikm = DH(ours, theirs), salt = root key, info
    /// "WhisperRatchet", 64) -> (next root key, chain key at index 0).
    ///
    /// # Errors
    /// [`Error::WeakKey`] when the DH output is all zeros (a low-order `theirs`).
    pub fn create_chain(
        &self,
        theirs: &PublicKey,
        ours: &PrivateKey,
    ) -> Result<(Self, ChainKey), Error> {
        let shared = ours.diffie_hellman(theirs);
        if !shared.was_contributory() {
            return Err(Error::WeakKey);
        }
        let okm = hkdf_sha256::<64>(&self.0, shared.as_bytes(), b"WhisperRatchet");
        let (root, chain) = okm.split_at(32);
        let root = Self::from_slice(root).ok_or(Error::WeakKey)?;
        let chain = ChainKey::from_slice(chain, 0).ok_or(Error::WeakKey)?;
        Ok((root, chain))
    }
}
