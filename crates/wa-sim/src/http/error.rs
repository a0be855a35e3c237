//! The control API's error answer: a status and `{"error": {"code", "message"}}`. Bad input is
//! always a 4xx; messages name the field at fault, never key material.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::{Error, RegistrationError};

/// A refused request: its status, a stable machine-readable `code` and a human `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with `code`.
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 `not_found` for a path the API does not have.
    pub(crate) fn no_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such route")
    }

    /// 405 `method_not_allowed` for a known path asked with the wrong method.
    pub(crate) fn wrong_method() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        )
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let (status, code) = match &error {
            Error::InvalidPhone => (StatusCode::BAD_REQUEST, "invalid_phone"),
            Error::InvalidSubject => (StatusCode::BAD_REQUEST, "invalid_subject"),
            Error::Registration(RegistrationError::BadSignature) => {
                (StatusCode::BAD_REQUEST, "bad_signature")
            }
            Error::Registration(RegistrationError::PreKeyIdRange) => {
                (StatusCode::BAD_REQUEST, "prekey_id_range")
            }
            Error::Registration(
                RegistrationError::MissingField(_)
                | RegistrationError::FieldLength { .. }
                | RegistrationError::KeyType,
            ) => (StatusCode::BAD_REQUEST, "bad_registration"),
            Error::InvalidQr(_) => (StatusCode::BAD_REQUEST, "invalid_qr"),
            Error::QrKeyMismatch => (StatusCode::BAD_REQUEST, "qr_key_mismatch"),
            Error::UnknownPairingRef => (StatusCode::NOT_FOUND, "unknown_pairing_ref"),
            Error::PairingRefUsed => (StatusCode::CONFLICT, "pairing_ref_used"),
            Error::DeviceIdTaken => (StatusCode::CONFLICT, "device_id_taken"),
            Error::PhoneTaken => (StatusCode::CONFLICT, "phone_taken"),
            Error::TooManyDevices => (StatusCode::CONFLICT, "too_many_devices"),
            Error::UnknownAccount => (StatusCode::NOT_FOUND, "unknown_account"),
            Error::UnknownDevice => (StatusCode::NOT_FOUND, "unknown_device"),
            Error::UnknownParticipant(_) => (StatusCode::NOT_FOUND, "unknown_participant"),
            Error::UnknownGroup => (StatusCode::NOT_FOUND, "unknown_group"),
            Error::NotInGroup => (StatusCode::NOT_FOUND, "not_in_group"),
            Error::Refused(_) => (StatusCode::CONFLICT, "refused"),
            Error::UnsupportedChat => (StatusCode::BAD_REQUEST, "unsupported_chat"),
            Error::NoReachableDevice => (StatusCode::CONFLICT, "no_reachable_device"),
            // A simulated device could not encrypt or parse: the simulator's own state, not
            // the request.
            Error::MalformedStanza(_) | Error::Signal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "simulated_device_error")
            }
            // Neither comes from a caller's input: a JID the simulator built, or a socket.
            Error::Jid(_) | Error::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Self::new(status, code, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulator_errors_map_to_client_statuses() {
        for (error, status, code) in [
            (Error::PhoneTaken, StatusCode::CONFLICT, "phone_taken"),
            (
                Error::UnknownAccount,
                StatusCode::NOT_FOUND,
                "unknown_account",
            ),
            (Error::UnknownGroup, StatusCode::NOT_FOUND, "unknown_group"),
            (
                Error::InvalidPhone,
                StatusCode::BAD_REQUEST,
                "invalid_phone",
            ),
            (
                Error::Registration(RegistrationError::BadSignature),
                StatusCode::BAD_REQUEST,
                "bad_signature",
            ),
        ] {
            let api = ApiError::from(error);
            assert_eq!((api.status, api.code), (status, code));
        }
    }
}
