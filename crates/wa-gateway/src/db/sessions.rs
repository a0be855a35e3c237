//! `gw_sessions`: which organization owns each session, its device in the engine's store,
//! and its last known status.

use std::fmt;

use rusqlite::{params, Connection, Row};
use wa_store::DeviceId;

use super::now_secs;
use crate::error::{Error, Result};
use crate::ids::{OrgId, SessionId};

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    /// Waiting for a phone to scan the QR code.
    Pairing,
    /// Paired, logging in (or reconnecting).
    Connecting,
    /// Logged in.
    Connected,
    /// Not connected and not reconnecting (replaced by another connection, or stopped).
    Disconnected,
    /// Logged out: the credentials are gone (or pairing never finished).
    LoggedOut,
}

impl SessionStatus {
    /// Every status, for the metrics.
    pub const ALL: [Self; 5] = [
        Self::Pairing,
        Self::Connecting,
        Self::Connected,
        Self::Disconnected,
        Self::LoggedOut,
    ];

    /// The status as the API writes it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pairing => "pairing",
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::LoggedOut => "logged_out",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session.
    pub id: SessionId,
    /// Its owner.
    pub org: OrgId,
    /// Its device in the engine's store, once paired.
    pub device: Option<DeviceId>,
    /// Its status when last written.
    pub status: SessionStatus,
    /// Its WhatsApp device JID, once paired.
    pub jid: Option<String>,
    /// When it was created (unix seconds).
    pub created_at: i64,
}

/// A row's columns, in [`COLUMNS`] order.
type Columns = (String, String, Option<i64>, String, Option<String>, i64);

fn read(row: &Row<'_>) -> rusqlite::Result<Columns> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn record((id, org, device, status, jid, created_at): Columns) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: SessionId::parse(&id).ok_or(Error::Corrupt("session id"))?,
        org: OrgId::new(&org).map_err(|_| Error::Corrupt("session organization"))?,
        device: device.map(DeviceId::from_raw),
        status: SessionStatus::parse(&status).ok_or(Error::Corrupt("session status"))?,
        jid,
        created_at,
    })
}

const COLUMNS: &str = "id, org_id, device_id, status, jid, created_at";

/// Adds a new session of `org` (creating the organization row when needed).
pub(crate) fn insert(
    conn: &Connection,
    id: &SessionId,
    org: &OrgId,
    status: SessionStatus,
) -> Result<()> {
    super::keys::ensure_org(conn, org)?;
    let now = now_secs();
    conn.prepare_cached(
        "INSERT INTO gw_sessions (id, org_id, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![id.as_str(), org.as_str(), status.as_str(), now])?;
    Ok(())
}

/// Every session.
pub(crate) fn all(conn: &Connection) -> Result<Vec<SessionRecord>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM gw_sessions ORDER BY created_at"
    ))?;
    let rows = statement.query_map([], read)?;
    rows.map(|row| record(row?)).collect()
}

/// Sets the status.
pub(crate) fn set_status(conn: &Connection, id: &SessionId, status: SessionStatus) -> Result<()> {
    conn.prepare_cached("UPDATE gw_sessions SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id.as_str(), status.as_str(), now_secs()])?;
    Ok(())
}

/// Records the paired device (or forgets it with `None`).
pub(crate) fn set_device(
    conn: &Connection,
    id: &SessionId,
    device: Option<DeviceId>,
    jid: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE gw_sessions SET device_id = ?2, jid = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![
        id.as_str(),
        device.map(DeviceId::get),
        jid,
        now_secs()
    ])?;
    Ok(())
}
