//! Sends through a session, recorded in the gateway tables and announced to the event sink
//! with the caller's `origin`.

use std::sync::Arc;

use wa_binary::Jid;
use wa_session::send::{SendResult, TargetRef};
use wa_session::SendOptions;
use wa_store::IdempotencyKey;

use super::{payloads, receipts, record, Entry, SessionManager};
use crate::db::{self, Actor, MessageStatus, NewMessage, ReactionRecord};
use crate::error::{Error, Result};
use crate::sink::GatewayEvent;

/// The longest `origin` tag accepted, in bytes.
const MAX_ORIGIN_LEN: usize = 128;

/// The caller's tag for a send, stored with what it sent and carried into its events.
///
/// ```
/// use wa_gateway::Origin;
/// assert!(Origin::new(Some("crm/campaign-7".into())).is_ok());
/// assert!(Origin::new(Some("a\nb".into())).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin(Option<String>);

impl Origin {
    /// Checks a tag: at most 128 bytes, no control characters.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] otherwise.
    pub fn new(tag: Option<String>) -> Result<Self> {
        match &tag {
            Some(text) if text.len() > MAX_ORIGIN_LEN || text.chars().any(char::is_control) => {
                Err(Error::InvalidRequest {
                    message: "`origin` is at most 128 bytes without control characters".into(),
                    details: serde_json::json!({ "field": "origin" }),
                })
            }
            _ => Ok(Self(tag.filter(|t| !t.is_empty()))),
        }
    }

    fn get(&self) -> Option<String> {
        self.0.clone()
    }
}

/// What a send gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The WhatsApp message id it went out with.
    pub wa_message_id: String,
    /// The server's timestamp (unix seconds).
    pub timestamp: u64,
    /// Whether the engine had already sent it (idempotency key, or a resend).
    pub replayed: bool,
    /// The engine outbox entry's key: the idempotency key, or the message id without one.
    pub outbox_id: String,
}

fn options(key: Option<&IdempotencyKey>) -> SendOptions {
    let mut options = SendOptions::default();
    options.idempotency_key = key.cloned();
    options
}

fn sent(result: &SendResult, key: Option<&IdempotencyKey>) -> Sent {
    let id = result.message_id.as_str().to_owned();
    Sent {
        outbox_id: key.map_or_else(|| id.clone(), |k| k.as_str().to_owned()),
        wa_message_id: id,
        timestamp: result.server_timestamp,
        replayed: result.replayed,
    }
}

fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl SessionManager {
    /// Sends a text to `chat`.
    ///
    /// # Errors
    /// [`Error::Disconnected`] when the session is not running; the engine's refusals.
    pub async fn send_text(
        &self,
        entry: &Arc<Entry>,
        chat: &Jid,
        text: &str,
        key: Option<&IdempotencyKey>,
        origin: &Origin,
    ) -> Result<Sent> {
        let session = entry.session()?;
        let shared = self.shared();
        let result = match session.send_text_with(chat, text, &options(key)).await {
            Ok(result) => result,
            Err(error) => {
                if let Some(id) = error.message_id() {
                    // The server refused it: the message exists, as failed.
                    let row = NewMessage {
                        wa_id: id.as_str().to_owned(),
                        chat: chat.to_string(),
                        sender: Some(record::own_user(entry)),
                        from_me: true,
                        status: MessageStatus::Failed,
                        origin: origin.get(),
                        timestamp: db::now_secs(),
                    };
                    record::message(shared, entry, row).await;
                }
                return Err(error.into());
            }
        };
        let sent = sent(&result, key);
        self.note_retry(&sent);
        let row = NewMessage {
            wa_id: sent.wa_message_id.clone(),
            chat: chat.to_string(),
            sender: Some(record::own_user(entry)),
            from_me: true,
            status: MessageStatus::Sent,
            origin: origin.get(),
            timestamp: secs(sent.timestamp),
        };
        record::message(shared, entry, row).await;
        receipts::settle(self, entry, &sent.wa_message_id).await;
        shared
            .emit(GatewayEvent::MessageSent {
                org: entry.org.to_string(),
                session: entry.id.to_string(),
                chat: chat.to_string(),
                message_id: sent.wa_message_id.clone(),
                origin: origin.get(),
                timestamp: secs(sent.timestamp),
            })
            .await;
        Ok(sent)
    }

    /// Reacts to `target` with `emoji`, or removes our reaction when `emoji` is empty.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text), and the engine's emoji and target checks.
    pub async fn react(
        &self,
        entry: &Arc<Entry>,
        chat: &Jid,
        target: &TargetRef,
        emoji: &str,
        key: Option<&IdempotencyKey>,
        origin: &Origin,
    ) -> Result<Sent> {
        let session = entry.session()?;
        let result = if emoji.is_empty() {
            session.unreact_with(chat, target, &options(key)).await?
        } else {
            session
                .react_with(chat, target, emoji, &options(key))
                .await?
        };
        let sent = sent(&result, key);
        self.note_retry(&sent);
        let shared = self.shared();
        let reactor = record::own_user(entry);
        let row = ReactionRecord {
            message_id: target.id().as_str().to_owned(),
            chat: chat.to_string(),
            reactor: reactor.clone(),
            emoji: emoji.to_owned(),
            actor: Actor::Me.as_str().to_owned(),
            origin: origin.get(),
            timestamp: secs(sent.timestamp),
        };
        let previous = record::reaction(shared, entry, row).await;
        let event = payloads::sent_reaction(
            entry,
            payloads::SentReaction {
                chat,
                target,
                actor: reactor,
                emoji,
                previous,
                timestamp: sent.timestamp,
                origin: origin.get(),
            },
        );
        shared.emit(payloads::webhook(entry, event)).await;
        Ok(sent)
    }

    /// Whether the gateway knows of a reaction of ours on message `message_id`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn has_own_reaction(&self, entry: &Entry, message_id: &str) -> Result<bool> {
        let (id, mid) = (entry.id.clone(), message_id.to_owned());
        self.shared()
            .db
            .call(move |conn| {
                Ok(db::reactions::on_message(conn, &id, &mid)?
                    .iter()
                    .any(|r| r.actor == Actor::Me.as_str()))
            })
            .await
    }

    /// Revokes `target` for everyone (another member's message: as a group admin).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text), and the engine's target and admin checks.
    pub async fn revoke(
        &self,
        entry: &Arc<Entry>,
        chat: &Jid,
        target: &TargetRef,
        key: Option<&IdempotencyKey>,
        origin: &Origin,
    ) -> Result<Sent> {
        let session = entry.session()?;
        let result = session.revoke_with(chat, target, &options(key)).await?;
        let sent = sent(&result, key);
        self.note_retry(&sent);
        let shared = self.shared();
        let row = NewMessage {
            wa_id: target.id().as_str().to_owned(),
            chat: chat.to_string(),
            sender: if target.from_me() {
                Some(record::own_user(entry))
            } else {
                target.participant().map(|p| p.to_non_ad().to_string())
            },
            from_me: target.from_me(),
            status: MessageStatus::Deleted,
            origin: None,
            timestamp: secs(sent.timestamp),
        };
        record::message(shared, entry, row).await;
        let event = payloads::sent_revoke(
            entry,
            chat,
            target,
            record::own_user(entry),
            sent.timestamp,
            origin.get(),
        );
        shared.emit(payloads::webhook(entry, event)).await;
        Ok(sent)
    }

    /// Moves a message the gateway knows to `status` (delivery and read receipts, a failed
    /// send, a revoke), never backwards ([`MessageStatus::may_become`]); `false` when it
    /// knows no such message or the change is not allowed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_message_status(
        &self,
        entry: &Entry,
        message_id: &str,
        status: MessageStatus,
    ) -> Result<bool> {
        let (id, mid) = (entry.id.clone(), message_id.to_owned());
        self.shared()
            .db
            .call(move |conn| db::messages::set_status(conn, &id, &mid, status))
            .await
    }

    fn note_retry(&self, sent: &Sent) {
        if sent.replayed {
            self.shared().metrics.retry();
        }
    }

    /// The message `message_id` as the gateway knows it, with its current reactions;
    /// `None` when it knows neither.
    ///
    /// # Errors
    /// Database errors.
    pub async fn message(
        &self,
        entry: &Entry,
        message_id: &str,
    ) -> Result<Option<(Option<db::MessageRecord>, Vec<ReactionRecord>)>> {
        let (id, mid) = (entry.id.clone(), message_id.to_owned());
        self.shared()
            .db
            .call(move |conn| {
                let message = db::messages::get(conn, &id, &mid)?;
                let reactions = db::reactions::on_message(conn, &id, &mid)?;
                Ok((message.is_some() || !reactions.is_empty()).then_some((message, reactions)))
            })
            .await
    }
}
