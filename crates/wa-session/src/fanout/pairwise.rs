//! One device's copy of a message: pad, encrypt over its Signal session (set up from a fetched
//! bundle when there is none), and wrap in `<enc v="2" type="pkmsg|msg">`.

use std::collections::HashMap;

use rand_core::{CryptoRng, RngCore};
use wa_binary::{Jid, Node};
use wa_signal::store::{IdentityKeyStore, SessionStore};
use wa_signal::{padding, protocol, PreKeyBundle};
use zeroize::Zeroizing;

use super::identity::{signal_address, OwnIdentity};
use crate::error::Result;

/// Prekey bundles the caller fetched (`<iq xmlns="encrypt">`), by device JID as listed.
pub type Bundles = HashMap<Jid, PreKeyBundle>;

/// An `<enc>` made for one device.
#[derive(Debug)]
pub(super) struct SealedEnc {
    /// `<enc v="2" type ..>ciphertext</enc>`.
    pub(super) enc: Node<'static>,
    /// Whether it is a `pkmsg` (the stanza then needs `<device-identity>`).
    pub(super) pre_key: bool,
}

/// Extra attributes of the `<enc>`: `decrypt-fail="hide"` and a retry `count`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct EncOptions {
    pub(super) hide_decrypt_failure: bool,
    pub(super) retry_count: Option<u32>,
}

/// Encrypts `plaintext` (an encoded protobuf; padded here) for `device`. With a `bundle`, a new
/// session is set up from it first (replacing any current one); without one, the existing
/// session is used. `Ok(None)` when there is neither: the device is skipped.
pub(super) fn seal_for_device<S, R>(
    store: &mut S,
    device: &Jid,
    bundle: Option<&PreKeyBundle>,
    plaintext: &[u8],
    options: EncOptions,
    rng: &mut R,
) -> Result<Option<SealedEnc>>
where
    S: IdentityKeyStore + SessionStore,
    R: RngCore + CryptoRng,
{
    let address = signal_address(device)?;
    match bundle {
        Some(bundle) => protocol::process_pre_key_bundle(store, &address, bundle, rng)?,
        None if !protocol::has_session(store, &address)? => return Ok(None),
        None => {}
    }
    let mut padded = Zeroizing::new(Vec::with_capacity(plaintext.len() + 16));
    padded.extend_from_slice(plaintext);
    padding::pad(&mut padded, rng);
    let ciphertext = protocol::encrypt(store, &address, &padded)?;
    let mut enc = Node::new("enc")
        .with_attr("v", "2")
        .with_attr("type", ciphertext.enc_type());
    if options.hide_decrypt_failure {
        enc = enc.with_attr("decrypt-fail", "hide");
    }
    if let Some(count) = options.retry_count {
        enc = enc.with_attr("count", count.to_string());
    }
    Ok(Some(SealedEnc {
        enc: enc.with_bytes(ciphertext.serialized().to_vec()),
        pre_key: ciphertext.enc_type() == "pkmsg",
    }))
}

/// The devices in `devices` (this device left out) with no Signal session yet: the ones to
/// fetch prekey bundles for before a send.
///
/// ```
/// use wa_session::fanout::{devices_without_session, OwnIdentity};
/// use wa_signal::{store::InMemoryStore, IdentityKeyPair, RegistrationId};
/// let store = InMemoryStore::new(IdentityKeyPair::generate(&mut rand_core::OsRng), RegistrationId(1));
/// let own = OwnIdentity::new(&"15550001111@s.whatsapp.net".parse()?, None, 2, Vec::new())?;
/// let devices = ["15550002222@s.whatsapp.net".parse()?, "15550001111:2@s.whatsapp.net".parse()?];
/// assert_eq!(devices_without_session(&store, &own, &devices)?, vec![devices[0].clone()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`crate::Error::NotADevice`] for a JID that is not a user device; store failures.
pub fn devices_without_session<S: SessionStore>(
    store: &S,
    own: &OwnIdentity,
    devices: &[Jid],
) -> Result<Vec<Jid>> {
    let mut missing = Vec::new();
    for device in devices {
        if own.is_this_device(device) || missing.contains(device) {
            continue;
        }
        if !protocol::has_session(store, &signal_address(device)?)? {
            missing.push(device.clone());
        }
    }
    Ok(missing)
}
