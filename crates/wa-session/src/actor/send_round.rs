//! Sends to one-to-one chats encrypt in rounds: every send queued while the previous round
//! ran is encrypted in one store batch (one transaction, one fsync: each outbox entry is
//! committed with the ratchet state it advanced before any frame exists), and the stanzas go
//! to the actor in one command, so the socket gets them in one write, in call order.
//!
//! If the shared batch fails (one send's encryption or outbox entry refused), nothing of it
//! was written and each send of the round runs alone, so only the faulty one fails.

use rand_chacha::ChaCha20Rng;
use tokio::sync::{mpsc, oneshot};
use wa_binary::{Jid, Node};
use wa_proto::e2e::Message;
use wa_store::{Committed, NewOutboxEntry, SendBatch};

use super::outbox::{prune, write_marks};
use super::send_state::SendState;
use super::{Command, OutgoingMessage, Session, Written};
use crate::content::MessageId;
use crate::error::{Error, Result};
use crate::fanout::{encrypt_direct, Bundles, DirectMessage, OwnIdentity, StanzaAttrs};

/// Encrypts one send inside a batch (the stanza, and the devices skipped for want of a
/// session or bundle); run again (from the same inputs) if the shared batch fails.
type Encrypt = Box<dyn FnMut(&mut SendBatch<'_>) -> Result<Encrypted> + Send>;

type Encrypted = (Node<'static>, Vec<Jid>);

/// What a caller gets back from its round: the receiver of its ack receiver (resolved once
/// the actor wrote the committed stanza).
pub(super) type Queued = oneshot::Receiver<Written>;

/// One queued send.
pub(super) struct RoundJob {
    encrypt: Encrypt,
    id: MessageId,
    devices: Vec<Jid>,
    done: oneshot::Sender<Result<Queued>>,
}

impl std::fmt::Debug for RoundJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoundJob").field("id", &self.id).finish()
    }
}

/// The inputs of one direct send's encryption.
pub(super) struct DirectJob {
    pub(super) own: OwnIdentity,
    pub(super) chat: Jid,
    /// The contact's phone number when `chat` is their LID (`peer_recipient_pn`).
    pub(super) peer_pn: Option<Jid>,
    pub(super) devices: Vec<Jid>,
    pub(super) message: Message,
    pub(super) id: MessageId,
    pub(super) bundles: Bundles,
    pub(super) rng: ChaCha20Rng,
    pub(super) outbox: Option<NewOutboxEntry>,
}

impl DirectJob {
    /// The queued form; `done` gets the outcome.
    pub(super) fn into_round_job(self, done: oneshot::Sender<Result<Queued>>) -> RoundJob {
        let (id, devices) = (self.id.clone(), self.devices.clone());
        let attrs = StanzaAttrs::for_message(self.id.clone(), &self.message);
        let encrypt = Box::new(move |batch: &mut SendBatch<'_>| -> Result<Encrypted> {
            if let Some(entry) = &self.outbox {
                batch.insert_outbox(entry.clone());
            }
            let mut rng = self.rng.clone();
            let sent = encrypt_direct(
                batch,
                &self.own,
                &DirectMessage {
                    chat: &self.chat,
                    devices: &self.devices,
                    message: &self.message,
                    attrs: &attrs,
                },
                &self.bundles,
                &mut rng,
            )?;
            let stanza = match &self.peer_pn {
                Some(pn) => sent.stanza.with_attr("peer_recipient_pn", pn.clone()),
                None => sent.stanza,
            };
            Ok((stanza, sent.skipped))
        });
        RoundJob {
            encrypt,
            id,
            devices,
            done,
        }
    }
}

impl Session {
    /// Queues a direct send for the next round (call with the order lock held); the receiver
    /// gets its stanza once committed and handed to the actor. Then call [`Self::round`]
    /// with the ticket, after releasing the order lock.
    pub(super) fn queue_direct(&self, job: DirectJob) -> (u64, oneshot::Receiver<Result<Queued>>) {
        let (done, outcome) = oneshot::channel();
        let ticket = self.send.rounds.push(job.into_round_job(done));
        (ticket, outcome)
    }

    /// Makes sure the sends up to `ticket` are committed and handed to the actor, running a
    /// round if none did yet.
    pub(super) async fn round(&self, ticket: u64) {
        let (state, commands) = (&*self.send, &self.commands);
        state
            .rounds
            .lead(ticket, |jobs| run_round(state, commands, jobs))
            .await;
    }

    /// Runs a round now, whatever is queued: ack outcomes that no send round took are written
    /// (with any sends queued meanwhile).
    pub(super) async fn flush_round(&self) {
        let (state, commands) = (&*self.send, &self.commands);
        state
            .rounds
            .lead_now(|jobs| run_round(state, commands, jobs))
            .await;
    }

    /// Waits until every send queued so far is committed and with the actor (before a send
    /// that does not go through rounds, so that it cannot overtake them).
    pub(super) async fn rounds_barrier(&self) {
        self.round(self.send.rounds.ticket()).await;
    }
}

/// Encrypts and commits a round's sends in one batch, with the ack outcomes queued since the
/// last round, and hands the stanzas to the actor.
async fn run_round(
    state: &SendState,
    commands: &mpsc::UnboundedSender<Command>,
    jobs: Vec<RoundJob>,
) {
    let marks = state.marks.take();
    if jobs.is_empty() {
        write_marks(state, marks).await;
        return;
    }
    let mut encrypts = Vec::with_capacity(jobs.len());
    let mut waiters = Vec::with_capacity(jobs.len());
    for job in jobs {
        encrypts.push(job.encrypt);
        waiters.push((job.id, job.devices, job.done));
    }
    let (device, prune_before) = (state.device, state.prune_due());
    let outcomes = state
        .store
        .call(move |store| {
            let together = store.send_batch(device, |batch| -> Result<Vec<Encrypted>> {
                batch.settle_outbox(marks.iter().cloned());
                encrypts.iter_mut().map(|encrypt| encrypt(batch)).collect()
            });
            let outcomes = match together {
                Ok(stanzas) => stanzas.into_inner().into_iter().map(Ok).collect(),
                Err(error) => {
                    if let Err(error) = store.outbox_settle_many(device, &marks) {
                        tracing::debug!(%error, "ack outcomes not written");
                    }
                    if encrypts.len() == 1 {
                        vec![Err(error)]
                    } else {
                        encrypts
                            .iter_mut()
                            .map(|encrypt| {
                                store.send_batch(device, encrypt).map(Committed::into_inner)
                            })
                            .collect::<Vec<Result<Encrypted>>>()
                    }
                }
            };
            prune(store, device, prune_before);
            (outcomes, marks)
        })
        .await;
    let outcomes = outcomes.map(|(outcomes, marks)| {
        state.marks.written(&marks);
        outcomes
    });
    let Ok(outcomes) = outcomes else {
        for (_, _, done) in waiters {
            let _ = done.send(Err(Error::Store(wa_store::Error::Closed)));
        }
        return;
    };
    let mut batch = Vec::with_capacity(outcomes.len());
    let mut answers = Vec::with_capacity(outcomes.len());
    for ((id, devices, done), outcome) in waiters.into_iter().zip(outcomes) {
        match outcome {
            Ok((stanza, skipped)) => {
                state.remember_sessions(devices.into_iter().filter(|d| !skipped.contains(d)));
                let (answer, written) = oneshot::channel();
                batch.push(OutgoingMessage {
                    node: stanza,
                    id: id.as_str().to_owned(),
                    answer,
                });
                answers.push((done, Ok(written)));
            }
            Err(error) => {
                // Perhaps a session we thought we had is gone: look again next time.
                state.forget_sessions();
                answers.push((done, Err(error)));
            }
        }
    }
    // When the actor is gone the answer senders drop with the command: the callers see the
    // send as not written (disconnected).
    if !batch.is_empty() {
        let _ = commands.send(Command::Messages { batch });
    }
    for (done, answer) in answers {
        let _ = done.send(answer);
    }
}
