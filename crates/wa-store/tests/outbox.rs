//! The outbox table: insert-or-get by idempotency key, staging in a send batch (atomic with
//! the ratchet state), pending list in order, ack and failure marks, and reopening the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wa_curve25519::KeyPair;
use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId};
use wa_store::{
    DeviceId, Error, IdempotencyKey, NewDevice, NewOutboxEntry, OutboxInsert, OutboxMessageId,
    OutboxState, Store,
};

fn device(store: &mut Store) -> DeviceId {
    store
        .create_device(&NewDevice {
            noise_key: KeyPair::from_private_bytes([3; 32]),
            identity_key: IdentityKeyPair::generate(&mut rand_core::OsRng),
            registration_id: RegistrationId(5),
            signed_prekey_id: SignedPreKeyId(1),
        })
        .unwrap()
}

fn entry(key: &str, id: &str) -> NewOutboxEntry {
    NewOutboxEntry {
        key: IdempotencyKey::new(key).unwrap(),
        message_id: OutboxMessageId::new(id).unwrap(),
        chat: "15550002222@s.whatsapp.net".into(),
        message: format!("content of {id}").into_bytes().into(),
        created_at: 1_700_000_000,
    }
}

fn id(text: &str) -> OutboxMessageId {
    OutboxMessageId::new(text).unwrap()
}

#[test]
fn insert_or_get_by_key() {
    let mut store = Store::open_in_memory().unwrap();
    let dev = device(&mut store);
    assert!(matches!(
        store.outbox_insert(dev, &entry("k1", "A1")).unwrap(),
        OutboxInsert::Inserted
    ));
    // Same key, another id: the first entry comes back, unchanged.
    let OutboxInsert::Existing(first) = store.outbox_insert(dev, &entry("k1", "B2")).unwrap()
    else {
        panic!("expected the existing entry");
    };
    assert_eq!(first.message_id, id("A1"));
    assert_eq!(first.message.as_slice(), b"content of A1");
    assert_eq!(first.state, OutboxState::Pending);
    // Another key reusing a message id is refused.
    assert!(matches!(
        store.outbox_insert(dev, &entry("k2", "A1")),
        Err(Error::OutboxConflict)
    ));
    // Debug never shows the content.
    assert!(!format!("{first:?}").contains("content of"));
}

#[test]
fn pending_acked_failed() {
    let mut store = Store::open_in_memory().unwrap();
    let dev = device(&mut store);
    for (k, i) in [("k1", "A1"), ("k2", "A2"), ("k3", "A3")] {
        store.outbox_insert(dev, &entry(k, i)).unwrap();
    }
    assert!(store
        .outbox_mark_acked(dev, &id("A2"), 1_700_000_005)
        .unwrap());
    assert!(!store.outbox_mark_acked(dev, &id("A2"), 9).unwrap(), "once");
    assert!(store.outbox_mark_failed(dev, &id("A3"), 403).unwrap());
    let pending: Vec<_> = store
        .outbox_pending(dev)
        .unwrap()
        .into_iter()
        .map(|e| e.message_id)
        .collect();
    assert_eq!(pending, [id("A1")]);
    let acked = store.outbox_by_message_id(dev, &id("A2")).unwrap().unwrap();
    assert_eq!(
        acked.state,
        OutboxState::Acked {
            server_timestamp: 1_700_000_005
        }
    );
    let key = IdempotencyKey::new("k3").unwrap();
    let failed = store.outbox_by_key(dev, &key).unwrap().unwrap();
    assert_eq!(failed.state, OutboxState::Failed { code: 403 });
    assert!(store
        .outbox_by_message_id(dev, &id("ZZ"))
        .unwrap()
        .is_none());
}

#[test]
fn staged_in_the_send_batch_and_rolled_back_with_it() {
    let mut store = Store::open_in_memory().unwrap();
    let dev = device(&mut store);
    let committed = store
        .send_batch(dev, |batch| {
            batch.insert_outbox(entry("k1", "A1"));
            Ok::<_, Error>(1)
        })
        .unwrap();
    assert_eq!(committed.into_inner(), 1);
    assert_eq!(store.outbox_pending(dev).unwrap().len(), 1);

    // A conflicting entry fails the whole batch: nothing of it is written.
    let result = store.send_batch(dev, |batch| {
        batch.insert_outbox(entry("k2", "A2"));
        batch.insert_outbox(entry("k1", "A3"));
        Ok::<_, Error>(())
    });
    assert!(matches!(result, Err(Error::OutboxConflict)));
    assert_eq!(store.outbox_pending(dev).unwrap().len(), 1);
}

#[test]
fn entries_survive_reopening() {
    let dir = std::env::temp_dir().join(format!("wa-store-outbox-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("engine.db");
    let dev = {
        let mut store = Store::open(&path).unwrap();
        let dev = device(&mut store);
        store.outbox_insert(dev, &entry("k1", "A1")).unwrap();
        dev
    };
    let store = Store::open(&path).unwrap();
    let pending = store.outbox_pending(dev).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].key.as_str(), "k1");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_and_ids_are_checked() {
    assert!(IdempotencyKey::new("").is_err());
    assert!(IdempotencyKey::new("a\nb").is_err());
    assert!(IdempotencyKey::new(&"x".repeat(257)).is_err());
    assert!(IdempotencyKey::new("order 42 ✓").is_ok());
    assert!(OutboxMessageId::new("3EB0-1").is_err());
    assert!(OutboxMessageId::new("").is_err());
}

#[test]
fn pruning_deletes_only_old_settled_entries() {
    let mut store = Store::open_in_memory().unwrap();
    let dev = device(&mut store);
    let at = |key: &str, i: &str, created_at: u64| NewOutboxEntry {
        created_at,
        ..entry(key, i)
    };
    // Old acked, old failed, old pending, recent acked.
    for (k, i, t) in [
        ("k1", "A1", 100),
        ("k2", "A2", 100),
        ("k3", "A3", 100),
        ("k4", "A4", 900),
    ] {
        store.outbox_insert(dev, &at(k, i, t)).unwrap();
    }
    let settled = store
        .outbox_settle_many(
            dev,
            &[
                (
                    id("A1"),
                    OutboxState::Acked {
                        server_timestamp: 5,
                    },
                ),
                (id("A2"), OutboxState::Failed { code: 479 }),
                (
                    id("A4"),
                    OutboxState::Acked {
                        server_timestamp: 6,
                    },
                ),
                // Unknown ids and a second mark change nothing.
                (
                    id("ZZ"),
                    OutboxState::Acked {
                        server_timestamp: 7,
                    },
                ),
                (id("A1"), OutboxState::Failed { code: 500 }),
            ],
        )
        .unwrap();
    assert_eq!(settled, 3);
    assert_eq!(store.outbox_counts(dev).unwrap(), (1, 3));

    assert_eq!(store.outbox_prune(dev, 500).unwrap(), 2);
    assert!(store
        .outbox_by_key(dev, &IdempotencyKey::new("k1").unwrap())
        .unwrap()
        .is_none());
    assert!(store
        .outbox_by_key(dev, &IdempotencyKey::new("k2").unwrap())
        .unwrap()
        .is_none());
    // The old pending entry is still to be resent; the recent acked one is kept.
    assert_eq!(store.outbox_pending(dev).unwrap().len(), 1);
    let recent = store.outbox_by_message_id(dev, &id("A4")).unwrap().unwrap();
    assert_eq!(
        recent.state,
        OutboxState::Acked {
            server_timestamp: 6
        }
    );
    assert_eq!(store.outbox_counts(dev).unwrap(), (1, 1));
    // Its key is free again only once pruned: a pruned key may be used anew.
    assert!(matches!(
        store.outbox_insert(dev, &at("k1", "B1", 1000)).unwrap(),
        OutboxInsert::Inserted
    ));
}
