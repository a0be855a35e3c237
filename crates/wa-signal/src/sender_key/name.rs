//! Whose sender key: a group and a sending device; and which one: the key id.

use std::fmt;

use super::SenderKeyError;
use crate::ProtocolAddress;

/// A sender key's owner: one sending device in one group.
///
/// Its text form (the store key) is `group::user[_domain]::device`, what Baileys uses, e.g.
/// `120363012345678901@g.us::15550001111::7`.
///
/// ```
/// use wa_signal::{sender_key::SenderKeyName, ProtocolAddress};
/// let name = SenderKeyName::new("120363012345678901@g.us", ProtocolAddress::new("15550001111", 0, 7)?)?;
/// assert_eq!(name.to_string(), "120363012345678901@g.us::15550001111::7");
/// # Ok::<(), wa_signal::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderKeyName {
    group_id: String,
    sender: ProtocolAddress,
}

impl SenderKeyName {
    /// The sender key of `sender` in the group `group_id` (the group JID, e.g. `…@g.us`).
    ///
    /// # Errors
    /// [`SenderKeyError::InvalidName`] for an empty group id.
    pub fn new(group_id: &str, sender: ProtocolAddress) -> Result<Self, crate::Error> {
        if group_id.is_empty() {
            return Err(SenderKeyError::InvalidName.into());
        }
        Ok(Self {
            group_id: group_id.to_owned(),
            sender,
        })
    }

    /// The group JID.
    #[must_use]
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    /// The sending device.
    #[must_use]
    pub const fn sender(&self) -> &ProtocolAddress {
        &self.sender
    }
}

impl fmt::Display for SenderKeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sender = &self.sender;
        if sender.domain() == 0 {
            write!(
                f,
                "{}::{}::{}",
                self.group_id,
                sender.user(),
                sender.device()
            )
        } else {
            write!(
                f,
                "{}::{}_{}::{}",
                self.group_id,
                sender.user(),
                sender.domain(),
                sender.device()
            )
        }
    }
}

/// The id a sender picks at random for each sender key it creates (31 bits in practice); every
/// SenderKeyMessage names the key it was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderKeyId(u32);

impl SenderKeyId {
    /// Wraps a key id.
    #[must_use]
    pub const fn new(id: u32) -> Self {
        Self(id)
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for SenderKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
