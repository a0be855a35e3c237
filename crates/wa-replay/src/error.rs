//! The crate's error type.

use std::fmt;

/// Why a recording or a replay failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The replaying engine wrote something else than the transcript holds.
    #[error("{0}")]
    Mismatch(Box<Mismatch>),
    /// No scenario has this name.
    #[error("unknown scenario {0:?} (see `wa record --list`)")]
    UnknownScenario(String),
    /// A transcript file is not valid (bad JSON, hex, JID, unsupported format version).
    #[error("malformed transcript: {0}")]
    Transcript(String),
    /// Something a scenario waited for did not happen in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// A scenario step failed in the engine (its error, in words).
    #[error("engine: {0}")]
    Engine(String),
    /// The simulator refused a step while recording.
    #[error("simulator: {0}")]
    Simulator(#[from] wa_sim::Error),
    /// The store failed.
    #[error("store: {0}")]
    Store(String),
    /// A socket of the replay server or the simulator failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl From<wa_session::Error> for Error {
    fn from(error: wa_session::Error) -> Self {
        Self::Engine(error.to_string())
    }
}

impl From<wa_store::Error> for Error {
    fn from(error: wa_store::Error) -> Self {
        Self::Store(error.to_string())
    }
}

impl From<Mismatch> for Error {
    fn from(mismatch: Mismatch) -> Self {
        Self::Mismatch(Box::new(mismatch))
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a replay went off the transcript, with both sides readable.
///
/// ```
/// use wa_replay::Mismatch;
///
/// let mismatch = Mismatch {
///     connection: 1,
///     entry: 7,
///     client_frame: 3,
///     expected: "<iq id=\"1\"/>".into(),
///     actual: "<iq id=\"2\"/>".into(),
/// };
/// assert!(mismatch.to_string().contains("connection 1, entry 7 (client frame 3)"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The connection, from 0 in the transcript's order.
    pub connection: usize,
    /// The entry of that connection's list where it happened.
    pub entry: usize,
    /// How many frames the engine had written on this connection before the bad one.
    pub client_frame: usize,
    /// What the transcript holds there (the node, or a handshake message's hex).
    pub expected: String,
    /// What the engine did instead (the node it wrote, or what happened).
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replay mismatch at connection {}, entry {} (client frame {}):\n  expected: {}\n  actual:   {}",
            self.connection, self.entry, self.client_frame, self.expected, self.actual
        )
    }
}
