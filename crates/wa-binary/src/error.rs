//! The crate's error types: [`Error`] for the codec, [`JidError`] for JID syntax.
//!
//! Messages never quote the input (JIDs are phone numbers; payloads are private).

/// A failure to encode or decode a node, or to pick a dictionary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before a value it announced (also: a declared length or list size
    /// larger than the bytes left).
    #[error("unexpected end of input")]
    UnexpectedEof,
    /// A byte that is not a valid tag where it was read (240..=244 anywhere, a list header
    /// where a string is needed, a string tag where a list header is needed, ...).
    #[error("invalid tag byte {0:#04x}")]
    InvalidTag(u8),
    /// A nibble that is not valid in a packed string.
    #[error("invalid nibble {nibble:#x} in a packed string (tag {tag:#04x})")]
    InvalidNibble {
        /// The packed tag: NIBBLE_8 (255) or HEX_8 (251).
        tag: u8,
        /// The offending 4-bit value.
        nibble: u8,
    },
    /// A packed string whose header says "odd length" but holds no byte.
    #[error("packed string of odd length with no bytes")]
    InvalidPackedLength,
    /// A raw string that must be text (tag, attribute, JID part) is not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A JID where only a plain string is allowed (a tag, an attribute key, a part of a JID).
    #[error("a JID where a plain string is required")]
    UnexpectedJid,
    /// A node with list size 0 or an empty tag.
    #[error("invalid node: empty list header or empty tag")]
    InvalidNode,
    /// An FB or interop JID whose server is not `msgr` / `interop`.
    #[error("JID tag {tag:#04x} with a server it cannot carry")]
    InvalidJidServer {
        /// FB_JID (246) or INTEROP_JID (245).
        tag: u8,
    },
    /// A JID whose user part holds `.`, `:` or `@`: its text form would name another JID
    /// (agent, device or server), so two different wire JIDs could pass for one another.
    #[error("JID tag {tag:#04x} with a user part that is not a JID user")]
    InvalidJidUser {
        /// The JID tag (JID_PAIR, AD_JID, FB_JID or INTEROP_JID).
        tag: u8,
    },
    /// Nesting deeper than the decoder's limit.
    #[error("nodes nested deeper than {limit}")]
    TooDeep {
        /// The configured limit.
        limit: usize,
    },
    /// Bytes left over after the root node.
    #[error("{count} bytes left over after the root node")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The zlib stream of a compressed frame is corrupt or truncated.
    #[error("zlib inflate failed: {0}")]
    Inflate(String),
    /// A compressed frame inflates to more than the decoder's limit.
    #[error("compressed frame inflates to more than {limit} bytes")]
    InflatedTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The intro header names a dictionary version this crate does not have.
    #[error("unsupported token dictionary version {0}")]
    UnsupportedDictionary(u8),
    /// Encoding: a list (attributes + tag + content, or children) longer than LIST_16 holds.
    #[error("list of {len} entries does not fit LIST_16")]
    ListTooLong {
        /// The list size that was asked for.
        len: usize,
    },
    /// Encoding: a byte string of 2^32 bytes or more.
    #[error("byte string of {len} bytes is too long to encode")]
    BytesTooLong {
        /// The length that was asked for.
        len: usize,
    },
    /// Encoding: a device number that the JID's wire form cannot carry.
    #[error("device {device} does not fit the JID's wire form")]
    DeviceOutOfRange {
        /// The device number.
        device: u16,
    },
}

/// A JID string or JID part that is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum JidError {
    /// The empty string.
    #[error("empty JID")]
    Empty,
    /// More than one `@`.
    #[error("JID has more than one '@'")]
    MultipleAt,
    /// Nothing after the `@`.
    #[error("JID has an empty server")]
    EmptyServer,
    /// No `@` and not the name of a known server.
    #[error("JID has no '@' and is not a known server")]
    UnknownServer,
    /// A server name with characters outside `a-z 0-9 . -`, or a misplaced dot.
    #[error("JID server is not a valid name")]
    InvalidServer,
    /// A user part with characters its server does not allow (digits only on
    /// `s.whatsapp.net`, `lid`, `hosted`, `hosted.lid`, `newsletter`, `msgr`, `interop`, `bot`;
    /// digits and `-` on `g.us`; ASCII letters, digits and `-` elsewhere).
    #[error("JID user part is not valid for its server")]
    InvalidUser,
    /// A device or agent suffix with no user before it.
    #[error("JID has a device or agent but no user")]
    EmptyUser,
    /// A device that is not a plain decimal number (no sign, no leading zero), or several `:`.
    #[error("JID device is not a decimal number")]
    InvalidDevice,
    /// A device above what the server's wire form carries (255 for AD JIDs, 65535 for
    /// `msgr` and `interop`).
    #[error("JID device is out of range for its server")]
    DeviceOutOfRange,
    /// A device on a server whose JIDs have none (`g.us`, `broadcast`, `newsletter`, ...).
    #[error("JID server does not take a device")]
    DeviceNotAllowed,
    /// An agent that is not a decimal number in 0..=255, or several `.` in the user part.
    #[error("JID agent is not a decimal number in 0..=255")]
    InvalidAgent,
    /// An agent on a server other than `s.whatsapp.net`.
    #[error("JID server does not take an agent")]
    AgentNotAllowed,
    /// An interop integrator that is not a decimal number in 0..=65535.
    #[error("JID integrator is not a decimal number in 0..=65535")]
    InvalidIntegrator,
    /// An integrator on a server other than `interop`.
    #[error("JID server does not take an integrator")]
    IntegratorNotAllowed,
}
