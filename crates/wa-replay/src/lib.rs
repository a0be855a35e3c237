//! Deterministic record and replay of engine sessions (issue 5).
//!
//! A **recording** runs a [`Scenario`] against an in-process simulator (seeded, on a stopped
//! clock) with a [`wa_transport::FrameTap`] on the engine's connections, and writes a
//! [`Transcript`]: the engine's seed, clock and settings, the simulator's certificate root,
//! the paired device the store started with, and every Noise frame of every connection both
//! ways with the node it carries. Everything random in the engine (keys, message ids, IQ ids,
//! the Noise ephemeral) derives from the seed, and the simulator's from its own, so recording
//! a scenario twice gives the same transcript.
//!
//! A **replay** gives a fresh engine the same seed, clock, settings and store and runs the
//! same script against a scripted WebSocket server that sends the recorded server frames and
//! checks that each frame the engine writes is byte-identical to the recorded one. Frames are
//! compared one by one, not per WebSocket message, so batching does not matter; a server frame
//! is released only after every client frame recorded before it arrived, and scripts settle
//! ([`Driver::settle`]) between steps, so the order does not depend on timing. A difference is
//! an [`Error::Mismatch`] naming the connection and frame, with the expected and the actual
//! node.
//!
//! The built-in scenarios ([`SCENARIOS`]) are recorded under `fixtures/transcripts/` and
//! replayed by `cargo test`; `wa record` and `wa replay` do the same from the command line.
//!
//! ```no_run
//! # async fn demo() -> wa_replay::Result<()> {
//! for scenario in wa_replay::SCENARIOS {
//!     let transcript = wa_replay::record(scenario).await?;
//!     wa_replay::replay(&transcript).await?;
//! }
//! # Ok(()) }
//! ```

mod driver;
mod error;
mod recorder;
mod run;
mod scenario;
mod scenarios;
mod server;
mod setup;
mod transcript;

pub use driver::Driver;
pub use error::{Error, Mismatch, Result};
pub use run::{record, replay, replay_with};
pub use scenario::{Scenario, ScriptFuture, World};
pub use scenarios::{scenario, SCENARIOS};
pub use setup::{FixedClock, RECORDING_CLOCK, RECORDING_SETTINGS};
pub use transcript::{
    Connection, Dir, EngineSettings, Entry, Frame, StartingDevice, Transcript, FORMAT_VERSION,
};
