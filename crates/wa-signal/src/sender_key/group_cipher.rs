//! Encrypting to and decrypting from a group with sender keys.

use rand_core::{CryptoRng, RngCore};

use super::{SenderKeyError, SenderKeyMessage, SenderKeyRecord};

/// Encrypts `plaintext` (already padded by the caller, see [`crate::padding`]) with our own
/// sender key in `record` and signs it, advancing the chain by one. Persist `record` before the
/// message leaves.
///
/// # Errors
/// [`SenderKeyError::NoSenderKey`] when the record's newest state is not ours (create it with
/// [`super::create_distribution_message`]); [`SenderKeyError::IterationOverflow`] at the end of
/// the chain.
pub fn group_encrypt<R: RngCore + CryptoRng>(
    record: &mut SenderKeyRecord,
    plaintext: &[u8],
    rng: &mut R,
) -> Result<SenderKeyMessage, crate::Error> {
    group_encrypt_skipping(record, 0, plaintext, rng)
}

/// [`group_encrypt`] after first skipping `skip` iterations, whose message keys are parked in
/// the state (at most [`super::MAX_MESSAGE_KEYS`] are kept).
///
/// This is how Baileys 6 sends: after its first message it skips one iteration before each
/// message (iterations 0, 2, 4, ...). Only for reproducing that; normal sends use
/// [`group_encrypt`].
///
/// # Errors
/// As [`group_encrypt`], plus [`SenderKeyError::TooFarInFuture`] for a skip beyond
/// [`super::MAX_MESSAGE_KEYS`].
#[doc(hidden)]
pub fn group_encrypt_skipping<R: RngCore + CryptoRng>(
    record: &mut SenderKeyRecord,
    skip: u32,
    plaintext: &[u8],
    rng: &mut R,
) -> Result<SenderKeyMessage, crate::Error> {
    let state = record
        .latest_state_mut()
        .filter(|state| state.signing_private_key().is_some())
        .ok_or(SenderKeyError::NoSenderKey)?;
    let iteration = state
        .chain_key()
        .iteration()
        .checked_add(skip)
        .ok_or(SenderKeyError::IterationOverflow)?;
    let plan = state.plan_message_key(iteration)?;
    let (iv, key) = plan.key().iv_and_cipher_key();
    let ciphertext = crate::crypto::aes_cbc_encrypt(&key, &iv, plaintext);
    let signing_key = state
        .signing_private_key()
        .ok_or(SenderKeyError::NoSenderKey)?;
    let message =
        SenderKeyMessage::new_signed(state.key_id(), iteration, ciphertext, signing_key, rng);
    state.commit(plan);
    Ok(message)
}

/// Decrypts a SenderKeyMessage (`<enc type="skmsg">` content) from the sender whose record
/// this is, returning the plaintext (still padded: strip it with [`crate::padding::unpad`]).
///
/// Checks the signature before anything else touches the ciphertext. Tolerates gaps (the
/// skipped message keys are parked) and out-of-order delivery within
/// [`super::MAX_MESSAGE_KEYS`]. On any error `record` is left unchanged.
///
/// # Errors
/// [`SenderKeyError::UnsupportedVersion`], [`SenderKeyError::Malformed`],
/// [`SenderKeyError::UnknownKeyId`], [`SenderKeyError::BadSignature`],
/// [`SenderKeyError::DuplicateMessage`], [`SenderKeyError::MessageTooOld`],
/// [`SenderKeyError::TooFarInFuture`], [`SenderKeyError::DecryptionFailed`].
pub fn group_decrypt(record: &mut SenderKeyRecord, skmsg: &[u8]) -> Result<Vec<u8>, crate::Error> {
    let message = SenderKeyMessage::parse(skmsg)?;
    let state = record
        .state_for_key_id_mut(message.key_id())
        .ok_or(SenderKeyError::UnknownKeyId(message.key_id()))?;
    if !message.verify_signature(state.signing_key()) {
        return Err(SenderKeyError::BadSignature.into());
    }
    let plan = state.plan_message_key(message.iteration())?;
    let (iv, key) = plan.key().iv_and_cipher_key();
    let plaintext = crate::crypto::aes_cbc_decrypt(&key, &iv, message.ciphertext())
        .map_err(|_| SenderKeyError::DecryptionFailed)?;
    state.commit(plan);
    Ok(plaintext)
}
