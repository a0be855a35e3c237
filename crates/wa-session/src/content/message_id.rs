//! Message ids: checked when they come from a caller or a peer, generated the way WhatsApp
//! Web (and whatsmeow) does for our own sends.

use std::fmt;

use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use wa_binary::Jid;

use super::time::UnixMillis;
use crate::error::{Error, MessageIdError};

/// The longest id accepted. Ids seen on the wire are 20 (iOS, `3A…`), 22 (Web, `3EB0…`), 32
/// (Android) and 40 (Baileys' `generateMessageID`) characters, or decimal Messenger ids of up
/// to 19 digits; the bound leaves room for new forms while keeping hostile input small.
pub const MAX_MESSAGE_ID_LEN: usize = 128;

/// The prefix WhatsApp Web puts on the ids it generates.
const WEB_PREFIX: &str = "3EB0";
/// How many bytes of the SHA-256 digest the generated id carries (18 hex characters).
const DIGEST_BYTES: usize = 9;
/// How many random bytes go into the digest.
const RANDOM_BYTES: usize = 16;

/// A message id (`<message id=…>`, `MessageKey.id`): 1 to [`MAX_MESSAGE_ID_LEN`] ASCII letters
/// and digits.
///
/// ```
/// use wa_session::content::MessageId;
///
/// let id = MessageId::parse("3EB0A1B2C3D4E5F6A7B8C9")?;
/// assert_eq!(id.as_str(), "3EB0A1B2C3D4E5F6A7B8C9");
/// assert!(MessageId::parse("").is_err());
/// assert!(MessageId::parse("3EB0 1234").is_err());
/// # Ok::<(), wa_session::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(String);

impl MessageId {
    /// Checks an id given by a caller or read from a peer's message.
    ///
    /// # Errors
    /// [`Error::InvalidMessageId`] when it is empty, longer than [`MAX_MESSAGE_ID_LEN`], or has
    /// a character other than an ASCII letter or digit.
    pub fn parse(id: &str) -> Result<Self, Error> {
        if id.is_empty() {
            return Err(Error::InvalidMessageId(MessageIdError::Empty));
        }
        if id.len() > MAX_MESSAGE_ID_LEN {
            return Err(Error::InvalidMessageId(MessageIdError::TooLong));
        }
        if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidMessageId(MessageIdError::InvalidCharacter));
        }
        Ok(Self(id.to_owned()))
    }

    /// A new id for one of our sends: `3EB0` and the first 9 bytes, in upper-case hex, of
    /// SHA-256(unix seconds as big-endian u64 ‖ own user ‖ `@c.us` ‖ 16 random bytes). The own
    /// user part is left out when `own` is `None` (not yet registered), as whatsmeow does.
    ///
    /// ```
    /// use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
    /// use wa_session::content::{MessageId, UnixMillis};
    ///
    /// let me: wa_binary::Jid = "15550001111:7@s.whatsapp.net".parse()?;
    /// let mut rng = ChaCha20Rng::seed_from_u64(1);
    /// let id = MessageId::generate(UnixMillis::new(1_700_000_000_000), Some(&me), &mut rng);
    /// assert_eq!(id.as_str().len(), 22);
    /// assert!(id.as_str().starts_with("3EB0"));
    /// # Ok::<(), wa_binary::JidError>(())
    /// ```
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(
        now: UnixMillis,
        own: Option<&Jid>,
        rng: &mut R,
    ) -> Self {
        let mut random = [0u8; RANDOM_BYTES];
        rng.fill_bytes(&mut random);
        Self::from_parts(now, own, &random)
    }

    /// The deterministic part of [`MessageId::generate`], with the random bytes given.
    fn from_parts(now: UnixMillis, own: Option<&Jid>, random: &[u8; RANDOM_BYTES]) -> Self {
        let mut hash = Sha256::new();
        hash.update(now.as_secs().to_be_bytes());
        if let Some(own) = own.filter(|own| !own.user().is_empty()) {
            hash.update(own.user().as_bytes());
            hash.update(b"@c.us");
        }
        hash.update(random);
        let digest = hash.finalize();
        let mut id = String::with_capacity(WEB_PREFIX.len() + 2 * DIGEST_BYTES);
        id.push_str(WEB_PREFIX);
        for byte in digest.iter().take(DIGEST_BYTES) {
            push_upper_hex(&mut id, *byte);
        }
        Self(id)
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Appends the two upper-case hex digits of `byte`.
fn push_upper_hex(out: &mut String, byte: u8) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for nibble in [byte >> 4, byte & 0x0f] {
        if let Some(&digit) = DIGITS.get(usize::from(nibble)) {
            out.push(char::from(digit));
        }
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", self.0)
    }
}

impl std::str::FromStr for MessageId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_id_forms_seen_on_the_wire() {
        for id in [
            "3EB0A1B2C3D4E5F6A7B8C9",                   // Web / whatsmeow
            "3A1B2C3D4E5F60718293",                     // iOS
            "ABCDEF0123456789ABCDEF0123456789",         // Android
            "3EB0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // Baileys generateMessageID
            "BAE5F2D1C0A1B2C3",                         // old Baileys
            "7205612345678901234",                      // Messenger (decimal)
            "abc123",                                   // lower case is not refused
            "X",
        ] {
            assert_eq!(MessageId::parse(id).unwrap().as_str(), id, "{id}");
        }
        let longest = "A".repeat(MAX_MESSAGE_ID_LEN);
        assert!(MessageId::parse(&longest).is_ok());
    }

    #[test]
    fn refuses_malformed_ids() {
        let too_long = "A".repeat(MAX_MESSAGE_ID_LEN + 1);
        let cases: [(&str, MessageIdError); 9] = [
            ("", MessageIdError::Empty),
            (&too_long, MessageIdError::TooLong),
            ("3EB0 A1B2", MessageIdError::InvalidCharacter),
            ("3EB0-A1B2", MessageIdError::InvalidCharacter),
            ("wamid.HBgL", MessageIdError::InvalidCharacter),
            ("3EB0\nA1", MessageIdError::InvalidCharacter),
            ("3EB0\0", MessageIdError::InvalidCharacter),
            ("ÄBC", MessageIdError::InvalidCharacter),
            ("١٢٣", MessageIdError::InvalidCharacter), // non-ASCII digits
        ];
        for (id, want) in cases {
            match MessageId::parse(id) {
                Err(Error::InvalidMessageId(got)) => assert_eq!(got, want, "{id:?}"),
                other => panic!("{id:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn generated_ids_follow_the_web_recipe() {
        let me: Jid = "15550001111:7@s.whatsapp.net".parse().unwrap();
        let now = UnixMillis::new(1_700_000_000_999);
        let random = [0x42u8; RANDOM_BYTES];
        let id = MessageId::from_parts(now, Some(&me), &random);

        let mut input = 1_700_000_000u64.to_be_bytes().to_vec();
        input.extend_from_slice(b"15550001111@c.us");
        input.extend_from_slice(&random);
        let digest = Sha256::digest(&input);
        let want = format!("3EB0{}", hex::encode_upper(&digest[..9]));
        assert_eq!(id.as_str(), want);
        assert!(MessageId::parse(id.as_str()).is_ok());

        // Without an own JID only the time and the random bytes are hashed.
        let anonymous = MessageId::from_parts(now, None, &random);
        let mut input = 1_700_000_000u64.to_be_bytes().to_vec();
        input.extend_from_slice(&random);
        let want = format!("3EB0{}", hex::encode_upper(&Sha256::digest(&input)[..9]));
        assert_eq!(anonymous.as_str(), want);
    }

    #[test]
    fn generation_draws_fresh_randomness() {
        use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
        let me: Jid = "15550001111@s.whatsapp.net".parse().unwrap();
        let now = UnixMillis::new(1_700_000_000_000);
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let a = MessageId::generate(now, Some(&me), &mut rng);
        let b = MessageId::generate(now, Some(&me), &mut rng);
        assert_ne!(a, b);
        let mut again = ChaCha20Rng::seed_from_u64(7);
        assert_eq!(MessageId::generate(now, Some(&me), &mut again), a);
    }
}
