//! The receive path, sans-IO (PROTOCOL.md sections 4 and 5): a server-form `<message>` in,
//! typed events and the stanzas to answer it with out.
//!
//! [`handle_message`] decrypts the message's `<enc>`s (pairwise `pkmsg`/`msg`, then `skmsg`
//! under the sender key its distribution brought), reads the content
//! ([`crate::content::read_message`]) and reports a [`ReceiveEvent`]: a plain message, a
//! reaction (added, changed or removed, from the last reaction per target and actor kept in
//! [`ReceiveState`]) or a revoke. It answers with the delivery `<receipt>` and an `<ack>`; a
//! message that does not decrypt gets a retry receipt instead (with our keys from the second
//! retry on, none after the fourth); a message handled before is acknowledged again without a
//! second event. Nothing here reads a clock or a socket: `now` and the RNG are passed in.
//!
//! [`read_receipt`] reads the `<receipt>`s peers send for our messages (delivered, read,
//! played, ...).
//!
//! Module map: `stanza` (the envelope), `decrypt`, `interpret` (content to event),
//! `receipt` (receipts we get), `receipts` (those we send), `notification` (device-list and
//! identity changes), `state` and `bounded` (the
//! caller-owned memory), `events`.
//!
//! ```
//! use rand_core::OsRng;
//! use wa_binary::Node;
//! use wa_session::fanout::OwnIdentity;
//! use wa_session::receive::{handle_message, ReceiveIdentity, ReceiveState};
//! use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId};
//!
//! // Our device in an SQLite store (in memory here).
//! let mut db = wa_store::Store::open_in_memory()?;
//! let device = db.create_device(&wa_store::NewDevice {
//!     noise_key: wa_curve25519::KeyPair::generate(&mut OsRng),
//!     identity_key: IdentityKeyPair::generate(&mut OsRng),
//!     registration_id: RegistrationId(5),
//!     signed_prekey_id: SignedPreKeyId(1),
//! })?;
//! let mut store = db.device_store(device)?;
//! let own = OwnIdentity::new(&"15550001111@s.whatsapp.net".parse()?, None, 3, vec![1])?;
//! let me = ReceiveIdentity::new(own, vec![1], SignedPreKeyId(1));
//! let mut state = ReceiveState::new();
//! // A message whose ciphertext is garbage: no event, a retry receipt and an ack.
//! let message = Node::new("message")
//!     .with_attr("from", "15550002222@s.whatsapp.net".parse::<wa_binary::Jid>()?)
//!     .with_attr("id", "3EB0AABBCCDDEEFF001122")
//!     .with_attr("t", "1700000000")
//!     .with_children(vec![Node::new("enc").with_attr("v", "2").with_attr("type", "msg")
//!         .with_bytes(vec![0x33, 1, 2, 3])]);
//! let received = handle_message(&mut store, &me, &mut state, &message,
//!     wa_session::content::UnixMillis::new(1_700_000_000_000), &mut OsRng)?;
//! assert!(received.events.is_empty());
//! assert_eq!(received.replies[0].attr_str("type"), Some("retry"));
//! assert_eq!(received.replies[1].tag(), "ack");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bounded;
mod decrypt;
mod events;
mod interpret;
mod notification;
mod receipt;
mod receipts;
mod stanza;
mod state;
#[cfg(test)]
mod tests;

use rand_core::{CryptoRng, RngCore};
use wa_binary::Node;
use wa_signal::SignedPreKeyId;

use crate::content::UnixMillis;
use crate::error::Result;
use crate::fanout::OwnIdentity;

pub use decrypt::ReceiveStore;
pub use events::{
    DecryptFailure, MessageReceived, ReactionChange, ReactionEvent, ReceiveEvent, Received,
    RevokeEvent,
};
pub use notification::{notification_ack, read_notification, Notification};
pub use receipt::{read_receipt, Receipt, ReceiptKind};
pub use state::{
    ReceiveState, DEFAULT_REACTION_CAPACITY, DEFAULT_RETRY_CAPACITY, DEFAULT_SEEN_CAPACITY,
};

use decrypt::{decrypt_all, main_content, Failure};
use stanza::Envelope;

/// Who is receiving: our identity, our signed device identity (for `<keys>` in retry
/// receipts) and the id of our current signed prekey.
///
/// ```
/// use wa_session::fanout::OwnIdentity;
/// use wa_session::receive::ReceiveIdentity;
/// let own = OwnIdentity::new(&"15550001111@s.whatsapp.net".parse()?, None, 3, vec![1])?;
/// let me = ReceiveIdentity::new(own, vec![1], wa_signal::SignedPreKeyId(1));
/// assert!(me.own().is_this_device(&"15550001111:3@s.whatsapp.net".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ReceiveIdentity {
    own: OwnIdentity,
    device_identity: Vec<u8>,
    signed_pre_key_id: SignedPreKeyId,
}

impl std::fmt::Debug for ReceiveIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiveIdentity")
            .field("own", &self.own)
            .field("signed_pre_key_id", &self.signed_pre_key_id)
            .finish_non_exhaustive()
    }
}

impl ReceiveIdentity {
    /// Our identity; `device_identity` is our encoded `ADVSignedDeviceIdentity` (as given to
    /// [`OwnIdentity::new`]).
    #[must_use]
    pub fn new(
        own: OwnIdentity,
        device_identity: Vec<u8>,
        signed_pre_key_id: SignedPreKeyId,
    ) -> Self {
        Self {
            own,
            device_identity,
            signed_pre_key_id,
        }
    }

    /// Our identity as the send path sees it.
    #[must_use]
    pub fn own(&self) -> &OwnIdentity {
        &self.own
    }
}

/// Handles one server-form `<message>`: decrypts it with `store`, reports what it means and
/// gives the stanzas to send back (the receipt, then the `<ack>`). Persist `store` before
/// sending the replies.
///
/// Decrypt failures never surface as errors: they give a retry receipt
/// ([`Received::decrypt_failure`]).
///
/// # Errors
/// [`crate::Error::MalformedStanza`] / [`crate::Error::InvalidMessageId`] for a stanza that
/// cannot be answered (not a `<message>`, no `id` or `from`, a group message without
/// `participant`); store failures while building a retry receipt (e.g.
/// [`crate::Error::NotPaired`] when the signed prekey is missing).
pub fn handle_message<S, R>(
    store: &mut S,
    me: &ReceiveIdentity,
    state: &mut ReceiveState,
    node: &Node<'_>,
    now: UnixMillis,
    rng: &mut R,
) -> Result<Received>
where
    S: ReceiveStore,
    R: RngCore + CryptoRng,
{
    let envelope = Envelope::read(node, &me.own, now)?;
    let mut received = Received::default();
    if state.is_seen(&envelope.chat, &envelope.sender, &envelope.id) {
        received.replies = vec![
            receipts::delivery_receipt(&envelope),
            receipts::ack(&envelope),
        ];
        return Ok(received);
    }
    match decrypt_all(
        store,
        &envelope.chat,
        &envelope.sender,
        &envelope.encs(),
        rng,
    ) {
        Ok(read) => {
            state.mark_seen(&envelope.chat, &envelope.sender, &envelope.id);
            if let Some((destination, content)) = main_content(read) {
                received.events.push(interpret::event_for(
                    state,
                    &me.own,
                    &envelope,
                    destination,
                    content,
                ));
            }
            received.replies.push(receipts::delivery_receipt(&envelope));
        }
        Err(Failure::Duplicate) => {
            received.replies.push(receipts::delivery_receipt(&envelope));
        }
        Err(Failure::Retry(error)) => {
            tracing::debug!(id = %envelope.id.as_str(), %error, "message did not decrypt");
            let count = state.next_retry(&envelope.id, envelope.retry_count_in_message());
            let retry_sent = count < receipts::MAX_RETRY;
            if retry_sent {
                received
                    .replies
                    .push(receipts::retry_receipt(store, me, &envelope, count, rng)?);
            }
            received.decrypt_failure = Some(DecryptFailure {
                chat: envelope.chat.clone(),
                id: envelope.id.clone(),
                sender: envelope.sender.clone(),
                retry_count: count,
                retry_sent,
            });
        }
    }
    received.replies.push(receipts::ack(&envelope));
    Ok(received)
}
