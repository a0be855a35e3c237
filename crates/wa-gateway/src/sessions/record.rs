//! Writing what a session sent or received into the gateway tables. A failed write is
//! logged and not fatal: the send or event it records has already happened.

use wa_binary::Jid;

use super::{Entry, Shared};
use crate::db::{self, Actor, NewMessage, ReactionRecord};

/// Records (or updates) a message row.
pub(super) async fn message(shared: &Shared, entry: &Entry, row: NewMessage) {
    let id = entry.id.clone();
    if let Err(error) = shared
        .db
        .call(move |conn| db::messages::upsert(conn, &id, &row))
        .await
    {
        tracing::warn!(session = %entry.id, %error, "message row not stored");
    }
}

/// Sets a reactor's current reaction (an empty emoji removes it) and returns the emoji it
/// replaced, if any.
pub(super) async fn reaction(
    shared: &Shared,
    entry: &Entry,
    row: ReactionRecord,
) -> Option<String> {
    let id = entry.id.clone();
    match shared
        .db
        .call(move |conn| {
            let before = db::reactions::on_message(conn, &id, &row.message_id)?
                .into_iter()
                .find(|r| r.reactor == row.reactor)
                .map(|r| r.emoji);
            db::reactions::set(conn, &id, &row)?;
            Ok(before)
        })
        .await
    {
        Ok(before) => before,
        Err(error) => {
            tracing::warn!(session = %entry.id, %error, "reaction row not stored");
            None
        }
    }
}

/// Whether `user` is this session's own account (in either addressing form).
pub(super) fn actor_of(entry: &Entry, user: &Jid) -> Actor {
    let (jid, lid) = entry.jids();
    let ours = [jid, lid]
        .into_iter()
        .flatten()
        .any(|own| own.user() == user.user() && own.server() == user.server());
    if ours {
        Actor::Me
    } else {
        Actor::Contact
    }
}

/// This session's own account as a user JID (phone-number form), once paired.
pub(super) fn own_user(entry: &Entry) -> String {
    entry
        .jids()
        .0
        .map(|jid| jid.to_non_ad().to_string())
        .unwrap_or_default()
}
