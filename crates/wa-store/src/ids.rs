//! Identifiers the store adds to the Signal ones: the owning device row, groups, LID and
//! phone-number users.

use std::fmt;

use crate::{Error, Result};

/// The row id of one of our own devices (an account logged in on this engine). Every other
/// row in the file belongs to exactly one device and is deleted with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(i64);

impl DeviceId {
    /// Wraps a row id read back from [`crate::Store::devices`] or kept by the caller.
    #[must_use]
    pub const fn from_raw(id: i64) -> Self {
        Self(id)
    }

    /// The row id.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

macro_rules! user_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates the user part: non-empty ASCII digits.
            ///
            /// # Errors
            /// [`Error::InvalidUser`] otherwise.
            pub fn new(user: &str) -> Result<Self> {
                if digits(user) {
                    Ok(Self(user.to_owned()))
                } else {
                    Err(Error::InvalidUser)
                }
            }

            /// The digits.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

user_newtype!(
    /// The user part of a LID (`…@lid`).
    LidUser
);
user_newtype!(
    /// The user part of a phone-number JID (`…@s.whatsapp.net`).
    PnUser
);

/// A group JID (`…@g.us`), the key of "which devices hold our sender key".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(String);

impl GroupId {
    /// Wraps a group JID.
    ///
    /// # Errors
    /// [`Error::InvalidUser`] for an empty id.
    pub fn new(group: &str) -> Result<Self> {
        if group.is_empty() {
            return Err(Error::InvalidUser);
        }
        Ok(Self(group.to_owned()))
    }

    /// The JID text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
