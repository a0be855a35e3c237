//! Replays `encodeBinaryNode` vectors: each input is encoded and compared with the peer's bytes,
//! the peer's bytes are decoded and compared with the peer's decoding, and our decoding is
//! re-encoded to the same bytes. The dictionary is detected from the data.

use serde_json::Value;
use sha2::{Digest, Sha256};
use wa_binary::json::{node_from_json, node_to_json};
use wa_binary::{decode_frame, encode_frame_to_vec, Dictionary, Jid, Node};

use crate::json::{array, case_name, hex_at, same_bytes, CaseResult};
use crate::report::Cases;

pub(crate) fn replay(doc: &Value) -> Cases {
    let mut cases = Cases::default();
    let dict = detect_dictionary(array(doc, "cases"));
    for (i, case) in array(doc, "cases").iter().enumerate() {
        let name = case_name(case, "cases", i);
        match malformed_jid_input(case) {
            Some(jid) => cases.exclude(
                name,
                format!(
                    "input JID {jid:?} is malformed; the peer mangles the part it cannot parse \
                     into another address (Baileys 6 drops `_agent`, Baileys 7 reads it as the \
                     AD domain), we write the string as given (fixtures/README.md)"
                ),
            ),
            None => cases.record(name, encode_case(case, dict)),
        }
    }
    for (i, case) in array(doc, "decodeOnly").iter().enumerate() {
        cases.record(
            case_name(case, "decodeOnly", i),
            decode_only_case(case, dict),
        );
    }
    for (i, case) in array(doc, "quirks").iter().enumerate() {
        cases.record(case_name(case, "quirks", i), quirk_case(case, dict));
    }
    cases
}

/// The dictionary under which the most inputs encode to the recorded bytes (v3 on a tie).
pub(crate) fn detect_dictionary(cases: &[Value]) -> Dictionary {
    let score = |dict: Dictionary| {
        cases
            .iter()
            .filter(|case| {
                let expected = case.pointer("/encoded/hex").and_then(Value::as_str);
                let input = case.get("input").and_then(|i| node_from_json(i).ok());
                match (expected, input) {
                    (Some(expected), Some(input)) => encode_frame_to_vec(&input, dict)
                        .is_ok_and(|ours| hex::encode(ours) == expected),
                    _ => false,
                }
            })
            .count()
    };
    if score(Dictionary::V2) > score(Dictionary::V3) {
        Dictionary::V2
    } else {
        Dictionary::V3
    }
}

fn encode_case(case: &Value, dict: Dictionary) -> CaseResult<()> {
    let input =
        node_from_json(case.get("input").ok_or("missing input")?).map_err(|e| e.to_string())?;
    let ours = encode_frame_to_vec(&input, dict).map_err(|e| format!("encode: {e}"))?;
    let theirs = recorded_encoding(case, &ours)?;
    same_bytes("encoding", &ours, &theirs)?;

    let decoded = decode_frame(&theirs, dict).map_err(|e| format!("decode: {e}"))?;
    if let Some(expected) = case.get("decoded") {
        let expected = node_from_json(expected).map_err(|e| e.to_string())?;
        same_node(&decoded, &expected).map_err(|e| format!("decoding: {e}"))?;
    }
    let reencoded = encode_frame_to_vec(&decoded, dict).map_err(|e| format!("re-encode: {e}"))?;
    same_bytes("re-encoding of our decoding", &reencoded, &theirs)
}

/// The peer's bytes: given as hex, or for large cases as length, SHA-256, head and tail, which
/// are checked against `ours` (then `ours` stands for them).
fn recorded_encoding(case: &Value, ours: &[u8]) -> CaseResult<Vec<u8>> {
    if case.pointer("/encoded/hex").is_some() {
        return hex_at(case, "/encoded/hex");
    }
    let length = case
        .pointer("/encoded/length")
        .and_then(Value::as_u64)
        .ok_or("encoded has neither hex nor length")?;
    if u64::try_from(ours.len()).ok() != Some(length) {
        return Err(format!(
            "encoding is {} bytes, expected {length}",
            ours.len()
        ));
    }
    let sha = case
        .pointer("/encoded/sha256")
        .and_then(Value::as_str)
        .ok_or("encoded.sha256 missing")?;
    if hex::encode(Sha256::digest(ours)) != sha {
        return Err("encoding's SHA-256 differs".into());
    }
    let head = hex_at(case, "/encoded/headHex")?;
    let tail = hex_at(case, "/encoded/tailHex")?;
    if !ours.starts_with(&head) || !ours.ends_with(&tail) {
        return Err("encoding's head or tail differs".into());
    }
    Ok(ours.to_vec())
}

fn decode_only_case(case: &Value, dict: Dictionary) -> CaseResult<()> {
    let bytes = hex_at(case, "/input/hex")?;
    let result = decode_frame(&bytes, dict);
    if let Some(expected) = case.get("decoded").filter(|d| !d.is_null()) {
        let node = result.map_err(|e| format!("decode: {e}"))?;
        let expected = node_from_json(expected).map_err(|e| e.to_string())?;
        return same_node(&node, &expected);
    }
    match result {
        Err(_) => Ok(()),
        Ok(node) => Err(format!("malformed input decoded as {node}")),
    }
}

/// A peer quirk recorded as the bytes the peer emitted for some input. Whatever the peer's
/// encoder did, the bytes mean what they mean: where the peer's own decoder refused them ours
/// must refuse them with a typed error, and where it read them ours must read the same node.
fn quirk_case(case: &Value, dict: Dictionary) -> CaseResult<()> {
    let bytes = hex_at(case, "/encoded/hex")?;
    let peer_decoding = case.get("decoded").filter(|d| !d.is_null());
    match (decode_frame(&bytes, dict), peer_decoding) {
        (Err(_), None) => Ok(()),
        (Ok(node), None) => Err(format!("the peer refused these bytes; we decoded {node}")),
        (Ok(node), Some(expected)) => {
            let expected = node_from_json(expected).map_err(|e| e.to_string())?;
            same_node(&node, &expected)
        }
        (Err(e), Some(_)) => Err(format!("the peer decoded these bytes; we failed: {e}")),
    }
}

/// A string attribute of the input that looks like a JID (has an `@`) but is not one for us,
/// in a case whose peer decoding already differs from its input: the peer's encoder mangled it.
fn malformed_jid_input(case: &Value) -> Option<String> {
    if case.get("roundTripNodeEqual").and_then(Value::as_bool) != Some(false) {
        return None;
    }
    let attrs = case.pointer("/input/attrs")?.as_object()?;
    attrs
        .values()
        .filter_map(Value::as_str)
        .find(|s| s.contains('@') && s.parse::<Jid>().is_err())
        .map(str::to_owned)
}

/// Compares two nodes by meaning: attributes whose values are both JIDs compare as JIDs (so
/// `user:0@server` equals `user@server`, as it addresses the same device), everything else as
/// in the fixture JSON form.
pub(crate) fn same_node(ours: &Node<'_>, theirs: &Node<'_>) -> CaseResult<()> {
    let (a, b) = (node_to_json(ours), node_to_json(theirs));
    if json_equal_modulo_jids(&a, &b) {
        Ok(())
    } else {
        Err(format!("node differs: ours {a}, expected {b}"))
    }
}

fn json_equal_modulo_jids(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            x == y || matches!((x.parse::<Jid>(), y.parse::<Jid>()), (Ok(j), Ok(k)) if j == k)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal_modulo_jids(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && json_equal_modulo_jids(v1, v2))
        }
        _ => a == b,
    }
}
