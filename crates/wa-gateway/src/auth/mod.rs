//! Who is calling: `Authorization: Bearer <token>`, tried as an API key (by its hash) and
//! then as a login JWT; the result is a [`Principal`] bound to one organization with a set of
//! capabilities.

mod api_key;
pub(crate) mod http_get;
mod jwt;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;

use crate::db::{self, Db};
use crate::error::{Error, Result};
use crate::ids::{Capabilities, Capability, OrgId};

pub use api_key::{create_api_key, token_hash, TOKEN_PREFIX};
pub use jwt::{JwksSource, JwtVerifier};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The organization it acts for.
    pub org: OrgId,
    /// What it may do.
    pub capabilities: Capabilities,
    /// The token's hash: the rate limiter's key.
    pub token_hash: String,
}

impl Principal {
    /// `Ok` when the caller has `capability`.
    ///
    /// # Errors
    /// [`Error::Forbidden`] otherwise.
    pub fn require(&self, capability: Capability) -> Result<()> {
        if self.capabilities.has(capability) {
            Ok(())
        } else {
            Err(Error::Forbidden(capability.name()))
        }
    }
}

/// Checks bearer tokens. API keys found once are remembered (they cannot be revoked
/// through the API; a key deleted from the file by hand stays valid until restart).
#[derive(Debug, Clone)]
pub struct Authenticator {
    db: Db,
    jwt: Option<Arc<JwtVerifier>>,
    known_keys: Arc<Mutex<HashMap<String, db::ApiKeyRecord>>>,
}

impl Authenticator {
    /// An authenticator over the API keys in `db` and, when given, JWTs from `jwt`'s keys.
    #[must_use]
    pub fn new(db: Db, jwt: Option<Arc<JwtVerifier>>) -> Self {
        Self {
            db,
            jwt,
            known_keys: Arc::default(),
        }
    }

    /// The caller of a request with these headers.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] without a bearer token or with one that is neither a known
    /// API key nor a valid JWT; [`Error::Closed`] when the database has stopped.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal> {
        let token = bearer(headers).ok_or(Error::Unauthorized)?;
        let hash = token_hash(token);
        if let Some(record) = self.api_key(&hash).await? {
            return Ok(Principal {
                org: record.org,
                capabilities: record.capabilities,
                token_hash: hash,
            });
        }
        if token.starts_with(TOKEN_PREFIX) {
            return Err(Error::Unauthorized);
        }
        let jwt = self.jwt.as_ref().ok_or(Error::Unauthorized)?;
        let grant = jwt.verify(token).await?;
        Ok(Principal {
            org: grant.org,
            capabilities: grant.capabilities,
            token_hash: hash,
        })
    }

    async fn api_key(&self, hash: &str) -> Result<Option<db::ApiKeyRecord>> {
        if let Some(record) = self.known_keys.lock().map_err(|_| Error::Closed)?.get(hash) {
            return Ok(Some(record.clone()));
        }
        let lookup = hash.to_owned();
        let record = self
            .db
            .call(move |conn| db::keys::key_by_hash(conn, &lookup))
            .await?;
        if let Some(record) = &record {
            self.known_keys
                .lock()
                .map_err(|_| Error::Closed)?
                .insert(hash.to_owned(), record.clone());
        }
        Ok(record)
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
