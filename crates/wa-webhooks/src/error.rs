//! The crate's error type.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite failed.
    #[error("webhook database: {0}")]
    Database(#[from] rusqlite::Error),
    /// Creating or securing the database file failed.
    #[error("webhook database file: {0}")]
    Io(#[from] std::io::Error),
    /// The file's webhook tables are newer than this build understands.
    #[error("webhook schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A stored row could not be read back (the named column).
    #[error("corrupt webhook row: {0}")]
    Corrupt(&'static str),
    /// A subscription URL was refused (the reason; the URL itself is not repeated, it may
    /// carry credentials).
    #[error("invalid webhook url: {0}")]
    InvalidUrl(&'static str),
    /// A subscription asked for no event types.
    #[error("a subscription needs at least one event type")]
    NoEventTypes,
    /// An event could not be serialized.
    #[error("event serialization: {0}")]
    Json(#[from] serde_json::Error),
    /// The HTTP client could not be built.
    #[error("http client: {0}")]
    HttpClient(String),
    /// A blocking database task was cancelled or panicked.
    #[error("webhook database task stopped")]
    TaskStopped,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
