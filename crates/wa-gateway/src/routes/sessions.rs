//! `/api/v1/sessions`: create (pairing), list, status, QR image, logout.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Caller, Segments};
use super::{set, AppState};
use crate::error::{Error, Result};
use crate::ids::Capability;
use crate::sessions::{Entry, LogoutOutcome};

fn describe(entry: &Entry) -> Value {
    let (jid, lid) = entry.jids();
    json!({
        "id": entry.id.as_str(),
        "status": entry.status().as_str(),
        "jid": jid.map(|j| j.to_string()),
        "lid": lid.map(|j| j.to_string()),
        "createdAt": entry.created_at,
    })
}

/// `POST /api/v1/sessions`: 201 `{id, status, qr, qrUrl, ...}`.
pub(super) async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response> {
    caller.require(Capability::Sessions)?;
    let (entry, qr) = state.manager.create(&caller.org).await?;
    let mut body = describe(&entry);
    set(&mut body, "qr", Value::String(qr.as_str().to_owned()));
    set(
        &mut body,
        "qrUrl",
        Value::String(format!("/api/v1/sessions/{}/qr", entry.id)),
    );
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /api/v1/sessions`: the caller's sessions.
pub(super) async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Value>> {
    caller.require(Capability::Read)?;
    let sessions: Vec<Value> = state
        .manager
        .list(&caller.org)
        .iter()
        .map(|entry| describe(entry))
        .collect();
    Ok(Json(json!({ "sessions": sessions })))
}

fn session_of(state: &AppState, caller: &crate::auth::Principal, id: &str) -> Result<Arc<Entry>> {
    state.manager.get(&caller.org, id)
}

/// `GET /api/v1/sessions/{session}`.
pub(super) async fn status(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> Result<Json<Value>> {
    caller.require(Capability::Read)?;
    let entry = session_of(&state, &caller, &id)?;
    Ok(Json(describe(&entry)))
}

/// `?format=png|svg` (PNG by default).
#[derive(Debug, Deserialize)]
pub(super) struct QrQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /api/v1/sessions/{session}/qr`: the current pairing QR code as PNG or SVG.
pub(super) async fn qr(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
    query: std::result::Result<Query<QrQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    caller.require(Capability::Sessions)?;
    let Query(query) = query?;
    let entry = session_of(&state, &caller, &id)?;
    let code = entry
        .qr()
        .ok_or(Error::NotFound("QR code (the session is not pairing)"))?;
    match query.format.as_deref() {
        None | Some("png") => Ok((
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            crate::qr::png(&code)?,
        )
            .into_response()),
        Some("svg") => Ok((
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            crate::qr::svg(&code)?,
        )
            .into_response()),
        Some(_) => Err(Error::InvalidRequest {
            message: "`format` is png or svg".into(),
            details: json!({ "field": "format" }),
        }),
    }
}

/// `DELETE /api/v1/sessions/{session}`: logs out.
pub(super) async fn logout(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> Result<Json<Value>> {
    caller.require(Capability::Sessions)?;
    let entry = session_of(&state, &caller, &id)?;
    let outcome = state.manager.logout(&entry).await?;
    let mut body = describe(&entry);
    let details = match outcome {
        LogoutOutcome::ServerNotified => json!({ "serverNotified": true }),
        LogoutOutcome::NotNotified(reason) => json!({ "serverNotified": false, "reason": reason }),
    };
    set(&mut body, "details", details);
    Ok(Json(body))
}
