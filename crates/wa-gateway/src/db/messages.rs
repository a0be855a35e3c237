//! `gw_messages`: the messages a session sent or received, by WhatsApp id, with their status.
//! No message text is kept.

use std::fmt;

use rusqlite::{params, Connection, OptionalExtension as _};

use super::now_secs;
use crate::error::{Error, Result};
use crate::ids::SessionId;

/// What happened to a message last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// We sent it and the server acknowledged it.
    Sent,
    /// A recipient's device received it.
    Delivered,
    /// A recipient read it.
    Read,
    /// The server refused it.
    Failed,
    /// Someone else sent it to us.
    Received,
    /// It was revoked ("deleted for everyone").
    Deleted,
}

impl MessageStatus {
    /// The status as the API writes it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Received => "received",
            Self::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::Sent,
            Self::Delivered,
            Self::Read,
            Self::Failed,
            Self::Received,
            Self::Deleted,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Its WhatsApp id.
    pub wa_id: String,
    /// Its chat (user or group JID).
    pub chat: String,
    /// Its author (user JID), when known.
    pub sender: Option<String>,
    /// Whether we (this account, any of its devices) wrote it.
    pub from_me: bool,
    /// Its status.
    pub status: MessageStatus,
    /// The caller's `origin` tag given with the send.
    pub origin: Option<String>,
    /// Its time (unix seconds).
    pub timestamp: i64,
}

/// A message as the gateway knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// What was recorded.
    pub message: NewMessage,
    /// When the status last changed (unix seconds).
    pub updated_at: i64,
}

/// Records a message; a known id keeps its row (only a later status is taken).
pub(crate) fn upsert(conn: &Connection, session: &SessionId, message: &NewMessage) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO gw_messages (session_id, wa_id, chat, sender, from_me, status, origin, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (session_id, wa_id) DO UPDATE SET
             status = CASE WHEN gw_messages.status = 'deleted' THEN 'deleted' ELSE excluded.status END,
             origin = coalesce(gw_messages.origin, excluded.origin),
             updated_at = excluded.updated_at",
    )?
    .execute(params![
        session.as_str(),
        message.wa_id,
        message.chat,
        message.sender,
        message.from_me,
        message.status.as_str(),
        message.origin,
        message.timestamp,
        now_secs(),
    ])?;
    Ok(())
}

/// Sets the status of a known message; `false` when the gateway does not know the id.
pub(crate) fn set_status(
    conn: &Connection,
    session: &SessionId,
    wa_id: &str,
    status: MessageStatus,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE gw_messages SET status = ?3, updated_at = ?4 WHERE session_id = ?1 AND wa_id = ?2",
        )?
        .execute(params![session.as_str(), wa_id, status.as_str(), now_secs()])?;
    Ok(changed > 0)
}

/// One message.
pub(crate) fn get(
    conn: &Connection,
    session: &SessionId,
    wa_id: &str,
) -> Result<Option<MessageRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT chat, sender, from_me, status, origin, created_at, updated_at
             FROM gw_messages WHERE session_id = ?1 AND wa_id = ?2",
        )?
        .query_row(params![session.as_str(), wa_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, bool>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, i64>(5)?,
                row.get::<_, i64>(6)?,
            ))
        })
        .optional()?;
    row.map(
        |(chat, sender, from_me, status, origin, created_at, updated_at)| {
            Ok(MessageRecord {
                message: NewMessage {
                    wa_id: wa_id.to_owned(),
                    chat,
                    sender,
                    from_me,
                    status: MessageStatus::parse(&status)
                        .ok_or(Error::Corrupt("message status"))?,
                    origin,
                    timestamp: created_at,
                },
                updated_at,
            })
        },
    )
    .transpose()
}
