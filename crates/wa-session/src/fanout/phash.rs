//! The participant hash (`phash`) a sender puts on a group stanza and the server compares with
//! its own view of the member devices (PROTOCOL.md section 5).

use sha2::{Digest as _, Sha256};
use wa_binary::Jid;

/// `"2:"` and the unpadded base64 of the first 6 bytes of SHA-256 over the devices' AD strings
/// (`user.agent:device@server`), sorted and concatenated.
///
/// ```
/// use wa_session::fanout::participant_hash;
/// let a: wa_binary::Jid = "15550001111:1@s.whatsapp.net".parse()?;
/// let b: wa_binary::Jid = "15550002222@s.whatsapp.net".parse()?;
/// let hash = participant_hash(&[a.clone(), b.clone()]);
/// assert_eq!(hash, participant_hash(&[b, a]));
/// assert!(hash.starts_with("2:") && hash.len() == 10);
/// # Ok::<(), wa_binary::JidError>(())
/// ```
#[must_use]
pub fn participant_hash(devices: &[Jid]) -> String {
    use std::fmt::Write as _;
    // Every AD string goes into one buffer (no allocation per device); the ranges are sorted
    // by the text they cover and fed to the hash in that order.
    let mut text = String::with_capacity(devices.len() * 32);
    let mut ranges = Vec::with_capacity(devices.len());
    for jid in devices {
        let start = text.len();
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            "{}.{}:{}@{}",
            jid.user(),
            jid.agent(),
            jid.device(),
            jid.server().as_str()
        );
        ranges.push(start..text.len());
    }
    let piece = |range: &std::ops::Range<usize>| text.get(range.clone()).unwrap_or_default();
    ranges.sort_unstable_by(|a, b| piece(a).cmp(piece(b)));
    let mut hasher = Sha256::new();
    for range in &ranges {
        hasher.update(piece(range).as_bytes());
    }
    let digest = hasher.finalize();
    let mut hash = String::from("2:");
    push_base64_unpadded(&mut hash, digest.get(..6).unwrap_or_default());
    hash
}

/// RFC 4648 base64 (standard alphabet) without `=` padding.
fn push_base64_unpadded(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = byte(0) << 16 | byte(1) << 8 | byte(2);
        // n input bytes give n + 1 output characters.
        for index in 0..=chunk.len() {
            let sextet = (group >> (18 - 6 * index)) & 0x3F;
            let symbol = ALPHABET.get(sextet as usize).copied().unwrap_or(b'A');
            out.push(char::from(symbol));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, expected) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
        ] {
            let mut out = String::new();
            push_base64_unpadded(&mut out, input);
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn hash_is_the_simulators() {
        let devices: Vec<Jid> = [
            "15550001111@s.whatsapp.net",
            "15550001111:3@s.whatsapp.net",
            "100000000000001:2@lid",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        assert_eq!(
            participant_hash(&devices),
            wa_sim::participant_hash(&devices)
        );
    }
}
