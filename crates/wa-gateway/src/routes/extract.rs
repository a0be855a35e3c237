//! Extractors that keep bad input in the error envelope: the caller ([`Caller`]: bearer
//! token, then the rate limit), JSON bodies ([`Body`]) and path segments ([`Segments`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use crate::auth::Principal;
use crate::error::Error;

/// The authenticated, rate-limited caller.
#[derive(Debug)]
pub(crate) struct Caller(pub(crate) Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let principal = state.auth.authenticate(&parts.headers).await?;
        state.limiter.check(&principal.token_hash)?;
        Ok(Self(principal))
    }
}

/// A JSON body, whatever its `Content-Type` says (so `curl -d` works); malformed or
/// oversized ones are `invalid_request`.
#[derive(Debug)]
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| Error::invalid(rejection.body_text()))?;
        if bytes.is_empty() {
            return Err(Error::invalid("a JSON body is required"));
        }
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|error| Error::invalid(format!("bad JSON body: {error}")))
    }
}

/// Path segments as strings.
#[derive(Debug)]
pub(crate) struct Segments<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Segments<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path(value) = Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}
