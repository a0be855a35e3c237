//! Replays `proto_reaction` and `proto_revoke` files: build the `Message` from its JSON form,
//! encode and compare bytes; decode the expected bytes, re-encode and compare; check the
//! sub-messages and the padded form.

use prost::Message as _;
use serde_json::Value;
use wa_proto::{
    common::MessageKey,
    e2e::{protocol_message::Type as ProtocolType, Message, ProtocolMessage, ReactionMessage},
};

use crate::json::{array, case_name, hex_field, same_bytes, str_field, CaseResult};
use crate::report::Cases;

/// Which of the two protobuf formats a file holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ProtoKind {
    Reaction,
    Revoke,
}

pub(crate) fn replay(doc: &Value, kind: ProtoKind) -> Cases {
    let mut cases = Cases::default();
    for (i, case) in array(doc, "cases").iter().enumerate() {
        let name = case_name(case, "cases", i);
        let result = match kind {
            ProtoKind::Reaction => reaction_case(case),
            ProtoKind::Revoke => revoke_case(case),
        };
        cases.record(name, result);
    }
    cases
}

fn reaction_case(case: &Value) -> CaseResult<()> {
    let json = case
        .pointer("/messageJson/reactionMessage")
        .ok_or("missing messageJson.reactionMessage")?;
    let built = Message {
        reaction_message: Some(ReactionMessage {
            key: Some(message_key(json.get("key").ok_or("missing key")?)?),
            text: optional_str(json, "text"),
            grouping_key: optional_str(json, "groupingKey"),
            sender_timestamp_ms: optional_i64(json, "senderTimestampMs")?,
        }),
        ..Default::default()
    };
    let expected = hex_field(case, "messageHex")?;
    let decoded = check_message(&built, &expected)?;
    let reaction = decoded
        .reaction_message
        .ok_or("decoded Message has no reactionMessage")?;
    if case.get("reactionMessageHex").is_some() {
        same_bytes(
            "ReactionMessage",
            &reaction.encode_to_vec(),
            &hex_field(case, "reactionMessageHex")?,
        )?;
    }
    if case.get("messageKeyHex").is_some() {
        let key = reaction.key.ok_or("reaction has no key")?;
        same_bytes(
            "MessageKey",
            &key.encode_to_vec(),
            &hex_field(case, "messageKeyHex")?,
        )?;
    }
    if let Some(emoji) = case.get("emoji") {
        let text = reaction.text.unwrap_or_default();
        same_bytes("emoji UTF-8", text.as_bytes(), &hex_field(emoji, "utf8")?)?;
    }
    check_padded(case, &expected)
}

fn revoke_case(case: &Value) -> CaseResult<()> {
    let json = case
        .pointer("/messageJson/protocolMessage")
        .ok_or("missing messageJson.protocolMessage")?;
    let type_name = str_field(json, "type")?;
    let r#type = ProtocolType::from_str_name(type_name)
        .ok_or_else(|| format!("unknown ProtocolMessage type {type_name:?}"))?;
    let built = Message {
        protocol_message: Some(Box::new(ProtocolMessage {
            key: Some(message_key(json.get("key").ok_or("missing key")?)?),
            r#type: Some(r#type as i32),
            edited_message: None,
            timestamp_ms: optional_i64(json, "timestampMs")?,
        })),
        ..Default::default()
    };
    let expected = hex_field(case, "messageHex")?;
    let decoded = check_message(&built, &expected)?;
    if case.get("protocolMessageHex").is_some() {
        let protocol = decoded
            .protocol_message
            .ok_or("decoded Message has no protocolMessage")?;
        same_bytes(
            "ProtocolMessage",
            &protocol.encode_to_vec(),
            &hex_field(case, "protocolMessageHex")?,
        )?;
    }
    if let Some(edit) = case.get("baileysEditAttr").and_then(Value::as_str) {
        let from_me = json
            .pointer("/key/fromMe")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let group = json
            .pointer("/key/remoteJid")
            .and_then(Value::as_str)
            .is_some_and(|j| j.ends_with("@g.us"));
        // PROTOCOL.md section 5: "8" only for an admin revoking someone else's group message.
        let ours = if group && !from_me { "8" } else { "7" };
        if ours != edit {
            return Err(format!("edit attribute: ours {ours:?}, Baileys {edit:?}"));
        }
    }
    check_padded(case, &expected)
}

/// Encodes `built`, compares with `expected`, decodes `expected` and checks it re-encodes.
fn check_message(built: &Message, expected: &[u8]) -> CaseResult<Message> {
    same_bytes("Message built from JSON", &built.encode_to_vec(), expected)?;
    let decoded = Message::decode(expected).map_err(|e| format!("decode: {e}"))?;
    if &decoded != built {
        return Err("decoded Message differs from the JSON form".into());
    }
    same_bytes("re-encoded Message", &decoded.encode_to_vec(), expected)?;
    Ok(decoded)
}

/// `padded.hex` must be the message followed by `padLen` bytes of value `padLen`.
fn check_padded(case: &Value, message: &[u8]) -> CaseResult<()> {
    let Some(padded) = case.get("padded") else {
        return Ok(());
    };
    let bytes = hex_field(padded, "hex")?;
    let pad_len = padded
        .get("padLen")
        .and_then(Value::as_u64)
        .ok_or("padded.padLen missing")?;
    let pad = usize::try_from(pad_len).map_err(|_| "padLen out of range")?;
    let Some(body_len) = bytes.len().checked_sub(pad) else {
        return Err("padding longer than the padded message".into());
    };
    let (body, tail) = bytes.split_at(body_len);
    if !(1..=16).contains(&pad) || tail.iter().any(|&b| usize::from(b) != pad) {
        return Err(format!("padding is not {pad} bytes of value {pad}"));
    }
    same_bytes("unpadded message", body, message)
}

fn message_key(json: &Value) -> CaseResult<MessageKey> {
    Ok(MessageKey {
        remote_jid: optional_str(json, "remoteJid"),
        from_me: json.get("fromMe").and_then(Value::as_bool),
        id: optional_str(json, "id"),
        participant: optional_str(json, "participant"),
    })
}

fn optional_str(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// protobufjs prints 64-bit integers as strings; accept both forms.
fn optional_i64(json: &Value, key: &str) -> CaseResult<Option<i64>> {
    match json.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| format!("`{key}` is not an integer")),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not an integer")),
    }
}
