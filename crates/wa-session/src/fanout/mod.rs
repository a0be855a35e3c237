//! Encryption fan-out and stanza building for the send path, sans-IO (PROTOCOL.md section 5).
//!
//! The caller has fetched what a send needs (device lists by usync, prekey bundles for the
//! devices [`devices_without_session`] names) and passes it in with a Signal store, our
//! [`OwnIdentity`] and an RNG; it gets back the `<message>` node to send. Nothing here reads a
//! clock or a socket.
//!
//! - [`encrypt_direct`]: one-to-one: the recipient's devices get the message, our other
//!   devices a DeviceSentMessage, this device nothing; `pkmsg` for new sessions (and then our
//!   `<device-identity>`), `msg` otherwise. Sessions live under the address form the chat uses
//!   on the wire (LID chat, LID sessions).
//! - [`encrypt_group`]: one `skmsg` under our sender key (created when missing), its
//!   distribution message pairwise to the devices that lack it, `phash`, and
//!   `addressing_mode="lid"` for LID groups.
//! - [`encrypt_group_for`]: the same for a group kept in a [`GroupFanout`] (devices checked
//!   and `phash` computed once, sender key holders tracked): no work per member device in
//!   steady state.
//! - [`encrypt_retry`]: the answer to a [`RetryReceipt`] for one device, `<enc count=N>`.
//!
//! Module map: [`identity`](OwnIdentity) (who sends), `attrs` ([`StanzaAttrs`]), `pairwise`
//! (one device's `<enc>`), `direct`, `group`, `recipients` ([`GroupFanout`]), `retry`,
//! `bundle` (bundles from stanzas), `phash`.
//!
//! ```
//! use rand_core::OsRng;
//! use wa_proto::e2e::Message;
//! use wa_session::fanout::{encrypt_direct, Bundles, DirectMessage, MessageId, OwnIdentity, StanzaAttrs};
//! use wa_signal::{
//!     padding, protocol, store::{InMemoryStore, SignedPreKeyStore}, CiphertextMessage,
//!     IdentityKeyPair, PreKeyBundle, RegistrationId, SignedPreKeyId, SignedPreKeyRecord,
//! };
//!
//! // Bob's device 0 and its bundle (as the encrypt IQ would return it, without a one-time key).
//! let bob_identity = IdentityKeyPair::generate(&mut OsRng);
//! let mut bob = InMemoryStore::new(bob_identity.clone(), RegistrationId(7));
//! let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &bob_identity, 0, &mut OsRng);
//! bob.store_signed_pre_key(&signed)?;
//! let bob_device: wa_binary::Jid = "15550002222@s.whatsapp.net".parse()?;
//! let mut bundles = Bundles::new();
//! bundles.insert(bob_device.clone(), PreKeyBundle {
//!     registration_id: RegistrationId(7),
//!     identity_key: bob_identity.identity_key(),
//!     signed_pre_key_id: signed.id(),
//!     signed_pre_key: *signed.key_pair().public_key(),
//!     signed_pre_key_signature: *signed.signature(),
//!     pre_key: None,
//! });
//!
//! // We are device 2 of Alice.
//! let mut alice = InMemoryStore::new(IdentityKeyPair::generate(&mut OsRng), RegistrationId(9));
//! let own = OwnIdentity::new(&"15550001111@s.whatsapp.net".parse()?, None, 2, vec![1, 2, 3])?;
//! let text = Message { conversation: Some("hi".into()), ..Default::default() };
//! let attrs = StanzaAttrs::for_message(MessageId::parse("3EB0000000000000000001")?, &text);
//! let devices = [bob_device.clone(), "15550001111:2@s.whatsapp.net".parse()?];
//! let chat = bob_device.clone();
//! let sent = encrypt_direct(
//!     &mut alice, &own,
//!     &DirectMessage { chat: &chat, devices: &devices, message: &text, attrs: &attrs },
//!     &bundles, &mut OsRng,
//! )?;
//! // One <to> (our own device 2 is skipped), a pkmsg, and our device identity.
//! let to = &sent.stanza.child("participants").ok_or("participants")?.children()[0];
//! let enc = to.child("enc").ok_or("enc")?;
//! assert_eq!(enc.attr_str("type"), Some("pkmsg"));
//! assert_eq!(sent.stanza.child("device-identity").and_then(|d| d.bytes()), Some(&[1u8, 2, 3][..]));
//!
//! // Bob decrypts it.
//! let ciphertext = CiphertextMessage::parse("pkmsg", enc.bytes().ok_or("bytes")?)?;
//! let padded = protocol::decrypt(&mut bob, &"15550001111:2".parse()?, &ciphertext, &mut OsRng)?;
//! let received = <Message as prost::Message>::decode(padding::unpad(&padded)?)?;
//! assert_eq!(received.conversation.as_deref(), Some("hi"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod attrs;
mod bundle;
mod direct;
mod group;
mod identity;
mod pairwise;
mod phash;
mod recipients;
mod retry;
#[cfg(test)]
mod tests;

pub use attrs::{Edit, MessageId, StanzaAttrs, StanzaType};
pub use bundle::{bundle_from_retry_receipt, bundles_from_list};
pub use direct::{encrypt_direct, DirectMessage, Encrypted};
pub use group::{
    encrypt_group, encrypt_group_for, own_sender_key_name, GroupEncrypted, GroupMessage,
};
pub use identity::{Addressing, OwnIdentity};
pub use pairwise::{devices_without_session, Bundles};
pub use phash::participant_hash;
pub use recipients::GroupFanout;
pub use retry::{encrypt_retry, RetryMessage, RetryReceipt};
