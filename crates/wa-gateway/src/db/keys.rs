//! `gw_organizations` and `gw_api_keys`: organizations and their API keys, stored as the
//! SHA-256 of the token (the token itself is shown once, at creation).

use rusqlite::{params, Connection, OptionalExtension as _};

use super::now_secs;
use crate::error::{Error, Result};
use crate::ids::{Capabilities, OrgId};

/// What an API key grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The organization it is bound to.
    pub org: OrgId,
    /// What it may do.
    pub capabilities: Capabilities,
}

/// Creates the organization when it does not exist yet.
pub(crate) fn ensure_org(conn: &Connection, org: &OrgId) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO gw_organizations (id, created_at) VALUES (?1, ?2)")?
        .execute(params![org.as_str(), now_secs()])?;
    Ok(())
}

/// Stores a key by the hex SHA-256 of its token.
pub(crate) fn insert_key(
    conn: &Connection,
    hash_hex: &str,
    org: &OrgId,
    capabilities: Capabilities,
) -> Result<()> {
    ensure_org(conn, org)?;
    conn.prepare_cached(
        "INSERT INTO gw_api_keys (hash, org_id, capabilities, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        hash_hex,
        org.as_str(),
        capabilities.to_string(),
        now_secs()
    ])?;
    Ok(())
}

/// The key whose token hashes to `hash_hex`.
pub(crate) fn key_by_hash(conn: &Connection, hash_hex: &str) -> Result<Option<ApiKeyRecord>> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT org_id, capabilities FROM gw_api_keys WHERE hash = ?1")?
        .query_row([hash_hex], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    row.map(|(org, caps)| {
        Ok(ApiKeyRecord {
            org: OrgId::new(&org).map_err(|_| Error::Corrupt("api key organization"))?,
            capabilities: Capabilities::parse(&caps)
                .map_err(|_| Error::Corrupt("api key capabilities"))?,
        })
    })
    .transpose()
}
