//! A group's member devices as a sender keeps them between sends: checked once, with their
//! `phash` computed once and the set of devices holding our current sender key, so a send in
//! a large group's steady state does no work per member device.

use std::collections::HashSet;

use wa_binary::Jid;

use super::group::GroupEncrypted;
use super::identity::{Addressing, OwnIdentity};
use super::phash::participant_hash;
use crate::error::{Error, Result};

/// A group's member devices, their participant hash, and who holds our sender key; pass it to
/// [`encrypt_group_for`](super::encrypt_group_for) and, once the stanza is persisted, give the
/// result back with [`record_sent`](Self::record_sent).
///
/// Build a new one when the device list changes (usync, a device or membership
/// notification); [`with_holders`](Self::with_holders) carries the holder set over.
///
/// ```
/// use wa_session::fanout::{participant_hash, Addressing, GroupFanout, OwnIdentity};
/// let own = OwnIdentity::new(&"15550001111@s.whatsapp.net".parse()?, Some(&"100000000000001@lid".parse()?), 7, vec![])?;
/// let devices: Vec<wa_binary::Jid> =
///     vec!["200000000000002@lid".parse()?, "200000000000002:1@lid".parse()?, "100000000000001:7@lid".parse()?];
/// let fanout = GroupFanout::new(&own, Addressing::Lid, devices.clone())?;
/// assert_eq!(fanout.phash(), participant_hash(&devices));
/// assert!(!fanout.all_hold());
/// // This device (…:7) never needs our key: the two others having it is enough.
/// let fanout = fanout.with_holders(devices[..2].iter().cloned());
/// assert!(fanout.all_hold());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GroupFanout {
    addressing: Addressing,
    devices: Vec<Jid>,
    /// The devices that ever need our sender key: distinct, this device left out.
    others: Vec<Jid>,
    phash: String,
    holders: HashSet<Jid>,
    /// How many of `others` are not in `holders`.
    lacking: usize,
}

impl GroupFanout {
    /// The member devices (ours included, as usync listed them) of a group addressed as
    /// `addressing`; nobody holds our sender key yet.
    ///
    /// # Errors
    /// [`Error::WrongAddressing`] for a device not in the group's form.
    pub fn new(own: &OwnIdentity, addressing: Addressing, devices: Vec<Jid>) -> Result<Self> {
        for device in &devices {
            if Addressing::of(device) != Some(addressing) {
                return Err(Error::WrongAddressing(device.clone()));
            }
        }
        let mut seen = HashSet::with_capacity(devices.len());
        let others: Vec<Jid> = devices
            .iter()
            .filter(|device| !own.is_this_device(device) && seen.insert(*device))
            .cloned()
            .collect();
        let phash = participant_hash(&devices);
        Ok(Self {
            addressing,
            lacking: others.len(),
            devices,
            others,
            phash,
            holders: HashSet::new(),
        })
    }

    /// The same devices, with `holders` (for example as the store keeps them) holding our
    /// current sender key.
    #[must_use]
    pub fn with_holders(mut self, holders: impl IntoIterator<Item = Jid>) -> Self {
        self.holders = holders.into_iter().collect();
        self.count_lacking();
        self
    }

    /// Takes in what a send did once its stanza is persisted: a new key replaces the holder
    /// set, and the devices the send gave our key to join it.
    pub fn record_sent(&mut self, sent: &GroupEncrypted) {
        if !sent.key_is_new && sent.new_holders.is_empty() {
            return;
        }
        if sent.key_is_new {
            self.holders.clear();
        }
        self.holders.extend(sent.new_holders.iter().cloned());
        self.count_lacking();
    }

    /// How the group addresses its members.
    #[must_use]
    pub const fn addressing(&self) -> Addressing {
        self.addressing
    }

    /// The member devices, as given.
    #[must_use]
    pub fn devices(&self) -> &[Jid] {
        &self.devices
    }

    /// The participant hash of [`devices`](Self::devices).
    #[must_use]
    pub fn phash(&self) -> &str {
        &self.phash
    }

    /// The devices known to hold our current sender key (devices no longer listed may be
    /// among them).
    #[must_use]
    pub const fn holders(&self) -> &HashSet<Jid> {
        &self.holders
    }

    /// Whether every listed device but this one holds our current sender key.
    #[must_use]
    pub const fn all_hold(&self) -> bool {
        self.lacking == 0
    }

    /// Whether `device` holds our current sender key.
    pub(super) fn holds(&self, device: &Jid) -> bool {
        self.holders.contains(device)
    }

    /// The devices that may need our sender key (this device left out, each once).
    pub(super) fn others(&self) -> &[Jid] {
        &self.others
    }

    fn count_lacking(&mut self) {
        self.lacking = self
            .others
            .iter()
            .filter(|device| !self.holders.contains(*device))
            .count();
    }
}
