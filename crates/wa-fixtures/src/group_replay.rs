//! Replays `signal_group` files (sender keys with the sender's material): every SKDM parses to
//! its recorded fields and travels inside its pairwise `Message`; every member device processes
//! its SKDM and decrypts every skmsg; every signature verifies; and the sender, rebuilt from the
//! recorded key id, chain seed and signing key, reproduces the SKDM and each skmsg's signed part
//! byte for byte (its own signatures verify; signatures are never compared as bytes).

use prost::Message as _;
use serde_json::Value;
use wa_curve25519::{KeyPair, PublicKey};
use wa_signal::padding::unpad;
use wa_signal::sender_key::{
    group_decrypt, group_encrypt, group_encrypt_skipping, process_distribution_message,
    SenderChainKey, SenderKeyDistributionMessage, SenderKeyId, SenderKeyMessage, SenderKeyRecord,
    SenderKeyState,
};

use crate::json::{array, hex_at, same_bytes, CaseResult};
use crate::report::Cases;

pub(crate) fn replay(doc: &Value) -> Cases {
    let mut cases = Cases::default();
    let skdms = skdm_recipients(doc);
    for (recipient, entry) in &skdms {
        cases.record(format!("SKDM for {recipient}"), skdm_case(entry));
        cases.record(
            format!("{recipient} decrypts every skmsg"),
            member_case(doc, entry),
        );
    }
    cases.record("skmsg signatures", signatures(doc));
    cases.record("sender reproduces SKDM and skmsgs", sender_case(doc));
    cases
}

/// Pairwise recipients of the first send that carried an SKDM.
fn skdm_recipients(doc: &Value) -> Vec<(String, &Value)> {
    array(doc, "messages")
        .iter()
        .flat_map(|m| array(m, "recipients"))
        .filter(|r| r.get("senderKeyDistributionMessage").is_some())
        .map(|r| {
            let who = r.get("recipient").and_then(Value::as_str).unwrap_or("?");
            (who.to_owned(), r)
        })
        .collect()
}

fn skmsgs(doc: &Value) -> Vec<&Value> {
    array(doc, "messages")
        .iter()
        .flat_map(|m| array(m, "recipients"))
        .filter(|r| r.get("encType").and_then(Value::as_str) == Some("skmsg"))
        .collect()
}

fn skdm_case(entry: &Value) -> CaseResult<()> {
    let skdm_json = entry.get("senderKeyDistributionMessage").ok_or("no SKDM")?;
    let wire = hex_at(skdm_json, "/hex")?;
    let skdm = SenderKeyDistributionMessage::parse(&wire).map_err(|e| e.to_string())?;
    same_bytes("SKDM re-serialized", skdm.serialized(), &wire)?;
    if let Some(decoded) = skdm_json.get("decoded") {
        let id = decoded.get("id").and_then(Value::as_u64);
        let iteration = decoded.get("iteration").and_then(Value::as_u64);
        if id != Some(u64::from(skdm.key_id().get()))
            || iteration != Some(u64::from(skdm.iteration()))
        {
            return Err("SKDM id or iteration differs from the decoded form".into());
        }
        same_bytes(
            "chain key",
            skdm.chain_key().seed(),
            &hex_at(decoded, "/chainKey")?,
        )?;
        let mut signing = vec![0x05];
        signing.extend_from_slice(skdm.signing_key().as_bytes());
        same_bytes("signing key", &signing, &hex_at(decoded, "/signingKey")?)?;
    }
    // Inside the pairwise Message, after padding.
    let padded = hex_at(entry, "/paddedPlaintextHex")?;
    let message = unpad(&padded).map_err(|e| e.to_string())?;
    same_bytes("pairwise Message", message, &hex_at(entry, "/messageHex")?)?;
    let parsed = wa_proto::e2e::Message::decode(message).map_err(|e| e.to_string())?;
    let inner = parsed
        .sender_key_distribution_message
        .ok_or("the pairwise Message carries no SKDM")?;
    same_bytes(
        "SKDM inside the Message",
        inner
            .axolotl_sender_key_distribution_message
            .as_deref()
            .unwrap_or_default(),
        &wire,
    )
}

fn member_case(doc: &Value, entry: &Value) -> CaseResult<()> {
    let wire = hex_at(entry, "/senderKeyDistributionMessage/hex")?;
    let skdm = SenderKeyDistributionMessage::parse(&wire).map_err(|e| e.to_string())?;
    let mut record = SenderKeyRecord::new();
    process_distribution_message(&mut record, &skdm);
    for (n, m) in skmsgs(doc).into_iter().enumerate() {
        record = SenderKeyRecord::decode(&record.encode()).map_err(|e| e.to_string())?;
        let skmsg = hex_at(m, "/ciphertextHex")?;
        let padded = group_decrypt(&mut record, &skmsg).map_err(|e| format!("skmsg {n}: {e}"))?;
        same_bytes(
            &format!("skmsg {n} padded plaintext"),
            &padded,
            &hex_at(m, "/paddedPlaintextHex")?,
        )?;
        let body = unpad(&padded).map_err(|e| e.to_string())?;
        same_bytes(
            &format!("skmsg {n} Message"),
            body,
            &hex_at(m, "/messageHex")?,
        )?;
        if group_decrypt(&mut record, &skmsg).is_ok() {
            return Err(format!("skmsg {n} decrypted twice"));
        }
    }
    Ok(())
}

/// The sender's signing key pair: the recorded key pair whose role names it.
fn signing_pair(doc: &Value) -> CaseResult<KeyPair> {
    let entry = array(doc, "generatedKeyPairs")
        .iter()
        .find(|g| {
            array(g, "roles").iter().any(|r| {
                r.as_str()
                    .is_some_and(|r| r.starts_with("senderKey signingKey"))
            })
        })
        .ok_or("no recorded sender signing key")?;
    let private: [u8; 32] = hex_at(entry, "/private")?
        .try_into()
        .map_err(|_| "signing key is not 32 bytes")?;
    let pair = KeyPair::from_private_bytes(private);
    same_bytes(
        "signing public key",
        pair.public_key().as_bytes(),
        &hex_at(entry, "/public")?,
    )?;
    Ok(pair)
}

fn signatures(doc: &Value) -> CaseResult<()> {
    let key: PublicKey = *signing_pair(doc)?.public_key();
    for (n, m) in skmsgs(doc).into_iter().enumerate() {
        let message =
            SenderKeyMessage::parse(&hex_at(m, "/ciphertextHex")?).map_err(|e| e.to_string())?;
        if !message.verify_signature(&key) {
            return Err(format!("skmsg {n}: signature does not verify"));
        }
    }
    Ok(())
}

fn sender_case(doc: &Value) -> CaseResult<()> {
    let randomness = array(doc, "senderKeyRandomness");
    let key_id = randomness
        .iter()
        .find_map(|r| r.get("value").and_then(Value::as_u64))
        .and_then(|v| u32::try_from(v).ok())
        .ok_or("no recorded sender key id")?;
    let seed: [u8; 32] = randomness
        .iter()
        .find_map(|r| r.get("hex").and_then(Value::as_str))
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or("no recorded 32-byte chain seed")?;
    let signing = signing_pair(doc)?;
    let public = *signing.public_key();
    let mut record = SenderKeyRecord::new();
    record.add_state(SenderKeyState::new_own(
        SenderKeyId::new(key_id),
        SenderChainKey::new(0, seed),
        signing,
    ));
    let state = record.latest_state().ok_or("no state")?;
    let skdm = state.distribution_message();
    if let Some((_, entry)) = skdm_recipients(doc).first() {
        same_bytes(
            "our SKDM",
            skdm.serialized(),
            &hex_at(entry, "/senderKeyDistributionMessage/hex")?,
        )?;
    }
    let mut rng = rand_core::OsRng;
    for (n, m) in skmsgs(doc).into_iter().enumerate() {
        let recorded =
            SenderKeyMessage::parse(&hex_at(m, "/ciphertextHex")?).map_err(|e| e.to_string())?;
        let next = record
            .latest_state()
            .map(|s| s.chain_key().iteration())
            .ok_or("no state")?;
        let skip = recorded
            .iteration()
            .checked_sub(next)
            .ok_or_else(|| format!("skmsg {n}: recorded iteration went backwards"))?;
        let padded = hex_at(m, "/paddedPlaintextHex")?;
        let ours = if skip == 0 {
            group_encrypt(&mut record, &padded, &mut rng)
        } else {
            group_encrypt_skipping(&mut record, skip, &padded, &mut rng)
        }
        .map_err(|e| format!("skmsg {n}: {e}"))?;
        same_bytes(
            &format!("skmsg {n} signed part"),
            ours.signed_part(),
            recorded.signed_part(),
        )?;
        if !ours.verify_signature(&public) {
            return Err(format!("skmsg {n}: our signature does not verify"));
        }
    }
    Ok(())
}
