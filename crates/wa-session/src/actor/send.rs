//! The send path on [`Session`]: texts, reactions, reaction removals and revokes, to
//! one-to-one chats and groups. Content is checked first (nothing is sent for a refused
//! target); then recipients are found (usync, group metadata, bundles; cached), the stanza is
//! encrypted inside one durable store batch, queued in call order, and the ack awaited
//! without holding any lock.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;
use tokio::sync::oneshot;
use wa_binary::{Jid, Node, Server};
use wa_proto::e2e::Message;
use wa_signal::ProtocolAddress;
use wa_store::{GroupId, IdempotencyKey, NewOutboxEntry, OutboxMessageId};
use zeroize::Zeroizing;

use super::outbox::{Again, Queued};
use super::send_round::DirectJob;
use super::send_state::SendState;
use super::{Command, Session, Written};
use crate::content::{
    build_reaction, build_revoke, build_text, MessageId, NoLidMappings, ReactionEmoji, UnixMillis,
};
use crate::error::{Error, Result, TargetError};
use crate::fanout::{
    bundles_from_list, devices_without_session, encrypt_direct, encrypt_group_for,
    own_sender_key_name, Addressing, Bundles, DirectMessage, GroupEncrypted, GroupFanout,
    StanzaAttrs,
};
use crate::send::{
    bundles_query, devices_query, group_query, parse_devices, GroupInfo, SendResult, TargetRef,
};

/// How long a replay waits for the connection to come back, between tries.
pub(super) const REPLAY_PAUSE: Duration = Duration::from_millis(100);

/// How one send is made beyond its content.
///
/// ```
/// use wa_session::SendOptions;
/// let options = SendOptions::with_key("invoice-7/reminder")?;
/// assert_eq!(options.idempotency_key.map(|k| k.to_string()).as_deref(), Some("invoice-7/reminder"));
/// assert!(SendOptions::default().idempotency_key.is_none());
/// # Ok::<(), wa_session::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SendOptions {
    /// The caller's name for this send: a second send with the same key (in this session
    /// or after a restart, on the same store) returns the first one's result, marked
    /// `replayed`, instead of sending again. Without one, the message id is the key.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl SendOptions {
    /// Options with this idempotency key.
    ///
    /// # Errors
    /// [`Error::Store`] with [`wa_store::Error::InvalidOutboxValue`] for an empty key, one
    /// longer than [`wa_store::MAX_IDEMPOTENCY_KEY_LEN`] bytes, or one with control characters.
    pub fn with_key(key: &str) -> Result<Self> {
        Ok(Self {
            idempotency_key: Some(IdempotencyKey::new(key)?),
        })
    }
}

/// What to send, checked but not yet bound to a group's addressing.
enum Content {
    Text(Box<Message>),
    Reaction(TargetRef, ReactionEmoji),
    Revoke(TargetRef),
}

impl Session {
    /// Sends a text message to a user (phone number or LID) or a group.
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// let bob = "15550002222@s.whatsapp.net".parse()?;
    /// let sent = session.send_text(&bob, "hello").await?;
    /// println!("{} at {}", sent.message_id, sent.server_timestamp);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyText`], [`Error::UnsupportedTarget`] for a chat that is not a user or a
    /// group (checked before anything is sent); [`Error::Disconnected`], [`Error::Timeout`],
    /// [`Error::ServerError`] when the server refuses the message (or the group's metadata);
    /// [`Error::Store`] / [`Error::Signal`] when encryption fails.
    pub async fn send_text(&self, chat: &Jid, text: &str) -> Result<SendResult> {
        self.send_text_with(chat, text, &SendOptions::default())
            .await
    }

    /// [`send_text`](Self::send_text) with options: with an idempotency key, a second call
    /// with the same key returns the first call's result marked `replayed` and sends nothing
    /// new (or, if the first never got its ack, sends the same message again, same id).
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// use wa_session::SendOptions;
    /// let bob = "15550002222@s.whatsapp.net".parse()?;
    /// let options = SendOptions::with_key("order-42/confirmation")?;
    /// let first = session.send_text_with(&bob, "confirmed", &options).await?;
    /// let again = session.send_text_with(&bob, "confirmed", &options).await?;
    /// assert_eq!(first.message_id, again.message_id);
    /// assert!(again.replayed);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text); a key whose first send was refused by the server
    /// gives that [`Error::ServerError`] again.
    pub async fn send_text_with(
        &self,
        chat: &Jid,
        text: &str,
        options: &SendOptions,
    ) -> Result<SendResult> {
        let (message, _) = build_text(text)?.into_parts();
        self.send_content(chat, Content::Text(Box::new(message)), options)
            .await
    }

    /// Reacts to a message with one emoji (replacing our earlier reaction to it).
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// use wa_session::{content::MessageId, send::TargetRef};
    /// let group = "120363012345678901@g.us".parse()?;
    /// let target = TargetRef::theirs(MessageId::parse("3A0011")?, Some("15550002222@s.whatsapp.net".parse()?));
    /// session.react(&group, &target, "👍").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidEmoji`], [`Error::MissingParticipant`], [`Error::ParticipantAddressing`],
    /// [`Error::UnsupportedTarget`] before anything is sent; then as
    /// [`send_text`](Self::send_text).
    pub async fn react(&self, chat: &Jid, target: &TargetRef, emoji: &str) -> Result<SendResult> {
        self.react_with(chat, target, emoji, &SendOptions::default())
            .await
    }

    /// [`react`](Self::react) with options (an idempotency key, as
    /// [`send_text_with`](Self::send_text_with)).
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// use wa_session::{content::MessageId, send::TargetRef, SendOptions};
    /// let bob = "15550002222@s.whatsapp.net".parse()?;
    /// let target = TargetRef::theirs(MessageId::parse("3A0011")?, None);
    /// session.react_with(&bob, &target, "👍", &SendOptions::with_key("like-3A0011")?).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`react`](Self::react).
    pub async fn react_with(
        &self,
        chat: &Jid,
        target: &TargetRef,
        emoji: &str,
        options: &SendOptions,
    ) -> Result<SendResult> {
        let emoji = ReactionEmoji::parse(emoji)?;
        self.send_content(chat, Content::Reaction(target.clone(), emoji), options)
            .await
    }

    /// Removes our reaction to a message (a reaction with the empty text).
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// use wa_session::{content::MessageId, send::TargetRef};
    /// let bob = "15550002222@s.whatsapp.net".parse()?;
    /// session.unreact(&bob, &TargetRef::theirs(MessageId::parse("3A0011")?, None)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`react`](Self::react).
    pub async fn unreact(&self, chat: &Jid, target: &TargetRef) -> Result<SendResult> {
        self.unreact_with(chat, target, &SendOptions::default())
            .await
    }

    /// [`unreact`](Self::unreact) with options (an idempotency key).
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// use wa_session::{content::MessageId, send::TargetRef, SendOptions};
    /// let bob = "15550002222@s.whatsapp.net".parse()?;
    /// let target = TargetRef::theirs(MessageId::parse("3A0011")?, None);
    /// session.unreact_with(&bob, &target, &SendOptions::with_key("unlike-3A0011")?).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`react`](Self::react).
    pub async fn unreact_with(
        &self,
        chat: &Jid,
        target: &TargetRef,
        options: &SendOptions,
    ) -> Result<SendResult> {
        let content = Content::Reaction(target.clone(), ReactionEmoji::removal());
        self.send_content(chat, content, options).await
    }

    /// Revokes ("deletes for everyone") our own message, or as a group admin another
    /// member's (`edit="8"`).
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// use wa_session::{content::MessageId, send::TargetRef};
    /// let bob = "15550002222@s.whatsapp.net".parse()?;
    /// session.revoke(&bob, &TargetRef::mine(MessageId::parse("3EB0AA")?)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::UnsupportedTarget`] for the other side's message in a one-to-one chat,
    /// [`Error::MissingParticipant`]; [`Error::NotGroupAdmin`] for another member's message
    /// when we are not an admin; then as [`send_text`](Self::send_text).
    pub async fn revoke(&self, chat: &Jid, target: &TargetRef) -> Result<SendResult> {
        self.revoke_with(chat, target, &SendOptions::default())
            .await
    }

    /// [`revoke`](Self::revoke) with options (an idempotency key).
    ///
    /// ```no_run
    /// # async fn demo(session: wa_session::Session) -> wa_session::Result<()> {
    /// use wa_session::{content::MessageId, send::TargetRef, SendOptions};
    /// let bob = "15550002222@s.whatsapp.net".parse()?;
    /// let target = TargetRef::mine(MessageId::parse("3EB0AA")?);
    /// session.revoke_with(&bob, &target, &SendOptions::with_key("revoke-3EB0AA")?).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`revoke`](Self::revoke).
    pub async fn revoke_with(
        &self,
        chat: &Jid,
        target: &TargetRef,
        options: &SendOptions,
    ) -> Result<SendResult> {
        self.send_content(chat, Content::Revoke(target.clone()), options)
            .await
    }

    async fn send_content(
        &self,
        chat: &Jid,
        content: Content,
        options: &SendOptions,
    ) -> Result<SendResult> {
        check_chat(chat)?;
        let state = &self.send;
        // Every rule that needs no network, before anything is sent.
        let now = UnixMillis::new(state.clock.now().saturating_mul(1000));
        build(&content, chat, None, now)?;
        let order = match &options.idempotency_key {
            Some(key) => match self.send_again(key).await? {
                Again::Done(result) => return result,
                Again::New(order) => order,
            },
            None => state.order.lock().await,
        };
        let id = MessageId::generate(now, Some(state.own.user(Addressing::Pn)?), &mut state.rng());
        let info = if chat.is_group() {
            match self.group_info(chat).await {
                Err(Error::ServerError { code, .. }) => {
                    return Err(Error::ServerError {
                        code,
                        message_id: Some(id),
                    })
                }
                other => Some(other?),
            }
        } else {
            None
        };
        if let (Some(info), Content::Revoke(target)) = (&info, &content) {
            if !target.from_me() && !info.is_admin(&state.own) {
                return Err(Error::NotGroupAdmin);
            }
        }
        // The content keeps the chat as the caller named it (a reaction's key names the chat
        // its target was in); the stanza may go to the contact's LID instead.
        let message = build(&content, chat, info.as_deref(), now)?;
        let to = match &info {
            Some(_) => chat.clone(),
            None => self.direct_address(chat).await?.to,
        };
        let key = match &options.idempotency_key {
            Some(key) => key.clone(),
            None => IdempotencyKey::new(id.as_str())?,
        };
        let entry = NewOutboxEntry {
            key,
            message_id: OutboxMessageId::new(id.as_str())?,
            chat: to.to_string(),
            message: Zeroizing::new(message.encode_to_vec()),
            created_at: state.clock.now(),
        };
        let queued = match &info {
            Some(_) => {
                let stanza = self
                    .encrypt_message(&to, info.as_deref(), &message, id.clone(), Some(entry))
                    .await?;
                let queued = self.queue(to, stanza, id);
                drop(order);
                queued?
            }
            None => {
                // Queued for the next round under the order lock; encrypted, committed and
                // written with the sends queued beside it.
                let job = self
                    .direct_job(&to, message, id.clone(), Some(entry))
                    .await?;
                let flight = self.send.in_flight(id.as_str());
                let (ticket, outcome) = self.queue_direct(job);
                drop(order);
                self.round(ticket).await;
                let written = outcome.await.map_err(|_| Error::Disconnected)??;
                Queued::new(to, id, written, flight)
            }
        };
        self.settle(queued, false).await
    }

    /// What encrypting `message` for a user chat needs: its address (as
    /// [`Self::direct_address`] says), the devices (cached or usync) and bundles for those
    /// without a session (fetched after the sends queued before have committed, since they
    /// may be setting those sessions up).
    async fn direct_job(
        &self,
        chat: &Jid,
        message: Message,
        id: MessageId,
        outbox: Option<NewOutboxEntry>,
    ) -> Result<DirectJob> {
        let state: &SendState = &self.send;
        let address = self.direct_address(chat).await?;
        let chat = &address.to;
        let form = Addressing::of(chat).ok_or_else(|| Error::NotADevice(chat.clone()))?;
        let mine = state.own.user(form)?.clone();
        let devices = self.devices_of(&[chat.clone(), mine]).await?;
        if !state.have_sessions(&devices) {
            self.rounds_barrier().await;
        }
        let bundles = self.bundles_for(devices.clone()).await?;
        Ok(DirectJob {
            own: state.own.clone(),
            chat: chat.clone(),
            peer_pn: address.peer_pn,
            devices,
            message,
            id,
            bundles,
            rng: state.rng(),
            outbox,
        })
    }

    /// Encrypts `message` for a user chat (addressed as [`Self::direct_address`] says) or
    /// (with its metadata) a group; `outbox`, when given, is recorded in the same store
    /// transaction.
    pub(super) async fn encrypt_message(
        &self,
        chat: &Jid,
        group: Option<&GroupInfo>,
        message: &Message,
        id: MessageId,
        outbox: Option<NewOutboxEntry>,
    ) -> Result<Node<'static>> {
        // Sends queued for a round go first: this one must not overtake them.
        self.rounds_barrier().await;
        match group {
            Some(info) => {
                self.encrypt_for_group(chat, info, message, id, outbox)
                    .await
            }
            None => {
                let address = self.direct_address(chat).await?;
                let stanza = self
                    .encrypt_for_user(&address.to, message, id, outbox)
                    .await?;
                Ok(match address.peer_pn {
                    Some(pn) => stanza.with_attr("peer_recipient_pn", pn),
                    None => stanza,
                })
            }
        }
    }

    /// Queues a stanza; the receiver resolves once the actor has written it and registered
    /// its ack.
    pub(super) fn submit(
        &self,
        node: Node<'static>,
        id: &MessageId,
    ) -> Result<oneshot::Receiver<Written>> {
        let (answer, registered) = oneshot::channel();
        self.commands
            .send(Command::Message {
                node,
                id: id.as_str().to_owned(),
                answer,
            })
            .map_err(|_| Error::Disconnected)?;
        Ok(registered)
    }

    /// Waits for the ack. When the connection drops after the stanza was written, the same
    /// committed stanza is sent again (same id: peers keep one copy) until the timeout.
    pub(super) async fn await_ack(
        &self,
        id: &MessageId,
        first: oneshot::Receiver<Written>,
    ) -> Result<(Node<'static>, bool)> {
        let deadline = tokio::time::Instant::now() + self.iq_timeout;
        // Not written at all (not connected): nothing left, the caller may retry.
        let (mut ack, stanza) = first.await.map_err(|_| Error::Disconnected)?;
        let mut replayed = false;
        loop {
            match tokio::time::timeout_at(deadline, ack).await {
                Err(_) => return Err(Error::Timeout),
                Ok(Ok(node)) => return Ok((node, replayed)),
                Ok(Err(_)) => {}
            }
            // The connection dropped before the ack: replay once it is back.
            ack = loop {
                if tokio::time::Instant::now() >= deadline {
                    return Err(Error::Timeout);
                }
                if let Ok((written, _)) = self.submit(stanza.clone(), id)?.await {
                    break written;
                }
                tokio::time::sleep(REPLAY_PAUSE).await;
            };
            replayed = true;
        }
    }

    /// The devices of `users` (ours included when listed), from the cache or usync.
    async fn devices_of(&self, users: &[Jid]) -> Result<Vec<Jid>> {
        let state = &self.send;
        let missing: Vec<Jid> = users
            .iter()
            .filter(|user| state.cached_devices(user).is_none())
            .cloned()
            .collect();
        if !missing.is_empty() {
            let reply = self.iq(devices_query(&missing, "send")).await?;
            for (user, devices) in parse_devices(&reply)? {
                state.cache_devices(user, devices);
            }
        }
        let mut all = Vec::new();
        for user in users {
            all.extend(state.cached_devices(user).unwrap_or_default());
        }
        Ok(all)
    }

    /// Prekey bundles for those of `devices` without a session.
    async fn bundles_for(&self, devices: Vec<Jid>) -> Result<Bundles> {
        let state = &self.send;
        if state.have_sessions(&devices) {
            return Ok(Bundles::new());
        }
        let (device, own) = (state.device, state.own.clone());
        let (missing, devices) = state
            .store
            .call(move |store| -> Result<(Vec<Jid>, Vec<Jid>)> {
                let missing =
                    devices_without_session(&store.device_store(device)?, &own, &devices)?;
                Ok((missing, devices))
            })
            .await??;
        state.remember_sessions(devices.into_iter().filter(|d| !missing.contains(d)));
        if missing.is_empty() {
            return Ok(Bundles::new());
        }
        let reply = self.iq(bundles_query(&missing)).await?;
        let list = reply
            .child("list")
            .ok_or(Error::MalformedStanza("bundle answer without a list"))?;
        bundles_from_list(list)
    }

    /// The group's metadata, from the cache or the `w:g2` query. A refusal (not a member,
    /// no such group) is the server refusing the send.
    pub(super) async fn group_info(&self, group: &Jid) -> Result<Arc<GroupInfo>> {
        if let Some(info) = self.send.cached_group(group) {
            return Ok(info);
        }
        let reply = match self.iq(group_query(group)).await {
            Err(Error::Iq { code, .. }) => {
                return Err(Error::ServerError {
                    code,
                    message_id: None,
                })
            }
            other => other?,
        };
        let info = Arc::new(GroupInfo::parse(&reply)?);
        self.learn_lids(info.lid_mappings()).await?;
        self.send.cache_group(group.clone(), Arc::clone(&info));
        Ok(info)
    }

    async fn encrypt_for_user(
        &self,
        chat: &Jid,
        message: &Message,
        id: MessageId,
        outbox: Option<NewOutboxEntry>,
    ) -> Result<Node<'static>> {
        let state: &SendState = &self.send;
        let form = Addressing::of(chat).ok_or_else(|| Error::NotADevice(chat.clone()))?;
        let mine = state.own.user(form)?.clone();
        let devices = self.devices_of(&[chat.clone(), mine]).await?;
        let bundles = self.bundles_for(devices.clone()).await?;
        let (device, own, chat, message) = (
            state.device,
            state.own.clone(),
            chat.clone(),
            message.clone(),
        );
        let mut rng = state.rng();
        let committed = state
            .store
            .call(move |store| {
                store.send_batch(device, |batch| -> Result<Node<'static>> {
                    if let Some(entry) = outbox {
                        batch.insert_outbox(entry);
                    }
                    let attrs = StanzaAttrs::for_message(id, &message);
                    let sent = encrypt_direct(
                        batch,
                        &own,
                        &DirectMessage {
                            chat: &chat,
                            devices: &devices,
                            message: &message,
                            attrs: &attrs,
                        },
                        &bundles,
                        &mut rng,
                    )?;
                    Ok(sent.stanza)
                })
            })
            .await??;
        Ok(committed.into_inner())
    }

    async fn encrypt_for_group(
        &self,
        group: &Jid,
        info: &GroupInfo,
        message: &Message,
        id: MessageId,
        outbox: Option<NewOutboxEntry>,
    ) -> Result<Node<'static>> {
        let state: &SendState = &self.send;
        let (device, own, group) = (state.device, state.own.clone(), group.to_non_ad());
        let group_id = GroupId::new(&group.to_string())?;
        let fanout = match state.cached_fanout(&group) {
            Some(fanout) => fanout,
            None => {
                let fanout = self.build_fanout(info, &group, &group_id).await?;
                state.cache_fanout(group.clone(), Arc::clone(&fanout));
                fanout
            }
        };
        let bundles = if fanout.all_hold() {
            Bundles::new()
        } else {
            let lacking: Vec<Jid> = fanout
                .devices()
                .iter()
                .filter(|d| !fanout.holders().contains(*d))
                .cloned()
                .collect();
            self.bundles_for(lacking).await?
        };
        let message = message.clone();
        let mut rng = state.rng();
        let kept = Arc::clone(&fanout);
        let key_group = group.clone();
        let committed = state
            .store
            .call(move |store| {
                store.send_batch(device, |batch| -> Result<GroupEncrypted> {
                    if let Some(entry) = outbox {
                        batch.insert_outbox(entry);
                    }
                    let attrs = StanzaAttrs::for_message(id, &message);
                    let sent = encrypt_group_for(
                        batch, &own, &group, &kept, &message, &attrs, &bundles, &mut rng,
                    )?;
                    for holder in &sent.new_holders {
                        batch.add_sender_key_device(&group_id, &jid_address(holder)?);
                    }
                    Ok(sent)
                })
            })
            .await??;
        let sent = committed.into_inner();
        // The holders changed only when a key was made or given to new devices: keep the
        // fan-out up to date (the store already is), without copying it in the steady state.
        if sent.key_is_new || !sent.new_holders.is_empty() {
            let mut updated = (*fanout).clone();
            updated.record_sent(&sent);
            state.cache_fanout(key_group, Arc::new(updated));
        }
        Ok(sent.stanza)
    }

    /// The group's fan-out from its member devices and the store's holders of our sender
    /// key. When a holder is no longer among the member devices (a member removed, a device
    /// unlinked), the key is dropped: a new one (new chain, distributed to every device)
    /// keeps whoever left from reading what follows.
    async fn build_fanout(
        &self,
        info: &GroupInfo,
        group: &Jid,
        group_id: &GroupId,
    ) -> Result<Arc<GroupFanout>> {
        let state: &SendState = &self.send;
        let addressing = info.addressing;
        let devices = self.devices_of(&info.member_jids()).await?;
        let device = state.device;
        let (own, group, group_id) = (state.own.clone(), group.clone(), group_id.clone());
        let current: HashSet<Jid> = devices.iter().cloned().collect();
        let holders = state
            .store
            .call(move |store| -> Result<HashSet<Jid>> {
                let name = own_sender_key_name(&own, &group, addressing)?;
                if store.sender_key(device, &name)?.is_none() {
                    return Ok(HashSet::new());
                }
                let holders: HashSet<Jid> = store
                    .sender_key_devices(device, &group_id)?
                    .iter()
                    .filter_map(address_jid)
                    .collect();
                if holders.iter().any(|holder| !current.contains(holder)) {
                    store.remove_sender_key(device, &name)?;
                    store.clear_sender_key_devices(device, &group_id)?;
                    return Ok(HashSet::new());
                }
                Ok(holders)
            })
            .await??;
        Ok(Arc::new(
            GroupFanout::new(&state.own, addressing, devices)?.with_holders(holders),
        ))
    }
}

/// The message for `content`; for groups with the target's author in the group's form.
fn build(
    content: &Content,
    chat: &Jid,
    group: Option<&GroupInfo>,
    now: UnixMillis,
) -> Result<Message> {
    let key = |target: &TargetRef| match group {
        Some(info) => target.resolve(chat, info.group_addressing(), info),
        None if chat.is_group() => target.precheck(chat),
        None => target.resolve(chat, crate::content::GroupAddressing::Pn, &NoLidMappings),
    };
    let outgoing = match content {
        Content::Text(message) => return Ok((**message).clone()),
        Content::Reaction(target, emoji) => build_reaction(&key(target)?, emoji, now)?,
        Content::Revoke(target) => build_revoke(&key(target)?)?,
    };
    Ok(outgoing.into_parts().0)
}

/// Chats are users (phone number or LID) or groups, without a device.
fn check_chat(chat: &Jid) -> Result<()> {
    if chat.device() != 0 {
        return Err(Error::UnsupportedTarget(TargetError::ChatIsDevice));
    }
    if chat.is_group() || Addressing::of(chat).is_some() {
        Ok(())
    } else {
        Err(Error::UnsupportedTarget(TargetError::ChatKind))
    }
}

/// A device JID's Signal address (as [`crate::fanout`] keys sessions).
fn jid_address(device: &Jid) -> Result<ProtocolAddress> {
    Ok(ProtocolAddress::new(
        device.user(),
        device.domain(),
        device.device(),
    )?)
}

/// The device JID of a Signal address (phone-number and LID domains only).
fn address_jid(address: &ProtocolAddress) -> Option<Jid> {
    let server = match address.domain() {
        0 => Server::User,
        1 => Server::Lid,
        _ => return None,
    };
    Jid::new(address.user(), server)
        .ok()?
        .with_device(address.device())
        .ok()
}
