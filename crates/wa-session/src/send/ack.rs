//! The server's `<ack class="message" id t [phash] [error]>` for a message we sent.

use wa_binary::Node;

use crate::content::MessageId;
use crate::error::{Error, Result};

/// What a message ack says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ack {
    /// The message id acknowledged.
    pub id: String,
    /// The server timestamp (`t`, unix seconds), when present.
    pub t: Option<u64>,
    /// The server's participant hash when it differs from the one we sent (group metadata
    /// or device lists are stale).
    pub phash: Option<String>,
    /// The refusal code (`error`), e.g. 403 for a group we are not in.
    pub error: Option<u16>,
}

/// Reads a message ack.
///
/// ```
/// use wa_binary::Node;
/// let ack = Node::new("ack").with_attr("class", "message").with_attr("id", "3EB0AA")
///     .with_attr("t", "1700000000").with_attr("phash", "2:abcd");
/// let ack = wa_session::send::parse_ack(&ack)?;
/// assert_eq!((ack.t, ack.phash.as_deref(), ack.error), (Some(1_700_000_000), Some("2:abcd"), None));
/// # Ok::<(), wa_session::Error>(())
/// ```
///
/// # Errors
/// [`Error::MalformedStanza`] for a node that is not a message ack with an id, or with an
/// `error` that is not a number.
pub fn parse_ack(node: &Node<'_>) -> Result<Ack> {
    if node.tag() != "ack" || node.attr_str("class") != Some("message") {
        return Err(Error::MalformedStanza("not a message ack"));
    }
    let id = node
        .attr_str("id")
        .ok_or(Error::MalformedStanza("ack without id"))?
        .to_owned();
    let error = node
        .attr_str("error")
        .map(|code| {
            code.parse()
                .map_err(|_| Error::MalformedStanza("ack error code"))
        })
        .transpose()?;
    Ok(Ack {
        id,
        t: node.attr_str("t").and_then(|t| t.parse().ok()),
        phash: node.attr_str("phash").map(str::to_owned),
        error,
    })
}

/// What a successful send returns.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendResult {
    /// The id our message went out with.
    pub message_id: MessageId,
    /// The server's timestamp from the ack (unix seconds; 0 when the ack had none).
    pub server_timestamp: u64,
    /// Whether this is not the first, single send of the message: the stanza had to be sent
    /// again after the connection dropped before its ack, the result is the one recorded for
    /// an idempotency key already used, or the message was sent again from the outbox.
    pub replayed: bool,
}
