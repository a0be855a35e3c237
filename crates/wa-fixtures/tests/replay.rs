//! The replayer passes every recorded vector, and it fails when a vector is tampered with:
//! each comparison it claims to make is shown to be able to fail.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use wa_fixtures::{verify_document, verify_file, FileReport, FixtureKind, Outcome};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn baileys6(name: &str) -> PathBuf {
    fixtures().join("baileys-6.17.16").join(name)
}

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn failures(report: &FileReport) -> Vec<(String, String)> {
    report
        .cases
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Failed(why) => Some((c.name.clone(), why.clone())),
            _ => None,
        })
        .collect()
}

/// Replays `doc` after `tamper` and returns the names of the failing cases.
fn failing_after(path: &Path, tamper: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut doc = load(path);
    tamper(&mut doc);
    let report = verify_document(&path.display().to_string(), &doc).unwrap();
    failures(&report)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

fn set_str(doc: &mut Value, pointer: &str, f: impl FnOnce(&str) -> String) {
    let slot = doc.pointer_mut(pointer).unwrap();
    let new = f(slot.as_str().unwrap());
    *slot = Value::String(new);
}

/// Flips the last hex digit of a hex string.
fn flip_last(hex: &str) -> String {
    let mut s = hex.to_owned();
    let last = s.pop().unwrap();
    s.push(if last == '0' { '1' } else { '0' });
    s
}

#[test]
fn every_baileys_6_vector_passes() {
    let expectations = [
        ("binary_nodes.json", FixtureKind::BinaryNodes, 47, 1),
        ("tokens.json", FixtureKind::Tokens, 10, 0),
        ("proto_reaction.json", FixtureKind::ProtoReaction, 12, 0),
        ("proto_revoke.json", FixtureKind::ProtoRevoke, 5, 0),
        ("noise_handshake.json", FixtureKind::NoiseHandshake, 45, 0),
        ("stanzas_send.json", FixtureKind::StanzasSend, 46, 0),
        ("manifest.json", FixtureKind::Manifest, 8, 0),
        ("signal_1to1.json", FixtureKind::Signal1to1, 10, 0),
        ("signal_group.json", FixtureKind::SignalGroup, 10, 0),
    ];
    for (file, kind, passed, excluded) in expectations {
        let report = verify_file(&baileys6(file)).unwrap();
        assert_eq!(report.kind, kind, "{file}");
        assert_eq!(failures(&report), vec![], "{file}");
        assert_eq!(report.passed(), passed, "{file}: passed");
        assert_eq!(report.excluded(), excluded, "{file}: excluded");
    }
}

/// Dictionary v3, from Baileys 7.0.0-rc14 (a second independent encoder and decoder).
#[test]
fn every_baileys_7_vector_passes() {
    let dir = fixtures().join("baileys-7.0.0-rc14");
    let expectations = [
        ("binary_nodes.json", FixtureKind::BinaryNodes, 75, 1),
        ("tokens.json", FixtureKind::Tokens, 10, 0),
        ("manifest.json", FixtureKind::Manifest, 2, 0),
    ];
    for (file, kind, passed, excluded) in expectations {
        let report = verify_file(&dir.join(file)).unwrap();
        assert_eq!(report.kind, kind, "{file}");
        assert_eq!(failures(&report), vec![], "{file}");
        assert_eq!(report.passed(), passed, "{file}: passed");
        assert_eq!(report.excluded(), excluded, "{file}: excluded");
    }
}

#[test]
fn the_dictionary_is_detected_from_the_data() {
    // The same inputs, encoded by Baileys 6 (v2) and Baileys 7 (v3): each file must be
    // replayed with its own dictionary, or almost every case would fail.
    for set in ["baileys-6.17.16", "baileys-7.0.0-rc14"] {
        let report = verify_file(&fixtures().join(set).join("binary_nodes.json")).unwrap();
        assert_eq!(report.failed(), 0, "{set}");
    }
    // Re-label a v3 file's token dump as v2: our v2 table does not match it.
    let failed = failing_after(&fixtures().join("baileys-7.0.0-rc14/tokens.json"), |doc| {
        doc["dictVersion"] = Value::from(2);
    });
    assert!(
        failed.contains(&"single_byte table".to_owned()),
        "{failed:?}"
    );
}

#[test]
fn the_v3_dictionary_dump_passes() {
    let report = verify_file(&fixtures().join("tokens_v3.json")).unwrap();
    assert_eq!(report.kind, FixtureKind::Tokens);
    assert_eq!(failures(&report), vec![]);
    // 1 + 4 checksums, 1 + 4 tables.
    assert_eq!(report.passed(), 10);
}

#[test]
fn the_only_exclusion_is_the_mangled_jid() {
    let report = verify_file(&baileys6("binary_nodes.json")).unwrap();
    let excluded: Vec<_> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Excluded(_)))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(excluded, ["ad_jid_agent_dropped"]);
}

#[test]
fn tampered_node_bytes_fail() {
    let path = baileys6("binary_nodes.json");
    let failed = failing_after(&path, |doc| {
        set_str(doc, "/cases/1/encoded/hex", flip_last);
    });
    assert_eq!(failed, ["attrs_single_byte_tokens"]);
    // A decoding that differs from the peer's is caught too.
    let failed = failing_after(&path, |doc| {
        doc["cases"][1]["decoded"]["attrs"]["type"] = Value::String("set".into());
    });
    assert_eq!(failed, ["attrs_single_byte_tokens"]);
    // Malformed input that we decoded would be a failure.
    let failed = failing_after(&path, |doc| {
        doc["decodeOnly"][1]["input"]["hex"] = Value::String("00f8011e".into());
    });
    assert_eq!(failed, ["invalid_empty_list_header"]);
}

#[test]
fn tampered_protobufs_fail() {
    let failed = failing_after(&baileys6("proto_reaction.json"), |doc| {
        set_str(doc, "/cases/0/messageHex", flip_last);
    });
    assert_eq!(failed, ["react_1to1_thumbsup_to_peer_msg"]);
    let failed = failing_after(&baileys6("proto_reaction.json"), |doc| {
        // Padding bytes must all equal the pad length.
        set_str(doc, "/cases/0/padded/hex", |h| {
            format!("{}0102", &h[..h.len() - 4])
        });
    });
    assert_eq!(failed, ["react_1to1_thumbsup_to_peer_msg"]);
    let failed = failing_after(&baileys6("proto_revoke.json"), |doc| {
        // An admin revoke carries edit="8"; claiming "7" must be caught.
        let last = doc["cases"].as_array().unwrap().len() - 1;
        doc["cases"][last]["baileysEditAttr"] = Value::String("7".into());
    });
    assert_eq!(failed, ["revoke_group_participant_msg_as_admin"]);
}

#[test]
fn tampered_noise_transcript_fails() {
    let path = baileys6("noise_handshake.json");
    // A different client ephemeral key changes the client hello and everything after it.
    let failed = failing_after(&path, |doc| {
        set_str(doc, "/messages/clientHello/handshakeMessageHex", flip_last);
    });
    assert!(failed.contains(&"initiator".to_owned()), "{failed:?}");
    // A certificate chain signed by another root is rejected.
    let failed = failing_after(&path, |doc| {
        let other = doc["keys"]["testCertIntermediate"]["public"].clone();
        doc["keys"]["testCertRoot"]["public"] = other;
    });
    assert!(failed.contains(&"cert_chain".to_owned()), "{failed:?}");
    assert!(failed.contains(&"initiator".to_owned()), "{failed:?}");
    // A corrupted transport frame fails to decrypt. As on a real connection, the receiving
    // counter does not advance past a forged frame, so that direction fails from there on;
    // the other direction and everything before are unaffected.
    let failed = failing_after(&path, |doc| {
        set_str(doc, "/wire/5/hex", flip_last);
    });
    assert_eq!(
        failed.first().map(String::as_str),
        Some("wire[5] client->server")
    );
    assert!(
        failed.iter().all(|f| !f.contains("server->client")),
        "{failed:?}"
    );
    assert!(
        !failed.iter().any(|f| f == "wire[3] client->server"),
        "{failed:?}"
    );
    // Wrong recorded split keys do not open the frames.
    let failed = failing_after(&path, |doc| {
        set_str(doc, "/transportKeys/clientToServer", flip_last);
    });
    assert_eq!(failed, ["transport_keys"]);
}

#[test]
fn tampered_tokens_fail() {
    let failed = failing_after(&baileys6("tokens.json"), |doc| {
        doc["singleByte"]["tokens"][9] = Value::String("notification".into());
    });
    assert_eq!(failed, ["singleByte sha256", "single_byte table"]);
    let failed = failing_after(&fixtures().join("tokens_v3.json"), |doc| {
        doc["double_byte"][2][7] = Value::String("not-a-token".into());
    });
    assert_eq!(failed, ["sha256_double[2]", "double_byte[2] table"]);
}

#[test]
fn tampered_stanza_fails() {
    let path = baileys6("stanzas_send.json");
    let failed = failing_after(&path, |doc| {
        set_str(doc, "/scenarios/2/recipients/0/ciphertextHex", flip_last);
    });
    assert_eq!(failed, ["dm_react_heart_to_own_msg"]);
    let failed = failing_after(&path, |doc| {
        doc["scenarios"][5]["attrs"]["edit"] = Value::String("8".into());
    });
    assert_eq!(failed, ["dm_revoke_own_msg"]);
    // What a recipient decrypted (here, the group skmsg's Message) is checked against the
    // recorded one; failing_after replays the file from its own directory, so the sibling
    // Signal files provide the keys.
    let failed = failing_after(&path, |doc| {
        let recipients = doc["scenarios"][7]["recipients"].as_array_mut().unwrap();
        let skmsg = recipients
            .iter_mut()
            .find(|r| r["encType"] == "skmsg")
            .unwrap();
        let hex = skmsg["messageHex"].as_str().unwrap().to_owned();
        skmsg["messageHex"] = Value::String(flip_last(&hex));
    });
    assert_eq!(
        failed,
        ["group_react_heart_to_own_msg decrypted by every recipient"]
    );
}

#[test]
fn tampered_signal_vectors_fail() {
    // One ciphertext byte: the receiver's MAC check and the sender's reproduction both fail.
    let failed = failing_after(&baileys6("signal_1to1.json"), |doc| {
        set_str(doc, "/messages/3/recipients/0/ciphertextHex", flip_last);
    });
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed
            .iter()
            .all(|f| f.contains("15550001111@s.whatsapp.net")),
        "{failed:?}"
    );
    // A wrong recorded plaintext is caught on both sides too.
    let failed = failing_after(&baileys6("signal_1to1.json"), |doc| {
        set_str(
            doc,
            "/messages/0/recipients/1/paddedPlaintextHex",
            flip_last,
        );
    });
    assert!(!failed.is_empty());
    // A forged skmsg: its signature fails, members cannot decrypt it, the sender differs.
    let failed = failing_after(&baileys6("signal_group.json"), |doc| {
        let recipients = doc["messages"][1]["recipients"].as_array_mut().unwrap();
        let skmsg = recipients
            .iter_mut()
            .find(|r| r["encType"] == "skmsg")
            .unwrap();
        let hex = skmsg["ciphertextHex"].as_str().unwrap().to_owned();
        // Flip a byte of the ciphertext, before the 64-byte signature.
        let at = hex.len() - 130;
        let flipped = if &hex[at..=at] == "0" { "1" } else { "0" };
        skmsg["ciphertextHex"] =
            Value::String(format!("{}{flipped}{}", &hex[..at], &hex[at + 1..]));
    });
    assert!(
        failed.contains(&"skmsg signatures".to_owned()),
        "{failed:?}"
    );
    assert!(
        failed.iter().any(|f| f.ends_with("decrypts every skmsg")),
        "{failed:?}"
    );
}

#[test]
fn tampered_file_fails_its_manifest_check() {
    let dir = std::env::temp_dir().join(format!("wa-fixtures-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = load(&baileys6("manifest.json"));
    for entry in manifest["files"].as_array().unwrap() {
        let file = entry["file"].as_str().unwrap();
        std::fs::copy(baileys6(file), dir.join(file)).unwrap();
    }
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    std::fs::write(dir.join("tokens.json"), b"{}").unwrap();
    let report = verify_file(&dir.join("manifest.json")).unwrap();
    let failed: Vec<_> = failures(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(failed, ["sha256 tokens.json"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_content_is_an_error_not_a_pass() {
    let doc = serde_json::json!({"hello": "world"});
    assert!(matches!(
        verify_document("x.json", &doc),
        Err(wa_fixtures::Error::UnknownKind { .. })
    ));
}
