//! Matching the chat an engine event names with the chat the gateway recorded a message in.
//! The engine addresses one-to-one chats to the contact's LID when it knows one, so a message
//! the API sent to `15550002222@s.whatsapp.net` gets its receipts, reactions and revokes from
//! `808428814247956@lid`; the two are the same chat when the engine's LID map (the store's
//! `lid_map` table) says so.

use wa_binary::Jid;
use wa_store::LidUser;

use super::{Entry, Shared};
use crate::db::{self, MessageRecord};

/// Whether `recorded` (a message row's chat) and `seen` (an engine event's chat) are the
/// same chat: equal, or a phone-number and a LID chat the engine maps to each other.
pub(super) async fn same_chat(shared: &Shared, entry: &Entry, recorded: &str, seen: &Jid) -> bool {
    let Ok(recorded) = recorded.parse::<Jid>() else {
        return false;
    };
    let (recorded, seen) = (recorded.to_non_ad(), seen.to_non_ad());
    if recorded == seen {
        return true;
    }
    let (lid, pn) = match (recorded.is_lid(), seen.is_lid()) {
        (true, false) if seen.is_pn_user() => (recorded, seen),
        (false, true) if recorded.is_pn_user() => (seen, recorded),
        _ => return false,
    };
    let Some(device) = entry.state().device else {
        return false;
    };
    let Ok(user) = LidUser::new(lid.user()) else {
        return false;
    };
    match shared
        .store
        .call(move |store| store.pn_for_lid(device, &user))
        .await
    {
        Ok(Ok(Some(mapped))) => mapped.as_str() == pn.user(),
        Ok(Ok(None)) => false,
        Ok(Err(error)) => {
            tracing::debug!(session = %entry.id, %error, "LID map lookup failed");
            false
        }
        Err(error) => {
            tracing::debug!(session = %entry.id, %error, "LID map lookup failed");
            false
        }
    }
}

/// The recorded message `message_id` when it is in the chat `seen` names (see
/// [`same_chat`]); `None` when unknown, or recorded in another chat (an event naming another
/// chat's message id is not about that message).
pub(super) async fn message_in_chat(
    shared: &Shared,
    entry: &Entry,
    message_id: &str,
    seen: &Jid,
) -> Option<MessageRecord> {
    let (id, mid) = (entry.id.clone(), message_id.to_owned());
    let record = match shared
        .db
        .call(move |conn| db::messages::get(conn, &id, &mid))
        .await
    {
        Ok(record) => record?,
        Err(error) => {
            tracing::warn!(session = %entry.id, %error, "message lookup failed");
            return None;
        }
    };
    same_chat(shared, entry, &record.message.chat, seen)
        .await
        .then_some(record)
}
