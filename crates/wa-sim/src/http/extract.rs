//! Reading requests: a JSON body whose every failure is a 400 in the API's error shape, and the
//! typed values fields carry as strings (JIDs, base64 keys and signatures).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use data_encoding::{BASE64, BASE64_NOPAD};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wa_binary::Jid;
use wa_noise::{PublicKey, KEY_LENGTH};
use wa_signal::keys::DJB_TYPE;

use super::error::ApiError;

/// A JSON request body. Unlike axum's `Json` it ignores `Content-Type` (so `curl -d` works
/// without `-H`), reads an empty body as `{}`, takes only objects, and answers every failure with a 400 (or the body
/// limit's 413) in the API's error shape.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                ApiError::new(rejection.status(), "invalid_body", rejection.body_text())
            })?;
        let text: &[u8] = match bytes.iter().find(|byte| !byte.is_ascii_whitespace()) {
            None => b"{}",
            Some(b'{') => &bytes,
            // serde would also read a struct from an array; the API takes objects only.
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_json",
                    "the body must be a JSON object",
                ))
            }
        };
        serde_json::from_slice(text)
            .map(Self)
            .map_err(|error| ApiError::bad_request("invalid_json", error.to_string()))
    }
}

/// The `{jid}` segment of a route, parsed (percent-encoding is decoded first).
#[derive(Debug)]
pub(crate) struct JidPath(pub(crate) Jid);

impl<S> FromRequestParts<S> for JidPath
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::bad_request("invalid_path", rejection.body_text()))?;
        parse_jid("path", &text).map(Self)
    }
}

/// The `?jid=J` query of a route naming an account, parsed; a missing `jid`, another
/// parameter, a bad JID or a companion device's JID is a 400 in the API's error shape.
#[derive(Debug)]
pub(crate) struct AccountQuery(pub(crate) Jid);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JidParameter {
    jid: String,
}

impl<S> FromRequestParts<S> for AccountQuery
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(parameter) = Query::<JidParameter>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))?;
        parse_account_jid("jid", &parameter.jid).map(Self)
    }
}

/// Parses the account JID in `field` (see [`account_only`]).
pub(crate) fn parse_account_jid(field: &str, text: &str) -> Result<Jid, ApiError> {
    account_only(field, parse_jid(field, text)?)
}

/// Refuses a companion device's JID where an account's is expected: the simulator acts for an
/// account through its phone, so `:0` (the phone itself) is accepted.
pub(crate) fn account_only(field: &str, jid: Jid) -> Result<Jid, ApiError> {
    if jid.device() != 0 {
        return Err(ApiError::bad_request(
            "invalid_jid",
            format!("{field}: expected an account JID, not a companion device"),
        ));
    }
    Ok(jid)
}

/// Parses the JID in `field`.
pub(crate) fn parse_jid(field: &str, text: &str) -> Result<Jid, ApiError> {
    Jid::parse(text).map_err(|error| {
        ApiError::bad_request("invalid_jid", format!("{field}: invalid JID ({error})"))
    })
}

/// Decodes standard base64, padded or not.
pub(crate) fn decode_base64(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    BASE64
        .decode(text.as_bytes())
        .or_else(|_| BASE64_NOPAD.decode(text.as_bytes()))
        .map_err(|_| ApiError::bad_request("invalid_base64", format!("{field}: invalid base64")))
}

/// Decodes a Curve25519 public key: 32 bytes, or the 33-byte Signal form `0x05 || key`.
pub(crate) fn decode_public_key(field: &str, text: &str) -> Result<PublicKey, ApiError> {
    let bytes = decode_base64(field, text)?;
    let raw = match bytes.split_first() {
        Some((&DJB_TYPE, rest)) if bytes.len() == KEY_LENGTH + 1 => rest,
        _ => &bytes,
    };
    PublicKey::from_slice(raw).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_key",
            format!("{field}: expected 32 bytes, or 33 starting with 0x05"),
        )
    })
}

/// Decodes a 64-byte XEdDSA signature.
pub(crate) fn decode_signature(field: &str, text: &str) -> Result<[u8; 64], ApiError> {
    decode_base64(field, text)?.try_into().map_err(|_| {
        ApiError::bad_request("invalid_signature", format!("{field}: expected 64 bytes"))
    })
}

/// Standard padded base64, as every key and signature in answers is written.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn public_keys_are_32_bytes_or_33_with_the_djb_prefix() {
        let raw = [7u8; 32];
        let mut prefixed = vec![DJB_TYPE];
        prefixed.extend_from_slice(&raw);
        let expected = PublicKey::from_bytes(raw);
        assert_eq!(
            decode_public_key("k", &BASE64.encode(&raw)).unwrap(),
            expected
        );
        assert_eq!(
            decode_public_key("k", &BASE64.encode(&prefixed)).unwrap(),
            expected
        );
        assert_eq!(
            decode_public_key("k", &BASE64_NOPAD.encode(&raw)).unwrap(),
            expected
        );
        for bad in [&raw[..31], &[9u8; 33][..], &[]] {
            assert!(decode_public_key("k", &BASE64.encode(bad)).is_err());
        }
        assert!(decode_public_key("k", "not base64!").is_err());
    }

    #[test]
    fn signatures_are_64_bytes() {
        assert_eq!(
            decode_signature("s", &BASE64.encode(&[1u8; 64])).unwrap(),
            [1u8; 64]
        );
        assert!(decode_signature("s", &BASE64.encode(&[1u8; 63])).is_err());
    }
}
