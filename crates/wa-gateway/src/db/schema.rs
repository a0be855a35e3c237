//! The gateway's tables, inside the engine's SQLite file. They are all prefixed `gw_` and
//! versioned by their own `gw_schema` table: the file's `PRAGMA user_version` belongs to
//! wa-store and is never read or written here. Migrations are only appended.

use rusqlite::{Connection, OptionalExtension as _};

use crate::error::{Error, Result};

/// Every migration, in order; migration `i` takes the gateway tables from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the initial tables. Times are unix seconds.
    r"
CREATE TABLE gw_organizations (
    id         TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE gw_api_keys (
    hash         TEXT    PRIMARY KEY CHECK (length(hash) = 64),
    org_id       TEXT    NOT NULL REFERENCES gw_organizations (id) ON DELETE CASCADE,
    capabilities TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE gw_sessions (
    id         TEXT    PRIMARY KEY,
    org_id     TEXT    NOT NULL REFERENCES gw_organizations (id),
    device_id  INTEGER,
    status     TEXT    NOT NULL,
    jid        TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE gw_messages (
    session_id TEXT    NOT NULL REFERENCES gw_sessions (id) ON DELETE CASCADE,
    wa_id      TEXT    NOT NULL,
    chat       TEXT    NOT NULL,
    sender     TEXT,
    from_me    INTEGER NOT NULL CHECK (from_me IN (0, 1)),
    status     TEXT    NOT NULL,
    origin     TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, wa_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE gw_reactions (
    session_id TEXT    NOT NULL REFERENCES gw_sessions (id) ON DELETE CASCADE,
    message_id TEXT    NOT NULL,
    reactor    TEXT    NOT NULL,
    chat       TEXT    NOT NULL,
    emoji      TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    origin     TEXT,
    reacted_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, message_id, reactor)
) STRICT, WITHOUT ROWID;

CREATE TABLE gw_idempotency (
    session_id TEXT    NOT NULL REFERENCES gw_sessions (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    result     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, key)
) STRICT, WITHOUT ROWID;
",
];

/// Creates or upgrades the gateway tables.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS gw_schema (version INTEGER NOT NULL) STRICT")?;
    let current: Option<i64> = tx
        .query_row("SELECT version FROM gw_schema", [], |row| row.get(0))
        .optional()?;
    let current = match current {
        Some(version) => version,
        None => {
            tx.execute("INSERT INTO gw_schema (version) VALUES (0)", [])?;
            0
        }
    };
    let applied = usize::try_from(current).map_err(|_| Error::Corrupt("gw_schema version"))?;
    if applied > MIGRATIONS.len() {
        return Err(Error::Corrupt(
            "the gateway tables are newer than this binary",
        ));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(migration)?;
        let version = i64::try_from(index + 1).map_err(|_| Error::Corrupt("migration count"))?;
        tx.execute("UPDATE gw_schema SET version = ?1", [version])?;
    }
    tx.commit()?;
    Ok(())
}
