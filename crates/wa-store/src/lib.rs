//! The SQLite key store of the engine: one file holding every device (account) of this
//! engine, its long-term keys, remote identities, prekeys, Signal sessions, sender keys, who
//! holds our sender keys, and the LID ↔ phone-number map. Records are the `wa_proto` record
//! messages' protobuf bytes.
//!
//! The send path advances ratchets only through [`Store::send_batch`], which commits every
//! advanced record in one durable transaction before handing back the frames to send: no chain
//! index is ever used twice, even across `kill -9` (docs/store.md).
//!
//! Sends are recorded in a durable outbox (idempotency key, message id, plaintext, state),
//! staged in the same batch as their encryption ([`SendBatch::insert_outbox`]).
//!
//! Async code uses [`StoreHandle`], which runs the store on a dedicated thread.
//!
//! ```
//! use wa_curve25519::KeyPair;
//! use wa_signal::{IdentityKeyPair, RegistrationId, SignedPreKeyId};
//! use wa_store::{NewDevice, Store};
//!
//! let mut store = Store::open_in_memory()?;
//! let device = store.create_device(&NewDevice {
//!     noise_key: KeyPair::from_private_bytes([1; 32]),
//!     identity_key: IdentityKeyPair::generate(&mut rand_core::OsRng),
//!     registration_id: RegistrationId(42),
//!     signed_prekey_id: SignedPreKeyId(1),
//! })?;
//! let peer: wa_signal::ProtocolAddress = "15550002222:0".parse()?;
//! // Encrypt a batch on working copies; frames come back only after the commit.
//! let frames = store.send_batch(device, |batch| {
//!     let _session = batch.session(&peer)?; // None: no session yet
//!     Ok::<_, wa_store::Error>(vec![b"frame".to_vec()])
//! })?;
//! assert_eq!(frames.into_inner().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod cache;
mod device;
mod error;
mod handle;
mod ids;
mod open;
mod outbox;
mod records;
mod schema;
mod send_loop;
mod signal_stores;
mod store;

pub use batch::{Committed, SendBatch};
pub use device::{Device, NewDevice, Pairing};
pub use error::{Error, Result};
pub use handle::StoreHandle;
pub use ids::{DeviceId, GroupId, LidUser, PnUser};
pub use outbox::{
    IdempotencyKey, NewOutboxEntry, OutboxEntry, OutboxInsert, OutboxMessageId, OutboxState,
    MAX_IDEMPOTENCY_KEY_LEN,
};
pub use send_loop::SendLoopReport;
pub use signal_stores::DeviceStore;
pub use store::Store;
