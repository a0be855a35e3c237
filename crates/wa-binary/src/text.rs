//! Strings inside nodes and JIDs, stored without a heap allocation where possible.
//!
//! A decoded node's strings are mostly dictionary tokens (`&'static str`), slices of the input
//! (raw strings) or short unpacked strings (message ids, timestamps, phone numbers). [`Text`]
//! keeps each of those without allocating, and keeps tokens static across
//! [`Text::into_owned`].

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Bytes a string may have to be stored inline (22: a `3EB0` message id, an old-style group
/// user `15551234567-1441234567`, any phone number or LID).
pub(crate) const INLINE_CAPACITY: usize = 22;

/// A string of at most [`INLINE_CAPACITY`] bytes stored in place.
#[derive(Clone, Copy)]
pub(crate) struct InlineStr {
    len: u8,
    buf: [u8; INLINE_CAPACITY],
}

impl InlineStr {
    /// `None` when `s` is too long.
    pub(crate) fn new(s: &str) -> Option<Self> {
        let len = u8::try_from(s.len()).ok()?;
        let mut buf = [0u8; INLINE_CAPACITY];
        buf.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(Self { len, buf })
    }

    pub(crate) fn as_str(&self) -> &str {
        // `buf[..len]` was copied whole from a `&str`, so it is always UTF-8 and in range; the
        // fallbacks are unreachable and only keep this free of panics.
        let bytes = self.buf.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

/// An owned string that is inline when short: the user part of a JID, an unknown server name.
#[derive(Clone)]
pub(crate) enum CompactStr {
    Inline(InlineStr),
    Heap(Box<str>),
}

impl CompactStr {
    pub(crate) fn new(s: &str) -> Self {
        InlineStr::new(s).map_or_else(|| Self::Heap(s.into()), Self::Inline)
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Inline(s) => s.as_str(),
            Self::Heap(s) => s,
        }
    }
}

impl PartialEq for CompactStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CompactStr {}

impl Hash for CompactStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for CompactStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A string in a [`Node`](crate::Node): a tag, an attribute key or value, or string content.
///
/// It derefs to `str`, compares and hashes as its text, and is built with `From` from
/// `&str`, `String`, `Box<str>` and `Cow<str>`.
///
/// ```
/// use wa_binary::Text;
/// let t = Text::from("message");
/// assert_eq!(t, "message");
/// assert_eq!(t.len(), 7);
/// let owned: Text<'static> = Text::from(String::from("x")).into_owned();
/// assert_eq!(&*owned, "x");
/// ```
#[derive(Clone)]
pub struct Text<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    /// A dictionary token or a literal: stays borrowed across `into_owned`.
    Static(&'static str),
    /// A slice of the decoded input or of the caller's data.
    Borrowed(&'a str),
    /// A short owned string.
    Inline(InlineStr),
    /// A long owned string.
    Heap(Box<str>),
}

impl<'a> Text<'a> {
    /// A string with the `'static` lifetime, kept borrowed by [`Text::into_owned`].
    #[must_use]
    pub const fn from_static(s: &'static str) -> Self {
        Self(Repr::Static(s))
    }

    /// A borrowed string.
    #[must_use]
    pub const fn borrowed(s: &'a str) -> Self {
        Self(Repr::Borrowed(s))
    }

    /// An owned copy of `s` (inline when short).
    #[must_use]
    pub fn copied(s: &str) -> Self {
        InlineStr::new(s).map_or_else(|| Self(Repr::Heap(s.into())), |i| Self(Repr::Inline(i)))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Borrowed(s) => s,
            Repr::Inline(s) => s.as_str(),
            Repr::Heap(s) => s,
        }
    }

    /// Whether this borrows from something other than static data (so [`Text::into_owned`]
    /// would copy it).
    #[must_use]
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Repr::Borrowed(_))
    }

    /// A `Text` that owns its string (or borrows static data); copies only a borrowed string.
    #[must_use]
    pub fn into_owned(self) -> Text<'static> {
        Text(match self.0 {
            Repr::Static(s) => Repr::Static(s),
            Repr::Borrowed(s) => return Text::copied(s),
            Repr::Inline(s) => Repr::Inline(s),
            Repr::Heap(s) => Repr::Heap(s),
        })
    }
}

impl Default for Text<'_> {
    fn default() -> Self {
        Self::from_static("")
    }
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text<'_> {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text<'_> {}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Text<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Self::borrowed(s)
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        InlineStr::new(&s).map_or_else(
            || Self(Repr::Heap(s.into_boxed_str())),
            |i| Self(Repr::Inline(i)),
        )
    }
}

impl From<Box<str>> for Text<'_> {
    fn from(s: Box<str>) -> Self {
        Self(Repr::Heap(s))
    }
}

impl<'a> From<Cow<'a, str>> for Text<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Self::borrowed(s),
            Cow::Owned(s) => Self::from(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_boundary() {
        let exact = "a".repeat(INLINE_CAPACITY);
        assert!(InlineStr::new(&exact).is_some());
        assert!(InlineStr::new(&format!("{exact}b")).is_none());
        assert_eq!(CompactStr::new(&exact).as_str(), exact);
        assert_eq!(
            CompactStr::new(&format!("{exact}b")).as_str(),
            format!("{exact}b")
        );
    }

    #[test]
    fn into_owned_keeps_static_and_copies_borrowed() {
        let source = String::from("borrowed");
        let t = Text::borrowed(&source);
        assert!(t.is_borrowed());
        let owned = t.into_owned();
        drop(source);
        assert_eq!(owned, "borrowed");
        assert!(!owned.is_borrowed());
        assert!(matches!(
            Text::from_static("iq").into_owned().0,
            Repr::Static("iq")
        ));
    }

    #[test]
    fn equality_ignores_storage() {
        let long = "x".repeat(40);
        assert_eq!(Text::from(long.clone()), Text::borrowed(&long));
        assert_eq!(Text::copied("ab"), Text::from_static("ab"));
        assert_eq!(format!("{:?}", Text::copied("a\"b")), "\"a\\\"b\"");
    }
}
