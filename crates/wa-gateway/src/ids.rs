//! The gateway's identifiers: organizations, sessions, and what a credential may do.

use std::fmt;

use rand_core::{OsRng, RngCore as _};

use crate::error::{Error, Result};

/// The longest organization or session id accepted, in bytes.
const MAX_ID_LEN: usize = 64;

fn valid_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// An organization: the owner of sessions and API keys. 1 to 64 ASCII letters, digits,
/// `-`, `_` or `.`.
///
/// ```
/// use wa_gateway::OrgId;
/// assert_eq!(OrgId::new("acme")?.as_str(), "acme");
/// assert!(OrgId::new("no spaces").is_err());
/// # Ok::<(), wa_gateway::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgId(String);

impl OrgId {
    /// Checks an organization id.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty, too long or otherwise malformed id.
    pub fn new(id: &str) -> Result<Self> {
        if valid_id(id) {
            Ok(Self(id.to_owned()))
        } else {
            Err(Error::invalid(
                "an organization id is 1 to 64 ASCII letters, digits, '-', '_' or '.'",
            ))
        }
    }

    /// The id text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A gateway session (one WhatsApp device): `ses_` and 20 random hex digits when created by
/// the gateway; any id of the [`OrgId`] form is accepted when parsed from a path.
///
/// ```
/// use wa_gateway::SessionId;
/// let id = SessionId::generate();
/// assert!(id.as_str().starts_with("ses_"));
/// assert_eq!(SessionId::parse(id.as_str()), Some(id));
/// assert_eq!(SessionId::parse("../etc"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(String);

impl SessionId {
    /// A new random id.
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0u8; 10];
        OsRng.fill_bytes(&mut bytes);
        Self(format!("ses_{}", hex::encode(bytes)))
    }

    /// Reads an id from a path or a row; `None` when it cannot be one.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        valid_id(text).then(|| Self(text.to_owned()))
    }

    /// The id text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One thing a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Send texts, reactions and revokes.
    Send,
    /// Read sessions' status and messages.
    Read,
    /// Create, pair and log out sessions.
    Sessions,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Self; 3] = [Self::Send, Self::Read, Self::Sessions];

    /// The capability's name (`send`, `read`, `sessions`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Read => "read",
            Self::Sessions => "sessions",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Send => 1,
            Self::Read => 2,
            Self::Sessions => 4,
        }
    }
}

/// A set of [`Capability`]s, written as a comma-separated list (`send,read`).
///
/// ```
/// use wa_gateway::{Capabilities, Capability};
/// let caps = Capabilities::parse("send, read")?;
/// assert!(caps.has(Capability::Send) && !caps.has(Capability::Sessions));
/// assert_eq!(caps.to_string(), "send,read");
/// assert!(Capabilities::parse("send,admin").is_err());
/// # Ok::<(), wa_gateway::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities(u8);

impl Capabilities {
    /// Every capability.
    #[must_use]
    pub fn all() -> Self {
        Self::from_iter(Capability::ALL)
    }

    /// Parses a comma-separated list of capability names (at least one).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an unknown name or an empty list.
    pub fn parse(list: &str) -> Result<Self> {
        let mut caps = Self::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let capability = Capability::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "unknown capability {name:?} (known: send, read, sessions)"
                    ))
                })?;
            caps.0 |= capability.bit();
        }
        if caps.0 == 0 {
            return Err(Error::invalid("at least one capability is needed"));
        }
        Ok(caps)
    }

    /// Whether `capability` is in the set.
    #[must_use]
    pub const fn has(self, capability: Capability) -> bool {
        self.0 & capability.bit() != 0
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |bits, c| bits | c.bit()))
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Capability::ALL
            .into_iter()
            .filter(|c| self.has(*c))
            .map(Capability::name)
            .collect();
        f.write_str(&names.join(","))
    }
}
