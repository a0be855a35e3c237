//! Message content, sans-IO: ids, reaction emoji, target keys, building the messages we send
//! and reading the ones we receive.
//!
//! Nothing here touches a clock, a socket or global randomness: the time and the RNG are
//! passed in. The builders follow whatsmeow where Baileys differs (PROTOCOL.md section 5).
//!
//! ```
//! use wa_session::content::{build_reaction, read_message, Content, GroupAddressing,
//!     MessageId, NoLidMappings, ReactionEmoji, TargetKey, UnixMillis};
//!
//! // React with a heart to Bob's message in a LID group.
//! let target = TargetKey::resolve(
//!     "120363012345678901@g.us".parse()?,
//!     MessageId::parse("3A99887766554433221100")?,
//!     false,
//!     Some("987654321:3@lid".parse()?),
//!     GroupAddressing::Lid,
//!     &NoLidMappings,
//! )?;
//! assert_eq!(target.participant().map(ToString::to_string).as_deref(), Some("987654321@lid"));
//! let out = build_reaction(&target, &ReactionEmoji::parse("❤️")?, UnixMillis::new(1_700_000_000_000))?;
//!
//! // The recipient reads it back.
//! let read = read_message(&out.encode())?;
//! let Content::Reaction(reaction) = read.content() else { unreachable!() };
//! assert_eq!(reaction.target(), &target);
//! assert_eq!(reaction.emoji(), Some("❤️"));
//! # Ok::<(), wa_session::Error>(())
//! ```

mod build;
mod emoji;
mod message_id;
mod perspective;
mod read;
mod stanza_attrs;
mod target;
mod time;

pub use build::{build_reaction, build_revoke, build_text, device_sent, Outgoing};
pub use emoji::ReactionEmoji;
pub use message_id::{MessageId, MAX_MESSAGE_ID_LEN};
pub use read::{
    read_decoded, read_message, Content, Incoming, ReceivedReaction, SenderKeyDistribution,
};
pub use stanza_attrs::{EditAttribute, MessageType, StanzaAttrs};
pub use target::{GroupAddressing, LidLookup, NoLidMappings, TargetKey};
pub use time::UnixMillis;
