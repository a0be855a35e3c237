//! Replays a token-dictionary dump: the recorded checksums hold, our compiled dictionary of the
//! same version equals it entry for entry, and every token encodes to its byte(s) and decodes
//! back.

use serde_json::Value;
use sha2::{Digest, Sha256};
use wa_binary::{decode_node, encode_node_into, Dictionary, Node, Token};

use crate::json::{array, str_field, CaseResult};
use crate::report::Cases;

/// The two dump layouts: Baileys' (`singleByte.tokens`, `doubleByte[].tokens`, checksums over
/// `JSON.stringify(list)`) and `tokens_v3.json`'s (`single_byte`, `double_byte`, checksums over
/// the entries joined by newlines).
struct Dump {
    version: u8,
    single: Vec<String>,
    double: Vec<Vec<String>>,
}

pub(crate) fn replay(doc: &Value) -> Cases {
    let mut cases = Cases::default();
    let dump = match read(doc, &mut cases) {
        Ok(dump) => dump,
        Err(why) => {
            cases.record("layout", Err(why));
            return cases;
        }
    };
    let dict = match Dictionary::from_header_version(dump.version) {
        Ok(dict) => dict,
        Err(e) => {
            cases.record("dictionary version", Err(e.to_string()));
            return cases;
        }
    };
    let ours_single: Vec<&str> = dict.single_byte_tokens().to_vec();
    cases.record(
        "single_byte table",
        same_table(&ours_single, &dump.single).and_then(|()| encodes(dict, &dump, None)),
    );
    for (d, theirs) in dump.double.iter().enumerate() {
        let result = match dict.double_byte_tokens().get(d) {
            Some(ours) => same_table(ours, theirs).and_then(|()| encodes(dict, &dump, Some(d))),
            None => Err(format!("we have no double-byte dictionary {d}")),
        };
        cases.record(format!("double_byte[{d}] table"), result);
    }
    cases
}

fn read(doc: &Value, cases: &mut Cases) -> CaseResult<Dump> {
    if let Some(single) = doc.get("singleByte") {
        let version = number(doc, "dictVersion")?;
        let tokens = strings(single.get("tokens"))?;
        cases.record("singleByte sha256", json_checksum(single, &tokens));
        let mut double = Vec::new();
        for (i, table) in array(doc, "doubleByte").iter().enumerate() {
            let tokens = strings(table.get("tokens"))?;
            cases.record(
                format!("doubleByte[{i}] sha256"),
                json_checksum(table, &tokens),
            );
            double.push(tokens);
        }
        return Ok(Dump {
            version,
            single: tokens,
            double,
        });
    }
    let version = number(doc, "dict_version")?;
    let single = strings(doc.get("single_byte"))?;
    let double = array(doc, "double_byte")
        .iter()
        .map(|t| strings(Some(t)))
        .collect::<CaseResult<Vec<_>>>()?;
    if let Some(sum) = doc.get("sha256_single").and_then(Value::as_str) {
        cases.record("sha256_single", lines_checksum(sum, &single));
    }
    for (i, sum) in array(doc, "sha256_double").iter().enumerate() {
        let result = match (sum.as_str(), double.get(i)) {
            (Some(sum), Some(table)) => lines_checksum(sum, table),
            _ => Err("checksum without a table".into()),
        };
        cases.record(format!("sha256_double[{i}]"), result);
    }
    Ok(Dump {
        version,
        single,
        double,
    })
}

fn number(doc: &Value, key: &str) -> CaseResult<u8> {
    doc.get(key)
        .and_then(Value::as_u64)
        .and_then(|v| u8::try_from(v).ok())
        .ok_or_else(|| format!("missing `{key}`"))
}

fn strings(value: Option<&Value>) -> CaseResult<Vec<String>> {
    value
        .and_then(Value::as_array)
        .ok_or("token list missing")?
        .iter()
        .map(|t| {
            t.as_str()
                .map(str::to_owned)
                .ok_or_else(|| "a token is not a string".to_owned())
        })
        .collect()
}

/// Baileys' checksum: SHA-256 of `JSON.stringify(list)`.
fn json_checksum(table: &Value, tokens: &[String]) -> CaseResult<()> {
    let expected = str_field(table, "sha256")?;
    let json = serde_json::to_string(tokens).map_err(|e| e.to_string())?;
    check_sum(expected, json.as_bytes())
}

/// `tokens_v3.json`'s checksum: SHA-256 of the entries joined by `\n`.
fn lines_checksum(expected: &str, tokens: &[String]) -> CaseResult<()> {
    check_sum(expected, tokens.join("\n").as_bytes())
}

fn check_sum(expected: &str, data: &[u8]) -> CaseResult<()> {
    let ours = hex::encode(Sha256::digest(data));
    if ours == expected {
        Ok(())
    } else {
        Err(format!(
            "recorded checksum {expected} does not match the list ({ours})"
        ))
    }
}

fn same_table<S: AsRef<str>>(ours: &[&str], theirs: &[S]) -> CaseResult<()> {
    if ours.len() != theirs.len() {
        return Err(format!("{} entries, expected {}", ours.len(), theirs.len()));
    }
    match ours.iter().zip(theirs).position(|(a, b)| *a != b.as_ref()) {
        None => Ok(()),
        Some(i) => Err(format!("entry {i} differs")),
    }
}

/// Every token of one table, used as a tag, encodes to its token bytes (unless an earlier
/// table already holds the same string, which then wins) and decodes back.
fn encodes(dict: Dictionary, dump: &Dump, double: Option<usize>) -> CaseResult<()> {
    let table = match double {
        None => &dump.single,
        Some(d) => dump.double.get(d).ok_or("no such table")?,
    };
    let mut buf = Vec::with_capacity(8);
    for (index, token) in table.iter().enumerate() {
        if token.is_empty() {
            continue;
        }
        let index = u8::try_from(index).map_err(|_| "table longer than 256")?;
        let expected = match double {
            None => Token::Single(index),
            Some(d) => Token::Double {
                dict: u8::try_from(d).map_err(|_| "too many tables")?,
                index,
            },
        };
        if first_occurrence(dump, token) != Some(expected) {
            continue;
        }
        if dict.lookup(token) != Some(expected) {
            return Err(format!("token {token:?} does not look up to {expected:?}"));
        }
        buf.clear();
        encode_node_into(&Node::new(token.as_str()), dict, &mut buf).map_err(|e| e.to_string())?;
        let mut wire = vec![0xf8, 0x01];
        expected.write_to(&mut wire);
        if buf != wire {
            return Err(format!("token {token:?} encodes as {}", hex::encode(&buf)));
        }
        let node = decode_node(&buf, dict).map_err(|e| e.to_string())?;
        if node.tag() != token {
            return Err(format!("token {token:?} decodes as {:?}", node.tag()));
        }
    }
    Ok(())
}

fn first_occurrence(dump: &Dump, token: &str) -> Option<Token> {
    if let Some(i) = dump.single.iter().position(|t| t == token) {
        return u8::try_from(i).ok().map(Token::Single);
    }
    dump.double.iter().enumerate().find_map(|(d, table)| {
        let index = table.iter().position(|t| t == token)?;
        Some(Token::Double {
            dict: u8::try_from(d).ok()?,
            index: u8::try_from(index).ok()?,
        })
    })
}
