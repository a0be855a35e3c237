//! Who a Signal session or sender key belongs to.

use std::fmt;

use crate::Error;

/// One device of one account, as Signal addresses it (PROTOCOL.md section 2): the JID user,
/// the AD domain (0 WhatsApp phone number, 1 LID, 128 hosted, 129 hosted LID) and the device.
///
/// Its text form is `user` (domain 0) or `user_<domain>`, then `:device`; e.g. `15550002222:2`,
/// `12345_1:3`. Stores key sessions by this form.
///
/// ```
/// use wa_signal::ProtocolAddress;
/// let a: ProtocolAddress = "12345_1:3".parse()?;
/// assert_eq!((a.user(), a.domain(), a.device()), ("12345", 1, 3));
/// assert_eq!(a.to_string(), "12345_1:3");
/// assert_eq!(ProtocolAddress::new("15550002222", 0, 0)?.to_string(), "15550002222:0");
/// # Ok::<(), wa_signal::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolAddress {
    user: String,
    domain: u8,
    device: u16,
}

impl ProtocolAddress {
    /// A device address. The user must be non-empty ASCII digits.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] for an empty or non-numeric user.
    pub fn new(user: &str, domain: u8, device: u16) -> Result<Self, Error> {
        if user.is_empty() || !user.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidAddress);
        }
        Ok(Self {
            user: user.to_owned(),
            domain,
            device,
        })
    }

    /// The account's user part (phone number or LID digits).
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The AD domain: 0 WhatsApp, 1 LID, 128 hosted, 129 hosted LID.
    #[must_use]
    pub const fn domain(&self) -> u8 {
        self.domain
    }

    /// The device id (0 = the primary phone).
    #[must_use]
    pub const fn device(&self) -> u16 {
        self.device
    }
}

impl fmt::Display for ProtocolAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.domain == 0 {
            write!(f, "{}:{}", self.user, self.device)
        } else {
            write!(f, "{}_{}:{}", self.user, self.domain, self.device)
        }
    }
}

impl std::str::FromStr for ProtocolAddress {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let (name, device) = s.rsplit_once(':').ok_or(Error::InvalidAddress)?;
        let device = device.parse().map_err(|_| Error::InvalidAddress)?;
        let (user, domain) = match name.split_once('_') {
            Some((user, domain)) => (user, domain.parse().map_err(|_| Error::InvalidAddress)?),
            None => (name, 0),
        };
        Self::new(user, domain, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for text in ["15550002222:0", "15550002222:2", "12345_1:3", "99_128:0"] {
            let a: ProtocolAddress = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
        for bad in ["", ":1", "abc:1", "1:x", "1_x:1", "1", "1_1", "1:70000"] {
            assert!(bad.parse::<ProtocolAddress>().is_err(), "{bad}");
        }
    }
}
