//! The Signal protocol as WhatsApp uses it, sans-IO (PROTOCOL.md section 4).
//!
//! Modules follow the protocol's objects: [`address`] (who a session belongs to), [`keys`]
//! (identities and ids), [`prekey`] (prekeys, signed prekeys, bundles), [`x3dh`] (session
//! setup), [`ratchet`] (root, chain and message keys), [`session`] (states, records, and
//! encryption on a record in memory), [`wire`] (`msg` and `pkmsg` bytes), [`padding`] (inside
//! every plaintext), [`store`] (typed store traits and an in-memory store), [`protocol`] (the
//! session operations through a store) and [`sender_key`] (groups). No I/O, no clock, no global
//! randomness: callers pass an RNG, which is also how recorded vectors are replayed (the RNG
//! hands out the recorded private keys in the order the protocol draws them).
//!
//! Two parties set up a session from a bundle and talk both ways:
//!
//! ```
//! use rand_core::OsRng;
//! use wa_signal::{
//!     padding, protocol, store::{InMemoryStore, PreKeyStore, SignedPreKeyStore},
//!     IdentityKeyPair, PreKeyBundle, PreKeyId, PreKeyRecord, ProtocolAddress, RegistrationId,
//!     SignedPreKeyId, SignedPreKeyRecord,
//! };
//!
//! let alice_address: ProtocolAddress = "15550001111:7".parse()?;
//! let bob_address: ProtocolAddress = "15550002222:0".parse()?;
//! let mut alice = InMemoryStore::new(IdentityKeyPair::generate(&mut OsRng), RegistrationId(159));
//! let bob_identity = IdentityKeyPair::generate(&mut OsRng);
//! let mut bob = InMemoryStore::new(bob_identity.clone(), RegistrationId(158));
//!
//! // Bob publishes a signed prekey and a one-time prekey; the server hands them out as a bundle.
//! let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &bob_identity, 0, &mut OsRng);
//! let one_time = PreKeyRecord::generate(PreKeyId(101), &mut OsRng);
//! bob.store_signed_pre_key(&signed)?;
//! bob.store_pre_key(&one_time)?;
//! let bundle = PreKeyBundle {
//!     registration_id: RegistrationId(158),
//!     identity_key: bob_identity.identity_key(),
//!     signed_pre_key_id: signed.id(),
//!     signed_pre_key: *signed.key_pair().public_key(),
//!     signed_pre_key_signature: *signed.signature(),
//!     pre_key: Some((one_time.id(), *one_time.key_pair().public_key())),
//! };
//!
//! // Alice starts the session; her messages are `pkmsg` until Bob answers.
//! protocol::process_pre_key_bundle(&mut alice, &bob_address, &bundle, &mut OsRng)?;
//! let mut hello = b"hello bob".to_vec();
//! padding::pad(&mut hello, &mut OsRng);
//! let first = protocol::encrypt(&mut alice, &bob_address, &hello)?;
//! assert_eq!(first.enc_type(), "pkmsg");
//!
//! // Bob decrypts (consuming his one-time prekey) and replies with a `msg`.
//! let received = protocol::decrypt(&mut bob, &alice_address, &first, &mut OsRng)?;
//! assert_eq!(padding::unpad(&received)?, b"hello bob");
//! assert!(bob.load_pre_key(PreKeyId(101))?.is_none());
//! let reply = protocol::encrypt(&mut bob, &alice_address, b"hi alice\x01")?;
//! assert_eq!(reply.enc_type(), "msg");
//!
//! // The bytes travel in an <enc type=...> node and are parsed back on the other side.
//! let on_the_wire = wa_signal::CiphertextMessage::parse(reply.enc_type(), reply.serialized())?;
//! let received = protocol::decrypt(&mut alice, &bob_address, &on_the_wire, &mut OsRng)?;
//! assert_eq!(padding::unpad(&received)?, b"hi alice");
//!
//! // Alice's messages are plain `msg` from now on.
//! let next = protocol::encrypt(&mut alice, &bob_address, b"ok\x01")?;
//! assert_eq!(next.enc_type(), "msg");
//! assert_eq!(protocol::decrypt(&mut bob, &alice_address, &next, &mut OsRng)?, b"ok\x01");
//! # Ok::<(), wa_signal::Error>(())
//! ```

pub mod address;
mod crypto;
mod error;
pub mod keys;
pub mod padding;
pub mod prekey;
pub mod protocol;
pub mod ratchet;
pub mod sender_key;
pub mod session;
pub mod store;
pub mod wire;
pub mod x3dh;

pub use address::ProtocolAddress;
pub use error::{Error, WireError};
pub use keys::{IdentityKey, IdentityKeyPair, PreKeyId, RegistrationId, SignedPreKeyId};
pub use prekey::{PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};
pub use session::{SessionRecord, SessionState};
pub use wire::{CiphertextMessage, PreKeySignalMessage, SignalMessage};
