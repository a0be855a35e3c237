//! `/api/v1/sessions/{session}/messages...`: send a text, react, unreact, revoke, read a
//! message with its reactions. Every send answers a SendResult `{mode, outboxId, replayed,
//! status, timestamp, waMessageId}`; `mode` is `sync` (sent, acknowledged by the server),
//! `coalesced` (a reaction superseded within the debounce window: the result is that of the
//! reaction sent instead), or `noop` (removing a reaction the gateway knows none of: nothing
//! sent, `waMessageId` null).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use wa_binary::Jid;
use wa_session::content::MessageId;
use wa_session::send::TargetRef;
use wa_store::IdempotencyKey;

use super::envelope::error_response;
use super::extract::{Body, Caller, Segments};
use super::{set, AppState, ReactionOutcome};
use crate::db;
use crate::error::{Error, Result};
use crate::ids::Capability;
use crate::sessions::{Entry, Origin, Sent};

/// The header that makes a send idempotent.
const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// `{chat, text, origin?}`.
#[derive(Debug, Deserialize)]
pub(super) struct TextBody {
    chat: String,
    text: String,
    #[serde(default)]
    origin: Option<String>,
}

/// `{chat, sender?, emoji?, origin?}` (emoji ignored on DELETE).
#[derive(Debug, Deserialize)]
pub(super) struct TargetBody {
    chat: String,
    #[serde(default)]
    sender: Option<String>,
    #[serde(default)]
    emoji: Option<String>,
    #[serde(default)]
    origin: Option<String>,
}

fn send_result(sent: &Sent, mode: &str) -> Value {
    json!({
        "mode": mode,
        "outboxId": sent.outbox_id,
        "replayed": sent.replayed,
        "status": "sent",
        "timestamp": sent.timestamp,
        "waMessageId": sent.wa_message_id,
    })
}

fn noop_result() -> Value {
    json!({
        "mode": "noop",
        "outboxId": null,
        "replayed": false,
        "status": "noop",
        "timestamp": db::now_secs(),
        "waMessageId": null,
    })
}

fn parse_chat(chat: &str) -> Result<Jid> {
    let jid: Jid = chat.parse().map_err(|_| Error::InvalidJid("chat"))?;
    if jid.device() != 0 || !(jid.is_group() || jid.is_pn_user() || jid.is_lid()) {
        return Err(Error::InvalidJid("chat"));
    }
    Ok(jid)
}

fn parse_mid(mid: &str) -> Result<MessageId> {
    MessageId::parse(mid).map_err(|_| Error::InvalidMessageId)
}

/// The target named by `sender`: our own account is our own message; empty is our own
/// message too, unless the gateway knows the message as received from someone else: then a
/// one-to-one chat's message is the other side's, and a group's needs its author
/// (`missing_participant`). Anything else names the author.
async fn target(
    state: &AppState,
    entry: &Entry,
    chat: &Jid,
    mid: MessageId,
    sender: Option<&str>,
) -> Result<TargetRef> {
    let Some(sender) = sender.filter(|s| !s.is_empty()) else {
        let known = state.manager.message(entry, mid.as_str()).await?;
        let received = known
            .and_then(|(message, _)| message)
            .is_some_and(|m| !m.message.from_me);
        return match (received, chat.is_group()) {
            (false, _) => Ok(TargetRef::mine(mid)),
            (true, false) => Ok(TargetRef::theirs(mid, None)),
            (true, true) => Err(Error::MissingParticipant),
        };
    };
    let author: Jid = sender.parse().map_err(|_| Error::InvalidJid("sender"))?;
    if !(author.is_pn_user() || author.is_lid()) {
        return Err(Error::InvalidJid("sender"));
    }
    let (jid, lid) = entry.jids();
    let ours = [jid, lid]
        .into_iter()
        .flatten()
        .any(|own| own.user() == author.user() && own.server() == author.server());
    Ok(if ours {
        TargetRef::mine(mid)
    } else {
        TargetRef::theirs(mid, Some(author.to_non_ad()))
    })
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let invalid = || Error::InvalidRequest {
        message: "`Idempotency-Key` is 1 to 256 printable characters".into(),
        details: json!({ "field": "Idempotency-Key" }),
    };
    let text = value.to_str().map_err(|_| invalid())?;
    IdempotencyKey::new(text).map(Some).map_err(|_| invalid())
}

/// The stored first result of `key`, marked replayed.
async fn replay(
    state: &AppState,
    entry: &Entry,
    key: Option<&IdempotencyKey>,
) -> Result<Option<Value>> {
    let Some(key) = key else { return Ok(None) };
    let (id, key) = (entry.id.clone(), key.as_str().to_owned());
    let stored = state
        .manager
        .shared()
        .db
        .call(move |conn| db::idempotency::get(conn, &id, &key))
        .await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let mut value: Value =
        serde_json::from_str(&stored).map_err(|_| Error::Corrupt("idempotency result"))?;
    set(&mut value, "replayed", Value::Bool(true));
    Ok(Some(value))
}

async fn remember(state: &AppState, entry: &Entry, key: Option<&IdempotencyKey>, result: &Value) {
    let Some(key) = key else { return };
    let (id, key, text) = (
        entry.id.clone(),
        key.as_str().to_owned(),
        result.to_string(),
    );
    if let Err(error) = state
        .manager
        .shared()
        .db
        .call(move |conn| db::idempotency::put(conn, &id, &key, &text))
        .await
    {
        tracing::warn!(session = %entry.id, %error, "idempotency result not stored");
    }
}

/// A synchronous send under `key`: the stored answer when `key` was seen before (`send` is
/// then never polled), else `send`'s answer, remembered under `key`.
async fn send_once(
    state: &AppState,
    entry: &Entry,
    key: Option<&IdempotencyKey>,
    send: impl Future<Output = Result<Sent>>,
) -> Result<Value> {
    if let Some(value) = replay(state, entry, key).await? {
        return Ok(value);
    }
    let sent = send.await?;
    Ok(answer_sent(state, entry, key, &sent).await)
}

/// The `sync` answer to `sent`, remembered under `key`.
async fn answer_sent(
    state: &AppState,
    entry: &Entry,
    key: Option<&IdempotencyKey>,
    sent: &Sent,
) -> Value {
    let value = send_result(sent, "sync");
    remember(state, entry, key, &value).await;
    value
}

/// Counts a finished send and answers it.
fn finish(
    state: &AppState,
    kind: &'static str,
    started: Option<Instant>,
    outcome: Result<Value>,
) -> Response {
    let latency = started.map(|t| t.elapsed());
    match outcome {
        Ok(value) => {
            let label = match value.get("mode").and_then(Value::as_str) {
                _ if value.get("replayed") == Some(&Value::Bool(true)) => "replayed",
                Some("coalesced") => "coalesced",
                Some("noop") => "noop",
                _ => "ok",
            };
            state.metrics.send(kind, label, latency);
            Json(value).into_response()
        }
        Err(error) => {
            state.metrics.send(kind, error.code(), latency);
            error_response(&error)
        }
    }
}

/// `POST /api/v1/sessions/{session}/messages`: sends a text.
pub(super) async fn send_text(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
    headers: HeaderMap,
    Body(body): Body<TextBody>,
) -> Response {
    let started = Instant::now();
    let outcome = async {
        caller.require(Capability::Send)?;
        let entry = state.manager.get(&caller.org, &id)?;
        let chat = parse_chat(&body.chat)?;
        let origin = Origin::new(body.origin)?;
        let key = idempotency_key(&headers)?;
        let send = state
            .manager
            .send_text(&entry, &chat, &body.text, key.as_ref(), &origin);
        send_once(&state, &entry, key.as_ref(), send).await
    }
    .await;
    finish(&state, "text", Some(started), outcome)
}

/// `POST /api/v1/sessions/{session}/messages/{mid}/reaction`: reacts (`emoji` `""` or
/// `"remove"` removes).
pub(super) async fn react(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, mid)): Segments<(String, String)>,
    headers: HeaderMap,
    Body(body): Body<TargetBody>,
) -> Response {
    let Some(emoji) = body.emoji.clone() else {
        return finish(
            &state,
            "reaction",
            None,
            Err(Error::InvalidRequest {
                message: "`emoji` is required (\"\" or \"remove\" removes the reaction)".into(),
                details: json!({ "field": "emoji" }),
            }),
        );
    };
    let emoji = if emoji == "remove" {
        String::new()
    } else {
        emoji
    };
    reaction(state, caller, id, mid, headers, body, emoji).await
}

/// `DELETE /api/v1/sessions/{session}/messages/{mid}/reaction`: removes our reaction; a
/// no-op (200, mode `noop`) when the gateway knows no reaction of ours there.
pub(super) async fn unreact(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, mid)): Segments<(String, String)>,
    headers: HeaderMap,
    Body(body): Body<TargetBody>,
) -> Response {
    reaction(state, caller, id, mid, headers, body, String::new()).await
}

async fn reaction(
    state: AppState,
    caller: crate::auth::Principal,
    id: String,
    mid: String,
    headers: HeaderMap,
    body: TargetBody,
    emoji: String,
) -> Response {
    let kind = if emoji.is_empty() {
        "unreaction"
    } else {
        "reaction"
    };
    let started = Instant::now();
    let prepared = async {
        caller.require(Capability::Send)?;
        let entry = state.manager.get(&caller.org, &id)?;
        let chat = parse_chat(&body.chat)?;
        let message = parse_mid(&mid)?;
        let target = target(&state, &entry, &chat, message, body.sender.as_deref()).await?;
        let origin = Origin::new(body.origin)?;
        let key = idempotency_key(&headers)?;
        let replayed = replay(&state, &entry, key.as_ref()).await?;
        Ok::<_, Error>((entry, chat, target, origin, key, replayed))
    }
    .await;
    let (entry, chat, target, origin, key, replayed) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return finish(&state, kind, None, Err(error)),
    };
    if let Some(value) = replayed {
        return finish(&state, kind, None, Ok(value));
    }
    let debounce_key = format!("{}\u{0}{}\u{0}{}", entry.id, chat, target.id().as_str());
    let job = {
        let (state, entry, key) = (state.clone(), Arc::clone(&entry), key.clone());
        Box::new(move || {
            Box::pin(async move {
                send_reaction(
                    &state,
                    &entry,
                    &chat,
                    &target,
                    &emoji,
                    key.as_ref(),
                    &origin,
                )
                .await
                .map_err(Arc::new)
            })
                as std::pin::Pin<Box<dyn std::future::Future<Output = ReactionOutcome> + Send>>
        }) as crate::debounce::Job<ReactionOutcome>
    };
    let Some(settled) = state.debouncer.run(debounce_key, job).await else {
        return finish(&state, kind, None, Err(Error::Closed));
    };
    match settled.result {
        Ok(mut value) => {
            if settled.superseded {
                set(&mut value, "mode", Value::String("coalesced".into()));
                remember(&state, &entry, key.as_ref(), &value).await;
            }
            finish(&state, kind, Some(started), Ok(value))
        }
        Err(error) => {
            state
                .metrics
                .send(kind, error.code(), Some(started.elapsed()));
            error_response(&error)
        }
    }
}

/// The send a reaction batch makes (its last request's).
async fn send_reaction(
    state: &AppState,
    entry: &Arc<Entry>,
    chat: &Jid,
    target: &TargetRef,
    emoji: &str,
    key: Option<&IdempotencyKey>,
    origin: &Origin,
) -> Result<Value> {
    if emoji.is_empty()
        && !state
            .manager
            .has_own_reaction(entry, target.id().as_str())
            .await?
    {
        let value = noop_result();
        remember(state, entry, key, &value).await;
        return Ok(value);
    }
    let sent = state
        .manager
        .react(entry, chat, target, emoji, key, origin)
        .await?;
    Ok(answer_sent(state, entry, key, &sent).await)
}

/// `DELETE /api/v1/sessions/{session}/messages/{mid}`: revokes for everyone (`sender` set:
/// another member's message, as a group admin). Synchronous.
pub(super) async fn revoke(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, mid)): Segments<(String, String)>,
    headers: HeaderMap,
    Body(body): Body<TargetBody>,
) -> Response {
    let started = Instant::now();
    let outcome = async {
        caller.require(Capability::Send)?;
        let entry = state.manager.get(&caller.org, &id)?;
        let chat = parse_chat(&body.chat)?;
        let target = target(
            &state,
            &entry,
            &chat,
            parse_mid(&mid)?,
            body.sender.as_deref(),
        )
        .await?;
        let origin = Origin::new(body.origin)?;
        let key = idempotency_key(&headers)?;
        let send = state
            .manager
            .revoke(&entry, &chat, &target, key.as_ref(), &origin);
        send_once(&state, &entry, key.as_ref(), send).await
    }
    .await;
    finish(&state, "revoke", Some(started), outcome)
}

/// `GET /api/v1/sessions/{session}/messages/{mid}`: the message with its reactions.
pub(super) async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, mid)): Segments<(String, String)>,
) -> Result<Json<Value>> {
    caller.require(Capability::Read)?;
    let entry = state.manager.get(&caller.org, &id)?;
    parse_mid(&mid)?;
    let (message, reactions) = state
        .manager
        .message(&entry, &mid)
        .await?
        .ok_or(Error::NotFound("message"))?;
    let reactions: Vec<Value> = reactions
        .iter()
        .map(|r| {
            json!({
                "emoji": r.emoji,
                "actor": r.actor,
                "reactor": r.reactor,
                "timestamp": r.timestamp,
                "origin": r.origin,
            })
        })
        .collect();
    let mut body = json!({ "id": mid, "reactions": reactions });
    match message {
        Some(record) => {
            let m = record.message;
            set(&mut body, "chat", json!(m.chat));
            set(&mut body, "sender", json!(m.sender));
            set(&mut body, "fromMe", json!(m.from_me));
            set(&mut body, "status", json!(m.status.as_str()));
            set(&mut body, "origin", json!(m.origin));
            set(&mut body, "timestamp", json!(m.timestamp));
            set(&mut body, "updatedAt", json!(record.updated_at));
        }
        None => {
            set(&mut body, "status", Value::Null);
        }
    }
    Ok(Json(body))
}
