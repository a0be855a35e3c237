//! Keeping a paired device in the SQLite store ([`save_paired`]) and reading it back to log
//! in ([`load_paired`]). The ADV secret is not kept: it is only needed until `pair-success`.

use wa_binary::Jid;
use wa_proto::adv::AdvSignedDeviceIdentity;
use wa_signal::{IdentityKeyPair, ProtocolAddress, RegistrationId, SignedPreKeyRecord};
use wa_store::{DeviceId, LidUser, NewDevice, Pairing, PnUser, Store};

use super::credentials::Credentials;
use super::success::Paired;
use crate::error::{Error, Result};

/// A paired device as stored: enough to log in and to start sending.
#[derive(Debug, Clone)]
pub struct PairedDevice {
    /// Its row in the store.
    pub id: DeviceId,
    /// The Noise static key pair to log in with.
    pub noise_key: wa_noise::KeyPair,
    /// The Signal identity key pair.
    pub identity: IdentityKeyPair,
    /// The Signal registration id.
    pub registration_id: RegistrationId,
    /// The signed prekey in force.
    pub signed_pre_key: SignedPreKeyRecord,
    /// Our device JID.
    pub jid: Jid,
    /// Our LID device JID, when known.
    pub lid: Option<Jid>,
    /// The phone's platform, when known.
    pub platform: Option<String>,
    /// Our signed device identity (with the account key and our device signature).
    pub account: AdvSignedDeviceIdentity,
}

/// Stores a freshly paired device: its keys, its signed prekey, what pairing said (JIDs,
/// platform, signed identity), our own LID <-> phone-number mapping, and the primary phone's
/// identity under the account's LID (or
/// phone number) device 0, as whatsmeow does. Call it before sending the `pair-device-sign`
/// reply, so a crash never leaves a registered device without keys.
///
/// # Errors
/// [`Error::Store`] for SQLite errors, [`Error::Signal`] for a JID user that is not a
/// Signal address.
///
/// ```
/// use rand_core::OsRng;
/// use wa_binary::Jid;
/// use wa_session::{load_paired, save_paired, Credentials, Paired};
/// use wa_store::Store;
///
/// let mut store = Store::open_in_memory()?;
/// let creds = Credentials::generate(0, &mut OsRng);
/// // What `on_pair_success` returns after a real scan.
/// let paired = Paired {
///     jid: Jid::parse("15550001111:2@s.whatsapp.net")?,
///     lid: Some(Jid::parse("777:2@lid")?),
///     platform: Some("android".into()),
///     business_name: None,
///     key_index: 2,
///     server_time: None,
///     account: Default::default(),
/// };
/// let id = save_paired(&mut store, &creds, &paired)?;
/// let device = load_paired(&store, id)?;
/// assert_eq!(device.jid, paired.jid);
/// assert_eq!(device.registration_id, creds.registration_id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_paired(store: &mut Store, creds: &Credentials, paired: &Paired) -> Result<DeviceId> {
    let id = store.create_device(&NewDevice {
        noise_key: creds.noise_key.clone(),
        identity_key: creds.identity.clone(),
        registration_id: creds.registration_id,
        signed_prekey_id: creds.signed_pre_key.id(),
    })?;
    store.put_signed_prekey(id, &creds.signed_pre_key)?;
    store.set_pairing(
        id,
        &Pairing {
            adv_signed_identity: Some(paired.account.clone()),
            jid: Some(paired.jid.to_string()),
            lid: paired.lid.as_ref().map(ToString::to_string),
            platform: paired.platform.clone(),
        },
    )?;
    if let Some(lid) = &paired.lid {
        let lid_user = LidUser::new(lid.user())?;
        store.put_lid_mapping(id, &lid_user, &PnUser::new(paired.jid.user())?)?;
    }
    if let Some(primary) = paired.account_signature_key() {
        let account = paired.lid.as_ref().unwrap_or(&paired.jid);
        let address = ProtocolAddress::new(account.user(), account.domain(), 0)?;
        store.save_identity(id, &address, &primary)?;
    }
    Ok(id)
}

/// Reads a paired device back.
///
/// # Errors
/// [`Error::UnknownDevice`] when `id` is not in the store, [`Error::NotPaired`] when it has
/// no JID, signed identity or signed prekey, [`Error::Jid`] for a stored JID that does not
/// parse, [`Error::Store`] for SQLite errors.
pub fn load_paired(store: &Store, id: DeviceId) -> Result<PairedDevice> {
    let device = store.device(id)?.ok_or(Error::UnknownDevice)?;
    let (Some(jid), Some(account)) = (device.jid, device.adv_signed_identity) else {
        return Err(Error::NotPaired);
    };
    let signed_pre_key = store
        .signed_prekey(id, device.signed_prekey_id)?
        .ok_or(Error::NotPaired)?;
    Ok(PairedDevice {
        id,
        noise_key: device.noise_key,
        identity: device.identity_key,
        registration_id: device.registration_id,
        signed_pre_key,
        jid: Jid::parse(&jid)?,
        lid: device.lid.as_deref().map(Jid::parse).transpose()?,
        platform: device.platform,
        account,
    })
}
