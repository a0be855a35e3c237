//! The text of a reaction we send: one emoji, or nothing (which removes our reaction).

use std::fmt;

use crate::error::Error;

/// A reaction's text: empty (the removal of our reaction) or exactly one emoji.
///
/// "One emoji" means one entry of the Unicode emoji list (`emoji-test.txt`, via the `emojis`
/// crate) in any of its qualification forms: a single code point, a keycap, a flag, a
/// skin-tone or ZWJ sequence, with or without the VS16 presentation selector. Anything else —
/// words, two emoji, an emoji with trailing text or spaces, a lone skin-tone modifier — is
/// refused, because peers silently drop reactions they cannot show. The text is kept exactly
/// as given (an unqualified `❤` stays without VS16).
///
/// ```
/// use wa_session::content::ReactionEmoji;
///
/// assert!(ReactionEmoji::parse("👍")?.as_str() == "👍");
/// assert!(ReactionEmoji::parse("👨‍👩‍👧‍👦").is_ok()); // one ZWJ sequence
/// assert!(ReactionEmoji::parse("").map(|e| e.is_removal())?);
/// assert!(ReactionEmoji::parse("👍👍").is_err());
/// assert!(ReactionEmoji::parse("remove").is_err());
/// # Ok::<(), wa_session::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReactionEmoji(String);

impl ReactionEmoji {
    /// Checks a reaction text.
    ///
    /// # Errors
    /// [`Error::InvalidEmoji`] unless `text` is empty or exactly one emoji.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.is_empty() || emojis::get(text).is_some() {
            Ok(Self(text.to_owned()))
        } else {
            Err(Error::InvalidEmoji)
        }
    }

    /// The removal of our reaction (the empty text).
    #[must_use]
    pub fn removal() -> Self {
        Self(String::new())
    }

    /// Whether this removes the reaction.
    #[must_use]
    pub fn is_removal(&self) -> bool {
        self.0.is_empty()
    }

    /// The text as it goes into `ReactionMessage.text`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReactionEmoji {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ReactionEmoji {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_removal() {
            f.write_str("ReactionEmoji(removal)")
        } else {
            write!(f, "ReactionEmoji({})", self.0)
        }
    }
}

impl std::str::FromStr for ReactionEmoji {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_emoji_of_every_shape() {
        for (what, text) in [
            ("single code point", "👍"),
            ("emoji presentation by default", "😀"),
            ("VS16 heart", "\u{2764}\u{fe0f}"),
            ("unqualified heart (no VS16)", "\u{2764}"),
            ("skin tone", "👍🏽"),
            ("skin tone, darkest", "👋🏿"),
            ("ZWJ family", "👨‍👩‍👧‍👦"),
            ("ZWJ with skin tones", "🧑🏽‍🤝‍🧑🏻"),
            ("ZWJ profession", "👩‍💻"),
            ("ZWJ with VS16 inside", "🏳️‍🌈"),
            ("ZWJ rainbow flag without VS16", "🏳‍🌈"),
            ("flag", "🇧🇷"),
            ("subdivision flag (tag sequence)", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"),
            ("keycap with VS16", "1\u{fe0f}\u{20e3}"),
            ("keycap without VS16", "#\u{20e3}"),
            ("text-default symbol with VS16", "\u{00a9}\u{fe0f}"),
            ("Unicode 15 emoji", "🫨"),
        ] {
            let emoji = ReactionEmoji::parse(text).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(emoji.as_str(), text, "{what}: kept as given");
            assert!(!emoji.is_removal());
        }
    }

    #[test]
    fn empty_is_the_removal() {
        let removal = ReactionEmoji::parse("").unwrap();
        assert!(removal.is_removal());
        assert_eq!(removal, ReactionEmoji::removal());
        assert_eq!(format!("{removal:?}"), "ReactionEmoji(removal)");
    }

    #[test]
    fn refuses_everything_that_is_not_exactly_one_emoji() {
        for (what, text) in [
            ("two emoji", "👍👍"),
            ("two different emoji", "👍❤️"),
            ("two flags", "🇧🇷🇵🇹"),
            ("word", "remove"),
            ("plain text", "text"),
            ("letter", "a"),
            ("digit", "1"),
            ("hash sign", "#"),
            ("space", " "),
            ("emoji and space", "👍 "),
            ("space and emoji", " 👍"),
            ("emoji and text", "👍ok"),
            ("lone skin tone", "🏽"),
            ("lone ZWJ", "\u{200d}"),
            ("lone VS16", "\u{fe0f}"),
            ("lone regional indicator", "🇧"),
            ("dangling ZWJ", "👍\u{200d}"),
            ("newline", "👍\n"),
            ("NUL", "\0"),
            ("CJK", "好"),
        ] {
            assert!(
                matches!(ReactionEmoji::parse(text), Err(Error::InvalidEmoji)),
                "{what}: {text:?} accepted"
            );
        }
    }
}
