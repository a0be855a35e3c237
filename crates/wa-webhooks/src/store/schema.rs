//! The webhook tables' own migrations, versioned in `webhook_schema_version`.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::{Error, Result};

/// Migration `i` takes the tables from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &["
CREATE TABLE webhook_subscriptions (
    id            TEXT PRIMARY KEY,
    org           TEXT NOT NULL,
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX webhook_subscriptions_by_org ON webhook_subscriptions (org);

CREATE TABLE webhook_deliveries (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT NOT NULL UNIQUE,
    event_id           TEXT NOT NULL,
    subscription_id    TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_type         TEXT NOT NULL,
    body               TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    finished_at_ms     INTEGER,
    last_status        INTEGER,
    last_error         TEXT
) STRICT;

CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, seq);
"];

fn supported() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// The version recorded in the file (0 before the first migration).
pub(super) fn version(conn: &Connection) -> Result<i64> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'webhook_schema_version')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    Ok(conn
        .query_row("SELECT version FROM webhook_schema_version", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or(0))
}

/// Brings the webhook tables to the newest version in one write transaction, so a second
/// process opening the file at the same time waits and then finds nothing to do.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS webhook_schema_version (version INTEGER NOT NULL) STRICT;",
    )?;
    let found = version(&tx)?;
    let supported = supported();
    if found > supported {
        return Err(Error::SchemaTooNew { found, supported });
    }
    for sql in MIGRATIONS
        .iter()
        .skip(usize::try_from(found).unwrap_or(usize::MAX))
    {
        tx.execute_batch(sql)?;
    }
    if found < supported {
        tx.execute("DELETE FROM webhook_schema_version", [])?;
        tx.execute(
            "INSERT INTO webhook_schema_version (version) VALUES (?1)",
            [supported],
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_leaves_user_version_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 7).unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), supported());
        let user_version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(user_version, 7);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute("UPDATE webhook_schema_version SET version = 99", [])
            .unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(Error::SchemaTooNew { found: 99, .. })
        ));
    }
}
