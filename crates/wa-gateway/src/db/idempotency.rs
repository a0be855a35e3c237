//! `gw_idempotency`: the first result of each `Idempotency-Key`, per session, as the JSON the
//! API answered with.

use rusqlite::{params, Connection, OptionalExtension as _};

use super::now_secs;
use crate::error::Result;
use crate::ids::SessionId;

/// The stored result of `key`, if any.
pub(crate) fn get(conn: &Connection, session: &SessionId, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT result FROM gw_idempotency WHERE session_id = ?1 AND key = ?2")?
        .query_row(params![session.as_str(), key], |row| row.get(0))
        .optional()?)
}

/// Stores the first result of `key` (a later one for the same key is ignored).
pub(crate) fn put(conn: &Connection, session: &SessionId, key: &str, result: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO gw_idempotency (session_id, key, result, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![session.as_str(), key, result, now_secs()])?;
    Ok(())
}
