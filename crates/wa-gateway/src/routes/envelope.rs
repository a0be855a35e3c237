//! Every error answers `{"error": {"code", "message", "details"}}`, including axum's own
//! rejections (bad JSON, unknown route, wrong method). Internal failures are logged and
//! answered without their details.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::Error;

/// The response for `error`.
pub(crate) fn error_response(error: &Error) -> Response {
    let status = error.status();
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(%error, "request failed");
        "internal error".to_owned()
    } else {
        error.to_string()
    };
    let body = json!({
        "error": { "code": error.code(), "message": message, "details": error.details() }
    });
    let mut response = (status, Json(body)).into_response();
    if let Error::RateLimited { retry_after, .. } = error {
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Self::invalid(format!("bad path: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Self::invalid(format!("bad query: {}", rejection.body_text()))
    }
}

/// Unknown routes.
pub(crate) async fn not_found() -> Response {
    error_response(&Error::NotFound("route"))
}

/// Known routes with another method.
pub(crate) async fn method_not_allowed() -> Response {
    let mut response = error_response(&Error::invalid("method not allowed on this route"));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}
