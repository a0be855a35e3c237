//! Reading a `<receipt>` the server forwards for messages we sent (whatsmeow's receipt.go and
//! message.go for the facts): `from` is the device that saw the message, or for groups the
//! group with `participant` the device; `id` plus any `<list><item id/>` name the messages;
//! `type` says how far they got (absent: delivered); `t` is the server's time in seconds; a
//! receipt from one of our own devices names the chat in `recipient`.

use wa_binary::{Jid, Node};

use crate::content::{MessageId, UnixMillis};
use crate::error::{Error, Result};
use crate::fanout::OwnIdentity;

use super::stanza::{chat_and_device, stanza_time};

/// How far a message got, as a `<receipt type>` says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReceiptKind {
    /// No `type`: the message reached the device.
    Delivered,
    /// `sender`: one of our own other devices got the copy of a message we sent.
    Sender,
    /// `read`: the user saw it.
    Read,
    /// `read-self`: read on one of our own devices (read receipts switched off).
    ReadSelf,
    /// `played`: a voice or view-once message was played.
    Played,
    /// `played-self`: played on one of our own devices.
    PlayedSelf,
    /// `inactive`: delivered to a device that is not active.
    Inactive,
    /// `server-error`: the server could not deliver it.
    ServerError,
    /// Any other `type` (e.g. `peer_msg`, `hist_sync`), as written.
    Other(String),
}

impl ReceiptKind {
    /// The kind for a `type` attribute (`None`: delivered).
    ///
    /// ```
    /// use wa_session::receive::ReceiptKind;
    /// assert_eq!(ReceiptKind::from_attr(None), ReceiptKind::Delivered);
    /// assert_eq!(ReceiptKind::from_attr(Some("read")), ReceiptKind::Read);
    /// assert_eq!(ReceiptKind::from_attr(Some("peer_msg")), ReceiptKind::Other("peer_msg".into()));
    /// ```
    #[must_use]
    pub fn from_attr(kind: Option<&str>) -> Self {
        match kind {
            None | Some("") => Self::Delivered,
            Some("sender") => Self::Sender,
            Some("read") => Self::Read,
            Some("read-self") => Self::ReadSelf,
            Some("played") => Self::Played,
            Some("played-self") => Self::PlayedSelf,
            Some("inactive") => Self::Inactive,
            Some("server-error") => Self::ServerError,
            Some(other) => Self::Other(other.to_owned()),
        }
    }
}

/// A receipt for messages we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Receipt {
    /// The chat the messages are in, in our view (the group, the other user, or for our own
    /// devices' receipts the chat the message went to).
    pub chat: Jid,
    /// The messages it covers (at least one).
    pub message_ids: Vec<MessageId>,
    /// The device that sent the receipt.
    pub from: Jid,
    /// How far the messages got.
    pub kind: ReceiptKind,
    /// The server's timestamp (`t`), or `now` when absent.
    pub time: UnixMillis,
}

/// Reads a `<receipt>`. Retry receipts give `Ok(None)`: they ask for a resend (which the
/// session answers) and say nothing about the message's progress.
///
/// ```
/// use wa_binary::{Jid, Node};
/// use wa_session::fanout::OwnIdentity;
/// use wa_session::receive::{read_receipt, ReceiptKind};
/// let own = OwnIdentity::new(&"15550001111@s.whatsapp.net".parse()?, None, 3, vec![])?;
/// let node = Node::new("receipt")
///     .with_attr("from", "15550002222:2@s.whatsapp.net".parse::<Jid>()?)
///     .with_attr("id", "3EB0AA").with_attr("t", "1700000000").with_attr("type", "read")
///     .with_children(vec![Node::new("list").with_children(vec![
///         Node::new("item").with_attr("id", "3EB0BB")])]);
/// let receipt = read_receipt(&node, &own, wa_session::content::UnixMillis::new(0))?.ok_or("retry")?;
/// assert_eq!(receipt.kind, ReceiptKind::Read);
/// assert_eq!(receipt.chat.to_string(), "15550002222@s.whatsapp.net");
/// assert_eq!(receipt.message_ids.len(), 2);
/// assert_eq!(receipt.time.as_secs(), 1_700_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::MalformedStanza`] for another tag, a missing `from`, a group receipt without
/// `participant`; [`Error::InvalidMessageId`] for a bad id.
pub fn read_receipt(
    node: &Node<'_>,
    own: &OwnIdentity,
    now: UnixMillis,
) -> Result<Option<Receipt>> {
    if node.tag() != "receipt" {
        return Err(Error::MalformedStanza("not a receipt"));
    }
    if node.attr_str("type") == Some("retry") {
        return Ok(None);
    }
    let (chat, device) = chat_and_device(
        node,
        own,
        "receipt without from",
        "group receipt without participant",
    )?;
    let mut message_ids = vec![MessageId::parse(
        node.attr_str("id")
            .ok_or(Error::MalformedStanza("receipt without id"))?,
    )?];
    if let Some(list) = node.child("list") {
        for item in list.children_with_tag("item") {
            if let Some(id) = item.attr_str("id") {
                message_ids.push(MessageId::parse(id)?);
            }
        }
    }
    let time = stanza_time(node, now);
    Ok(Some(Receipt {
        chat,
        message_ids,
        from: device,
        kind: ReceiptKind::from_attr(node.attr_str("type")),
        time,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn own() -> OwnIdentity {
        OwnIdentity::new(
            &"15550001111@s.whatsapp.net".parse().unwrap(),
            Some(&"100000000000001@lid".parse().unwrap()),
            3,
            vec![],
        )
        .unwrap()
    }

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    #[test]
    fn group_receipts_name_the_group_and_the_reading_device() {
        let node = Node::new("receipt")
            .with_attr("from", jid("120363000000000001@g.us"))
            .with_attr("participant", jid("200000000000002:4@lid"))
            .with_attr("id", "3EB0AA")
            .with_attr("type", "played");
        let receipt = read_receipt(&node, &own(), UnixMillis::new(5_000))
            .unwrap()
            .unwrap();
        assert_eq!(receipt.chat, jid("120363000000000001@g.us"));
        assert_eq!(receipt.from, jid("200000000000002:4@lid"));
        assert_eq!(receipt.kind, ReceiptKind::Played);
        assert_eq!(receipt.time, UnixMillis::new(5_000), "no t: now");
    }

    #[test]
    fn own_devices_receipts_name_the_chat_in_recipient() {
        let node = Node::new("receipt")
            .with_attr("from", jid("100000000000001:7@lid"))
            .with_attr("recipient", jid("200000000000002@lid"))
            .with_attr("id", "3EB0AA")
            .with_attr("type", "sender");
        let receipt = read_receipt(&node, &own(), UnixMillis::new(0))
            .unwrap()
            .unwrap();
        assert_eq!(receipt.chat, jid("200000000000002@lid"));
        assert_eq!(receipt.from, jid("100000000000001:7@lid"));
        assert_eq!(receipt.kind, ReceiptKind::Sender);
    }

    #[test]
    fn retry_receipts_are_not_progress_and_bad_ones_are_refused() {
        let retry = Node::new("receipt")
            .with_attr("from", jid("15550002222@s.whatsapp.net"))
            .with_attr("id", "3EB0AA")
            .with_attr("type", "retry");
        assert!(read_receipt(&retry, &own(), UnixMillis::new(0))
            .unwrap()
            .is_none());
        let group_without_participant = Node::new("receipt")
            .with_attr("from", jid("120363000000000001@g.us"))
            .with_attr("id", "3EB0AA");
        assert!(read_receipt(&group_without_participant, &own(), UnixMillis::new(0)).is_err());
        let bad_id = Node::new("receipt")
            .with_attr("from", jid("15550002222@s.whatsapp.net"))
            .with_attr("id", "not an id");
        assert!(read_receipt(&bad_id, &own(), UnixMillis::new(0)).is_err());
    }
}
