//! Delivery and read receipts for messages we sent: each moves the message's status forward
//! (sent, delivered, read) through [`SessionManager::set_message_status`], never backwards.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use wa_binary::Jid;
use wa_session::content::MessageId;
use wa_session::receive::ReceiptKind;

use super::{chats, Entry, SessionManager};
use crate::db::{self, MessageStatus};
use crate::ids::SessionId;

/// The status a receipt of `kind` reports, for the kinds that move a sent message on.
/// Receipts our own devices send (`sender`, `read-self`, `played-self`) say nothing about
/// the recipient; `server-error` and unknown kinds are left alone.
pub(super) fn status_of(kind: &ReceiptKind) -> Option<MessageStatus> {
    match kind {
        ReceiptKind::Delivered | ReceiptKind::Inactive => Some(MessageStatus::Delivered),
        ReceiptKind::Read | ReceiptKind::Played => Some(MessageStatus::Read),
        _ => None,
    }
}

/// How many receipts for messages not recorded yet are kept per process.
const EARLY_LIMIT: usize = 4096;

/// Receipts that arrived before the gateway recorded the message they name: the phone's
/// delivery receipt can overtake the API handler that writes the row after the server's ack.
/// Kept briefly (bounded) and applied when the row is written.
#[derive(Debug, Default)]
pub(super) struct EarlyReceipts(Mutex<HashMap<(SessionId, String), (Jid, MessageStatus)>>);

impl EarlyReceipts {
    fn map(&self) -> MutexGuard<'_, HashMap<(SessionId, String), (Jid, MessageStatus)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn keep(&self, session: &SessionId, id: &str, chat: &Jid, status: MessageStatus) {
        let mut map = self.map();
        let full = map.len() >= EARLY_LIMIT;
        let key = (session.clone(), id.to_owned());
        match map.get_mut(&key) {
            Some(kept) if kept.1.may_become(status) => kept.1 = status,
            Some(_) => {}
            None if !full => {
                map.insert(key, (chat.clone(), status));
            }
            None => tracing::debug!(session = %session, "early receipt dropped (too many)"),
        }
    }

    fn take(&self, session: &SessionId, id: &str) -> Option<(Jid, MessageStatus)> {
        self.map().remove(&(session.clone(), id.to_owned()))
    }
}

/// Applies a receipt from `chat` (as the engine names it: a LID chat for a message sent to
/// the contact's phone number) to the messages it covers that we sent in that chat.
pub(super) async fn apply(
    manager: &SessionManager,
    entry: &Entry,
    chat: &Jid,
    message_ids: &[MessageId],
    kind: &ReceiptKind,
) {
    let Some(status) = status_of(kind) else {
        return;
    };
    for id in message_ids {
        if !recorded(manager, entry, id.as_str()).await {
            manager
                .shared()
                .early_receipts
                .keep(&entry.id, id.as_str(), chat, status);
            // The row may have been written meanwhile, after its writer looked for us.
            if recorded(manager, entry, id.as_str()).await {
                settle(manager, entry, id.as_str()).await;
            }
            continue;
        }
        set_if_ours(manager, entry, id.as_str(), chat, status).await;
    }
}

/// Applies a receipt kept for `message_id` (just recorded), if one came early.
pub(super) async fn settle(manager: &SessionManager, entry: &Entry, message_id: &str) {
    let early = manager.shared().early_receipts.take(&entry.id, message_id);
    if let Some((chat, status)) = early {
        set_if_ours(manager, entry, message_id, &chat, status).await;
    }
}

async fn recorded(manager: &SessionManager, entry: &Entry, message_id: &str) -> bool {
    let (id, mid) = (entry.id.clone(), message_id.to_owned());
    matches!(
        manager
            .shared()
            .db
            .call(move |conn| db::messages::get(conn, &id, &mid))
            .await,
        Ok(Some(_))
    )
}

/// Moves `message_id` to `status` when it is ours and in `chat`.
async fn set_if_ours(
    manager: &SessionManager,
    entry: &Entry,
    message_id: &str,
    chat: &Jid,
    status: MessageStatus,
) {
    let Some(record) = chats::message_in_chat(manager.shared(), entry, message_id, chat).await
    else {
        return;
    };
    if !record.message.from_me {
        return;
    }
    if let Err(error) = manager.set_message_status(entry, message_id, status).await {
        tracing::warn!(session = %entry.id, %error, "message status not stored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_early_receipt_is_kept_once_and_only_moves_forward() {
        let early = EarlyReceipts::default();
        let (session, chat): (SessionId, Jid) =
            (SessionId::parse("ses_1").unwrap(), "5@lid".parse().unwrap());
        early.keep(&session, "3EB0AA", &chat, MessageStatus::Read);
        early.keep(&session, "3EB0AA", &chat, MessageStatus::Delivered);
        assert_eq!(
            early.take(&session, "3EB0AA"),
            Some((chat, MessageStatus::Read))
        );
        assert_eq!(early.take(&session, "3EB0AA"), None);
    }

    #[test]
    fn only_the_recipients_receipts_move_a_message() {
        assert_eq!(
            status_of(&ReceiptKind::Delivered),
            Some(MessageStatus::Delivered)
        );
        assert_eq!(status_of(&ReceiptKind::Read), Some(MessageStatus::Read));
        assert_eq!(status_of(&ReceiptKind::Played), Some(MessageStatus::Read));
        for own in [
            ReceiptKind::Sender,
            ReceiptKind::ReadSelf,
            ReceiptKind::PlayedSelf,
            ReceiptKind::ServerError,
            ReceiptKind::Other("peer_msg".into()),
        ] {
            assert_eq!(status_of(&own), None, "{own:?}");
        }
    }
}
