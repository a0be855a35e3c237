//! `wa fixtures verify` as a user runs it: output format and exit status.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn wa(args: &[&Path]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wa"))
        .args(["fixtures", "verify"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn passing_files_exit_zero_with_the_tally_last() {
    let files = [
        fixture("baileys-6.17.16/binary_nodes.json"),
        fixture("baileys-6.17.16/proto_revoke.json"),
        fixture("tokens_v3.json"),
    ];
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (code, stdout, stderr) = wa(&refs);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // 47 node cases, 5 revokes, 10 token checks; the excluded case is only noted on stderr.
    assert_eq!(stdout, "62 passed, 0 failed\n");
    assert!(stderr.contains("excluded"), "{stderr}");
}

#[test]
fn a_failing_case_is_one_line_and_exit_one() {
    let dir = std::env::temp_dir().join(format!("wa-cli-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let original = std::fs::read_to_string(fixture("baileys-6.17.16/proto_revoke.json")).unwrap();
    // Corrupt the first case's expected bytes (its remote JID's first byte).
    let tampered = original.replacen(
        "\"messageHex\": \"623a0a360a1a31",
        "\"messageHex\": \"623a0a360a1a32",
        1,
    );
    assert!(tampered != original, "the tamper must apply");
    let path = dir.join("revoke.json");
    std::fs::write(&path, tampered).unwrap();
    let (code, stdout, _) = wa(&[&path]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("FAIL "), "{stdout}");
    assert!(lines[0].contains("[proto_revoke]"), "{stdout}");
    assert_eq!(lines[1], "4 passed, 1 failed");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreadable_or_unknown_files_fail() {
    let dir = std::env::temp_dir().join(format!("wa-cli-unknown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let unknown = dir.join("unknown.json");
    std::fs::write(&unknown, "{\"what\": 1}").unwrap();
    let missing = dir.join("missing.json");
    let (code, stdout, _) = wa(&[&unknown, &missing]);
    assert_eq!(code, 1);
    assert!(stdout.ends_with("0 passed, 2 failed\n"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}
