//! Connections waiting to be paired, by the refs they were sent. A scan looks its ref up here
//! and hands the connection its `pair-success` through a one-shot channel; a connection's
//! entry (and so its refs) goes away when the connection ends.

use std::collections::{HashMap, HashSet};

use tokio::sync::oneshot;
use wa_binary::{Jid, Node};
use wa_proto::adv::AdvSignedDeviceIdentity;

use crate::error::{Error, Result};
use crate::registry::DeviceRegistration;

/// Identifies one waiting connection in [`PendingPairings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PairingId(u64);

/// What a scan hands to the waiting connection: the stanza to send and what the device must
/// confirm.
#[derive(Debug)]
pub(crate) struct PairOffer {
    /// The `<iq><pair-success>..</pair-success></iq>` to send.
    pub(crate) stanza: Node<'static>,
    /// Its id, which the device's `pair-device-sign` answer carries.
    pub(crate) iq_id: String,
    /// The account-signed identity inside it, which the device must countersign.
    pub(crate) signed: AdvSignedDeviceIdentity,
    /// Its key index, which the answer's `key-index` must repeat.
    pub(crate) key_index: u32,
    /// The account's PN JID.
    pub(crate) account: Jid,
    /// The device id reserved for the device.
    pub(crate) device_id: u16,
}

#[derive(Debug)]
struct Pending {
    refs: Vec<String>,
    registration: DeviceRegistration,
    /// Taken by the scan.
    offer: Option<oneshot::Sender<PairOffer>>,
    /// `(phone, device id)` promised by the scan, kept from other registrations.
    reserved: Option<(String, u16)>,
}

/// The waiting connections.
#[derive(Debug, Default)]
pub(crate) struct PendingPairings {
    next_id: u64,
    by_ref: HashMap<String, PairingId>,
    pairings: HashMap<PairingId, Pending>,
    /// Refs of connections that were scanned, so a second scan says so even after the
    /// connection is gone.
    spent_refs: HashSet<String>,
}

impl PendingPairings {
    /// Registers a connection that sent `refs` and presented `registration`; its pair offer
    /// will arrive on `offer`.
    pub(crate) fn open(
        &mut self,
        refs: Vec<String>,
        registration: DeviceRegistration,
        offer: oneshot::Sender<PairOffer>,
    ) -> PairingId {
        let id = PairingId(self.next_id);
        self.next_id += 1;
        for reference in &refs {
            self.by_ref.insert(reference.clone(), id);
        }
        self.pairings.insert(
            id,
            Pending {
                refs,
                registration,
                offer: Some(offer),
                reserved: None,
            },
        );
        id
    }

    /// Forgets a connection: its refs expire. Closing twice is harmless.
    pub(crate) fn close(&mut self, id: PairingId) {
        if let Some(pending) = self.pairings.remove(&id) {
            for reference in &pending.refs {
                self.by_ref.remove(reference);
            }
        }
    }

    /// The connection waiting for a scan of `reference`, and what it presented.
    pub(crate) fn waiting(&self, reference: &str) -> Result<(PairingId, &DeviceRegistration)> {
        if self.spent_refs.contains(reference) {
            return Err(Error::PairingRefUsed);
        }
        let id = *self.by_ref.get(reference).ok_or(Error::UnknownPairingRef)?;
        let pending = self.pairings.get(&id).ok_or(Error::UnknownPairingRef)?;
        match &pending.offer {
            Some(sender) if !sender.is_closed() => Ok((id, &pending.registration)),
            Some(_) => Err(Error::UnknownPairingRef),
            None => Err(Error::PairingRefUsed),
        }
    }

    /// Device ids promised to scanned connections on the account with this phone number.
    pub(crate) fn reserved_ids(&self, phone: &str) -> Vec<u16> {
        self.pairings
            .values()
            .filter_map(|pending| pending.reserved.as_ref())
            .filter(|(reserved_phone, _)| reserved_phone == phone)
            .map(|(_, id)| *id)
            .collect()
    }

    /// Gives a waiting connection its offer and spends its refs. Fails with
    /// [`Error::UnknownPairingRef`] if the connection went away meanwhile.
    pub(crate) fn hand_over(&mut self, id: PairingId, offer: PairOffer) -> Result<()> {
        let pending = self.pairings.get_mut(&id).ok_or(Error::UnknownPairingRef)?;
        let sender = pending.offer.take().ok_or(Error::PairingRefUsed)?;
        let phone = offer.account.user().to_owned();
        let device_id = offer.device_id;
        sender.send(offer).map_err(|_| Error::UnknownPairingRef)?;
        pending.reserved = Some((phone, device_id));
        self.spent_refs.extend(pending.refs.iter().cloned());
        Ok(())
    }
}
