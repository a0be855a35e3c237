//! The signature scheme: `X-WA-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>`.
//!
//! The signed string is the decimal `X-WA-Timestamp` value, one `.`, and the raw request body
//! bytes exactly as received (verify before parsing the JSON). The key is the subscription's
//! secret text (`whsec_…`) as bytes. Each attempt is signed afresh with its own timestamp, so a
//! receiver can also refuse requests older than a few minutes (replays).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::WebhookSecret;

/// Header names the worker sends.
pub mod headers {
    /// The event type, e.g. `message.reaction`.
    pub const EVENT: &str = "X-WA-Event";
    /// The delivery id, the same on every attempt of one delivery.
    pub const DELIVERY: &str = "X-WA-Delivery";
    /// Unix seconds when this attempt was signed.
    pub const TIMESTAMP: &str = "X-WA-Timestamp";
    /// `sha256=` and the lowercase hex HMAC-SHA256 of `timestamp "." body`.
    pub const SIGNATURE: &str = "X-WA-Signature";
}

const SCHEME: &str = "sha256=";

/// Why a signature did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The header is not `sha256=` followed by 64 hex digits, or the timestamp is not a number.
    #[error("malformed signature or timestamp header")]
    Malformed,
    /// Well formed, but not made with this secret over this timestamp and body.
    #[error("signature does not match")]
    Mismatch,
    /// Correctly signed, but the timestamp is further from now than the tolerance.
    #[error("timestamp outside the tolerance")]
    Stale,
}

fn mac(secret: &WebhookSecret, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; the error arm cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.key()) else {
        unreachable_key_length()
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cold]
fn unreachable_key_length() -> ! {
    unreachable!("HMAC-SHA256 takes keys of any length")
}

/// The `X-WA-Signature` value for `body` sent at `timestamp` (decimal Unix seconds).
///
/// ```
/// use wa_webhooks::{sign, WebhookSecret};
/// let secret = WebhookSecret::from_text("whsec_test");
/// let header = sign(&secret, "1700000000", br#"{"id":"evt_1"}"#);
/// assert!(header.starts_with("sha256=") && header.len() == 7 + 64);
/// ```
pub fn sign(secret: &WebhookSecret, timestamp: &str, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("{SCHEME}{}", hex::encode(tag))
}

/// Checks `X-WA-Signature` against the secret, the `X-WA-Timestamp` header and the raw body, in
/// constant time. Does not look at the clock; see [`verify_request`] for the freshness check.
///
/// A receiver's handler, in outline:
///
/// ```
/// use wa_webhooks::{sign, verify_signature, SignatureError, WebhookSecret};
/// // The secret shown when the subscription was created.
/// let secret = WebhookSecret::from_text("whsec_0123");
/// // What arrived: the two headers and the body bytes, before any JSON parsing.
/// let body = br#"{"id":"evt_1","type":"session.status"}"#;
/// let timestamp = "1700000000";
/// let signature = sign(&secret, timestamp, body); // the sender did this
/// assert_eq!(verify_signature(&secret, timestamp, body, &signature), Ok(()));
/// assert_eq!(
///     verify_signature(&secret, timestamp, b"{}", &signature),
///     Err(SignatureError::Mismatch)
/// );
/// ```
pub fn verify_signature(
    secret: &WebhookSecret,
    timestamp: &str,
    body: &[u8],
    signature_header: &str,
) -> Result<(), SignatureError> {
    let hex_tag = signature_header
        .trim()
        .strip_prefix(SCHEME)
        .ok_or(SignatureError::Malformed)?;
    let mut given = [0u8; 32];
    hex::decode_to_slice(hex_tag, &mut given).map_err(|_| SignatureError::Malformed)?;
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed);
    }
    let expected = mac(secret, timestamp, body).finalize().into_bytes();
    if bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// [`verify_signature`], then refuses a timestamp more than `tolerance_secs` away from `now_secs`
/// (Unix seconds; five minutes is a usual tolerance).
///
/// ```
/// use wa_webhooks::{sign, verify_request, SignatureError, WebhookSecret};
/// let secret = WebhookSecret::from_text("whsec_0123");
/// let body = b"{}";
/// let sig = sign(&secret, "1700000000", body);
/// assert_eq!(verify_request(&secret, "1700000000", body, &sig, 1_700_000_100, 300), Ok(()));
/// assert_eq!(
///     verify_request(&secret, "1700000000", body, &sig, 1_700_001_000, 300),
///     Err(SignatureError::Stale)
/// );
/// ```
pub fn verify_request(
    secret: &WebhookSecret,
    timestamp: &str,
    body: &[u8],
    signature_header: &str,
    now_secs: u64,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    verify_signature(secret, timestamp, body, signature_header)?;
    let sent: u64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    if sent.abs_diff(now_secs) > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently: `printf '1700000000.{"id":"evt_1"}' |
    /// openssl dgst -sha256 -hmac 'whsec_test'`.
    const VECTOR: &str = "sha256=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925";

    #[test]
    fn signs_the_fixed_vector() {
        let secret = WebhookSecret::from_text("whsec_test");
        assert_eq!(sign(&secret, "1700000000", br#"{"id":"evt_1"}"#), VECTOR);
    }

    #[test]
    fn verification_refuses_changed_body_timestamp_or_secret() {
        let secret = WebhookSecret::from_text("whsec_test");
        let body = br#"{"id":"evt_1"}"#;
        let sig = sign(&secret, "1700000000", body);
        assert_eq!(verify_signature(&secret, "1700000000", body, &sig), Ok(()));
        assert_eq!(
            verify_signature(&secret, "1700000001", body, &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&secret, "1700000000", br#"{"id":"evt_2"}"#, &sig),
            Err(SignatureError::Mismatch)
        );
        let other = WebhookSecret::from_text("whsec_other");
        assert_eq!(
            verify_signature(&other, "1700000000", body, &sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn verification_refuses_malformed_headers() {
        let secret = WebhookSecret::from_text("whsec_test");
        let sig = sign(&secret, "1", b"");
        for bad in ["", "sha256=", "sha1=00", "sha256=zz", &sig[..sig.len() - 2]] {
            assert_eq!(
                verify_signature(&secret, "1", b"", bad),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            verify_signature(&secret, "-1", b"", &sig),
            Err(SignatureError::Malformed)
        );
    }
}
