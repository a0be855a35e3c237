//! The session engine (issue 5, being built in steps): the sans-IO pieces of a WhatsApp
//! multi-device client that the tokio session actor is assembled from.
//!
//! Nothing here is wired into an actor yet; each module says what it covers.

pub mod content;
mod error;

pub use error::{ContentError, Error, MessageIdError, Result, TargetError};
