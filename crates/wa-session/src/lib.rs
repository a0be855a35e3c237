//! The session engine (issue 5, being built in steps): the sans-IO pieces of a WhatsApp
//! multi-device client that the tokio session actor is assembled from.
//!
//! Nothing here is wired into an actor yet; each module says what it covers:
//! [`fanout`] encrypts a message for every device of a chat and builds the `<message>` stanza.

mod error;
pub mod fanout;

pub use error::{Error, Result};
