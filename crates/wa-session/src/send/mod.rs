//! The send path's sans-IO parts (PROTOCOL.md section 5): what the caller names as a target,
//! the IQs a send needs (usync device lists and LIDs, group metadata, prekey bundles) and
//! reading their answers, the LID <-> phone-number mappings, and reading the server's
//! `<ack class="message">`.
//!
//! The session actor ([`crate::Session::send_text`], [`react`](crate::Session::react),
//! [`unreact`](crate::Session::unreact), [`revoke`](crate::Session::revoke)) runs them.
//!
//! ```
//! use wa_session::send::{parse_ack, TargetRef};
//! use wa_session::content::MessageId;
//!
//! let target = TargetRef::theirs(MessageId::parse("3A0011")?, Some("15550002222@s.whatsapp.net".parse()?));
//! assert!(!target.from_me());
//! let ack = wa_binary::Node::new("ack").with_attr("class", "message").with_attr("id", "3EB0AA")
//!     .with_attr("t", "1700000000").with_attr("error", "403");
//! assert_eq!(parse_ack(&ack)?.error, Some(403));
//! # Ok::<(), wa_session::Error>(())
//! ```

mod ack;
mod group_info;
mod lid;
mod newsletter;
mod target;
mod usync;

pub use ack::{parse_ack, Ack, SendResult};
pub use group_info::{group_query, GroupInfo, GroupMember};
pub use lid::{lid_mappings_in, lids_query, parse_lids, LidMapping};
pub use newsletter::newsletter_reaction;
pub use target::TargetRef;
pub use usync::{bundles_query, devices_query, parse_devices};
