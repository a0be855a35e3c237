//! Replays `signal_1to1` files (pairwise Signal with every private key): each receiving peer
//! decrypts everything the sender sent it, and the sender, fed its recorded key pairs in order,
//! reproduces every ciphertext byte for byte and decrypts the peers' replies. Signed prekey
//! signatures are verified, never compared.

use serde_json::Value;
use wa_curve25519::{KeyPair, PrivateKey, PublicKey};
use wa_signal::{
    padding::unpad,
    prekey::verify_signed_pre_key,
    session::{self, ResponderKeys},
    x3dh, CiphertextMessage, IdentityKey, IdentityKeyPair, PreKeyBundle, PreKeyId, PreKeyRecord,
    RegistrationId, SessionRecord, SignedPreKeyId, SignedPreKeyRecord,
};

use crate::json::{array, hex_at, same_bytes, str_field, CaseResult};
use crate::recorded_rng::RecordedKeys;
use crate::report::Cases;

pub(crate) fn replay(doc: &Value) -> Cases {
    let mut cases = Cases::default();
    let mut parties = vec![doc.get("alice")];
    parties.extend(array(doc, "peers").iter().map(Some));
    for party in parties.into_iter().flatten() {
        let name = party.get("jid").and_then(Value::as_str).unwrap_or("?");
        cases.record(format!("signed prekey of {name}"), signed_prekey(party));
    }
    for peer in array(doc, "peers") {
        let jid = peer.get("jid").and_then(Value::as_str).unwrap_or("?");
        cases.record(
            format!("{jid} decrypts what it received"),
            receive(doc, peer),
        );
        cases.record(
            format!("sender reproduces what it sent {jid}"),
            send(doc, peer),
        );
    }
    cases
}

fn signed_prekey(party: &Value) -> CaseResult<()> {
    let identity = IdentityKey::new(public(party, "/identityKey/public")?);
    let spk = public(party, "/signedPreKey/public")?;
    let signature = signature(party)?;
    if verify_signed_pre_key(&identity, &spk, &signature) {
        Ok(())
    } else {
        Err("signed prekey signature does not verify".into())
    }
}

/// The peer decrypts every message addressed to it, in order. Its own ratchet keys only matter
/// for what it sends later, so fresh randomness is fine here; the reply, when recorded, is then
/// re-encrypted with the key the peer recorded and must match.
fn receive(doc: &Value, peer: &Value) -> CaseResult<()> {
    let jid = str_field(peer, "jid")?;
    let identity = identity_pair(peer)?;
    let spk = SignedPreKeyRecord::new(
        SignedPreKeyId(number(peer, "/signedPreKey/keyId")?),
        key_pair(peer, "/signedPreKey")?,
        signature(peer)?,
        0,
    );
    let opk = match peer.pointer("/preKey/keyId") {
        Some(_) => Some(PreKeyRecord::new(
            PreKeyId(number(peer, "/preKey/keyId")?),
            key_pair(peer, "/preKey")?,
        )),
        None => None,
    };
    let keys = ResponderKeys {
        identity: &identity,
        registration_id: RegistrationId(number(peer, "/registrationId")?),
        signed_pre_key: Some(&spk),
        pre_key: opk.as_ref(),
    };
    let reply = array(doc, "repliesToAlice")
        .iter()
        .find(|r| r.get("from").and_then(Value::as_str) == Some(jid));
    // The peer's own ratchet keys, generated as it decrypted (in generation order).
    let prefix = format!("peer[{jid}].decrypt:");
    let mut rng = RecordedKeys::new(recorded_keys(doc, |label, _| label.starts_with(&prefix)));
    let mut fallback = rand_core::OsRng;
    let mut record = SessionRecord::new();
    let mut replied = false;
    for (i, sent) in sent_to(doc, jid)?.iter().enumerate() {
        if sent.enc_type == "msg" && !replied {
            if let Some(reply) = reply {
                let padded = hex_at(reply, "/paddedPlaintextHex")?;
                let ours =
                    session::encrypt(&mut record, &padded).map_err(|e| format!("reply: {e}"))?;
                same_bytes(
                    "reply ciphertext",
                    ours.serialized(),
                    &hex_at(reply, "/ciphertextHex")?,
                )?;
            }
            replied = true;
        }
        let parsed = CiphertextMessage::parse(&sent.enc_type, &sent.wire)
            .map_err(|e| format!("message {i}: {e}"))?;
        let plaintext = match &parsed {
            CiphertextMessage::PreKey(pkmsg) if rng.remaining() > 0 => {
                session::decrypt_pre_key_message(&mut record, pkmsg, &keys, &mut rng)
                    .map(|d| d.plaintext)
            }
            CiphertextMessage::PreKey(pkmsg) => {
                session::decrypt_pre_key_message(&mut record, pkmsg, &keys, &mut fallback)
                    .map(|d| d.plaintext)
            }
            CiphertextMessage::Signal(msg) if rng.remaining() > 0 => {
                session::decrypt_signal_message(&mut record, msg, &mut rng)
            }
            CiphertextMessage::Signal(msg) => {
                session::decrypt_signal_message(&mut record, msg, &mut fallback)
            }
        }
        .map_err(|e| format!("message {i}: {e}"))?;
        if let Some(why) = rng.misuse.take() {
            return Err(format!("message {i}: {why}"));
        }
        same_bytes(
            &format!("message {i} padded plaintext"),
            &plaintext,
            &sent.padded,
        )?;
        let message = unpad(&plaintext).map_err(|e| format!("message {i}: {e}"))?;
        same_bytes(&format!("message {i} Message"), message, &sent.message)?;
        record = SessionRecord::deserialize(&record.serialize()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The sender rebuilds its session from the peer's bundle with its recorded base and ratchet
/// keys, encrypts the recorded plaintexts and must produce the recorded bytes. The peer's reply
/// is delivered where the sender switched from pkmsg to msg (it stops sending pkmsg only once
/// it has decrypted something from the peer).
fn send(doc: &Value, peer: &Value) -> CaseResult<()> {
    let alice = doc.get("alice").ok_or("missing alice")?;
    let me = str_field(alice, "jid")?;
    let jid = str_field(peer, "jid")?;
    let to = format!("{me} -> {jid}");
    let base = recorded_key(doc, |_, roles| roles == [format!("baseKey {to}")])
        .ok_or("no recorded base key")?;
    let ratchet = recorded_key(doc, |label, roles| {
        label.starts_with("send:") && roles == [format!("ratchetKey {to}")]
    })
    .ok_or("no recorded ratchet key")?;
    let state = x3dh::initiate(
        &identity_pair(alice)?,
        RegistrationId(number(alice, "/registrationId")?),
        &bundle(peer)?,
        &mut RecordedKeys::new([base, ratchet]),
    )
    .map_err(|e| format!("X3DH: {e}"))?;
    let mut record = SessionRecord::from_state(state);
    let reply = array(doc, "repliesToAlice")
        .iter()
        .find(|r| r.get("from").and_then(Value::as_str) == Some(jid));
    let mut replied = false;
    for (i, sent) in sent_to(doc, jid)?.iter().enumerate() {
        if sent.enc_type == "msg" && !replied {
            if let Some(reply) = reply {
                deliver_reply(doc, jid, reply, &mut record)?;
            }
            replied = true;
        }
        let ours =
            session::encrypt(&mut record, &sent.padded).map_err(|e| format!("message {i}: {e}"))?;
        if ours.enc_type() != sent.enc_type {
            return Err(format!(
                "message {i}: ours is {}, recorded {}",
                ours.enc_type(),
                sent.enc_type
            ));
        }
        same_bytes(
            &format!("message {i} ciphertext"),
            ours.serialized(),
            &sent.wire,
        )?;
        record = SessionRecord::deserialize(&record.serialize()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn deliver_reply(
    doc: &Value,
    jid: &str,
    reply: &Value,
    record: &mut SessionRecord,
) -> CaseResult<()> {
    let key = recorded_key(doc, |label, _| label == format!("deliver-reply[{jid}]"))
        .ok_or("no recorded key for the reply's ratchet step")?;
    let parsed =
        CiphertextMessage::parse(str_field(reply, "type")?, &hex_at(reply, "/ciphertextHex")?)
            .map_err(|e| format!("reply: {e}"))?;
    let CiphertextMessage::Signal(msg) = parsed else {
        return Err("the reply is not a msg".into());
    };
    let mut rng = RecordedKeys::new([key]);
    let plaintext = session::decrypt_signal_message(record, &msg, &mut rng)
        .map_err(|e| format!("reply: {e}"))?;
    same_bytes(
        "reply plaintext",
        &plaintext,
        &hex_at(reply, "/paddedPlaintextHex")?,
    )
}

struct Sent {
    enc_type: String,
    wire: Vec<u8>,
    padded: Vec<u8>,
    message: Vec<u8>,
}

fn sent_to(doc: &Value, jid: &str) -> CaseResult<Vec<Sent>> {
    array(doc, "messages")
        .iter()
        .filter_map(|m| {
            array(m, "recipients")
                .iter()
                .find(|r| r.get("recipient").and_then(Value::as_str) == Some(jid))
        })
        .map(|r| {
            Ok(Sent {
                enc_type: str_field(r, "encType")?.to_owned(),
                wire: hex_at(r, "/ciphertextHex")?,
                padded: hex_at(r, "/paddedPlaintextHex")?,
                message: hex_at(r, "/messageHex")?,
            })
        })
        .collect()
}

/// The one recorded key pair matching `pred(label, roles)`.
fn recorded_key(doc: &Value, pred: impl Fn(&str, &[String]) -> bool) -> Option<[u8; 32]> {
    match recorded_keys(doc, pred).as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

/// Every recorded private key matching `pred(label, roles)`, in generation order, each checked
/// against its recorded public key (a mismatch drops it, which then fails the replay).
pub(crate) fn recorded_keys(doc: &Value, pred: impl Fn(&str, &[String]) -> bool) -> Vec<[u8; 32]> {
    array(doc, "generatedKeyPairs")
        .iter()
        .filter(|g| {
            let roles: Vec<String> = array(g, "roles")
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            pred(g.get("label").and_then(Value::as_str).unwrap_or(""), &roles)
        })
        .filter_map(|g| {
            let private: [u8; 32] = hex_at(g, "/private").ok()?.try_into().ok()?;
            let public: [u8; 32] = hex_at(g, "/public").ok()?.try_into().ok()?;
            (KeyPair::from_private_bytes(private).public_key().as_bytes() == &public)
                .then_some(private)
        })
        .collect()
}

fn bundle(peer: &Value) -> CaseResult<PreKeyBundle> {
    let pre_key = match peer.pointer("/preKey/keyId") {
        Some(_) => Some((
            PreKeyId(number(peer, "/preKey/keyId")?),
            public(peer, "/preKey/public")?,
        )),
        None => None,
    };
    Ok(PreKeyBundle {
        registration_id: RegistrationId(number(peer, "/registrationId")?),
        identity_key: IdentityKey::new(public(peer, "/identityKey/public")?),
        signed_pre_key_id: SignedPreKeyId(number(peer, "/signedPreKey/keyId")?),
        signed_pre_key: public(peer, "/signedPreKey/public")?,
        signed_pre_key_signature: signature(peer)?,
        pre_key,
    })
}

pub(crate) fn identity_pair(party: &Value) -> CaseResult<IdentityKeyPair> {
    let pair = IdentityKeyPair::from_private_key(PrivateKey::from_bytes(key32(
        party,
        "/identityKey/private",
    )?));
    if pair.identity_key().public_key() != &public(party, "/identityKey/public")? {
        return Err("identity private key does not give the recorded public key".into());
    }
    Ok(pair)
}

pub(crate) fn key_pair(party: &Value, at: &str) -> CaseResult<KeyPair> {
    let pair = KeyPair::from_private_bytes(key32(party, &format!("{at}/private"))?);
    if *pair.public_key() != public(party, &format!("{at}/public"))? {
        return Err(format!(
            "{at}: private key does not give the recorded public key"
        ));
    }
    Ok(pair)
}

fn public(party: &Value, at: &str) -> CaseResult<PublicKey> {
    Ok(PublicKey::from_bytes(key32(party, at)?))
}

fn key32(party: &Value, at: &str) -> CaseResult<[u8; 32]> {
    hex_at(party, at)?
        .try_into()
        .map_err(|_| format!("`{at}` is not 32 bytes"))
}

pub(crate) fn signature(party: &Value) -> CaseResult<[u8; 64]> {
    hex_at(party, "/signedPreKey/signature")?
        .try_into()
        .map_err(|_| "signed prekey signature is not 64 bytes".to_owned())
}

pub(crate) fn number(party: &Value, at: &str) -> CaseResult<u32> {
    party
        .pointer(at)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("`{at}` missing"))
}
