//! Signed device identities for every companion: a paired device gets the one its
//! `pair-success` carried, a device registered directly through
//! [`Simulator::register_device`] gets one made the same way at registration, and
//! [`Simulator::device_identity`] hands either out (for clients that log in as a
//! pre-registered device and must present it in their `pkmsg` stanzas).

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_binary::Jid;
use wa_proto::adv::AdvSignedDeviceIdentity;
use wa_signal::IdentityKeyPair;

use super::adv::{account_signed_identity, device_signed};
use super::signer::account_signing_key;
use crate::error::Result;
use crate::registry::{validate_registration, Account, DeviceInfo, DeviceRegistration};
use crate::simulator::{Simulator, State};

/// A new companion of `account`: its device id (the lowest free one, skipping ids promised to
/// pairings in progress) and its account-signed identity, with key index = device id (the
/// `key-index` usync lists) and timestamp `now`.
pub(crate) fn sign_new_device(
    state: &mut State,
    account: &Account,
    registration: &DeviceRegistration,
    now: u64,
) -> Result<(u16, AdvSignedDeviceIdentity)> {
    let reserved = state.pairing.pending.reserved_ids(account.jid.user());
    let device_id = state.registry.free_device_id(&account.jid, &reserved)?;
    let signer = account_signing_key(state, account);
    let signed = account_signed_identity(
        &signer,
        &registration.identity_key,
        u32::from(device_id),
        now,
        &mut state.rng,
    );
    Ok((device_id, signed))
}

/// Registers an already-paired companion on `account` (PN or LID JID) with a freshly signed
/// identity: what [`Simulator::register_device`] does.
pub(crate) fn register_signed_device(
    state: &mut State,
    account: &Jid,
    registration: DeviceRegistration,
    now: u64,
) -> Result<DeviceInfo> {
    // Checked before anything is drawn from the RNG, so a refused registration leaves the
    // seeded sequence alone.
    validate_registration(&registration)?;
    let account = state.registry.account(account)?;
    let (device_id, signed) = sign_new_device(state, &account, &registration, now)?;
    state.registry.register_device(
        &account.jid,
        device_id,
        registration,
        signed.encode_to_vec(),
    )
}

impl Simulator {
    /// The encoded `ADVSignedDeviceIdentity` of a companion device (PN or LID device JID):
    /// details (raw id, timestamp, key index = device id, E2EE), the account signature key and
    /// the account signature over `[6, 0] || details || device identity key`. It has no
    /// device signature: the device adds its own (`[6, 1] || details || device identity key ||
    /// account signature key`) before sending it in a `pkmsg` stanza.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`](crate::Error::UnknownAccount),
    /// [`Error::UnknownDevice`](crate::Error::UnknownDevice).
    pub fn device_identity(&self, device: &Jid) -> Result<Vec<u8>> {
        self.shared.lock().registry.adv_identity(device)
    }

    /// [`Simulator::device_identity`] decoded and countersigned by `identity` (the device's
    /// own identity key pair) as pairing does: what a companion saves once paired, so a test
    /// or bench can register a paired device without a QR round. The account signature key
    /// stays in (peers get the identity without it).
    ///
    /// ```no_run
    /// # fn demo(
    /// #     sim: &wa_sim::Simulator,
    /// #     device: &wa_binary::Jid,
    /// #     identity: &wa_signal::IdentityKeyPair,
    /// #     rng: &mut (impl rand_core::RngCore + rand_core::CryptoRng),
    /// # ) -> wa_sim::Result<()> {
    /// let adv = sim.countersigned_identity(device, identity, rng)?;
    /// assert!(adv.device_signature.is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Simulator::device_identity`].
    pub fn countersigned_identity<R: RngCore + CryptoRng>(
        &self,
        device: &Jid,
        identity: &IdentityKeyPair,
        rng: &mut R,
    ) -> Result<AdvSignedDeviceIdentity> {
        let bytes = self.device_identity(device)?;
        let signed = AdvSignedDeviceIdentity::decode(bytes.as_slice())
            .map_err(|_| crate::Error::MalformedStanza("stored device identity"))?;
        Ok(device_signed(signed, identity, rng))
    }
}
