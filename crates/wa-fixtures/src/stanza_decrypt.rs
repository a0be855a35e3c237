//! The decryption half of a `stanzas_send` replay: every `<enc>` of every captured stanza is
//! decrypted by its recipient device, in send order, with the keys recorded in the Signal files
//! next to the stanza file (found by content: kinds `signal_1to1` and `signal_group`), and
//! compared with the padded plaintext and the `Message` the recipient recorded. SKDMs found in
//! pairwise messages are processed, and each member then decrypts the group `skmsg`.

use std::path::Path;

use prost::Message as _;
use serde_json::Value;
use wa_binary::{decode_frame, Dictionary, Jid, Node};
use wa_signal::{
    padding::unpad,
    sender_key::{
        group_decrypt, process_distribution_message, SenderKeyDistributionMessage, SenderKeyRecord,
    },
    session::{self, ResponderKeys},
    CiphertextMessage, IdentityKeyPair, PreKeyId, PreKeyRecord, RegistrationId, SessionRecord,
    SignedPreKeyId, SignedPreKeyRecord,
};

use crate::json::{array, case_name, hex_at, hex_field, same_bytes, str_field, CaseResult};
use crate::kind::FixtureKind;
use crate::recorded_rng::RecordedKeys;
use crate::report::Cases;
use crate::signal_replay::{identity_pair, key_pair, number, recorded_keys, signature};

/// A recipient device with its recorded keys and the state it builds up.
struct Device {
    jid: Jid,
    identity: IdentityKeyPair,
    registration_id: RegistrationId,
    signed_pre_key: SignedPreKeyRecord,
    pre_key: Option<PreKeyRecord>,
    session: SessionRecord,
    rng: RecordedKeys,
    sender_key: SenderKeyRecord,
}

pub(crate) fn replay(doc: &Value, dir: &Path, dict: Dictionary, cases: &mut Cases) {
    let signal_docs = sibling_signal_docs(dir);
    if signal_docs.is_empty() {
        cases.exclude(
            "decryption",
            "no signal_1to1 / signal_group file next to this file holds the recipients' keys",
        );
        return;
    }
    let mut devices = match load_devices(&signal_docs) {
        Ok(devices) => devices,
        Err(why) => {
            cases.record("recipient keys", Err(why));
            return;
        }
    };
    for (i, scenario) in array(doc, "scenarios").iter().enumerate() {
        let name = format!(
            "{} decrypted by every recipient",
            case_name(scenario, "scenarios", i)
        );
        cases.record(name, decrypt_scenario(scenario, dict, &mut devices));
    }
}

fn sibling_signal_docs(dir: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
        .filter(|doc| {
            matches!(
                FixtureKind::detect(doc),
                Some(FixtureKind::Signal1to1 | FixtureKind::SignalGroup)
            )
        })
        .collect()
}

/// Every party with private keys in the Signal files, except the sender (`alice`).
fn load_devices(docs: &[Value]) -> CaseResult<Vec<Device>> {
    let mut devices = Vec::new();
    for doc in docs {
        let parties = array(doc, "peers").iter().chain(doc.get("carol"));
        for party in parties {
            let jid_text = str_field(party, "jid")?;
            if devices
                .iter()
                .any(|d: &Device| d.jid.to_string() == jid_text)
            {
                continue;
            }
            let prefix = format!("peer[{jid_text}].decrypt:");
            let keys: Vec<[u8; 32]> = docs
                .iter()
                .flat_map(|d| recorded_keys(d, |label, _| label.starts_with(&prefix)))
                .collect();
            let pre_key = match party.pointer("/preKey/keyId") {
                Some(_) => Some(PreKeyRecord::new(
                    PreKeyId(number(party, "/preKey/keyId")?),
                    key_pair(party, "/preKey")?,
                )),
                None => None,
            };
            devices.push(Device {
                jid: jid_text.parse().map_err(|e| format!("{jid_text}: {e}"))?,
                identity: identity_pair(party)?,
                registration_id: RegistrationId(number(party, "/registrationId")?),
                signed_pre_key: SignedPreKeyRecord::new(
                    SignedPreKeyId(number(party, "/signedPreKey/keyId")?),
                    key_pair(party, "/signedPreKey")?,
                    signature(party)?,
                    0,
                ),
                pre_key,
                session: SessionRecord::new(),
                rng: RecordedKeys::new(keys),
                sender_key: SenderKeyRecord::new(),
            });
        }
    }
    Ok(devices)
}

fn decrypt_scenario(scenario: &Value, dict: Dictionary, devices: &mut [Device]) -> CaseResult<()> {
    let bytes = hex_field(scenario, "capturedHex")?;
    let stanza = decode_frame(&bytes, dict).map_err(|e| format!("decode: {e}"))?;
    let recipients = array(scenario, "recipients");
    for to in stanza
        .child("participants")
        .into_iter()
        .flat_map(|p| p.children_with_tag("to"))
    {
        let jid = to.attr_jid("jid").ok_or("<to> without a JID")?;
        let device = devices
            .iter_mut()
            .find(|d| d.jid == jid)
            .ok_or_else(|| format!("no recorded keys for {jid}"))?;
        let enc = to
            .child("enc")
            .ok_or_else(|| format!("<to {jid}> without <enc>"))?;
        let padded = decrypt_pairwise(device, enc).map_err(|e| format!("{jid}: {e}"))?;
        let recorded = recipients
            .iter()
            .find(|r| {
                r.get("recipient")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Jid>().ok())
                    == Some(jid.clone())
            })
            .ok_or_else(|| format!("no recorded plaintext for {jid}"))?;
        check_plaintext(&format!("{jid}"), &padded, recorded)?;
        let message = wa_proto::e2e::Message::decode(unpad(&padded).map_err(|e| e.to_string())?)
            .map_err(|e| format!("{jid}: Message: {e}"))?;
        if let Some(skdm) = message
            .sender_key_distribution_message
            .and_then(|s| s.axolotl_sender_key_distribution_message)
        {
            let skdm = SenderKeyDistributionMessage::parse(&skdm)
                .map_err(|e| format!("{jid}: SKDM: {e}"))?;
            process_distribution_message(&mut device.sender_key, &skdm);
        }
    }
    if let Some(skmsg) = stanza
        .children_with_tag("enc")
        .find(|e| e.attr_str("type") == Some("skmsg"))
    {
        let recorded = recipients
            .iter()
            .find(|r| r.get("encType").and_then(Value::as_str) == Some("skmsg"))
            .ok_or("no recorded plaintext for the skmsg")?;
        let wire = skmsg.bytes().ok_or("<enc type=skmsg> without bytes")?;
        let members: Vec<String> = array(recorded, "decryptedBy")
            .iter()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        for member in &members {
            let jid: Jid = member.parse().map_err(|e| format!("{member}: {e}"))?;
            let device = devices
                .iter_mut()
                .find(|d| d.jid == jid)
                .ok_or_else(|| format!("no recorded keys for {member}"))?;
            let padded = group_decrypt(&mut device.sender_key, wire)
                .map_err(|e| format!("{member} skmsg: {e}"))?;
            check_plaintext(&format!("{member} skmsg"), &padded, recorded)?;
        }
    }
    Ok(())
}

fn decrypt_pairwise(device: &mut Device, enc: &Node<'_>) -> CaseResult<Vec<u8>> {
    let enc_type = enc.attr_str("type").ok_or("<enc> without a type")?;
    let wire = enc.bytes().ok_or("<enc> without bytes")?;
    let parsed = CiphertextMessage::parse(enc_type, wire).map_err(|e| e.to_string())?;
    let mut fallback = rand_core::OsRng;
    let use_recorded = device.rng.remaining() > 0;
    let result = match &parsed {
        CiphertextMessage::PreKey(pkmsg) => {
            let keys = ResponderKeys {
                identity: &device.identity,
                registration_id: device.registration_id,
                signed_pre_key: Some(&device.signed_pre_key),
                pre_key: device.pre_key.as_ref(),
            };
            if use_recorded {
                session::decrypt_pre_key_message(&mut device.session, pkmsg, &keys, &mut device.rng)
            } else {
                session::decrypt_pre_key_message(&mut device.session, pkmsg, &keys, &mut fallback)
            }
            .map(|d| d.plaintext)
        }
        CiphertextMessage::Signal(msg) if use_recorded => {
            session::decrypt_signal_message(&mut device.session, msg, &mut device.rng)
        }
        CiphertextMessage::Signal(msg) => {
            session::decrypt_signal_message(&mut device.session, msg, &mut fallback)
        }
    };
    if let Some(why) = device.rng.misuse.take() {
        return Err(why);
    }
    result.map_err(|e| e.to_string())
}

fn check_plaintext(who: &str, padded: &[u8], recorded: &Value) -> CaseResult<()> {
    same_bytes(
        &format!("{who} padded plaintext"),
        padded,
        &hex_at(recorded, "/paddedPlaintextHex")?,
    )?;
    let body = unpad(padded).map_err(|e| format!("{who}: {e}"))?;
    same_bytes(
        &format!("{who} Message"),
        body,
        &hex_at(recorded, "/messageHex")?,
    )
}
