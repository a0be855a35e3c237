//! Token dictionaries v2 and v3, generated at build time from the fixture JSON tables.
//!
//! Both directions are constant time and allocation free: byte(s) -> string is an array index;
//! string -> token is a perfect hash (one hash, one slot, one string comparison).

use std::fmt;

use crate::error::Error;
use crate::tag;
use crate::token_hash::{bucket, hash, slot, BUCKETS, SLOTS};

/// Single-byte tokens per dictionary (byte 0, the empty string, included).
pub const SINGLE_BYTE_COUNT: usize = 236;
/// Tokens per double-byte dictionary.
pub const DOUBLE_BYTE_COUNT: usize = 256;
/// Double-byte dictionaries (tags 236..=239).
pub const DOUBLE_BYTE_DICTS: usize = 4;

/// One generated dictionary.
pub(crate) struct Table {
    single: [&'static str; SINGLE_BYTE_COUNT],
    double: [[&'static str; DOUBLE_BYTE_COUNT]; DOUBLE_BYTE_DICTS],
    seed: u64,
    disps: [(u32, u32); BUCKETS],
    /// Slot codes: 0 empty; `b` single byte `b`; `256 + 256*d + i` double (d, i).
    slots: [u16; SLOTS],
}

include!(concat!(env!("OUT_DIR"), "/tokens.rs"));

/// The token dictionary a connection uses, chosen by the last byte of the intro header
/// `57 41 06 VV`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dictionary {
    /// Version 2: Baileys 6.x (the vectors in `fixtures/baileys-6.17.16`). The empty string is
    /// written as `00`.
    V2,
    /// Version 3: WhatsApp Web, whatsmeow, Baileys 7. The empty string is written as `FC 00`.
    V3,
}

/// A token: its wire bytes in a dictionary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Token {
    /// One byte, 1..=235.
    Single(u8),
    /// `DICTIONARY_0 + dict`, then `index`.
    Double {
        /// The double-byte dictionary, 0..=3.
        dict: u8,
        /// The index in it.
        index: u8,
    },
}

impl Token {
    /// Appends the token's wire bytes.
    pub fn write_to(self, out: &mut Vec<u8>) {
        match self {
            Self::Single(byte) => out.push(byte),
            Self::Double { dict, index } => {
                out.push(tag::DICTIONARY_0.saturating_add(dict));
                out.push(index);
            }
        }
    }

    fn from_code(code: u16) -> Option<Self> {
        match code {
            0 => None,
            1..=255 => u8::try_from(code).ok().map(Self::Single),
            _ => {
                let [dict, index] = (code - 256).to_be_bytes();
                Some(Self::Double { dict, index })
            }
        }
    }
}

impl Dictionary {
    /// The dictionary for an intro-header version byte (2 or 3).
    ///
    /// # Errors
    /// [`Error::UnsupportedDictionary`] for any other byte.
    pub fn from_header_version(version: u8) -> Result<Self, Error> {
        match version {
            2 => Ok(Self::V2),
            3 => Ok(Self::V3),
            other => Err(Error::UnsupportedDictionary(other)),
        }
    }

    /// The intro-header version byte of this dictionary.
    #[must_use]
    pub const fn header_version(self) -> u8 {
        match self {
            Self::V2 => 2,
            Self::V3 => 3,
        }
    }

    fn table(self) -> &'static Table {
        match self {
            Self::V2 => &V2_TABLE,
            Self::V3 => &V3_TABLE,
        }
    }

    /// The token for `s`, if `s` is one (never for the empty string).
    #[must_use]
    pub fn lookup(self, s: &str) -> Option<Token> {
        let table = self.table();
        let h = hash(table.seed, s.as_bytes());
        let (d1, d2) = table.disps.get(bucket(h)).copied()?;
        let code = table.slots.get(slot(h, d1, d2)).copied()?;
        let token = Token::from_code(code)?;
        (self.token_str(token) == Some(s)).then_some(token)
    }

    /// The string of a token (`None` for byte 0, 236..=255 or a dictionary above 3).
    #[must_use]
    pub fn token_str(self, token: Token) -> Option<&'static str> {
        match token {
            Token::Single(byte) => self.single_byte(byte),
            Token::Double { dict, index } => self.double_byte(dict, index),
        }
    }

    /// The single-byte token `byte` (1..=235).
    #[must_use]
    pub fn single_byte(self, byte: u8) -> Option<&'static str> {
        if byte == 0 {
            return None;
        }
        self.table().single.get(usize::from(byte)).copied()
    }

    /// Entry `index` of double-byte dictionary `dict` (0..=3).
    #[must_use]
    pub fn double_byte(self, dict: u8, index: u8) -> Option<&'static str> {
        self.table()
            .double
            .get(usize::from(dict))?
            .get(usize::from(index))
            .copied()
    }

    /// The single-byte table (index = byte; entry 0 is the empty string, never written).
    #[must_use]
    pub fn single_byte_tokens(self) -> &'static [&'static str; SINGLE_BYTE_COUNT] {
        &self.table().single
    }

    /// The four double-byte tables.
    #[must_use]
    pub fn double_byte_tokens(
        self,
    ) -> &'static [[&'static str; DOUBLE_BYTE_COUNT]; DOUBLE_BYTE_DICTS] {
        &self.table().double
    }
}

impl fmt::Display for Dictionary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.header_version())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_versions() {
        assert_eq!(Dictionary::from_header_version(2), Ok(Dictionary::V2));
        assert_eq!(Dictionary::from_header_version(3), Ok(Dictionary::V3));
        assert_eq!(
            Dictionary::from_header_version(4),
            Err(Error::UnsupportedDictionary(4))
        );
        assert_eq!(Dictionary::V3.header_version(), 3);
    }

    #[test]
    fn known_tokens() {
        // v2 index 9 is "broadcast", v3 index 9 is "notification" (UPSTREAM-README).
        assert_eq!(Dictionary::V2.single_byte(9), Some("broadcast"));
        assert_eq!(Dictionary::V3.single_byte(9), Some("notification"));
        assert_eq!(Dictionary::V2.lookup("iq"), Some(Token::Single(0x1e)));
        assert_eq!(
            Dictionary::V2.lookup("voip_settings"),
            Some(Token::Double { dict: 0, index: 5 })
        );
        assert_eq!(Dictionary::V2.lookup(""), None);
        assert_eq!(Dictionary::V2.lookup("not a token"), None);
        assert_eq!(Dictionary::V2.single_byte(0), None);
        assert_eq!(Dictionary::V2.single_byte(236), None);
        assert_eq!(Dictionary::V2.double_byte(4, 0), None);
    }

    #[test]
    fn every_token_round_trips_in_both_dictionaries() {
        for dict in [Dictionary::V2, Dictionary::V3] {
            for (byte, s) in dict.single_byte_tokens().iter().enumerate().skip(1) {
                let token = Token::Single(u8::try_from(byte).unwrap());
                assert_eq!(dict.lookup(s), Some(token), "{dict} {s}");
            }
            for (d, table) in dict.double_byte_tokens().iter().enumerate() {
                for (i, s) in table.iter().enumerate() {
                    let token = Token::Double {
                        dict: u8::try_from(d).unwrap(),
                        index: u8::try_from(i).unwrap(),
                    };
                    assert_eq!(dict.lookup(s), Some(token), "{dict} {s}");
                    assert_eq!(dict.token_str(token), Some(*s));
                }
            }
        }
    }
}
