//! The same operations as [`crate::session`], through the store traits: load, check identity,
//! operate, persist. One message at a time; batch senders use [`crate::session::encrypt`]
//! directly (see [`crate::store`]).

use rand_core::{CryptoRng, RngCore};

use crate::{
    prekey::PreKeyBundle,
    session::{self, ResponderKeys},
    store::{Direction, IdentityKeyStore, PreKeyStore, SessionStore, SignedPreKeyStore},
    wire::CiphertextMessage,
    x3dh, Error, ProtocolAddress,
};

/// Sets up a new session with `address` from its bundle (X3DH as initiator), archiving any
/// current one. `rng` gives the base key, then the first ratchet key.
///
/// # Errors
/// [`Error::UntrustedIdentity`], [`Error::InvalidSignature`], store failures.
pub fn process_pre_key_bundle<S, R>(
    store: &mut S,
    address: &ProtocolAddress,
    bundle: &PreKeyBundle,
    rng: &mut R,
) -> Result<(), Error>
where
    S: IdentityKeyStore + SessionStore,
    R: RngCore + CryptoRng,
{
    if !store.is_trusted_identity(address, &bundle.identity_key, Direction::Sending)? {
        return Err(Error::UntrustedIdentity);
    }
    let state = x3dh::initiate(
        &store.identity_key_pair()?,
        store.local_registration_id()?,
        bundle,
        rng,
    )?;
    let mut record = store.load_session(address)?.unwrap_or_default();
    record.promote_state(state);
    store.save_identity(address, &bundle.identity_key)?;
    store.store_session(address, &record)
}

/// Encrypts one padded plaintext to `address` and stores the advanced record.
///
/// # Errors
/// [`Error::NoSession`], [`Error::UntrustedIdentity`], store failures.
pub fn encrypt<S>(
    store: &mut S,
    address: &ProtocolAddress,
    padded_plaintext: &[u8],
) -> Result<CiphertextMessage, Error>
where
    S: IdentityKeyStore + SessionStore,
{
    let mut record = store.load_session(address)?.ok_or(Error::NoSession)?;
    let remote = *record.current().ok_or(Error::NoSession)?.remote_identity();
    if !store.is_trusted_identity(address, &remote, Direction::Sending)? {
        return Err(Error::UntrustedIdentity);
    }
    let message = session::encrypt(&mut record, padded_plaintext)?;
    store.put_session(address, record)?;
    Ok(message)
}

/// Decrypts a `pkmsg` or `msg` from `address`, stores the record (and the sender's identity),
/// and removes a consumed one-time prekey. Returns the padded plaintext.
///
/// # Errors
/// [`Error::UntrustedIdentity`], [`Error::UnknownPreKey`], [`Error::DuplicateMessage`],
/// [`Error::BadMac`], ... and store failures. Nothing is stored on error.
pub fn decrypt<S, R>(
    store: &mut S,
    address: &ProtocolAddress,
    message: &CiphertextMessage,
    rng: &mut R,
) -> Result<Vec<u8>, Error>
where
    S: IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore,
    R: RngCore + CryptoRng,
{
    let mut record = store.load_session(address)?.unwrap_or_default();
    match message {
        CiphertextMessage::Signal(inner) => {
            if record.current().is_none() && record.previous().next().is_none() {
                return Err(Error::NoSession);
            }
            let plaintext = session::decrypt_signal_message(&mut record, inner, rng)?;
            let remote = *record.current().ok_or(Error::NoSession)?.remote_identity();
            if !store.is_trusted_identity(address, &remote, Direction::Receiving)? {
                return Err(Error::UntrustedIdentity);
            }
            store.store_session(address, &record)?;
            Ok(plaintext)
        }
        CiphertextMessage::PreKey(inner) => {
            if !store.is_trusted_identity(address, inner.identity_key(), Direction::Receiving)? {
                return Err(Error::UntrustedIdentity);
            }
            let identity = store.identity_key_pair()?;
            let signed_pre_key = store.load_signed_pre_key(inner.signed_pre_key_id())?;
            let pre_key = match inner.pre_key_id() {
                Some(id) => store.load_pre_key(id)?,
                None => None,
            };
            let keys = ResponderKeys {
                identity: &identity,
                registration_id: store.local_registration_id()?,
                signed_pre_key: signed_pre_key.as_ref(),
                pre_key: pre_key.as_ref(),
            };
            let decrypted = session::decrypt_pre_key_message(&mut record, inner, &keys, rng)?;
            store.save_identity(address, inner.identity_key())?;
            store.store_session(address, &record)?;
            if let Some(id) = decrypted.used_pre_key {
                store.remove_pre_key(id)?;
            }
            Ok(decrypted.plaintext)
        }
    }
}

/// Whether `address` has a current session state.
///
/// # Errors
/// Store failures.
pub fn has_session<S: SessionStore>(store: &S, address: &ProtocolAddress) -> Result<bool, Error> {
    store.has_current_session(address)
}
