//! `wa_webhooks::verify_signature` on fuzzer-chosen headers: the input is split at its first
//! three `0x00` bytes into the secret, the `X-WA-Timestamp` value and the `X-WA-Signature`
//! value (lossy UTF-8), and the rest is the body.
//!
//! Oracle beyond "no panic": the header verifies exactly when the timestamp is a non-empty run
//! of ASCII digits and the header, trimmed, is the one `sign` makes for that secret, timestamp
//! and body (the `sha256=` scheme exactly, the hex in either case); `sign`'s own header always
//! verifies for a valid timestamp; a malformed timestamp is always `Malformed`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_webhooks::{sign, verify_signature, SignatureError, WebhookSecret};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == 0);
    let secret = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let timestamp = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let header = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();

    let secret = WebhookSecret::from_text(&secret);
    let valid_time = !timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit());
    let expected = sign(&secret, &timestamp, body);

    let result = verify_signature(&secret, &timestamp, body, &header);
    // The scheme is exact (`sha256=`, lower case); the hex may be in either case.
    let matches = header
        .trim()
        .strip_prefix("sha256=")
        .zip(expected.strip_prefix("sha256="))
        .is_some_and(|(given, ours)| given.eq_ignore_ascii_case(ours));
    match result {
        Ok(()) => assert!(
            valid_time && matches,
            "accepted a wrong signature: {header:?}"
        ),
        Err(SignatureError::Mismatch) => assert!(valid_time && !matches),
        Err(SignatureError::Malformed) => assert!(!valid_time || !matches),
        Err(other) => panic!("verify_signature gave {other:?}"),
    }
    let own = verify_signature(&secret, &timestamp, body, &expected);
    if valid_time {
        assert_eq!(own, Ok(()), "sign's header does not verify");
    } else {
        assert_eq!(own, Err(SignatureError::Malformed));
    }
});
