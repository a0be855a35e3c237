//! Reading a decrypted (and unpadded) message: what it is, which chat it belongs to when our
//! own device sent it, and any sender key it distributes.

use std::fmt;

use prost::Message as _;
use wa_binary::Jid;
use wa_proto::common::MessageKey;
use wa_proto::e2e::{protocol_message, Message};
use zeroize::Zeroizing;

use super::message_id::MessageId;
use super::target::TargetKey;
use crate::error::{ContentError, Error};

/// A decrypted message, read.
///
/// ```
/// use prost::Message as _;
/// use wa_session::content::{build_text, read_message, Content};
///
/// let bytes = build_text("hello")?.encode();
/// let read = read_message(&bytes)?;
/// assert!(matches!(read.content(), Content::Text(t) if t == "hello"));
/// assert!(read.destination().is_none());
/// # Ok::<(), wa_session::Error>(())
/// ```
#[derive(Debug)]
pub struct Incoming {
    destination: Option<Jid>,
    sender_key_distribution: Option<SenderKeyDistribution>,
    content: Content,
}

impl Incoming {
    /// The chat a message from one of our own other devices was sent to (from its
    /// `DeviceSentMessage`); `None` for messages from others.
    #[must_use]
    pub fn destination(&self) -> Option<&Jid> {
        self.destination.as_ref()
    }

    /// A sender key the message distributes, for the caller to process before any group
    /// message from that sender.
    #[must_use]
    pub fn sender_key_distribution(&self) -> Option<&SenderKeyDistribution> {
        self.sender_key_distribution.as_ref()
    }

    /// What the message says.
    #[must_use]
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Splits into destination, sender key distribution and content.
    #[must_use]
    pub fn into_parts(self) -> (Option<Jid>, Option<SenderKeyDistribution>, Content) {
        (self.destination, self.sender_key_distribution, self.content)
    }
}

/// What a message says. Keys are as the sender wrote them (its `fromMe`, its view of the chat).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Content {
    /// Plain or extended text.
    Text(String),
    /// A reaction added, changed or removed.
    Reaction(ReceivedReaction),
    /// A revoke ("delete for everyone") of the target.
    Revoke {
        /// The revoked message.
        target: TargetKey,
    },
    /// A kind of content this engine does not model (media, edits, other protocol messages):
    /// enough to know a message exists.
    Other,
    /// No content at all (e.g. a message carrying only a sender key distribution).
    Empty,
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Message text stays out of logs.
            Self::Text(text) => write!(f, "Text([{} bytes])", text.len()),
            Self::Reaction(reaction) => f.debug_tuple("Reaction").field(reaction).finish(),
            Self::Revoke { target } => f.debug_struct("Revoke").field("target", target).finish(),
            Self::Other => f.write_str("Other"),
            Self::Empty => f.write_str("Empty"),
        }
    }
}

/// A reaction as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedReaction {
    target: TargetKey,
    emoji: Option<String>,
    sender_timestamp_ms: Option<i64>,
}

impl ReceivedReaction {
    /// The message reacted to.
    #[must_use]
    pub fn target(&self) -> &TargetKey {
        &self.target
    }

    /// The emoji, or `None` when the sender removed its reaction. Not checked against the
    /// emoji list: a peer's newer emoji must not be lost.
    #[must_use]
    pub fn emoji(&self) -> Option<&str> {
        self.emoji.as_deref()
    }

    /// When the sender reacted (`senderTimestampMs`), when given.
    #[must_use]
    pub fn sender_timestamp_ms(&self) -> Option<i64> {
        self.sender_timestamp_ms
    }
}

/// A sender key distribution message: the group it is for and the serialized Signal
/// `SenderKeyDistributionMessage` (version byte included). The bytes hold a chain key: they
/// are zeroized on drop and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderKeyDistribution {
    group: Jid,
    bytes: Zeroizing<Vec<u8>>,
}

impl SenderKeyDistribution {
    /// The group (or broadcast list) the key is for.
    #[must_use]
    pub fn group(&self) -> &Jid {
        &self.group
    }

    /// The serialized `SenderKeyDistributionMessage`.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for SenderKeyDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderKeyDistribution")
            .field("group", &self.group)
            .field("bytes", &"[redacted]")
            .finish()
    }
}

/// Decodes and reads a decrypted, unpadded `Message`.
///
/// # Errors
/// [`Error::MalformedContent`] when the bytes are not a `Message`, or a reaction, revoke,
/// device-sent or sender-key part is not well formed.
pub fn read_message(plaintext: &[u8]) -> Result<Incoming, Error> {
    let message = Message::decode(plaintext).map_err(|_| malformed(ContentError::Protobuf))?;
    // prost drops fields it has no type for (media, polls, ...). When re-encoding gives fewer
    // bytes, something was dropped, so an otherwise empty message is `Other`, not `Empty`.
    let dropped_fields = message.encoded_len() != plaintext.len();
    let mut incoming = read_decoded(message)?;
    if dropped_fields && incoming.content == Content::Empty {
        incoming.content = Content::Other;
    }
    Ok(incoming)
}

/// Reads an already decoded `Message` (see [`read_message`]). Fields the decoder dropped are
/// invisible here: a message of only unmodelled kinds reads as [`Content::Empty`].
///
/// # Errors
/// As [`read_message`], without the protobuf error.
pub fn read_decoded(mut message: Message) -> Result<Incoming, Error> {
    let mut destination = None;
    if let Some(dsm) = message.device_sent_message.take() {
        let chat = dsm
            .destination_jid
            .as_deref()
            .and_then(|jid| Jid::parse(jid).ok())
            .ok_or(malformed(ContentError::DeviceSent))?;
        let inner = dsm.message.ok_or(malformed(ContentError::DeviceSent))?;
        if inner.device_sent_message.is_some() {
            return Err(malformed(ContentError::NestedDeviceSent));
        }
        destination = Some(chat);
        // Whatever the wrapper carried besides the DSM (a repeated messageContextInfo) is not
        // content; the inner message is.
        message = *inner;
    }
    let sender_key_distribution = message
        .sender_key_distribution_message
        .take()
        .map(|skdm| {
            let group = skdm
                .group_id
                .as_deref()
                .and_then(|jid| Jid::parse(jid).ok())
                .ok_or(malformed(ContentError::SenderKeyDistribution))?;
            let bytes = skdm
                .axolotl_sender_key_distribution_message
                .filter(|bytes| !bytes.is_empty())
                .ok_or(malformed(ContentError::SenderKeyDistribution))?;
            Ok::<_, Error>(SenderKeyDistribution {
                group,
                bytes: Zeroizing::new(bytes),
            })
        })
        .transpose()?;
    Ok(Incoming {
        destination,
        sender_key_distribution,
        content: content_of(message)?,
    })
}

/// The content of a message whose wrapper and sender key have been taken out.
fn content_of(mut message: Message) -> Result<Content, Error> {
    if let Some(reaction) = message.reaction_message.take() {
        let target = key_from_wire(reaction.key.as_ref())?;
        let emoji = reaction.text.filter(|text| !text.is_empty());
        return Ok(Content::Reaction(ReceivedReaction {
            target,
            emoji,
            sender_timestamp_ms: reaction.sender_timestamp_ms,
        }));
    }
    if let Some(protocol) = message.protocol_message.take() {
        // An absent type reads as the proto2 default, REVOKE (the zero value).
        let revoke = protocol_message::Type::Revoke as i32;
        if protocol.r#type.unwrap_or(revoke) == revoke {
            let target = key_from_wire(protocol.key.as_ref())?;
            return Ok(Content::Revoke { target });
        }
        return Ok(Content::Other);
    }
    if let Some(text) = message.conversation.take() {
        return Ok(Content::Text(text));
    }
    if let Some(extended) = message.extended_text_message.take() {
        return Ok(extended.text.map_or(Content::Other, Content::Text));
    }
    // A messageContextInfo alone says nothing; any other field is content we do not model.
    message.message_context_info = None;
    if message == Message::default() {
        Ok(Content::Empty)
    } else {
        Ok(Content::Other)
    }
}

/// A target key as a peer wrote it.
fn key_from_wire(key: Option<&MessageKey>) -> Result<TargetKey, Error> {
    let key = key.ok_or(malformed(ContentError::MissingKey))?;
    let chat = key
        .remote_jid
        .as_deref()
        .filter(|jid| !jid.is_empty())
        .ok_or(malformed(ContentError::MissingChat))?;
    let chat = Jid::parse(chat).map_err(|_| malformed(ContentError::KeyJid))?;
    let id = key
        .id
        .as_deref()
        .and_then(|id| MessageId::parse(id).ok())
        .ok_or(malformed(ContentError::KeyId))?;
    let participant = match key.participant.as_deref() {
        None | Some("") => None,
        Some(jid) => Some(Jid::parse(jid).map_err(|_| malformed(ContentError::KeyJid))?),
    };
    Ok(TargetKey::from_wire_parts(
        chat,
        id,
        key.from_me.unwrap_or(false),
        participant,
    ))
}

fn malformed(why: ContentError) -> Error {
    Error::MalformedContent(why)
}
