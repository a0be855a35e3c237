//! `GET /sim/received` and `GET /sim/receipts`: what an account's simulated phone decrypted,
//! and the receipts it was sent for its own messages.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::error::ApiError;
use super::extract::AccountQuery;
use super::ApiState;
use crate::phone::{ReceiptKind, Received, ReceivedKind, SeenReceipt};

/// One decrypted message: `{kind, id, from, chat, sender, device, timestamp}` and, by kind,
/// `text` (text), `target` and `emoji` (reaction, `""` when removed), `target` and `admin`
/// (revoke).
#[derive(Debug, Serialize)]
pub(super) struct ReceivedJson {
    /// `text`, `reaction`, `revoke` or `other`.
    kind: &'static str,
    id: String,
    /// The author's user JID.
    from: String,
    chat: String,
    /// The device that sent it.
    sender: String,
    /// The phone's device JID that decrypted it.
    device: String,
    timestamp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emoji: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admin: Option<bool>,
}

impl From<Received> for ReceivedJson {
    fn from(received: Received) -> Self {
        let mut json = Self {
            kind: "other",
            id: received.id,
            from: received.from.to_string(),
            chat: received.chat.to_string(),
            sender: received.sender.to_string(),
            device: received.device.to_string(),
            timestamp: received.timestamp,
            text: None,
            target: None,
            emoji: None,
            admin: None,
        };
        match received.kind {
            ReceivedKind::Text { text } => {
                json.kind = "text";
                json.text = Some(text);
            }
            ReceivedKind::Reaction { target, emoji } => {
                json.kind = "reaction";
                json.target = Some(target);
                json.emoji = Some(emoji);
            }
            ReceivedKind::Revoke { target, admin } => {
                json.kind = "revoke";
                json.target = Some(target);
                json.admin = Some(admin);
            }
            ReceivedKind::Other => {}
        }
        json
    }
}

/// One receipt: `{id, device, chat, kind}`, kind `delivery`, `read`, `played` or the receipt's
/// `type` as written.
#[derive(Debug, Serialize)]
pub(super) struct ReceiptJson {
    id: String,
    /// The device that sent the receipt.
    device: String,
    chat: String,
    kind: String,
}

impl From<SeenReceipt> for ReceiptJson {
    fn from(receipt: SeenReceipt) -> Self {
        let kind = match receipt.kind {
            ReceiptKind::Delivery => "delivery".to_owned(),
            ReceiptKind::Read => "read".to_owned(),
            ReceiptKind::Played => "played".to_owned(),
            ReceiptKind::Other(written) => written,
        };
        Self {
            id: receipt.id,
            device: receipt.device.to_string(),
            chat: receipt.chat.to_string(),
            kind,
        }
    }
}

/// Everything the phone of `?jid=` (an account's PN or LID JID) decrypted, oldest first;
/// 400 `invalid_query` or `invalid_jid`, 404 `unknown_account`.
pub(super) async fn received(
    State(state): State<ApiState>,
    AccountQuery(account): AccountQuery,
) -> Result<Json<Vec<ReceivedJson>>, ApiError> {
    let received = state.simulator.received(&account)?;
    Ok(Json(received.into_iter().map(Into::into).collect()))
}

/// The receipts the phone of `?jid=` was sent for its messages, oldest first; errors as for
/// `received`.
pub(super) async fn receipts(
    State(state): State<ApiState>,
    AccountQuery(account): AccountQuery,
) -> Result<Json<Vec<ReceiptJson>>, ApiError> {
    let receipts = state.simulator.receipts(&account)?;
    Ok(Json(receipts.into_iter().map(Into::into).collect()))
}
