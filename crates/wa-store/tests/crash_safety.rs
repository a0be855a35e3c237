//! No chain index is used twice across `kill -9`: a child SENDER process encrypts batches,
//! commits them with `Store::send_batch`, and only then appends the ciphertexts to a "wire"
//! file (length-prefixed, fsync). The parent kills it with SIGKILL after random delays, many
//! times, restarting it each time; then, as the RECEIVER (keys fixed here), it decrypts every
//! message on the wire in order and checks: all decrypt, the plaintexts are 0, 1, 2, ... with
//! no gap, and no (ratchet key, counter) appears twice.
//!
//! The child is this same test binary, re-executed with `WA_STORE_CRASH_CHILD=<dir>` running
//! only the `crash_child_entry` test (a no-op without the variable).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout,
    clippy::cast_possible_truncation
)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand_core::{CryptoRng, OsRng, RngCore};
use sha2::{Digest, Sha256};
use wa_curve25519::PrivateKey;
use wa_signal::store::{PreKeyStore, SignedPreKeyStore};
use wa_signal::{
    CiphertextMessage, IdentityKeyPair, PreKeyBundle, ProtocolAddress, RegistrationId,
    SignedPreKeyId, SignedPreKeyRecord,
};
use wa_store::{NewDevice, Store};

const CHILD_ENV: &str = "WA_STORE_CRASH_CHILD";
/// Negative control: the child writes the wire BEFORE committing (the wrong order).
const UNSAFE_ENV: &str = "WA_STORE_CRASH_UNSAFE_ORDER";
const KILLS: usize = 60;
const SENDER: &str = "15550001111:0";
const RECEIVER: &str = "15550002222:0";

/// A deterministic RNG (SHA-256 in counter mode) so parent and child derive the same
/// receiver keys. Test-only.
struct FixedRng {
    seed: [u8; 32],
    counter: u64,
}

impl FixedRng {
    fn new(label: &[u8]) -> Self {
        Self {
            seed: Sha256::digest(label).into(),
            counter: 0,
        }
    }
}

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(32) {
            let block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(self.counter.to_le_bytes())
                .finalize();
            self.counter += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for FixedRng {}

/// The receiver's fixed identity and signed prekey (no one-time prekey).
fn receiver_keys() -> (IdentityKeyPair, SignedPreKeyRecord) {
    let identity = IdentityKeyPair::from_private_key(PrivateKey::from_bytes([0x22; 32]));
    let signed = SignedPreKeyRecord::generate(
        SignedPreKeyId(1),
        &identity,
        0,
        &mut FixedRng::new(b"receiver signed prekey"),
    );
    (identity, signed)
}

fn receiver_bundle() -> PreKeyBundle {
    let (identity, signed) = receiver_keys();
    PreKeyBundle {
        registration_id: RegistrationId(2222),
        identity_key: identity.identity_key(),
        signed_pre_key_id: signed.id(),
        signed_pre_key: *signed.key_pair().public_key(),
        signed_pre_key_signature: *signed.signature(),
        pre_key: None,
    }
}

// ---- the wire file: [u32 BE length][u8 type: 0 msg, 1 pkmsg][bytes] ---------------------------

/// Complete records of the wire file and the byte length they span (a torn tail is ignored).
fn read_wire(path: &Path) -> (Vec<(u8, Vec<u8>)>, u64) {
    let mut bytes = Vec::new();
    if let Ok(mut f) = File::open(path) {
        f.read_to_end(&mut bytes).unwrap();
    }
    let mut out = Vec::new();
    let mut pos = 0usize;
    while let Some(header) = bytes.get(pos..pos + 5) {
        let len = u32::from_be_bytes(header[..4].try_into().unwrap()) as usize;
        let Some(body) = bytes.get(pos + 5..pos + 5 + len) else {
            break;
        };
        out.push((header[4], body.to_vec()));
        pos += 5 + len;
    }
    (out, pos as u64)
}

// ---- the child ------------------------------------------------------------------------------

fn child_main(dir: &Path) -> ! {
    let wire_path = dir.join("wire.bin");
    // Drop a torn tail (a record being appended at the kill never "left").
    let (records, good_len) = read_wire(&wire_path);
    let mut wire = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&wire_path)
        .unwrap();
    wire.set_len(good_len).unwrap();
    wire.sync_all().unwrap();
    // The next plaintext number continues after the last one that left.
    let mut next_seq: u64 = records.len() as u64;

    let mut store = Store::open(dir.join("sender.db")).unwrap();
    let device = match store.devices().unwrap().first() {
        Some(d) => d.id,
        None => store
            .create_device(&NewDevice {
                noise_key: wa_curve25519::KeyPair::from_private_bytes([0x01; 32]),
                identity_key: IdentityKeyPair::from_private_key(PrivateKey::from_bytes([0x11; 32])),
                registration_id: RegistrationId(1111),
                signed_prekey_id: SignedPreKeyId(1),
            })
            .unwrap(),
    };
    let receiver: ProtocolAddress = RECEIVER.parse().unwrap();
    if store.session(device, &receiver).unwrap().is_none() {
        let mut view = store.device_store(device).unwrap();
        wa_signal::protocol::process_pre_key_bundle(
            &mut view,
            &receiver,
            &receiver_bundle(),
            &mut OsRng,
        )
        .unwrap();
    }

    let wrong_order = std::env::var_os(UNSAFE_ENV).is_some();
    loop {
        let batch = 1 + (OsRng.next_u32() % 8) as u64;
        if wrong_order {
            // Encrypt on a copy, send, then persist: a kill between the two reuses indexes.
            let mut record = store.session(device, &receiver).unwrap().unwrap();
            let mut buf = Vec::new();
            for seq in next_seq..next_seq + batch {
                let mut plaintext = format!("message {seq}").into_bytes();
                wa_signal::padding::pad(&mut plaintext, &mut OsRng);
                let m = wa_signal::session::encrypt(&mut record, &plaintext).unwrap();
                frame(&mut buf, &m);
            }
            wire.write_all(&buf).unwrap();
            wire.sync_data().unwrap();
            store.put_session(device, &receiver, &record).unwrap();
            next_seq += batch;
            continue;
        }
        let committed = store
            .send_batch(device, |b| {
                let record = b.session(&receiver)?.ok_or(wa_signal::Error::NoSession)?;
                let mut out = Vec::new();
                for seq in next_seq..next_seq + batch {
                    let mut plaintext = format!("message {seq}").into_bytes();
                    wa_signal::padding::pad(&mut plaintext, &mut OsRng);
                    out.push(wa_signal::session::encrypt(record, &plaintext)?);
                }
                Ok::<_, wa_store::Error>(out)
            })
            .unwrap();
        // Committed: only now may the frames leave.
        let mut buf = Vec::new();
        for m in committed.into_inner() {
            frame(&mut buf, &m);
        }
        wire.write_all(&buf).unwrap();
        wire.sync_data().unwrap();
        next_seq += batch;
    }
}

fn frame(buf: &mut Vec<u8>, m: &CiphertextMessage) {
    let body = m.serialized();
    buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
    buf.push(u8::from(matches!(m, CiphertextMessage::PreKey(_))));
    buf.extend_from_slice(body);
}

#[test]
fn crash_child_entry() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child_main(&PathBuf::from(dir));
    }
}

// ---- the parent -----------------------------------------------------------------------------

fn spawn_child(dir: &Path, wrong_order: bool) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    if wrong_order {
        cmd.env(UNSAFE_ENV, "1");
    }
    cmd.args([
        "--exact",
        "crash_child_entry",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, dir)
    .stdout(Stdio::null())
    .stderr(Stdio::inherit())
    .spawn()
    .unwrap()
}

fn wire_len(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("wire.bin"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// What a run of the harness saw.
struct Outcome {
    kills: usize,
    messages: usize,
    chains: usize,
    reused: usize,
    failures: Vec<String>,
}

#[test]
fn no_chain_index_reused_across_sigkill() {
    let started = Instant::now();
    let o = run_harness("safe", false);
    println!(
        "crash test: {} SIGKILLs, {} messages on the wire, {} sender chains, {} chain indexes reused, {} failures, {:.1}s",
        o.kills,
        o.messages,
        o.chains,
        o.reused,
        o.failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(o.messages > KILLS, "the sender barely sent anything");
    assert_eq!(o.reused, 0, "chain index reused");
    assert!(o.failures.is_empty(), "{:?}", o.failures);
}

/// The harness can see reuse: with the frames written before the commit, kills land between
/// the two and indexes repeat. Probabilistic (a run could miss the window), hence ignored;
/// run with `cargo test -p wa-store --test crash_safety -- --ignored --nocapture`.
#[test]
#[ignore = "negative control, probabilistic"]
fn wrong_order_is_caught() {
    let o = run_harness("unsafe", true);
    println!(
        "negative control (send before commit): {} SIGKILLs, {} messages, {} chain indexes reused, {} failures",
        o.kills,
        o.messages,
        o.reused,
        o.failures.len()
    );
    assert!(o.reused > 0 && !o.failures.is_empty());
}

fn run_harness(name: &str, wrong_order: bool) -> Outcome {
    let dir = std::env::temp_dir().join(format!("wa-store-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let mut kills = 0;
    for round in 0..KILLS {
        let before = wire_len(&dir);
        let mut child = spawn_child(&dir, wrong_order);
        // Let it start sending (bounded wait), then kill at a random moment.
        let deadline = Instant::now() + Duration::from_secs(20);
        while wire_len(&dir) == before && Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("child exited on its own in round {round}: {status}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros(u64::from(OsRng.next_u32() % 40_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(!status.success());
        kills += 1;
    }

    // The receiver decrypts everything that left, in order.
    let (records, _) = read_wire(&dir.join("wire.bin"));
    let (identity, signed) = receiver_keys();
    let mut receiver_db = Store::open_in_memory().unwrap();
    let me = receiver_db
        .create_device(&NewDevice {
            noise_key: wa_curve25519::KeyPair::from_private_bytes([0x02; 32]),
            identity_key: identity,
            registration_id: RegistrationId(2222),
            signed_prekey_id: SignedPreKeyId(1),
        })
        .unwrap();
    let mut view = receiver_db.device_store(me).unwrap();
    view.store_signed_pre_key(&signed).unwrap();
    assert!(view.load_pre_key(wa_signal::PreKeyId(1)).unwrap().is_none());
    let sender: ProtocolAddress = SENDER.parse().unwrap();

    let mut seen = std::collections::HashSet::new();
    let mut reused = 0usize;
    let mut failures = Vec::new();
    let mut chains = std::collections::HashSet::new();
    for (i, (kind, body)) in records.iter().enumerate() {
        let message =
            CiphertextMessage::parse(if *kind == 1 { "pkmsg" } else { "msg" }, body).unwrap();
        let inner = match &message {
            CiphertextMessage::PreKey(m) => m.message(),
            CiphertextMessage::Signal(m) => m,
        };
        chains.insert(*inner.ratchet_key().as_bytes());
        if !seen.insert((*inner.ratchet_key().as_bytes(), inner.counter())) {
            reused += 1;
        }
        match wa_signal::protocol::decrypt(&mut view, &sender, &message, &mut OsRng) {
            Ok(padded) => {
                let text = wa_signal::padding::unpad(&padded).unwrap();
                let expected = format!("message {i}");
                if text != expected.as_bytes() {
                    failures.push(format!("#{i}: got {:?}", String::from_utf8_lossy(text)));
                }
            }
            Err(e) => failures.push(format!("#{i}: {e}")),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Outcome {
        kills,
        messages: records.len(),
        chains: chains.len(),
        reused,
        failures,
    }
}
