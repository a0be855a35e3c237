//! `POST /sim/send`, `/sim/react`, `/sim/revoke`: an account's simulated phone sends a text, a
//! reaction or a revoke, encrypted and routed like any client's message.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use wa_binary::Jid;

use super::error::ApiError;
use super::extract::{parse_account_jid, parse_jid, JsonBody};
use super::ApiState;
use crate::phone::{Outgoing, TargetKey};

/// `{from, to, text}`: `from` an account (PN or LID JID), `to` a user or a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SendText {
    from: String,
    to: String,
    text: String,
}

/// `{from, chat, target, emoji}`; `emoji: ""` removes the phone's reaction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct React {
    from: String,
    chat: String,
    target: Target,
    emoji: String,
}

/// `{from, chat, target}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Revoke {
    from: String,
    chat: String,
    target: Target,
}

/// `{id, from_me, participant?}`: the message acted on, as the sending phone sees it;
/// `participant` is its author in a group when that is someone else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    id: String,
    from_me: bool,
    #[serde(default)]
    participant: Option<String>,
}

impl Target {
    fn key(&self) -> Result<TargetKey, ApiError> {
        if self.id.is_empty() {
            return Err(ApiError::bad_request(
                "invalid_target",
                "target.id must not be empty",
            ));
        }
        let participant = self
            .participant
            .as_deref()
            .map(|text| parse_account_jid("target.participant", text))
            .transpose()?;
        Ok(TargetKey {
            id: self.id.clone(),
            from_me: self.from_me,
            participant,
        })
    }
}

/// `{id}` of the message sent.
#[derive(Debug, Serialize)]
pub(super) struct Sent {
    id: String,
}

/// Sends a text: 200 `{id}`.
///
/// Errors: 400 for a bad JID or a chat that is neither a user nor a group
/// (`unsupported_chat`), 404 `unknown_account` (`from`), `unknown_group` or `not_in_group`,
/// 409 `no_reachable_device` (also for a recipient the simulator does not know) or `refused`.
pub(super) async fn send(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<SendText>,
) -> Result<Json<Sent>, ApiError> {
    let from = parse_account_jid("from", &request.from)?;
    let to = parse_jid("to", &request.to)?;
    send_content(&state, &from, &to, &Outgoing::Text(request.text))
}

/// Sends a reaction to `target`: 200 `{id}`; 400 `invalid_target`, otherwise as for `send`.
pub(super) async fn react(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<React>,
) -> Result<Json<Sent>, ApiError> {
    let from = parse_account_jid("from", &request.from)?;
    let chat = parse_jid("chat", &request.chat)?;
    let content = Outgoing::Reaction {
        target: request.target.key()?,
        emoji: request.emoji,
    };
    send_content(&state, &from, &chat, &content)
}

/// Revokes `target` (the phone's own message, or as a group admin someone else's): 200 `{id}`;
/// 400 `invalid_target`, otherwise as for `send`.
pub(super) async fn revoke(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<Revoke>,
) -> Result<Json<Sent>, ApiError> {
    let from = parse_account_jid("from", &request.from)?;
    let chat = parse_jid("chat", &request.chat)?;
    let content = Outgoing::Revoke {
        target: request.target.key()?,
    };
    send_content(&state, &from, &chat, &content)
}

/// Has the phone of `from` send `content` to `chat`.
fn send_content(
    state: &ApiState,
    from: &Jid,
    chat: &Jid,
    content: &Outgoing,
) -> Result<Json<Sent>, ApiError> {
    let id = state.simulator.send(from, chat, content)?;
    Ok(Json(Sent { id }))
}
