//! Reading a server-form `<message>`: who sent it, which chat it belongs to for us, and its
//! `<enc>` children.

use wa_binary::{Jid, Node};

use crate::content::{MessageId, UnixMillis};
use crate::error::{Error, Result};
use crate::fanout::OwnIdentity;

/// The chat in our view and the device a `<message>` or `<receipt>` comes from: a group's
/// `participant`, else `from`; our own devices' stanzas name the chat in `recipient`.
///
/// # Errors
/// [`Error::MalformedStanza`] saying `no_from` or `no_participant` when that attribute is
/// missing.
pub(super) fn chat_and_device(
    node: &Node<'_>,
    own: &OwnIdentity,
    no_from: &'static str,
    no_participant: &'static str,
) -> Result<(Jid, Jid)> {
    let from = node
        .attr_jid("from")
        .ok_or(Error::MalformedStanza(no_from))?;
    Ok(if from.is_group() {
        let participant = node
            .attr_jid("participant")
            .ok_or(Error::MalformedStanza(no_participant))?;
        (from.to_non_ad(), participant)
    } else if own.is_own_user(&from) {
        let chat = node
            .attr_jid("recipient")
            .map_or_else(|| from.to_non_ad(), |chat| chat.to_non_ad());
        (chat, from)
    } else {
        (from.to_non_ad(), from)
    })
}

/// The stanza's `t` (seconds) in milliseconds, or `now` when absent or unreadable.
pub(super) fn stanza_time(node: &Node<'_>, now: UnixMillis) -> UnixMillis {
    node.attr_str("t")
        .and_then(|t| t.parse::<u64>().ok())
        .map_or(now, |secs| UnixMillis::new(secs.saturating_mul(1000)))
}

/// The envelope of a received message.
#[derive(Debug, Clone)]
pub(super) struct Envelope<'n, 'a> {
    pub(super) node: &'n Node<'a>,
    pub(super) id: MessageId,
    /// The chat in our view (group, other user, or `recipient` for our own devices' sends).
    pub(super) chat: Jid,
    /// The sending device (`participant` in groups, `from` otherwise).
    pub(super) sender: Jid,
    /// Whether one of our own devices sent it.
    pub(super) from_me: bool,
    /// `t` in milliseconds, or `now` when absent.
    pub(super) timestamp: UnixMillis,
}

impl<'n, 'a> Envelope<'n, 'a> {
    /// Reads `node`'s attributes.
    ///
    /// # Errors
    /// [`Error::MalformedStanza`] for another tag, a missing `from`, a group message without
    /// `participant`; [`Error::InvalidMessageId`].
    pub(super) fn read(node: &'n Node<'a>, own: &OwnIdentity, now: UnixMillis) -> Result<Self> {
        if node.tag() != "message" {
            return Err(Error::MalformedStanza("not a message"));
        }
        let id = MessageId::parse(
            node.attr_str("id")
                .ok_or(Error::MalformedStanza("message without id"))?,
        )?;
        let (chat, sender) = chat_and_device(
            node,
            own,
            "message without from",
            "group message without participant",
        )?;
        let timestamp = stanza_time(node, now);
        Ok(Self {
            node,
            id,
            from_me: own.is_own_user(&sender),
            chat,
            sender,
            timestamp,
        })
    }

    /// The `<enc>` children: pairwise ones (`pkmsg`, `msg`) first, then `skmsg`.
    pub(super) fn encs(&self) -> Vec<&'n Node<'a>> {
        let encs = || self.node.children_with_tag("enc");
        encs()
            .filter(|enc| enc.attr_str("type") != Some("skmsg"))
            .chain(encs().filter(|enc| enc.attr_str("type") == Some("skmsg")))
            .collect()
    }

    /// The highest `count` on the `<enc>` children (a resend answering our retry receipts).
    pub(super) fn retry_count_in_message(&self) -> u32 {
        self.node
            .children_with_tag("enc")
            .filter_map(|enc| enc.attr_str("count")?.parse::<u32>().ok())
            .max()
            .unwrap_or(0)
    }
}
