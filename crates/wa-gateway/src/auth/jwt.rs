//! Login JWTs: verified against a JWKS (a file, or an `http://` URL fetched at start and again
//! when a token names a key id not in it, at most once a minute). RS256 and EdDSA only; `exp`
//! is required. The claims carry the organization (`org`) and a role (`role`) that maps to
//! capabilities: `admin` or `owner` → send, read, sessions; `member`, `operator` or `agent` →
//! send, read; `viewer` or `reader` → read; any other role → none.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::ids::{Capabilities, Capability, OrgId};

/// Clock skew accepted on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

/// The shortest time between two fetches of a JWKS URL.
const REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// Where the keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// A JSON file (`{"keys": [...]}`), read once at start.
    File(std::path::PathBuf),
    /// An `http://` URL, fetched at start and when an unknown key id shows up.
    Url(String),
}

impl JwksSource {
    /// `http://...` is a URL, anything else a file path.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        if text.starts_with("http://") || text.starts_with("https://") {
            Self::Url(text.to_owned())
        } else {
            Self::File(text.into())
        }
    }
}

/// What a verified JWT grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JwtGrant {
    pub(crate) org: OrgId,
    pub(crate) capabilities: Capabilities,
}

#[derive(Debug, Deserialize)]
struct Claims {
    org: String,
    #[serde(default)]
    role: String,
}

/// A JWKS and how to refresh it.
#[derive(Debug)]
pub struct JwtVerifier {
    source: JwksSource,
    keys: RwLock<(JwkSet, Instant)>,
}

impl JwtVerifier {
    /// Loads the keys.
    ///
    /// # Errors
    /// [`Error::Jwks`] when the file or URL cannot be read or is not a JWKS.
    pub async fn load(source: JwksSource) -> Result<Self> {
        let keys = fetch(&source).await?;
        Ok(Self {
            source,
            keys: RwLock::new((keys, Instant::now())),
        })
    }

    /// Verifies `token`; `Err(Unauthorized)` for anything not a valid token from these keys.
    pub(crate) async fn verify(&self, token: &str) -> Result<JwtGrant> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Error::Unauthorized)?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::EdDSA) {
            return Err(Error::Unauthorized);
        }
        let mut key = self.key_for(header.kid.as_deref(), header.alg)?;
        if key.is_none() && self.may_refresh() {
            if let Ok(keys) = fetch(&self.source).await {
                if let Ok(mut guard) = self.keys.write() {
                    *guard = (keys, Instant::now());
                }
            }
            key = self.key_for(header.kid.as_deref(), header.alg)?;
        }
        let key = key.ok_or(Error::Unauthorized)?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|_| Error::Unauthorized)?;
        let org = OrgId::new(&data.claims.org).map_err(|_| Error::Unauthorized)?;
        Ok(JwtGrant {
            org,
            capabilities: role_capabilities(&data.claims.role),
        })
    }

    fn may_refresh(&self) -> bool {
        matches!(self.source, JwksSource::Url(_))
            && self
                .keys
                .read()
                .map(|guard| guard.1.elapsed() >= REFRESH_INTERVAL)
                .unwrap_or(false)
    }

    /// The decoding key for `kid` (or the only key when the token names none) that may be
    /// used with `alg`.
    fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Option<DecodingKey>> {
        let guard = self.keys.read().map_err(|_| Error::Closed)?;
        let set = &guard.0;
        let jwk: Option<&Jwk> = match kid {
            Some(kid) => set.find(kid),
            None if set.keys.len() == 1 => set.keys.first(),
            None => None,
        };
        let Some(jwk) = jwk else { return Ok(None) };
        if let Some(declared) = jwk.common.key_algorithm {
            if format!("{declared:?}") != format!("{alg:?}") {
                return Ok(None);
            }
        }
        Ok(DecodingKey::from_jwk(jwk).ok())
    }
}

/// The capabilities of a role claim.
fn role_capabilities(role: &str) -> Capabilities {
    match role {
        "admin" | "owner" => Capabilities::all(),
        "member" | "operator" | "agent" => {
            [Capability::Send, Capability::Read].into_iter().collect()
        }
        "viewer" | "reader" => [Capability::Read].into_iter().collect(),
        _ => Capabilities::default(),
    }
}

async fn fetch(source: &JwksSource) -> Result<JwkSet> {
    let text = match source {
        // A small file, read at start: blocking here is fine.
        JwksSource::File(path) => std::fs::read_to_string(path)
            .map_err(|error| Error::Jwks(format!("{}: {error}", path.display())))?,
        JwksSource::Url(url) => crate::auth::http_get::get(url).await?,
    };
    serde_json::from_str(&text).map_err(|error| Error::Jwks(format!("not a JWKS: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_map_to_capabilities() {
        assert_eq!(role_capabilities("admin"), Capabilities::all());
        let member = role_capabilities("member");
        assert!(member.has(Capability::Send) && !member.has(Capability::Sessions));
        assert_eq!(role_capabilities("viewer").to_string(), "read");
        assert_eq!(role_capabilities("root"), Capabilities::default());
    }
}
