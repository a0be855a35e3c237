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
//!   unknown or removed one with `<failure reason="401"/>`;
//! * pairing: a client registering (`devicePairingData`) gets `pair-device` refs, a simulated
//!   phone scans its QR ([`Simulator::scan`], on an existing account or a new one), the
//!   client gets `pair-success` with an account-signed ADV identity, countersigns it, is
//!   registered and told to reconnect (515); every companion has a signed identity
//!   ([`Simulator::device_identity`]);
//! * IQ handlers: ping, prekey count, prekey upload (validated: key sizes, 3-byte ids, the
//!   signed prekey's signature), prekey bundle fetch by PN or LID device JID (consuming one
//!   one-time prekey per device, per-user `404 item-not-found` for unknown devices), usync
//!   device lists (and LIDs) for PN and LID users, passive/active, and
//!   `<error code="501" text="feature-not-implemented"/>` for every other IQ. Primary phones
//!   are not simulated yet: device lists hold only registered companions;
//! * groups ([`Simulator::create_group`], [`Simulator::group`], [`Simulator::set_admin`]) with
//!   phone-number or LID addressing, their metadata IQ (`w:g2` `<query request="interactive"/>`,
//!   `403 forbidden` for non-members, `404 item-not-found` for unknown groups), and
//!   [`participant_hash`], the `phash` of a group's device list;
//! * message routing: a `<message>` to a user fans out per `<to>` device (the sender's own
//!   other devices get `recipient`), a `<message>` to a group goes by sender key to every
//!   member device (LID groups: `participant` in LID form, `participant_pn`,
//!   `addressing_mode`), the sender gets `<ack t>` (the server's `phash` when its differs, an
//!   `error` code for bad requests); offline devices get their messages at login, messages
//!   not acknowledged are re-sent on the next login, an id reaches a device once (retries with
//!   `<enc count>` excepted), and receipts (delivery, read, retry with their keys) go back to
//!   the sending device;
//! * faults ([`Simulator::inject`] with a [`Fault`]: drops before or after routing, delayed or
//!   withheld acks, stream errors, seeded random drops; [`Simulator::restart`]) and an
//!   injectable [`Clock`] for every server timestamp;
//! * an HTTP control API under `/sim/` on the same port (JSON: accounts, groups, devices, info;
//!   [`RunningSimulator::control_url`]), so tools in any language can script it.
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

mod clock;
mod connection;
#[cfg(feature = "test-util")]
mod device_keys;
mod dispatch;
mod error;
mod faults;
mod groups;
mod http;
mod hub;
mod iq;
mod login_payload;
mod pairing;
mod phone;
mod phones;
mod registry;
mod routing;
mod server;
mod simulator;

pub use clock::{Clock, ManualClock, SystemClock};
#[cfg(feature = "test-util")]
pub use device_keys::DeviceKeys;
pub use error::{Error, QrError, QrField, RegistrationError, Result};
pub use faults::{Fault, StreamErrorKind};
pub use groups::{participant_hash, AddressingMode, GroupInfo, GroupParticipant, ParticipantRole};
pub use login_payload::login_payload;
pub use phone::{Behaviour, Outgoing, ReceiptKind, Received, ReceivedKind, SeenReceipt, TargetKey};
pub use registry::{Account, DeviceInfo, DeviceRegistration, PreKeyPublic, SignedPreKeyPublic};
pub use server::RunningSimulator;
pub use simulator::{unix_now, Simulator};
