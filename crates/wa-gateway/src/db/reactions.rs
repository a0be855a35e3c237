//! `gw_reactions`: the current reaction of each reactor on each message (one row per
//! reactor; a removal deletes the row).

use rusqlite::{params, Connection};

use crate::error::Result;
use crate::ids::SessionId;

/// Who reacted, from this session's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// This account (through the gateway or one of its other devices).
    Me,
    /// Someone else.
    Contact,
}

impl Actor {
    /// The actor as the API writes it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Me => "me",
            Self::Contact => "contact",
        }
    }
}

/// A current reaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionRecord {
    /// The message reacted to.
    pub message_id: String,
    /// The chat.
    pub chat: String,
    /// The reacting account (user JID).
    pub reactor: String,
    /// The emoji.
    pub emoji: String,
    /// `me` or `contact`.
    pub actor: String,
    /// The `origin` tag of the send that made it, for our own reactions through the API.
    pub origin: Option<String>,
    /// When (unix seconds).
    pub timestamp: i64,
}

/// Sets (or with an empty emoji removes) `reactor`'s reaction on a message.
pub(crate) fn set(conn: &Connection, session: &SessionId, reaction: &ReactionRecord) -> Result<()> {
    if reaction.emoji.is_empty() {
        conn.prepare_cached(
            "DELETE FROM gw_reactions WHERE session_id = ?1 AND message_id = ?2 AND reactor = ?3",
        )?
        .execute(params![
            session.as_str(),
            reaction.message_id,
            reaction.reactor
        ])?;
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO gw_reactions (session_id, message_id, reactor, chat, emoji, actor, origin, reacted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (session_id, message_id, reactor) DO UPDATE SET
             emoji = excluded.emoji, actor = excluded.actor, origin = excluded.origin,
             reacted_at = excluded.reacted_at",
    )?
    .execute(params![
        session.as_str(),
        reaction.message_id,
        reaction.reactor,
        reaction.chat,
        reaction.emoji,
        reaction.actor,
        reaction.origin,
        reaction.timestamp,
    ])?;
    Ok(())
}

/// The current reactions on a message, oldest first.
pub(crate) fn on_message(
    conn: &Connection,
    session: &SessionId,
    message_id: &str,
) -> Result<Vec<ReactionRecord>> {
    let mut statement = conn.prepare_cached(
        "SELECT chat, reactor, emoji, actor, origin, reacted_at FROM gw_reactions
         WHERE session_id = ?1 AND message_id = ?2 ORDER BY reacted_at, reactor",
    )?;
    let rows = statement.query_map(params![session.as_str(), message_id], |row| {
        Ok(ReactionRecord {
            message_id: message_id.to_owned(),
            chat: row.get(0)?,
            reactor: row.get(1)?,
            emoji: row.get(2)?,
            actor: row.get(3)?,
            origin: row.get(4)?,
            timestamp: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
