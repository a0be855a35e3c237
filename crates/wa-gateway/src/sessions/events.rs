//! The task per session that reads its engine events: status changes, QR codes, the paired
//! device, and incoming messages, reactions and revokes, written to the gateway tables and
//! handed to the event sink in order.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedReceiver;
use wa_session::receive::ReceiveEvent;
use wa_session::Event;

use super::payloads::{self, Known};
use super::{chats, receipts, record};
use super::{Entry, SessionManager, Shared};
use crate::db::{self, MessageRecord, MessageStatus, NewMessage, SessionStatus};
use crate::sink::GatewayEvent;

/// The `session.status` event of `entry` entering `status`.
pub(super) fn status_event(entry: &Entry, status: SessionStatus) -> GatewayEvent {
    payloads::status(entry, status)
}

/// Records a status change (in memory, in the table, to the sink) unless it is no change,
/// or the session was logged out (nothing but `logged_out` follows that).
pub(super) async fn set_status(shared: &Shared, entry: &Entry, status: SessionStatus) {
    {
        let mut state = entry.state();
        if state.status == Some(status) || (state.logged_out && status != SessionStatus::LoggedOut)
        {
            return;
        }
        state.status = Some(status);
    }
    let id = entry.id.clone();
    if let Err(error) = shared
        .db
        .call(move |conn| db::sessions::set_status(conn, &id, status))
        .await
    {
        tracing::warn!(session = %entry.id, %error, "session status not stored");
    }
    shared.emit(status_event(entry, status)).await;
}

/// Reads `events` until the session ends.
pub(super) async fn consume(
    shared: Arc<Shared>,
    entry: Arc<Entry>,
    mut events: UnboundedReceiver<Event>,
) {
    while let Some(event) = events.recv().await {
        on_event(&shared, &entry, event).await;
    }
}

async fn on_event(shared: &Arc<Shared>, entry: &Entry, event: Event) {
    match event {
        Event::Qr { code } => entry.state().qr = Some(code),
        Event::Paired { jid, lid, device } => {
            {
                let mut state = entry.state();
                state.device = Some(device);
                state.jid = Some(jid.clone());
                state.lid = lid;
                state.qr = None;
            }
            let (id, jid) = (entry.id.clone(), jid.to_string());
            if let Err(error) = shared
                .db
                .call(move |conn| db::sessions::set_device(conn, &id, Some(device), Some(&jid)))
                .await
            {
                tracing::warn!(session = %entry.id, %error, "paired device not stored");
            }
            set_status(shared, entry, SessionStatus::Connecting).await;
        }
        Event::Connected { jid, lid } => {
            {
                let mut state = entry.state();
                state.jid = Some(jid);
                state.lid = lid;
            }
            set_status(shared, entry, SessionStatus::Connected).await;
        }
        Event::Disconnected { reconnecting, .. } => {
            if reconnecting {
                shared.metrics.reconnect();
                set_status(shared, entry, SessionStatus::Connecting).await;
            } else {
                set_status(shared, entry, SessionStatus::Disconnected).await;
            }
        }
        Event::Replaced => set_status(shared, entry, SessionStatus::Disconnected).await,
        Event::LoggedOut | Event::PairingFailed { .. } => {
            let device = {
                let mut state = entry.state();
                state.session = None;
                state.qr = None;
                state.device.take()
            };
            if let Some(device) = device {
                // The server removed the device: its keys are of no use any more.
                let _ = shared
                    .store
                    .call(move |store| store.delete_device(device))
                    .await;
            }
            set_status(shared, entry, SessionStatus::LoggedOut).await;
        }
        Event::Incoming(incoming) => on_incoming(shared, entry, *incoming).await,
        Event::Receipt {
            chat,
            message_ids,
            kind,
            ..
        } => {
            let manager = SessionManager {
                shared: Arc::clone(shared),
            };
            receipts::apply(&manager, entry, &chat, &message_ids, &kind).await;
        }
        Event::DecryptFailed { retry_count, .. } => {
            tracing::debug!(session = %entry.id, retry_count, "incoming message did not decrypt");
            shared.metrics.decrypt_failure();
        }
        _ => {}
    }
}

async fn on_incoming(shared: &Shared, entry: &Entry, event: ReceiveEvent) {
    let (org, session) = (entry.org.to_string(), entry.id.to_string());
    let gateway_event = match event {
        ReceiveEvent::Message(message) => {
            shared.metrics.received("message");
            let row = NewMessage {
                wa_id: message.id.as_str().to_owned(),
                chat: message.chat.to_string(),
                sender: Some(message.author.to_non_ad().to_string()),
                from_me: message.from_me,
                status: if message.from_me {
                    MessageStatus::Sent
                } else {
                    MessageStatus::Received
                },
                origin: message.from_me.then(|| "device".to_owned()),
                timestamp: secs(message.timestamp.as_secs()),
            };
            let event = GatewayEvent::MessageReceived {
                org,
                session,
                chat: row.chat.clone(),
                message_id: row.wa_id.clone(),
                sender: row.sender.clone().unwrap_or_default(),
                from_me: row.from_me,
                timestamp: row.timestamp,
            };
            record::message(shared, entry, row).await;
            event
        }
        ReceiveEvent::Reaction(reaction) => {
            shared.metrics.received("reaction");
            let actor = record::actor_of(entry, &reaction.actor);
            let target = chats::message_in_chat(
                shared,
                entry,
                reaction.target.id().as_str(),
                &reaction.chat,
            )
            .await;
            let row = db::ReactionRecord {
                message_id: reaction.target.id().as_str().to_owned(),
                chat: reaction.chat.to_string(),
                reactor: reaction.actor.to_string(),
                emoji: reaction.emoji.clone().unwrap_or_default(),
                actor: actor.as_str().to_owned(),
                origin: None,
                timestamp: secs(reaction.timestamp.as_secs()),
            };
            let previous = record::reaction(shared, entry, row).await;
            let event = payloads::received_reaction(
                entry,
                &reaction,
                actor == db::Actor::Me,
                previous,
                known(target),
            );
            payloads::webhook(entry, event)
        }
        ReceiveEvent::Revoke(revoke) => {
            shared.metrics.received("revoke");
            let target =
                chats::message_in_chat(shared, entry, revoke.target.id().as_str(), &revoke.chat)
                    .await;
            let recorded_elsewhere = target.is_none() && {
                let (id, mid) = (entry.id.clone(), revoke.target.id().as_str().to_owned());
                matches!(
                    shared
                        .db
                        .call(move |conn| db::messages::get(conn, &id, &mid))
                        .await,
                    Ok(Some(_))
                )
            };
            // A revoke naming another chat's (or another author's) message id does not touch
            // that message.
            let authored_as_said = target
                .as_ref()
                .map_or(true, |t| t.message.from_me == revoke.target.from_me());
            if !recorded_elsewhere && authored_as_said {
                let row = NewMessage {
                    wa_id: revoke.target.id().as_str().to_owned(),
                    chat: revoke.chat.to_string(),
                    sender: revoke.target.participant().map(ToString::to_string),
                    from_me: revoke.target.from_me(),
                    status: MessageStatus::Deleted,
                    origin: None,
                    timestamp: secs(revoke.timestamp.as_secs()),
                };
                record::message(shared, entry, row).await;
            }
            payloads::webhook(
                entry,
                payloads::received_revoke(entry, &revoke, known(target)),
            )
        }
        _ => return,
    };
    shared.emit(gateway_event).await;
}

/// The chat and origin a known target message gives its events.
fn known(target: Option<MessageRecord>) -> Known {
    target.map_or_else(Known::default, |record| Known {
        chat: Some(record.message.chat),
        origin: record.message.origin,
    })
}

fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
