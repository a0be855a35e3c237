//! The schema as an ordered list of migrations, applied by `PRAGMA user_version`.
//!
//! Migration `i` (0-based) takes the file from version `i` to `i + 1`. Migrations are only ever
//! appended; an applied one is never edited. Each runs in its own transaction together with the
//! `user_version` bump, so a crash leaves the file at either the old or the new version.

use rusqlite::Connection;

use crate::{Error, Result};

/// Every migration, in order. Every table but `device` is keyed by the owning `device_id` first.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r"
CREATE TABLE device (
    id                  INTEGER PRIMARY KEY,
    noise_private       BLOB    NOT NULL CHECK (length(noise_private) = 32),
    identity_private    BLOB    NOT NULL CHECK (length(identity_private) = 32),
    registration_id     INTEGER NOT NULL CHECK (registration_id BETWEEN 0 AND 4294967295),
    signed_prekey_id    INTEGER NOT NULL CHECK (signed_prekey_id BETWEEN 0 AND 16777215),
    adv_signed_identity BLOB,
    jid                 TEXT,
    lid                 TEXT,
    platform            TEXT
) STRICT;

CREATE TABLE identities (
    device_id    INTEGER NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    address      TEXT    NOT NULL,
    identity_key BLOB    NOT NULL,
    PRIMARY KEY (device_id, address)
) STRICT, WITHOUT ROWID;

CREATE TABLE prekeys (
    device_id INTEGER NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    id        INTEGER NOT NULL CHECK (id BETWEEN 0 AND 16777215),
    record    BLOB    NOT NULL,
    uploaded  INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
    PRIMARY KEY (device_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE signed_prekeys (
    device_id INTEGER NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    id        INTEGER NOT NULL CHECK (id BETWEEN 0 AND 16777215),
    record    BLOB    NOT NULL,
    PRIMARY KEY (device_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
    device_id INTEGER NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    address   TEXT    NOT NULL,
    record    BLOB    NOT NULL,
    PRIMARY KEY (device_id, address)
) STRICT, WITHOUT ROWID;

CREATE TABLE sender_keys (
    device_id INTEGER NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    group_id  TEXT    NOT NULL,
    sender    TEXT    NOT NULL,
    record    BLOB    NOT NULL,
    PRIMARY KEY (device_id, group_id, sender)
) STRICT, WITHOUT ROWID;

CREATE TABLE sender_key_devices (
    device_id INTEGER NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    group_id  TEXT    NOT NULL,
    address   TEXT    NOT NULL,
    PRIMARY KEY (device_id, group_id, address)
) STRICT, WITHOUT ROWID;

CREATE TABLE lid_map (
    device_id INTEGER NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    lid_user  TEXT    NOT NULL,
    pn_user   TEXT    NOT NULL,
    PRIMARY KEY (device_id, lid_user),
    UNIQUE (device_id, pn_user)
) STRICT, WITHOUT ROWID;
",
    // 2: the durable outbox of the send path (one row per send, keyed by idempotency key).
    r"
CREATE TABLE outbox (
    seq              INTEGER PRIMARY KEY,
    device_id        INTEGER NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    idempotency_key  TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    chat             TEXT    NOT NULL,
    message          BLOB    NOT NULL,
    created_at       INTEGER NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'acked', 'failed')),
    server_timestamp INTEGER,
    error_code       INTEGER CHECK (error_code BETWEEN 0 AND 65535),
    UNIQUE (device_id, idempotency_key),
    UNIQUE (device_id, message_id)
) STRICT;

CREATE INDEX outbox_pending ON outbox (device_id, seq) WHERE state = 'pending';
",
];

/// The version a fully migrated file has.
pub(crate) fn latest_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Brings the file up to [`latest_version`], one transaction per migration.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let supported = latest_version();
    loop {
        let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if found > supported {
            return Err(Error::SchemaTooNew { found, supported });
        }
        let Some(sql) = usize::try_from(found).ok().and_then(|i| MIGRATIONS.get(i)) else {
            return Ok(());
        };
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Re-read inside the write lock: another process may have migrated meanwhile.
        let again: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if again == found {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", found + 1)?;
        }
        tx.commit()?;
    }
}
