//! Wire tag bytes of the binary XML format (PROTOCOL.md section 2).
//!
//! Bytes 1..=235 are single-byte tokens of the connection's dictionary; 240..=244 are invalid.

/// Empty list; also the empty string (dictionary v2) and an empty JID user.
pub const LIST_EMPTY: u8 = 0;
/// First double-byte dictionary; `DICTIONARY_0 + d` selects dictionary `d` (0..=3).
pub const DICTIONARY_0: u8 = 236;
/// Last double-byte dictionary.
pub const DICTIONARY_3: u8 = 239;
/// Interop JID: user, u16 device, u16 integrator, server.
pub const INTEROP_JID: u8 = 245;
/// Messenger JID: user, u16 device, server.
pub const FB_JID: u8 = 246;
/// AD JID: domain byte, device byte, user.
pub const AD_JID: u8 = 247;
/// List with a 1-byte size.
pub const LIST_8: u8 = 248;
/// List with a 2-byte big-endian size.
pub const LIST_16: u8 = 249;
/// JID pair: user (or LIST_EMPTY), server.
pub const JID_PAIR: u8 = 250;
/// Packed upper-case hex string.
pub const HEX_8: u8 = 251;
/// Raw bytes with a 1-byte length.
pub const BINARY_8: u8 = 252;
/// Raw bytes with a 20-bit length in 3 bytes.
pub const BINARY_20: u8 = 253;
/// Raw bytes with a 4-byte big-endian length.
pub const BINARY_32: u8 = 254;
/// Packed string of `0-9`, `-` and `.`.
pub const NIBBLE_8: u8 = 255;

/// Longest string written packed (NIBBLE_8 / HEX_8), in characters.
pub const PACKED_MAX: usize = 127;

/// Frame flag byte bit: the rest of the frame is a zlib stream.
pub const FLAG_COMPRESSED: u8 = 0x02;
