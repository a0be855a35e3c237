//! Opening the database file: created 0600 by us, then WAL, `synchronous=FULL`, foreign keys,
//! busy timeout, migrations.

use std::fs::OpenOptions;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{schema, Result};

/// How long a writer waits for another connection's lock before `SQLITE_BUSY`.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection (more than the store has distinct statements).
const STATEMENT_CACHE: usize = 64;

/// Owner read/write only: the file holds private keys.
pub(crate) const FILE_MODE: u32 = 0o600;

/// Opens (creating if needed) the database at `path`.
///
/// The file is created here with mode 0600 before SQLite sees it, so there is no window in
/// which it exists with the umask's mode. SQLite creates `-wal` and `-shm` with the mode of
/// the database file (its `findCreateFileMode` / shared-memory open copy it), so they are 0600
/// too; we still chmod them after opening in case they pre-existed with a wider mode.
pub(crate) fn open_file(path: &Path) -> Result<Connection> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .open(path)?;
    // A pre-existing file keeps its mode under `create`; narrow it.
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    drop(file);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut conn = Connection::open_with_flags(path, flags)?;
    configure(&mut conn, true)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::set_permissions(&side, std::fs::Permissions::from_mode(FILE_MODE)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(conn)
}

/// A private in-memory database (tests, tools). Same schema, no durability.
pub(crate) fn open_memory() -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    configure(&mut conn, false)?;
    Ok(conn)
}

fn configure(conn: &mut Connection, wal: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if wal {
        // `journal_mode` answers with the mode in force; WAL persists in the file.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(crate::Error::Corrupt("journal_mode"));
        }
    }
    // FULL: every commit fsyncs the WAL before returning, so a commit that returned survives
    // power loss, not only a process crash. The send invariant depends on it (docs/store.md).
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Deleted rows (consumed one-time prekeys, replaced sessions) are overwritten with zeros,
    // so their private keys do not linger in free pages of the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
    let secure_delete: i64 = conn.pragma_query_value(None, "secure_delete", |r| r.get(0))?;
    if synchronous != 2 {
        return Err(crate::Error::Corrupt("synchronous"));
    }
    if secure_delete != 1 {
        return Err(crate::Error::Corrupt("secure_delete"));
    }
    schema::migrate(conn)?;
    Ok(())
}
