//! `/sim/groups`: create a group, read its metadata, promote or demote a member.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{parse_jid, JidPath, JsonBody};
use super::wire::GroupJson;
use super::ApiState;
use crate::groups::AddressingMode;

/// `{subject, participants, creator?, addressing?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewGroup {
    subject: String,
    participants: Vec<String>,
    /// Defaults to the first participant.
    #[serde(default)]
    creator: Option<String>,
    #[serde(default)]
    addressing: Addressing,
}

/// `"pn"` (the default) or `"lid"`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Addressing {
    #[default]
    Pn,
    Lid,
}

impl From<Addressing> for AddressingMode {
    fn from(addressing: Addressing) -> Self {
        match addressing {
            Addressing::Pn => Self::Pn,
            Addressing::Lid => Self::Lid,
        }
    }
}

/// `{jid}` of a new group.
#[derive(Debug, Serialize)]
pub(super) struct CreatedGroup {
    jid: String,
}

/// Creates the group: 201 `{jid}`; 400 for a bad JID, an empty subject or no creator at all,
/// 404 `unknown_account` (creator) or `unknown_participant`.
pub(super) async fn create(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<NewGroup>,
) -> Result<(StatusCode, Json<CreatedGroup>), ApiError> {
    let participants = request
        .participants
        .iter()
        .map(|text| parse_jid("participants", text))
        .collect::<Result<Vec<_>, _>>()?;
    let creator = match &request.creator {
        Some(text) => parse_jid("creator", text)?,
        None => participants.first().cloned().ok_or_else(|| {
            ApiError::bad_request(
                "missing_creator",
                "give a creator or at least one participant",
            )
        })?,
    };
    let jid = state.simulator.create_group(
        &request.subject,
        &creator,
        &participants,
        request.addressing.into(),
    )?;
    let created = CreatedGroup {
        jid: jid.to_string(),
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// The group's metadata; 404 `unknown_group`.
pub(super) async fn get(
    State(state): State<ApiState>,
    JidPath(group): JidPath,
) -> Result<Json<GroupJson>, ApiError> {
    let info = state
        .simulator
        .group(&group)
        .ok_or(crate::Error::UnknownGroup)?;
    Ok(Json((&info).into()))
}

/// `{participant, admin}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetAdmin {
    participant: String,
    admin: bool,
}

/// Promotes (`admin: true`) or demotes a member and answers the updated metadata;
/// 404 `unknown_group` or `not_in_group`.
pub(super) async fn set_admin(
    State(state): State<ApiState>,
    JidPath(group): JidPath,
    JsonBody(request): JsonBody<SetAdmin>,
) -> Result<Json<GroupJson>, ApiError> {
    let participant = parse_jid("participant", &request.participant)?;
    state
        .simulator
        .set_admin(&group, &participant, request.admin)?;
    let info = state
        .simulator
        .group(&group)
        .ok_or(crate::Error::UnknownGroup)?;
    Ok(Json((&info).into()))
}
