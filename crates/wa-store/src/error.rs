//! The crate's one error type.

/// Everything the store can fail with. Messages never carry key material or record contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite failed (I/O, corruption, constraint, busy past the timeout).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Creating or setting the permissions of the database file failed.
    #[error("database file: {0}")]
    Io(#[from] std::io::Error),
    /// The file's schema is newer than this build knows (written by a later version).
    #[error("database schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The last migration this build has.
        supported: i64,
    },
    /// A stored value does not decode (a record's protobuf, a key of the wrong length, an
    /// address that does not parse). Names the column, never the bytes.
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
    /// A user, group or address that is not well formed (empty, or not digits).
    #[error("invalid user or group id")]
    InvalidUser,
    /// No device row with this id.
    #[error("unknown device")]
    UnknownDevice,
    /// The store thread has stopped (it panicked or the handle outlived it).
    #[error("store thread stopped")]
    Closed,
    /// An outbox entry's idempotency key or message id is already in the outbox.
    #[error("outbox: idempotency key or message id already used")]
    OutboxConflict,
    /// An idempotency key, message id or timestamp the outbox cannot keep (names which).
    #[error("invalid outbox value: {0}")]
    InvalidOutboxValue(&'static str),
    /// The Signal layer rejected something while a batch was being built.
    #[error(transparent)]
    Signal(#[from] wa_signal::Error),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
