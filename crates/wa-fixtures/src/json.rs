//! Small, typed accessors over fixture JSON: every missing field or bad hex is a case failure
//! with a message naming the field, never a panic.

use serde_json::Value;

/// A case-level failure message.
pub(crate) type CaseResult<T> = Result<T, String>;

/// `value[key]` as a string.
pub(crate) fn str_field<'a>(value: &'a Value, key: &str) -> CaseResult<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string field `{key}`"))
}

/// `value[key]` decoded from lower-case hex.
pub(crate) fn hex_field(value: &Value, key: &str) -> CaseResult<Vec<u8>> {
    let text = str_field(value, key)?;
    hex::decode(text).map_err(|e| format!("field `{key}` is not hex: {e}"))
}

/// The value at a JSON pointer, as a hex byte string.
pub(crate) fn hex_at(value: &Value, pointer: &str) -> CaseResult<Vec<u8>> {
    let text = value
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing `{pointer}`"))?;
    hex::decode(text).map_err(|e| format!("`{pointer}` is not hex: {e}"))
}

/// The array at `key`, empty when absent.
pub(crate) fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A case's name, or `section[index]` when it has none.
pub(crate) fn case_name(case: &Value, section: &str, index: usize) -> String {
    case.get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{section}[{index}]"), str::to_owned)
}

/// Compares two byte strings and describes the first difference.
pub(crate) fn same_bytes(what: &str, ours: &[u8], theirs: &[u8]) -> CaseResult<()> {
    if ours == theirs {
        return Ok(());
    }
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    Err(format!(
        "{what}: bytes differ at offset {at} (ours {} bytes, expected {} bytes)",
        ours.len(),
        theirs.len()
    ))
}
