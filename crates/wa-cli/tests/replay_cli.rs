//! `wa record` and `wa replay` as a user runs them: a recorded scenario replays, and a
//! transcript whose recorded engine frame was changed fails with the mismatch and exit 1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::Command;

fn wa(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wa"))
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wa-replay-cli-{}-{name}", std::process::id()))
}

#[test]
fn a_recorded_scenario_replays_and_a_changed_frame_fails() {
    let (ok, list) = wa(&["record", "--list"]);
    assert!(ok && list.contains("retry-receipt"), "{list}");

    let file = temp("login.json");
    let (ok, text) = wa(&[
        "record",
        "--scenario",
        "login",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    let (ok, text) = wa(&["replay", file.to_str().unwrap()]);
    assert!(ok && text.contains("1 passed, 0 failed"), "{text}");

    // Flip the last byte of the engine's last recorded frame (the `active` IQ's tag).
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let entries = json["connections"][0]["entries"].as_array_mut().unwrap();
    let last_out = entries
        .iter_mut()
        .rev()
        .find(|entry| entry["dir"] == "out")
        .unwrap();
    let mut frame = last_out["frame"].as_str().unwrap().to_owned();
    let flipped = if frame.ends_with('0') { '1' } else { '0' };
    frame.pop();
    frame.push(flipped);
    last_out["frame"] = frame.into();
    let changed = temp("login-changed.json");
    std::fs::write(&changed, json.to_string()).unwrap();
    let (ok, text) = wa(&["replay", changed.to_str().unwrap()]);
    assert!(!ok, "{text}");
    assert!(text.contains("replay mismatch at connection 0"), "{text}");
    assert!(text.contains("xmlns=\"passive\""), "{text}");
    assert!(text.contains("0 passed, 1 failed"), "{text}");
    let _ = std::fs::remove_file(file);
    let _ = std::fs::remove_file(changed);
}
