//! Replays captured stanzas at the node level: every `<message>` (with its real and placeholder
//! ciphertexts) is encoded from its JSON node and compared byte for byte, every captured frame is
//! decoded and re-encoded, and each recipient's recorded ciphertext is found in the stanza under
//! the right `<to jid>` (or as the `skmsg`). Decrypting the `<enc>` payloads is in
//! `stanza_decrypt`.

use serde_json::Value;
use wa_binary::json::node_from_json;
use wa_binary::{decode_frame, encode_frame_to_vec, Dictionary, Jid, Node};

use crate::json::{array, case_name, hex_at, hex_field, same_bytes, str_field, CaseResult};
use crate::node_replay::same_node;
use crate::report::Cases;

pub(crate) fn replay(doc: &Value, dir: &std::path::Path) -> Cases {
    let mut cases = Cases::default();
    let scenarios = array(doc, "scenarios");
    let dict = detect_dictionary(scenarios);
    for (i, scenario) in scenarios.iter().enumerate() {
        let name = case_name(scenario, "scenarios", i);
        cases.record(name.clone(), message_case(scenario, dict));
        if let Some(placeholder) = scenario.get("placeholder") {
            cases.record(
                format!("{name} placeholder"),
                node_and_bytes(placeholder, "hex", dict),
            );
        }
        for (j, stanza) in array(scenario, "precedingClientStanzas").iter().enumerate() {
            cases.record(
                format!("{name} precedingClientStanzas[{j}]"),
                reencodes(stanza, dict),
            );
        }
    }
    for (i, reply) in array(doc, "peerRepliesDelivered").iter().enumerate() {
        let result = reply
            .get("stanza")
            .ok_or_else(|| "missing stanza".to_owned())
            .and_then(|s| reencodes(s, dict));
        cases.record(format!("peerRepliesDelivered[{i}]"), result);
    }
    for (i, stanza) in array(doc, "otherClientStanzas").iter().enumerate() {
        cases.record(format!("otherClientStanzas[{i}]"), reencodes(stanza, dict));
    }
    crate::stanza_decrypt::replay(doc, dir, dict, &mut cases);
    cases
}

/// Captured frames carry tokens; the dictionary that decodes and re-encodes them all wins.
fn detect_dictionary(scenarios: &[Value]) -> Dictionary {
    let fits = |dict: Dictionary| {
        scenarios.iter().all(|s| {
            hex_field(s, "capturedHex").is_ok_and(|bytes| {
                decode_frame(&bytes, dict)
                    .and_then(|n| encode_frame_to_vec(&n, dict))
                    .is_ok_and(|again| again == bytes)
            })
        })
    };
    if fits(Dictionary::V3) || !fits(Dictionary::V2) {
        Dictionary::V3
    } else {
        Dictionary::V2
    }
}

fn message_case(scenario: &Value, dict: Dictionary) -> CaseResult<()> {
    node_and_bytes(scenario, "capturedHex", dict)?;
    let bytes = hex_field(scenario, "capturedHex")?;
    let stanza = decode_frame(&bytes, dict).map_err(|e| format!("decode: {e}"))?;
    if let Some(attrs) = scenario.get("attrs").and_then(Value::as_object) {
        for (key, value) in attrs {
            let ours = stanza.attr(key).map(ToString::to_string);
            if ours.as_deref() != value.as_str() {
                return Err(format!("attribute {key}: ours {ours:?}, recorded {value}"));
            }
        }
    }
    for recipient in array(scenario, "recipients") {
        recipient_ciphertext(&stanza, recipient)?;
    }
    Ok(())
}

/// `json[node]` encodes to `json[hex_key]`, and those bytes decode to the same node.
fn node_and_bytes(json: &Value, hex_key: &str, dict: Dictionary) -> CaseResult<()> {
    let node =
        node_from_json(json.get("node").ok_or("missing node")?).map_err(|e| e.to_string())?;
    let expected = hex_field(json, hex_key)?;
    let ours = encode_frame_to_vec(&node, dict).map_err(|e| format!("encode: {e}"))?;
    same_bytes("encoding of the recorded node", &ours, &expected)?;
    let decoded = decode_frame(&expected, dict).map_err(|e| format!("decode: {e}"))?;
    same_node(&decoded, &node)
}

fn reencodes(json: &Value, dict: Dictionary) -> CaseResult<()> {
    let bytes = hex_at(json, "/hex")?;
    let node = decode_frame(&bytes, dict).map_err(|e| format!("decode: {e}"))?;
    let again = encode_frame_to_vec(&node, dict).map_err(|e| format!("encode: {e}"))?;
    same_bytes("re-encoding", &again, &bytes)
}

/// The recipient's recorded ciphertext is the `<enc>` of its `<to jid>` with the recorded
/// type, or, for a sender-key message, the stanza's own `<enc type="skmsg">`.
fn recipient_ciphertext(stanza: &Node<'_>, recipient: &Value) -> CaseResult<()> {
    let who = str_field(recipient, "recipient")?;
    let jid: Jid = who.parse().map_err(|e| format!("recipient {who}: {e}"))?;
    let enc_type = str_field(recipient, "encType")?;
    let ciphertext = hex_field(recipient, "ciphertextHex")?;
    let enc = if enc_type == "skmsg" {
        stanza
            .children_with_tag("enc")
            .find(|e| e.attr_str("type") == Some("skmsg"))
    } else {
        stanza
            .child("participants")
            .into_iter()
            .flat_map(|p| p.children_with_tag("to"))
            .find(|to| to.attr_jid("jid").as_ref() == Some(&jid))
            .and_then(|to| to.child("enc"))
    }
    .ok_or_else(|| format!("no <enc> for {who}"))?;
    if enc.attr_str("type") != Some(enc_type) {
        return Err(format!("<enc> for {who} is not of type {enc_type}"));
    }
    same_bytes(
        &format!("ciphertext for {who}"),
        enc.bytes().unwrap_or_default(),
        &ciphertext,
    )
}
