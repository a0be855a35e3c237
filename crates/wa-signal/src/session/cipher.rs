//! Encrypting and decrypting on an in-memory [`SessionRecord`], without any store: the send
//! path encrypts a batch, persists every touched record in one transaction, and only then lets
//! the ciphertexts go.

use rand_core::{CryptoRng, RngCore};

use super::{record::SessionRecord, state::SessionState};
use crate::{
    keys::{IdentityKeyPair, PreKeyId, RegistrationId},
    prekey::{PreKeyRecord, SignedPreKeyRecord},
    wire::{CiphertextMessage, PreKeySignalMessage, SignalMessage},
    x3dh, Error,
};

/// Encrypts one padded plaintext with the record's current state: a `pkmsg` until the peer's
/// first message has been decrypted, a `msg` after.
///
/// # Errors
/// [`Error::NoSession`] when the record has no current state.
pub fn encrypt(
    record: &mut SessionRecord,
    padded_plaintext: &[u8],
) -> Result<CiphertextMessage, Error> {
    let state = record.current.as_mut().ok_or(Error::NoSession)?;
    Ok(state.encrypt(padded_plaintext))
}

/// Decrypts a `msg`: the current state first, then the archived ones (newest first); a state
/// that decrypts becomes current. The record changes only on success. `rng` supplies our next
/// ratchet key when the peer's ratchet key is new.
///
/// # Errors
/// [`Error::DuplicateMessage`] for a replay; otherwise the current state's error
/// ([`Error::BadMac`], [`Error::TooManySkippedMessages`], ...) when no state decrypts, or
/// [`Error::NoSession`] for an empty record.
pub fn decrypt_signal_message<R: RngCore + CryptoRng>(
    record: &mut SessionRecord,
    message: &SignalMessage,
    rng: &mut R,
) -> Result<Vec<u8>, Error> {
    let mut first_error = None;
    if let Some(current) = &record.current {
        let mut attempt = current.clone();
        match attempt.decrypt(message, rng) {
            Ok(plaintext) => {
                record.current = Some(attempt);
                return Ok(plaintext);
            }
            Err(error @ Error::DuplicateMessage { .. }) => return Err(error),
            Err(error) => first_error = Some(error),
        }
    }
    for position in 0..record.previous.len() {
        let Some(archived) = record.previous.get(position) else {
            break;
        };
        let mut attempt = archived.clone();
        match attempt.decrypt(message, rng) {
            Ok(plaintext) => {
                record.previous.remove(position);
                record.promote_state(attempt);
                return Ok(plaintext);
            }
            Err(error @ Error::DuplicateMessage { .. }) => return Err(error),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or(Error::NoSession))
}

/// Our keys a `pkmsg` may need, looked up by the caller from the ids in the message
/// ([`PreKeySignalMessage::signed_pre_key_id`], [`PreKeySignalMessage::pre_key_id`]).
#[derive(Debug, Clone, Copy)]
pub struct ResponderKeys<'a> {
    /// Our identity.
    pub identity: &'a IdentityKeyPair,
    /// Our registration id.
    pub registration_id: RegistrationId,
    /// The signed prekey the message names, if we have it.
    pub signed_pre_key: Option<&'a SignedPreKeyRecord>,
    /// The one-time prekey the message names, if it names one and we have it.
    pub pre_key: Option<&'a PreKeyRecord>,
}

/// What decrypting a `pkmsg` gives.
#[derive(Debug)]
#[must_use]
pub struct PreKeyDecrypted {
    /// The padded plaintext.
    pub plaintext: Vec<u8>,
    /// The one-time prekey this message consumed (a new session was set up with it): the
    /// caller removes it from its store.
    pub used_pre_key: Option<PreKeyId>,
}

/// Decrypts a `pkmsg`. If a state with the message's base key exists (the initiator repeats
/// its prekey message until we answer), the inner message is decrypted with it; otherwise a new
/// state is derived with X3DH and becomes current, archiving the old one. The record changes
/// only on success.
///
/// # Errors
/// [`Error::UnknownSignedPreKey`] / [`Error::UnknownPreKey`] when a new session needs a key
/// that `keys` does not hold; any error of [`decrypt_signal_message`].
pub fn decrypt_pre_key_message<R: RngCore + CryptoRng>(
    record: &mut SessionRecord,
    message: &PreKeySignalMessage,
    keys: &ResponderKeys<'_>,
    rng: &mut R,
) -> Result<PreKeyDecrypted, Error> {
    if record.has_state_with_base_key(message.base_key()) {
        let plaintext = decrypt_with_base_key(record, message, rng)?;
        return Ok(PreKeyDecrypted {
            plaintext,
            used_pre_key: None,
        });
    }
    let signed_pre_key = keys
        .signed_pre_key
        .filter(|k| k.id() == message.signed_pre_key_id())
        .ok_or(Error::UnknownSignedPreKey(message.signed_pre_key_id()))?;
    let pre_key = match message.pre_key_id() {
        Some(id) => Some(
            keys.pre_key
                .filter(|k| k.id() == id)
                .ok_or(Error::UnknownPreKey(id))?,
        ),
        None => None,
    };
    let mut state = x3dh::respond(
        keys.identity,
        keys.registration_id,
        signed_pre_key,
        pre_key,
        message,
    )?;
    let plaintext = state.decrypt(message.message(), rng)?;
    record.promote_state(state);
    Ok(PreKeyDecrypted {
        plaintext,
        used_pre_key: message.pre_key_id(),
    })
}

fn decrypt_with_base_key<R: RngCore + CryptoRng>(
    record: &mut SessionRecord,
    message: &PreKeySignalMessage,
    rng: &mut R,
) -> Result<Vec<u8>, Error> {
    let matches = |state: &SessionState| state.base_key == *message.base_key();
    // The outer identity key of a pkmsg is not covered by its MAC. For a new session X3DH binds
    // it; for a repeated pkmsg it must be the identity the session was made with, or a relay
    // could rewrite it and have the receiver store a key the sender never had.
    let known = record
        .current
        .iter()
        .chain(record.previous.iter())
        .find(|s| matches(s));
    if known.is_some_and(|state| state.remote_identity != *message.identity_key()) {
        return Err(Error::UntrustedIdentity);
    }
    if let Some(current) = record.current.as_ref().filter(|s| matches(s)) {
        let mut attempt = current.clone();
        let plaintext = attempt.decrypt(message.message(), rng)?;
        record.current = Some(attempt);
        return Ok(plaintext);
    }
    let position = record
        .previous
        .iter()
        .position(matches)
        .ok_or(Error::NoSession)?;
    let mut attempt = record
        .previous
        .get(position)
        .ok_or(Error::NoSession)?
        .clone();
    let plaintext = attempt.decrypt(message.message(), rng)?;
    record.previous.remove(position);
    record.promote_state(attempt);
    Ok(plaintext)
}
