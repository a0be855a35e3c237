//! The send path's outbox on [`Session`]: every send is recorded (idempotency key, message
//! id, plaintext) in the same store transaction as its encryption; its ack settles the entry
//! (acked or refused). A second call with a known key returns the first result, waits for the
//! first call still in flight, or sends the stored message again with the same id. At start,
//! entries never acked are re-encrypted (a new ratchet step, never a reused key) and sent
//! again with their ids before any new send.

use std::sync::Arc;

use prost::Message as _;
use tokio::sync::{oneshot, MutexGuard, OwnedMutexGuard};
use wa_binary::{Jid, Node};
use wa_proto::e2e::Message;
use wa_store::{IdempotencyKey, OutboxEntry, OutboxMessageId, OutboxState};

use super::marks::FLUSH_DELAY;
use super::send::REPLAY_PAUSE;
use super::send_state::{InFlight, SendState};
use super::{Session, Written};
use crate::content::MessageId;
use crate::error::{Error, Result};
use crate::send::{parse_ack, SendResult};

/// A stanza handed to the actor, waiting for its ack.
#[derive(Debug)]
pub(super) struct Queued {
    chat: Jid,
    id: MessageId,
    written: oneshot::Receiver<Written>,
    _flight: InFlight,
}

impl Queued {
    /// A stanza the actor got from a send round.
    pub(super) fn new(
        chat: Jid,
        id: MessageId,
        written: oneshot::Receiver<Written>,
        flight: InFlight,
    ) -> Self {
        Self {
            chat,
            id,
            written,
            _flight: flight,
        }
    }
}

/// Writes outcomes no send round carried (an idle session, or one stopping) in one
/// transaction, and prunes the outbox when due. On failure the entries stay pending (they are
/// resent with their ids at the next start).
pub(super) async fn write_marks(state: &SendState, marks: Vec<(OutboxMessageId, OutboxState)>) {
    if marks.is_empty() {
        return;
    }
    let (device, prune_before) = (state.device, state.prune_due());
    let written = state
        .store
        .call(move |store| {
            if let Err(error) = store.outbox_settle_many(device, &marks) {
                tracing::debug!(%error, "ack outcomes not written");
            }
            prune(store, device, prune_before);
            marks
        })
        .await;
    if let Ok(marks) = written {
        state.marks.written(&marks);
    }
}

/// Deletes settled entries created before `before`, when given (after the round's outcomes
/// are written, so that they count).
pub(super) fn prune(store: &mut wa_store::Store, device: wa_store::DeviceId, before: Option<u64>) {
    if let Some(before) = before {
        if let Err(error) = store.outbox_prune(device, before) {
            tracing::debug!(%error, "outbox not pruned");
        }
    }
}

/// What [`Session::send_again`] found for a key.
pub(super) enum Again<'s> {
    /// The key is known: this is its result.
    Done(Result<SendResult>),
    /// The key is new: send it, under this send-order lock (held since the lookup).
    New(MutexGuard<'s, ()>),
}

/// The result an entry already settled stands for, if it is settled (`state`: its own, or
/// the outcome not yet written).
fn settled_result(entry: &OutboxEntry, state: OutboxState) -> Option<Result<SendResult>> {
    match state {
        OutboxState::Pending => None,
        OutboxState::Failed { code } => Some(Err(Error::ServerError {
            code,
            message_id: MessageId::parse(entry.message_id.as_str()).ok(),
        })),
        OutboxState::Acked { server_timestamp } => Some(
            MessageId::parse(entry.message_id.as_str()).map(|message_id| SendResult {
                message_id,
                server_timestamp,
                replayed: true,
            }),
        ),
    }
}

impl Session {
    /// Marks `id` in flight and queues its stanza (call with the order lock held).
    pub(super) fn queue(&self, chat: Jid, stanza: Node<'static>, id: MessageId) -> Result<Queued> {
        let flight = self.send.in_flight(id.as_str());
        let written = self.submit(stanza, &id)?;
        Ok(Queued {
            chat,
            id,
            written,
            _flight: flight,
        })
    }

    /// Waits for the ack of a queued stanza and queues the outcome for the outbox (before
    /// the entry stops being in flight, so that a call with the same key finds it).
    pub(super) async fn settle(&self, queued: Queued, replayed: bool) -> Result<SendResult> {
        let state = &self.send;
        let (ack, resent) = self.await_ack(&queued.id, queued.written).await?;
        let ack = parse_ack(&ack)?;
        let chat = &queued.chat;
        if ack.phash.is_some() && chat.is_group() {
            state.forget_group(chat);
        }
        let id = OutboxMessageId::new(queued.id.as_str())?;
        if let Some(code) = ack.error {
            if chat.is_group() {
                state.forget_group(chat);
            } else {
                state.forget_devices(std::slice::from_ref(chat));
            }
            self.mark(id, OutboxState::Failed { code });
            return Err(Error::ServerError {
                code,
                message_id: Some(queued.id),
            });
        }
        let server_timestamp = ack.t.unwrap_or_default();
        self.mark(id, OutboxState::Acked { server_timestamp });
        Ok(SendResult {
            message_id: queued.id,
            server_timestamp,
            replayed: replayed || resent,
        })
    }

    /// Queues an ack's outcome for the outbox: the next send round writes it, or a flush of
    /// its own after [`FLUSH_DELAY`] when no round comes.
    fn mark(&self, id: OutboxMessageId, outcome: OutboxState) {
        if !self.send.marks.push(id, outcome) {
            return;
        }
        let session = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(FLUSH_DELAY).await;
            session.send.marks.flush_started();
            session.flush_round().await;
        });
    }

    /// The answer for a key already in the outbox: the first result when it is settled; when
    /// the first call is still waiting for its ack, its outcome; otherwise the stored message
    /// sent again with its id.
    pub(super) async fn send_again(&self, key: &IdempotencyKey) -> Result<Again<'_>> {
        let state = &self.send;
        let deadline = tokio::time::Instant::now() + self.iq_timeout;
        loop {
            let order = state.order.lock().await;
            let settled = state.settled();
            tokio::pin!(settled);
            settled.as_mut().enable();
            let (device, lookup, shared) = (state.device, key.clone(), Arc::clone(state));
            // On the store's thread, so that no round commits between the read and the
            // look at the outcomes not yet written; in flight is checked first, as an ack's
            // outcome is queued before its send stops being in flight.
            let Some((entry, outcome, in_flight)) = state
                .store
                .call(move |store| {
                    let Some(entry) = store.outbox_by_key(device, &lookup)? else {
                        return Ok(None);
                    };
                    let in_flight = shared.is_in_flight(entry.message_id.as_str());
                    let outcome = match entry.state {
                        OutboxState::Pending => shared
                            .marks
                            .outcome(entry.message_id.as_str())
                            .unwrap_or(OutboxState::Pending),
                        settled => settled,
                    };
                    Ok::<_, wa_store::Error>(Some((entry, outcome, in_flight)))
                })
                .await??
            else {
                return Ok(Again::New(order));
            };
            if let Some(done) = settled_result(&entry, outcome) {
                return Ok(Again::Done(done));
            }
            if !in_flight {
                let queued = self.queue_entry(&entry).await;
                drop(order);
                return Ok(Again::Done(self.settle(queued?, true).await));
            }
            drop(order);
            if tokio::time::timeout_at(deadline, settled).await.is_err() {
                return Ok(Again::Done(Err(Error::Timeout)));
            }
        }
    }

    /// Re-encrypts a stored message (a new ratchet step) and queues it with its id (call with
    /// the order lock held).
    async fn queue_entry(&self, entry: &OutboxEntry) -> Result<Queued> {
        let message = Message::decode(entry.message.as_slice())
            .map_err(|_| wa_store::Error::Corrupt("outbox message"))?;
        let chat: Jid = entry
            .chat
            .parse()
            .map_err(|_| wa_store::Error::Corrupt("outbox chat"))?;
        let id = MessageId::parse(entry.message_id.as_str())?;
        let info = if chat.is_group() {
            Some(self.group_info(&chat).await?)
        } else {
            None
        };
        let stanza = self
            .encrypt_message(&chat, info.as_deref(), &message, id.clone(), None)
            .await?;
        self.queue(chat, stanza, id)
    }

    /// Sends again, in order and before any new send (`order` is the send lock, taken before
    /// the session was handed out), every entry a previous run left unacknowledged. Entries
    /// that cannot be sent before the IQ timeout stay pending for the next start.
    pub(super) async fn resend_pending(
        self,
        entries: Vec<OutboxEntry>,
        order: OwnedMutexGuard<()>,
    ) {
        let deadline = tokio::time::Instant::now() + self.iq_timeout;
        let mut queued = Vec::with_capacity(entries.len());
        for entry in &entries {
            loop {
                match self.queue_entry(entry).await {
                    Ok(q) => {
                        queued.push(q);
                        break;
                    }
                    Err(Error::Disconnected | Error::Timeout)
                        if tokio::time::Instant::now() < deadline =>
                    {
                        tokio::time::sleep(REPLAY_PAUSE).await;
                    }
                    Err(error) => {
                        tracing::debug!(%error, "pending outbox entry not resent");
                        break;
                    }
                }
            }
        }
        drop(order);
        for q in queued {
            if let Err(error) = self.settle(q, true).await {
                tracing::debug!(%error, "resent outbox entry not acknowledged");
            }
        }
    }
}
