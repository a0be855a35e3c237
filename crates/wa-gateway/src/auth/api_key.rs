//! API keys: a random token shown once, stored as its SHA-256.

use rand_core::{OsRng, RngCore as _};
use rusqlite::Connection;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::db;
use crate::error::Result;
use crate::ids::{Capabilities, OrgId};

/// Every API key token starts with this, so that it is told apart from a JWT at a glance.
pub const TOKEN_PREFIX: &str = "wak_";

/// Random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;

/// The hex SHA-256 of a presented token: the only form of it the gateway keeps.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates an API key for `org` (creating the organization when needed) in the gateway tables
/// of `conn`, and returns its token: the only time it is available.
///
/// ```
/// use wa_gateway::{create_api_key, Capabilities, OrgId};
/// # let dir = std::env::temp_dir().join(format!("wa-gw-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let path = dir.join("wa.db");
/// let conn = wa_gateway::db::open_connection(&path)?;
/// let token = create_api_key(&conn, &OrgId::new("acme")?, Capabilities::parse("send,read")?)?;
/// assert!(token.starts_with("wak_"));
/// # drop(conn); std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// SQLite errors.
pub fn create_api_key(
    conn: &Connection,
    org: &OrgId,
    capabilities: Capabilities,
) -> Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new([0u8; TOKEN_BYTES]);
    OsRng.fill_bytes(bytes.as_mut());
    let token = Zeroizing::new(format!(
        "{TOKEN_PREFIX}{}",
        data_encoding::BASE64URL_NOPAD.encode(bytes.as_ref())
    ));
    db::keys::insert_key(conn, &token_hash(&token), org, capabilities)?;
    Ok(token)
}
