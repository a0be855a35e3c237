//! Replays a vector set's `manifest.json`: every listed file next to it must still have the
//! recorded SHA-256, so a replay is known to run on the vectors as the peer produced them.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::json::{array, str_field, CaseResult};
use crate::report::Cases;

pub(crate) fn replay(doc: &Value, dir: &Path) -> Cases {
    let mut cases = Cases::default();
    for (i, entry) in array(doc, "files").iter().enumerate() {
        let name = entry
            .get("file")
            .and_then(Value::as_str)
            .map_or_else(|| format!("files[{i}]"), |f| format!("sha256 {f}"));
        cases.record(name, check(entry, dir));
    }
    cases
}

fn check(entry: &Value, dir: &Path) -> CaseResult<()> {
    let file = str_field(entry, "file")?;
    if file.contains("..") || Path::new(file).is_absolute() {
        return Err(format!("{file:?} is outside the manifest's directory"));
    }
    let expected = str_field(entry, "sha256")?;
    let bytes = std::fs::read(dir.join(file)).map_err(|e| format!("cannot read {file}: {e}"))?;
    let ours = hex::encode(Sha256::digest(&bytes));
    if ours == expected {
        Ok(())
    } else {
        Err(format!(
            "{file} has SHA-256 {ours}, the manifest records {expected}"
        ))
    }
}
