//! Reactions to channel (newsletter) posts, sent unencrypted (whatsmeow's newsletter.go for
//! the facts): `<message to=CHANNEL id server_id type="reaction" [edit="7"]><reaction
//! [code=EMOJI]/></message>`; a removal has `edit="7"` and a `<reaction>` without `code`.
//! Posts are named by the server's id (`server_id`), not by a message key.

use wa_binary::{Jid, Node, Server};

use crate::content::{MessageId, ReactionEmoji};
use crate::error::{Error, Result, TargetError};

/// The stanza of a reaction (or, with [`ReactionEmoji::removal`], its removal) to the post
/// `server_id` of `channel`.
///
/// ```
/// use wa_session::content::{MessageId, ReactionEmoji};
/// use wa_session::send::newsletter_reaction;
/// let channel = "120363000000000009@newsletter".parse()?;
/// let id = MessageId::parse("3EB0AA")?;
/// let node = newsletter_reaction(&channel, 42, &id, &ReactionEmoji::parse("👍")?)?;
/// assert_eq!(node.attr_str("server_id"), Some("42"));
/// assert_eq!(node.child("reaction").and_then(|r| r.attr_str("code")), Some("👍"));
/// assert_eq!(node.attr_str("edit"), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::UnsupportedTarget`] with [`TargetError::ChatKind`] when `channel` is not a
/// newsletter, [`TargetError::ChatIsDevice`] when it names a device.
pub fn newsletter_reaction(
    channel: &Jid,
    server_id: u64,
    id: &MessageId,
    emoji: &ReactionEmoji,
) -> Result<Node<'static>> {
    if *channel.server() != Server::Newsletter || channel.is_server() {
        return Err(Error::UnsupportedTarget(TargetError::ChatKind));
    }
    if channel.device() != 0 {
        return Err(Error::UnsupportedTarget(TargetError::ChatIsDevice));
    }
    let mut node = Node::new("message")
        .with_attr("to", channel.clone())
        .with_attr("id", id.as_str().to_owned())
        .with_attr("server_id", server_id.to_string())
        .with_attr("type", "reaction");
    let mut reaction = Node::new("reaction");
    if emoji.is_removal() {
        node = node.with_attr("edit", "7");
    } else {
        reaction = reaction.with_attr("code", emoji.as_str().to_owned());
    }
    Ok(node.with_children(vec![reaction]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn removal_has_edit_7_and_no_code_and_other_chats_are_refused() {
        let channel: Jid = "120363000000000009@newsletter".parse().unwrap();
        let id = MessageId::parse("3EB0AA").unwrap();
        let node = newsletter_reaction(&channel, 7, &id, &ReactionEmoji::removal()).unwrap();
        assert_eq!(node.attr_str("edit"), Some("7"));
        assert_eq!(node.attr_str("type"), Some("reaction"));
        let reaction = node.child("reaction").unwrap();
        assert_eq!(reaction.attr_str("code"), None);
        let user: Jid = "15550002222@s.whatsapp.net".parse().unwrap();
        assert!(matches!(
            newsletter_reaction(&user, 7, &id, &ReactionEmoji::removal()),
            Err(Error::UnsupportedTarget(TargetError::ChatKind))
        ));
    }
}
