//! Who is sending: our account in both its forms, this device, and the signed device identity
//! that goes beside every `pkmsg`.

use wa_binary::{Jid, Node, Server};
use wa_signal::ProtocolAddress;

use crate::error::{Error, Result};

/// How a chat names its members: by phone number (`s.whatsapp.net`) or by LID (`lid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addressing {
    /// Phone-number JIDs.
    Pn,
    /// LID JIDs (`addressing_mode="lid"` on group stanzas).
    Lid,
}

impl Addressing {
    /// The form `jid` is in, `None` for JIDs that are neither a PN nor a LID user.
    ///
    /// ```
    /// use wa_session::fanout::Addressing;
    /// let lid: wa_binary::Jid = "123456789012345@lid".parse()?;
    /// assert_eq!(Addressing::of(&lid), Some(Addressing::Lid));
    /// # Ok::<(), wa_binary::JidError>(())
    /// ```
    #[must_use]
    pub fn of(jid: &Jid) -> Option<Self> {
        match jid.server() {
            Server::User if !jid.is_server() => Some(Self::Pn),
            Server::Lid if !jid.is_server() => Some(Self::Lid),
            _ => None,
        }
    }
}

/// Our side of a send: our account's phone-number JID, its LID when known, this device's id,
/// and our `ADVSignedDeviceIdentity` (encoded, as pairing left it) for `<device-identity>`.
///
/// ```
/// use wa_session::fanout::{Addressing, OwnIdentity};
/// let pn: wa_binary::Jid = "15550001111@s.whatsapp.net".parse()?;
/// let lid: wa_binary::Jid = "100000000000001@lid".parse()?;
/// let own = OwnIdentity::new(&pn, Some(&lid), 3, vec![0x0a])?;
/// assert_eq!(own.device_jid(Addressing::Lid)?.to_string(), "100000000000001:3@lid");
/// assert!(own.is_this_device(&"15550001111:3@s.whatsapp.net".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OwnIdentity {
    pn: Jid,
    lid: Option<Jid>,
    device: u16,
    device_identity: Vec<u8>,
}

impl OwnIdentity {
    /// Our identity. Device parts of `pn` and `lid` are ignored.
    ///
    /// # Errors
    /// [`Error::NotADevice`] when `pn` is not a phone-number user or `lid` not a LID user.
    pub fn new(pn: &Jid, lid: Option<&Jid>, device: u16, device_identity: Vec<u8>) -> Result<Self> {
        if Addressing::of(pn) != Some(Addressing::Pn) {
            return Err(Error::NotADevice(pn.clone()));
        }
        if let Some(lid) = lid.filter(|lid| Addressing::of(lid) != Some(Addressing::Lid)) {
            return Err(Error::NotADevice(lid.clone()));
        }
        // Checks the device id fits the JID form before anything is sent with it.
        pn.to_non_ad().with_device(device)?;
        Ok(Self {
            pn: pn.to_non_ad(),
            lid: lid.map(Jid::to_non_ad),
            device,
            device_identity,
        })
    }

    /// Our account (no device) in the given form.
    ///
    /// # Errors
    /// [`Error::WrongAddressing`] for LID form when our LID is not known.
    pub fn user(&self, form: Addressing) -> Result<&Jid> {
        match form {
            Addressing::Pn => Ok(&self.pn),
            Addressing::Lid => self
                .lid
                .as_ref()
                .ok_or_else(|| Error::WrongAddressing(self.pn.clone())),
        }
    }

    /// This device in the given form.
    ///
    /// # Errors
    /// As [`user`](Self::user).
    pub fn device_jid(&self, form: Addressing) -> Result<Jid> {
        Ok(self.user(form)?.clone().with_device(self.device)?)
    }

    /// This device's Signal address in the given form (the sender of our sender keys).
    ///
    /// # Errors
    /// As [`user`](Self::user).
    pub fn signal_address(&self, form: Addressing) -> Result<ProtocolAddress> {
        signal_address(&self.device_jid(form)?)
    }

    /// Whether `jid` is a device (or the account) of ours, in either form.
    #[must_use]
    pub fn is_own_user(&self, jid: &Jid) -> bool {
        let same = |ours: &Jid| ours.server() == jid.server() && ours.user() == jid.user();
        same(&self.pn) || self.lid.as_ref().is_some_and(same)
    }

    /// Whether `jid` is this very device, in either form.
    #[must_use]
    pub fn is_this_device(&self, jid: &Jid) -> bool {
        self.is_own_user(jid) && jid.device() == self.device
    }

    /// `<device-identity>` with our signed device identity.
    pub(super) fn device_identity_node(&self) -> Node<'static> {
        Node::new("device-identity").with_bytes(self.device_identity.clone())
    }
}

/// The Signal address of a user's device JID; sessions are stored under it, so a LID device
/// and its phone-number twin have separate sessions.
///
/// # Errors
/// [`Error::NotADevice`] for a JID that is not a PN or LID user.
pub(super) fn signal_address(device: &Jid) -> Result<ProtocolAddress> {
    if Addressing::of(device).is_none() {
        return Err(Error::NotADevice(device.clone()));
    }
    ProtocolAddress::new(device.user(), device.domain(), device.device())
        .map_err(|_| Error::NotADevice(device.clone()))
}
