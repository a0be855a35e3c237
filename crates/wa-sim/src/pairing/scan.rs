//! A simulated phone scanning a pairing QR: [`Simulator::scan`].

use wa_binary::Jid;

use super::adv::hmac_container;
use super::identity::sign_new_device;
use super::pending::PairOffer;
use super::qr::PairingQr;
use super::stanzas::{new_iq_id, pair_success};
use crate::error::{Error, Result};
use crate::registry::DeviceInfo;
use crate::simulator::{Simulator, State};

impl Simulator {
    /// The phone of `phone`'s account (PN or LID JID), or of a new account when `phone` is
    /// `None`, scans the pairing QR a registering client shows
    /// (`[https://wa.me/settings/linked_devices#]REF,NOISE,IDENTITY,ADV[,TYPE]`). The waiting
    /// connection is sent `pair-success` with an account-signed identity for the account's
    /// next free device id, HMAC'd with the QR's ADV secret.
    ///
    /// Returns the device as it will be registered: registration happens when the client
    /// countersigns (`pair-device-sign`), after which the server sends it
    /// `<stream:error code="515"/>` and it logs in again. Until then
    /// [`device`](Self::device) does not know it.
    ///
    /// # Errors
    /// [`Error::InvalidQr`] for a malformed QR; [`Error::UnknownPairingRef`] for a ref no
    /// open connection was sent; [`Error::PairingRefUsed`] for a connection scanned already;
    /// [`Error::QrKeyMismatch`] when the QR's Noise or identity key is not the one its
    /// connection presented; [`Error::UnknownAccount`] for an unknown `phone`;
    /// [`Error::TooManyDevices`].
    pub fn scan(&self, qr: &str, phone: Option<&Jid>) -> Result<DeviceInfo> {
        let qr = PairingQr::parse(qr)?;
        let now = self.shared.clock.now();
        scan(&mut self.shared.lock(), &qr, phone, now)
    }
}

fn scan(state: &mut State, qr: &PairingQr, phone: Option<&Jid>, now: u64) -> Result<DeviceInfo> {
    let (pairing, registration) = state.pairing.pending.waiting(&qr.reference)?;
    if registration.noise_key != qr.noise_key
        || *registration.identity_key.public_key() != qr.identity_key
    {
        return Err(Error::QrKeyMismatch);
    }
    let registration = registration.clone();
    let account = match phone {
        Some(phone) => state.registry.account(phone)?,
        None => state.new_account(None, now)?,
    };
    let (device_id, signed) = sign_new_device(state, &account, &registration, now)?;
    let device = account.jid.clone().with_device(device_id)?;
    let lid = account.lid.clone().with_device(device_id)?;
    let iq_id = new_iq_id(&mut state.rng);
    let identity = hmac_container(&signed, &qr.adv_secret);
    let offer = PairOffer {
        stanza: pair_success(&iq_id, identity, &device, &lid, now),
        iq_id,
        signed,
        key_index: u32::from(device_id),
        account: account.jid,
        device_id,
    };
    state.pairing.pending.hand_over(pairing, offer)?;
    tracing::debug!(%device, "pairing QR scanned");
    Ok(DeviceInfo {
        jid: device,
        lid,
        identity_key: registration.identity_key,
        registration_id: registration.registration_id,
        signed_pre_key: registration.signed_pre_key,
        pre_key_count: 0,
        removed: false,
    })
}
