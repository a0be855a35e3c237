//! A local WhatsApp-compatible server (the simulator), for tests, benchmarks and demos: no phone,
//! no network, no ban risk.
//!
//! What exists so far (issue 4 is being built in steps):
//!
//! * its own certificate root, derived from a seed, and a Noise static key certified by a chain
//!   from that root ([`Simulator::root_public_key`] is what clients trust);
//! * an in-memory registry of accounts (phone number JID and a random 15-digit LID) and their
//!   companion devices with their public Signal keys ([`Simulator::create_account`],
//!   [`Simulator::register_device`], [`Simulator::remove_device`]);
//! * [`Simulator::listen`]: a WebSocket server running the Noise responder
//!   ([`wa_transport::accept`]), which answers a known device's login with `<success>` and an
//!   unknown or removed one with `<failure reason="401"/>`; registration (pairing) is answered
//!   `<stream:error code="501"/>` for now;
//! * IQ handlers: ping, prekey count, prekey upload (validated: key sizes, 3-byte ids, the
//!   signed prekey's signature), prekey bundle fetch by PN or LID device JID (consuming one
//!   one-time prekey per device, per-user `404 item-not-found` for unknown devices), usync
//!   device lists (and LIDs) for PN and LID users, passive/active, and
//!   `<error code="501" text="feature-not-implemented"/>` for every other IQ. Primary phones
//!   are not simulated yet: device lists hold only registered companions;
//! * groups ([`Simulator::create_group`], [`Simulator::group`], [`Simulator::set_admin`]) with
//!   phone-number or LID addressing, their metadata IQ (`w:g2` `<query request="interactive"/>`,
//!   `403 forbidden` for non-members, `404 item-not-found` for unknown groups), and
//!   [`participant_hash`], the `phash` of a group's device list.
//!
//! `DeviceKeys` (a device's private keys, for tests and demo clients) exists only with the
//! `test-util` feature.
//!
//! ```
//! use rand_core::OsRng;
//! use wa_noise::{CertVerifier, IntroHeader};
//! use wa_sim::{login_payload, DeviceKeys, Simulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let sim = Simulator::new(42);
//! let account = sim.create_account(Some("15550001111"))?;
//! let keys = DeviceKeys::generate(5, 1_750_000_000, &mut OsRng);
//! let device = sim.register_device(&account.jid, keys.registration())?;
//!
//! let running = sim.listen("127.0.0.1:0").await?;
//! let payload = login_payload(account.jid.user(), device.jid.device()).ok_or("phone")?;
//! let mut conn = wa_transport::connect(
//!     &running.url(),
//!     keys.noise.clone(),
//!     IntroHeader::V3,
//!     &CertVerifier::new(running.root_public_key()),
//!     &payload,
//!     wa_sim::unix_now(),
//! )
//! .await?;
//! let success = conn.recv().await?.ok_or("closed")?;
//! assert_eq!(success.tag(), "success");
//! assert_eq!(success.attr_jid("lid"), Some(device.lid));
//! # Ok(())
//! # }
//! ```

mod connection;
#[cfg(feature = "test-util")]
mod device_keys;
mod error;
mod groups;
mod iq;
mod login_payload;
mod phone;
mod registry;
mod server;
mod simulator;

#[cfg(feature = "test-util")]
pub use device_keys::DeviceKeys;
pub use error::{Error, RegistrationError, Result};
pub use groups::{participant_hash, AddressingMode, GroupInfo, GroupParticipant, ParticipantRole};
pub use login_payload::login_payload;
pub use phone::{Behaviour, Outgoing, ReceiptKind, Received, ReceivedKind, SeenReceipt, TargetKey};
pub use registry::{Account, DeviceInfo, DeviceRegistration, PreKeyPublic, SignedPreKeyPublic};
pub use server::RunningSimulator;
pub use simulator::{unix_now, Simulator};
