//! The schema, the file's mode and pragmas, and every table through the typed API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout,
    clippy::cast_possible_truncation
)]

use std::os::unix::fs::PermissionsExt;

use rand_core::OsRng;
use wa_curve25519::KeyPair;
use wa_signal::sender_key::{create_distribution_message, SenderKeyName, SenderKeyRecord};
use wa_signal::{
    IdentityKey, IdentityKeyPair, PreKeyId, PreKeyRecord, ProtocolAddress, RegistrationId,
    SessionRecord, SignedPreKeyId, SignedPreKeyRecord,
};
use wa_store::{DeviceId, GroupId, LidUser, NewDevice, Pairing, PnUser, Store};

fn new_device(seed: u8) -> NewDevice {
    NewDevice {
        noise_key: KeyPair::from_private_bytes([seed; 32]),
        identity_key: IdentityKeyPair::from_private_key(
            KeyPair::from_private_bytes([seed.wrapping_add(1); 32])
                .private_key()
                .clone(),
        ),
        registration_id: RegistrationId(1000 + u32::from(seed)),
        signed_prekey_id: SignedPreKeyId(1),
    }
}

/// A real session record (initiator side of X3DH against a fresh peer), tagged by `n`
/// messages encrypted on it so records differ.
fn session(n: usize) -> SessionRecord {
    use wa_signal::store::{InMemoryStore, SessionStore};
    let peer = IdentityKeyPair::generate(&mut OsRng);
    let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &peer, 0, &mut OsRng);
    let bundle = wa_signal::PreKeyBundle {
        registration_id: RegistrationId(7),
        identity_key: peer.identity_key(),
        signed_pre_key_id: signed.id(),
        signed_pre_key: *signed.key_pair().public_key(),
        signed_pre_key_signature: *signed.signature(),
        pre_key: None,
    };
    let mut me = InMemoryStore::new(IdentityKeyPair::generate(&mut OsRng), RegistrationId(1));
    let a = addr("15550009999:0");
    wa_signal::protocol::process_pre_key_bundle(&mut me, &a, &bundle, &mut OsRng).unwrap();
    let mut record = me.load_session(&a).unwrap().unwrap();
    for _ in 0..n {
        wa_signal::session::encrypt(&mut record, b"x\x01").unwrap();
    }
    record
}

fn same(a: &Option<SessionRecord>, b: &Option<SessionRecord>) -> bool {
    a.as_ref().map(SessionRecord::serialize) == b.as_ref().map(SessionRecord::serialize)
}

fn sk_record() -> SenderKeyRecord {
    let mut r = SenderKeyRecord::new();
    let _ = create_distribution_message(&mut r, &mut OsRng);
    r
}

fn sk_same(a: &Option<SenderKeyRecord>, b: &Option<SenderKeyRecord>) -> bool {
    a.as_ref().map(|r| r.encode().to_vec()) == b.as_ref().map(|r| r.encode().to_vec())
}

fn addr(s: &str) -> ProtocolAddress {
    s.parse().unwrap()
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wa-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn file_is_0600_wal_full_and_migrated() {
    let dir = tempdir("mode");
    let path = dir.join("engine.db");
    let mut store = Store::open(&path).unwrap();
    let id = store.create_device(&new_device(1)).unwrap();
    assert_eq!(mode(&path), 0o600);
    // The WAL and shared-memory files exist while the connection is open.
    let wal = dir.join("engine.db-wal");
    let shm = dir.join("engine.db-shm");
    assert_eq!(mode(&wal), 0o600);
    assert_eq!(mode(&shm), 0o600);
    assert_eq!(store.schema_version().unwrap(), 2);
    drop(store);

    // A pre-existing wide file is narrowed; reopening keeps the data and the version.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(store.schema_version().unwrap(), 2);
    assert!(store.device(id).unwrap().is_some());
    drop(store);

    let conn = rusqlite_check(&path);
    assert_eq!(conn.0.to_lowercase(), "wal");
    // synchronous and secure_delete are per connection: `open` checks them and refuses to run
    // without them (a mutation of either is caught there, not here).
    let _ = std::fs::remove_dir_all(&dir);
}

// Reads the journal mode and user_version back with a second, plain connection.
fn rusqlite_check(path: &std::path::Path) -> (String,) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    (mode,)
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempdir("newer");
    let path = dir.join("engine.db");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            wa_store::Error::SchemaTooNew {
                found: 99,
                supported: 2
            }
        ),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn devices_round_trip_and_cascade() {
    let mut store = Store::open_in_memory().unwrap();
    let a = store.create_device(&new_device(1)).unwrap();
    let b = store.create_device(&new_device(7)).unwrap();
    assert_ne!(a, b);
    let dev = store.device(a).unwrap().unwrap();
    assert_eq!(dev.registration_id, RegistrationId(1001));
    assert_eq!(
        dev.identity_key.identity_key().public_key(),
        KeyPair::from_private_bytes([2; 32]).public_key()
    );
    assert!(dev.jid.is_none());
    let pairing = Pairing {
        adv_signed_identity: Some(wa_proto::adv::AdvSignedDeviceIdentity {
            details: Some(vec![1, 2, 3]),
            ..Default::default()
        }),
        jid: Some("15550001111:3@s.whatsapp.net".into()),
        lid: Some("12345:3@lid".into()),
        platform: Some("Chrome".into()),
    };
    store.set_pairing(a, &pairing).unwrap();
    store.set_signed_prekey_id(a, SignedPreKeyId(9)).unwrap();
    let dev = store.device(a).unwrap().unwrap();
    assert_eq!(dev.jid.as_deref(), Some("15550001111:3@s.whatsapp.net"));
    assert_eq!(dev.adv_signed_identity, pairing.adv_signed_identity);
    assert_eq!(dev.signed_prekey_id, SignedPreKeyId(9));
    assert_eq!(store.devices().unwrap().len(), 2);
    assert!(store
        .set_pairing(DeviceId::from_raw(999), &pairing)
        .is_err());
    // Debug never shows private keys.
    assert!(!format!("{dev:?}").contains("0202"));

    // Rows are scoped by device and deleted with it.
    let p = addr("15550002222:0");
    let (s1, s2) = (Some(session(1)), Some(session(2)));
    store.put_session(a, &p, s1.as_ref().unwrap()).unwrap();
    store.put_session(b, &p, s2.as_ref().unwrap()).unwrap();
    assert!(same(&store.session(a, &p).unwrap(), &s1));
    assert!(same(&store.session(b, &p).unwrap(), &s2));
    assert!(store.delete_device(a).unwrap());
    store.clear_cache();
    assert!(store.session(a, &p).unwrap().is_none());
    assert!(same(&store.session(b, &p).unwrap(), &s2));
}

#[test]
fn identities() {
    let mut store = Store::open_in_memory().unwrap();
    let d = store.create_device(&new_device(1)).unwrap();
    let p = addr("15550002222:1");
    let k1 = IdentityKey::new(*KeyPair::from_private_bytes([5; 32]).public_key());
    let k2 = IdentityKey::new(*KeyPair::from_private_bytes([6; 32]).public_key());
    assert_eq!(store.identity(d, &p).unwrap(), None);
    assert!(!store.save_identity(d, &p, &k1).unwrap());
    assert!(!store.save_identity(d, &p, &k1).unwrap());
    assert!(store.save_identity(d, &p, &k2).unwrap());
    assert_eq!(store.identity(d, &p).unwrap(), Some(k2));
}

#[test]
fn prekeys_with_uploaded_flag() {
    let mut store = Store::open_in_memory().unwrap();
    let d = store.create_device(&new_device(1)).unwrap();
    let batch: Vec<_> = (1..=5)
        .map(|i| PreKeyRecord::generate(PreKeyId(i), &mut OsRng))
        .collect();
    store.insert_prekeys(d, &batch).unwrap();
    assert!(
        store.insert_prekeys(d, &batch[..1]).is_err(),
        "duplicate id"
    );
    assert_eq!(store.max_prekey_id(d).unwrap(), Some(PreKeyId(5)));
    assert_eq!(store.unuploaded_prekeys(d, 10).unwrap().len(), 5);
    store
        .mark_prekeys_uploaded(d, &[PreKeyId(1), PreKeyId(2)])
        .unwrap();
    let left = store.unuploaded_prekeys(d, 2).unwrap();
    assert_eq!(
        left.iter().map(PreKeyRecord::id).collect::<Vec<_>>(),
        [PreKeyId(3), PreKeyId(4)]
    );
    assert_eq!(store.uploaded_prekey_count(d).unwrap(), 2);
    assert_eq!(
        store.prekey(d, PreKeyId(2)).unwrap().map(|r| r.serialize()),
        Some(batch[1].serialize())
    );
    // Replacing keeps the uploaded flag.
    store.put_prekey(d, &batch[0]).unwrap();
    assert_eq!(store.uploaded_prekey_count(d).unwrap(), 2);
    assert!(store.remove_prekey(d, PreKeyId(2)).unwrap());
    assert!(!store.remove_prekey(d, PreKeyId(2)).unwrap());
    assert!(store.prekey(d, PreKeyId(2)).unwrap().is_none());
}

#[test]
fn signed_prekeys() {
    let mut store = Store::open_in_memory().unwrap();
    let d = store.create_device(&new_device(1)).unwrap();
    let me = IdentityKeyPair::generate(&mut OsRng);
    let r1 = SignedPreKeyRecord::generate(SignedPreKeyId(1), &me, 10, &mut OsRng);
    let r2 = SignedPreKeyRecord::generate(SignedPreKeyId(1), &me, 20, &mut OsRng);
    store.put_signed_prekey(d, &r1).unwrap();
    store.put_signed_prekey(d, &r2).unwrap();
    let got = store.signed_prekey(d, SignedPreKeyId(1)).unwrap().unwrap();
    assert_eq!(got.serialize(), r2.serialize());
    assert!(got.verify(&me.identity_key()));
    assert!(store.remove_signed_prekey(d, SignedPreKeyId(1)).unwrap());
    assert!(store.signed_prekey(d, SignedPreKeyId(1)).unwrap().is_none());
}

#[test]
fn sessions_and_cache() {
    let mut store = Store::open_in_memory().unwrap();
    let d = store.create_device(&new_device(1)).unwrap();
    let p = addr("15550002222:0");
    let q = addr("12345_1:2");
    let s1 = Some(session(1));
    store.put_session(d, &p, s1.as_ref().unwrap()).unwrap();
    store.put_session(d, &q, &session(2)).unwrap();
    store.clear_cache();
    assert!(same(&store.session(d, &p).unwrap(), &s1));
    assert!(same(&store.session(d, &p).unwrap(), &s1));
    let (hits, misses) = store.session_cache_stats();
    assert_eq!((hits, misses), (1, 1));
    assert_eq!(
        store.session_addresses(d).unwrap(),
        vec![q.clone(), p.clone()]
    );
    assert!(store.remove_session(d, &p).unwrap());
    assert!(store.session(d, &p).unwrap().is_none());
}

#[test]
fn sender_keys_and_holders() {
    let mut store = Store::open_in_memory().unwrap();
    let d = store.create_device(&new_device(1)).unwrap();
    let g = GroupId::new("120363012345678901@g.us").unwrap();
    let me = SenderKeyName::new(g.as_str(), addr("15550001111:0")).unwrap();
    let rec = Some(sk_record());
    store.put_sender_key(d, &me, rec.as_ref().unwrap()).unwrap();
    store.clear_cache();
    assert!(sk_same(&store.sender_key(d, &me).unwrap(), &rec));
    let holders = [addr("15550002222:0"), addr("15550002222:3")];
    store.add_sender_key_devices(d, &g, &holders).unwrap();
    store.add_sender_key_devices(d, &g, &holders[..1]).unwrap();
    assert_eq!(store.sender_key_devices(d, &g).unwrap(), holders.to_vec());
    assert_eq!(store.clear_sender_key_devices(d, &g).unwrap(), 2);
    assert!(store.sender_key_devices(d, &g).unwrap().is_empty());
    assert!(store.remove_sender_key(d, &me).unwrap());
    assert!(store.sender_key(d, &me).unwrap().is_none());
}

#[test]
fn lid_map_both_ways() {
    let mut store = Store::open_in_memory().unwrap();
    let d = store.create_device(&new_device(1)).unwrap();
    let lid = LidUser::new("123456789").unwrap();
    let pn = PnUser::new("15550002222").unwrap();
    store.put_lid_mapping(d, &lid, &pn).unwrap();
    assert_eq!(store.lid_for_pn(d, &pn).unwrap(), Some(lid.clone()));
    assert_eq!(store.pn_for_lid(d, &lid).unwrap(), Some(pn.clone()));
    // The account changed number: the old pairing goes.
    let pn2 = PnUser::new("15550003333").unwrap();
    store.put_lid_mapping(d, &lid, &pn2).unwrap();
    assert_eq!(store.lid_for_pn(d, &pn).unwrap(), None);
    assert_eq!(store.pn_for_lid(d, &lid).unwrap(), Some(pn2));
    assert!(LidUser::new("12a").is_err());
    assert!(PnUser::new("").is_err());
}

#[test]
fn send_batch_commits_all_or_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let d = store.create_device(&new_device(1)).unwrap();
    let p = addr("15550002222:0");
    let q = addr("15550003333:0");
    let g = GroupId::new("1203630@g.us").unwrap();
    let me = SenderKeyName::new(g.as_str(), addr("15550001111:0")).unwrap();
    let base = Some(session(0));
    store.put_session(d, &p, base.as_ref().unwrap()).unwrap();

    // A failing batch writes nothing and leaves the cache as it was.
    let err = store.send_batch(d, |b| {
        wa_signal::session::encrypt(b.session(&p)?.unwrap(), b"m\x01")?;
        b.set_session(&q, session(0));
        Err::<(), _>(wa_store::Error::Closed)
    });
    assert!(err.is_err());
    assert!(same(&store.session(d, &p).unwrap(), &base));
    assert!(store.session(d, &q).unwrap().is_none());

    // A good batch writes every touched record, then hands the frames back.
    let sk = sk_record();
    let mut expected = base.clone().unwrap();
    let frames = store
        .send_batch(d, |b| {
            let mut out = Vec::new();
            for _ in 0..3 {
                out.push(wa_signal::session::encrypt(
                    b.session(&p)?.unwrap(),
                    b"m\x01",
                )?);
            }
            b.set_session(&q, session(0));
            b.set_sender_key(&me, sk.clone());
            b.add_sender_key_device(&g, &p);
            assert_eq!(b.touched(), 3);
            Ok::<_, wa_store::Error>(out)
        })
        .unwrap();
    for _ in 0..3 {
        wa_signal::session::encrypt(&mut expected, b"m\x01").unwrap();
    }
    assert_eq!(frames.get().len(), 3);
    assert!(
        same(&store.session(d, &p).unwrap(), &Some(expected.clone())),
        "cache"
    );
    store.clear_cache();
    assert!(
        same(&store.session(d, &p).unwrap(), &Some(expected)),
        "file"
    );
    assert!(store.session(d, &q).unwrap().is_some());
    assert!(sk_same(&store.sender_key(d, &me).unwrap(), &Some(sk)));
    assert_eq!(store.sender_key_devices(d, &g).unwrap(), vec![p.clone()]);

    // Unknown device: refused before anything runs.
    let r = store.send_batch(DeviceId::from_raw(77), |_| Ok::<_, wa_store::Error>(()));
    assert!(matches!(r, Err(wa_store::Error::UnknownDevice)));
}

#[tokio::test(flavor = "current_thread")]
async fn handle_runs_off_the_runtime() {
    let dir = tempdir("handle");
    let handle = wa_store::StoreHandle::open(dir.join("e.db")).await.unwrap();
    let d = handle
        .call(|s| s.create_device(&new_device(3)))
        .await
        .unwrap()
        .unwrap();
    let p = addr("15550002222:0");
    let p2 = p.clone();
    let rec = Some(session(0));
    let rec2 = rec.clone().unwrap();
    handle
        .call(move |s| s.put_session(d, &p2, &rec2))
        .await
        .unwrap()
        .unwrap();
    let clone = handle.clone();
    let got = clone
        .call(move |s| s.session(d, &p))
        .await
        .unwrap()
        .unwrap();
    assert!(same(&got, &rec));
    drop((handle, clone));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn send_loop_hook_counts_batches() {
    let dir = tempdir("loop");
    let mut store = Store::open(dir.join("e.db")).unwrap();
    let d = store.create_device(&new_device(1)).unwrap();
    let p = addr("15550002222:0");
    let base = session(0);
    store.put_session(d, &p, &base).unwrap();
    let report = store
        .run_send_loop(d, &p, 100, 16, b"reaction\x01")
        .unwrap();
    assert_eq!((report.messages, report.batches), (100, 7));
    println!(
        "send loop: {:?} per message (batch 16, debug build)",
        report.per_message()
    );
    // The file holds the state after all 100 messages.
    let mut expected = base;
    for _ in 0..100 {
        wa_signal::session::encrypt(&mut expected, b"reaction\x01").unwrap();
    }
    store.clear_cache();
    assert!(same(&store.session(d, &p).unwrap(), &Some(expected)));
    let missing = addr("15550009999:1");
    assert!(store.run_send_loop(d, &missing, 1, 1, b"x\x01").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn signal_protocol_through_device_stores() {
    use wa_signal::store::{PreKeyStore, SignedPreKeyStore};
    // Alice and Bob are two devices in ONE file; Bob receives via his DeviceStore.
    let mut store = Store::open_in_memory().unwrap();
    let alice = store.create_device(&new_device(10)).unwrap();
    let bob = store.create_device(&new_device(20)).unwrap();
    let bob_identity = store.local_identity(bob).unwrap().0;
    let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &bob_identity, 0, &mut OsRng);
    let one_time = PreKeyRecord::generate(PreKeyId(5), &mut OsRng);
    {
        let mut view = store.device_store(bob).unwrap();
        view.store_signed_pre_key(&signed).unwrap();
        view.store_pre_key(&one_time).unwrap();
    }
    let bundle = wa_signal::PreKeyBundle {
        registration_id: RegistrationId(1020),
        identity_key: bob_identity.identity_key(),
        signed_pre_key_id: signed.id(),
        signed_pre_key: *signed.key_pair().public_key(),
        signed_pre_key_signature: *signed.signature(),
        pre_key: Some((one_time.id(), *one_time.key_pair().public_key())),
    };
    let (a_addr, b_addr) = (addr("15550001111:0"), addr("15550002222:0"));
    let frames = store
        .send_batch(alice, |batch| {
            wa_signal::protocol::process_pre_key_bundle(batch, &b_addr, &bundle, &mut OsRng)?;
            let mut out = Vec::new();
            for i in 0..3u8 {
                out.push(wa_signal::protocol::encrypt(batch, &b_addr, &[b'a', i, 1])?);
            }
            Ok::<_, wa_store::Error>(out)
        })
        .unwrap()
        .into_inner();
    assert_eq!(
        store.identity(alice, &b_addr).unwrap(),
        Some(bob_identity.identity_key())
    );
    let mut view = store.device_store(bob).unwrap();
    for (i, m) in frames.iter().enumerate() {
        let got = wa_signal::protocol::decrypt(&mut view, &a_addr, m, &mut OsRng).unwrap();
        assert_eq!(got, [b'a', i as u8, 1]);
    }
    assert!(
        view.load_pre_key(PreKeyId(5)).unwrap().is_none(),
        "one-time prekey consumed"
    );
}

/// Regression (review finding): a consumed one-time prekey's private key used to stay in the
/// file's free pages. With `secure_delete` it is gone once the row is deleted and the store
/// closed (the WAL is checkpointed and removed on close).
#[test]
fn removed_prekey_private_key_is_erased_from_the_file() {
    let dir = tempdir("erase");
    let path = dir.join("e.db");
    let secret = [0xA7u8; 32];
    let contains_secret = |dir: &std::path::Path| {
        std::fs::read_dir(dir).unwrap().any(|entry| {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            bytes.windows(32).any(|w| w == secret)
        })
    };
    let mut store = Store::open(&path).unwrap();
    let d = store.create_device(&new_device(3)).unwrap();
    let prekey = PreKeyRecord::new(PreKeyId(77), KeyPair::from_private_bytes(secret));
    store.insert_prekeys(d, &[prekey]).unwrap();
    drop(store);
    assert!(
        contains_secret(&dir),
        "the test must be able to see the key"
    );

    let mut store = Store::open(&path).unwrap();
    assert!(store.remove_prekey(d, PreKeyId(77)).unwrap());
    drop(store);
    assert!(
        !contains_secret(&dir),
        "the deleted prekey's private key is still on disk"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
