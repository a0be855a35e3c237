//! The pairing QR string a new client shows and a phone scans:
//! `REF,base64(noise pub),base64(identity pub),base64(ADV secret)`. Baileys 6 shows exactly
//! that; whatsmeow and Baileys 7 prefix it with `https://wa.me/settings/linked_devices#` and
//! append a fifth field, the companion client type (`0`..`9`, `c`, `e`: Chrome, Electron,
//! macOS, Android...). Both forms are accepted; the client type is kept but not used.

use core::fmt;

use wa_noise::PublicKey;
use zeroize::Zeroizing;

use crate::error::{QrError, QrField};

/// The URL prefix whatsmeow and Baileys 7 put before the fields.
const LINK_PREFIX: &str = "https://wa.me/settings/linked_devices#";
/// Every key in the QR is 32 bytes (the ADV secret too).
const KEY_LENGTH: usize = 32;

/// A parsed pairing QR.
pub(crate) struct PairingQr {
    /// One of the refs the server sent in `<pair-device>`.
    pub(crate) reference: String,
    /// The client's Noise static public key.
    pub(crate) noise_key: PublicKey,
    /// The client's Signal identity public key.
    pub(crate) identity_key: PublicKey,
    /// The HMAC key of the `pair-success` device identity: secret, zeroized on drop.
    pub(crate) adv_secret: Zeroizing<Vec<u8>>,
    /// The companion client type, when the QR has one.
    pub(crate) client_type: Option<String>,
}

impl fmt::Debug for PairingQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairingQr")
            .field("reference", &self.reference)
            .field("noise_key", &self.noise_key)
            .field("identity_key", &self.identity_key)
            .field("adv_secret", &"[redacted]")
            .field("client_type", &self.client_type)
            .finish()
    }
}

impl PairingQr {
    /// Parses a QR string in either form (see the module docs).
    pub(crate) fn parse(qr: &str) -> Result<Self, QrError> {
        let fields = qr.strip_prefix(LINK_PREFIX).unwrap_or(qr);
        let parts: Vec<&str> = fields.split(',').collect();
        let (reference, noise, identity, adv, client_type) = match parts.as_slice() {
            [reference, noise, identity, adv] => (reference, noise, identity, adv, None),
            [reference, noise, identity, adv, client_type] => {
                (reference, noise, identity, adv, Some(*client_type))
            }
            other => return Err(QrError::FieldCount(other.len())),
        };
        if reference.is_empty() {
            return Err(QrError::EmptyRef);
        }
        if let Some(client_type) = client_type {
            let valid = (1..=2).contains(&client_type.len())
                && client_type.bytes().all(|b| b.is_ascii_alphanumeric());
            if !valid {
                return Err(QrError::ClientType);
            }
        }
        Ok(Self {
            reference: (*reference).to_owned(),
            noise_key: decode_key(noise, QrField::NoiseKey)?,
            identity_key: decode_key(identity, QrField::IdentityKey)?,
            adv_secret: decode_secret(adv)?,
            client_type: client_type.map(str::to_owned),
        })
    }
}

fn decode_key(text: &str, field: QrField) -> Result<PublicKey, QrError> {
    let bytes = decode_base64(text).ok_or(QrError::Base64(field))?;
    PublicKey::from_slice(&bytes).ok_or(QrError::KeyLength(field))
}

fn decode_secret(text: &str) -> Result<Zeroizing<Vec<u8>>, QrError> {
    let secret = decode_base64(text).ok_or(QrError::Base64(QrField::AdvSecret))?;
    if secret.len() == KEY_LENGTH {
        Ok(secret)
    } else {
        Err(QrError::KeyLength(QrField::AdvSecret))
    }
}

/// Decodes RFC 4648 base64 (standard alphabet), padded or not. Rejects other characters,
/// misplaced padding and non-zero trailing bits, so every key has exactly one spelling.
fn decode_base64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let digits = text.trim_end_matches('=');
    let padding = text.len() - digits.len();
    if padding > 2 || (padding > 0 && text.len() % 4 != 0) || digits.len() % 4 == 1 {
        return None;
    }
    // Allocated once at its final size, so no stray copy of a secret is left behind.
    let mut out = Zeroizing::new(Vec::with_capacity(digits.len() * 3 / 4));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in digits.bytes() {
        buffer = (buffer << 6) | sextet(byte)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let [.., octet] = (buffer >> bits).to_be_bytes();
            out.push(octet);
            buffer &= (1 << bits) - 1;
        }
    }
    // The bits left over (0, 2 or 4) are padding and must be zero.
    (buffer == 0).then_some(out)
}

fn sextet(byte: u8) -> Option<u32> {
    let value = match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    const NOISE: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    const IDENTITY: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
    const ADV: &str = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=";

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (encoded, plain) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9vYg", "foob"),
        ] {
            assert_eq!(
                decode_base64(encoded).unwrap().as_slice(),
                plain.as_bytes(),
                "{encoded}"
            );
        }
        assert_eq!(decode_base64("+/8=").unwrap().as_slice(), &[0xFB, 0xFF]);
        for bad in [
            "Z", "Zg=", "Zm9v=", "Zg===", "Zh==", "Zm9-", "Zg==Zg==", "Z g=",
        ] {
            assert!(decode_base64(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn parses_both_forms() {
        let plain = format!("2@abc,{NOISE},{IDENTITY},{ADV}");
        let qr = PairingQr::parse(&plain).unwrap();
        assert_eq!(qr.reference, "2@abc");
        assert_eq!(qr.noise_key.as_bytes(), &[1; 32]);
        assert_eq!(qr.identity_key.as_bytes(), &[2; 32]);
        assert_eq!(qr.adv_secret.as_slice(), &[3; 32]);
        assert_eq!(qr.client_type, None);

        let link = format!("{LINK_PREFIX}2@abc,{NOISE},{IDENTITY},{ADV},c");
        let qr = PairingQr::parse(&link).unwrap();
        assert_eq!(qr.reference, "2@abc");
        assert_eq!(qr.client_type.as_deref(), Some("c"));
        assert!(!format!("{qr:?}").contains(ADV), "the secret is redacted");
    }

    #[test]
    fn refuses_malformed_qrs() {
        let short = "AQEB";
        let cases = [
            (String::new(), QrError::FieldCount(1)),
            (format!("r,{NOISE},{IDENTITY}"), QrError::FieldCount(3)),
            (
                format!("r,{NOISE},{IDENTITY},{ADV},1,2"),
                QrError::FieldCount(6),
            ),
            (format!(",{NOISE},{IDENTITY},{ADV}"), QrError::EmptyRef),
            (format!("r,{NOISE},{IDENTITY},{ADV},"), QrError::ClientType),
            (
                format!("r,{NOISE},{IDENTITY},{ADV},10a"),
                QrError::ClientType,
            ),
            (
                format!("r,!{NOISE},{IDENTITY},{ADV}"),
                QrError::Base64(QrField::NoiseKey),
            ),
            (
                format!("r,{NOISE},{short},{ADV}"),
                QrError::KeyLength(QrField::IdentityKey),
            ),
            (
                format!("r,{NOISE},{IDENTITY},{short}"),
                QrError::KeyLength(QrField::AdvSecret),
            ),
            (
                format!("r,{NOISE},{IDENTITY},{ADV}x"),
                QrError::Base64(QrField::AdvSecret),
            ),
        ];
        for (qr, expected) in cases {
            assert_eq!(PairingQr::parse(&qr).unwrap_err(), expected, "{qr:?}");
        }
    }
}
