//! X3DH as WhatsApp uses it: the shared secret both sides derive from identity keys, the
//! responder's signed (and optional one-time) prekey and the initiator's base key, and the
//! first session state each side starts from.
//!
//! master = 0xFF * 32 || DH(IKa, SPKb) || DH(EKa, IKb) || DH(EKa, SPKb) [|| DH(EKa, OPKb)];
//! HKDF(salt 32 zero bytes, info "WhisperText", 64) -> root key, chain key.

use std::collections::VecDeque;

use rand_core::{CryptoRng, RngCore};
use wa_curve25519::{KeyPair, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::{
    crypto::hkdf_sha256,
    keys::{IdentityKeyPair, RegistrationId},
    prekey::{PreKeyBundle, PreKeyRecord, SignedPreKeyRecord},
    ratchet::{ChainKey, RootKey},
    session::state::{PendingPreKey, ReceiverChain, SenderChain, SessionState},
    wire::PreKeySignalMessage,
    Error,
};

fn agree(
    ours: &PrivateKey,
    theirs: &PublicKey,
    master: &mut Zeroizing<Vec<u8>>,
) -> Result<(), Error> {
    let shared = ours.diffie_hellman(theirs);
    if !shared.was_contributory() {
        return Err(Error::WeakKey);
    }
    master.extend_from_slice(shared.as_bytes());
    Ok(())
}

fn derive(master: &[u8]) -> Result<(RootKey, ChainKey), Error> {
    let okm = hkdf_sha256::<64>(&[0; 32], master, b"WhisperText");
    let (root, chain) = okm.split_at(32);
    Ok((
        RootKey::from_slice(root).ok_or(Error::WeakKey)?,
        ChainKey::from_slice(chain, 0).ok_or(Error::WeakKey)?,
    ))
}

fn new_master() -> Zeroizing<Vec<u8>> {
    let mut master = Zeroizing::new(Vec::with_capacity(32 * 5));
    master.extend_from_slice(&[0xff; 32]);
    master
}

/// Starts a session as the initiator ("Alice") from a peer's bundle.
///
/// Draws two key pairs from `rng`, in this order (as libsignal-node does): the base key, then
/// the first sending ratchet key. Unlike libsignal-node, the signed prekey signature is checked.
///
/// # Errors
/// [`Error::InvalidSignature`] for a bad signed prekey signature; [`Error::WeakKey`] for a
/// low-order key in the bundle.
pub fn initiate<R: RngCore + CryptoRng>(
    identity: &IdentityKeyPair,
    registration_id: RegistrationId,
    bundle: &PreKeyBundle,
    rng: &mut R,
) -> Result<SessionState, Error> {
    if !bundle.verify_signature() {
        return Err(Error::InvalidSignature);
    }
    let base_key = KeyPair::generate(rng);
    let ratchet_key = KeyPair::generate(rng);

    let mut master = new_master();
    agree(identity.private_key(), &bundle.signed_pre_key, &mut master)?;
    agree(
        base_key.private_key(),
        bundle.identity_key.public_key(),
        &mut master,
    )?;
    agree(base_key.private_key(), &bundle.signed_pre_key, &mut master)?;
    if let Some((_, one_time)) = &bundle.pre_key {
        agree(base_key.private_key(), one_time, &mut master)?;
    }
    let (root, chain) = derive(&master)?;
    let (root, sending) = root.create_chain(&bundle.signed_pre_key, ratchet_key.private_key())?;

    let mut receiver_chains = VecDeque::new();
    receiver_chains.push_front(ReceiverChain {
        ratchet_key: bundle.signed_pre_key,
        chain_key: chain,
        skipped: VecDeque::new(),
    });
    Ok(SessionState {
        local_identity: identity.identity_key(),
        remote_identity: bundle.identity_key,
        root_key: root,
        previous_counter: 0,
        sender_chain: SenderChain {
            ratchet_key,
            chain_key: sending,
        },
        receiver_chains,
        pending_pre_key: Some(PendingPreKey {
            pre_key_id: bundle.pre_key.as_ref().map(|(id, _)| *id),
            signed_pre_key_id: bundle.signed_pre_key_id,
            base_key: *base_key.public_key(),
        }),
        local_registration_id: registration_id,
        remote_registration_id: bundle.registration_id,
        base_key: *base_key.public_key(),
    })
}

/// Starts a session as the responder ("Bob") from an incoming prekey message, with our signed
/// prekey and the one-time prekey it names (the caller looked both up by id).
///
/// # Errors
/// [`Error::WeakKey`] for a low-order key in the message.
pub fn respond(
    identity: &IdentityKeyPair,
    registration_id: RegistrationId,
    signed_pre_key: &SignedPreKeyRecord,
    one_time_pre_key: Option<&PreKeyRecord>,
    message: &PreKeySignalMessage,
) -> Result<SessionState, Error> {
    let their_identity = message.identity_key().public_key();
    let their_base = message.base_key();
    let mut master = new_master();
    agree(
        signed_pre_key.key_pair().private_key(),
        their_identity,
        &mut master,
    )?;
    agree(identity.private_key(), their_base, &mut master)?;
    agree(
        signed_pre_key.key_pair().private_key(),
        their_base,
        &mut master,
    )?;
    if let Some(one_time) = one_time_pre_key {
        agree(one_time.key_pair().private_key(), their_base, &mut master)?;
    }
    let (root, chain) = derive(&master)?;
    Ok(SessionState {
        local_identity: identity.identity_key(),
        remote_identity: *message.identity_key(),
        root_key: root,
        previous_counter: 0,
        sender_chain: SenderChain {
            ratchet_key: signed_pre_key.key_pair().clone(),
            chain_key: chain,
        },
        receiver_chains: VecDeque::new(),
        pending_pre_key: None,
        local_registration_id: registration_id,
        remote_registration_id: message.registration_id(),
        base_key: *their_base,
    })
}
