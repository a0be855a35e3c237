//! A local WhatsApp-compatible server (the simulator), for tests, benchmarks and demos: no phone,
//! no network, no ban risk.
//!
//! It is a small server, one module per concern: the handshake and the connection loop
//! (`connection`, `server`), accounts and devices (`registry`), the simulated primary phones
//! (`phone`, `phones`), pairing (`pairing`), IQ handlers (`iq`), message routing (`routing`,
//! `hub`, `dispatch`), groups (`groups`), logout (`unlink`), faults (`faults`, `clock`) and the
//! HTTP control API (`http`).
//!
//! * **Handshake.** Its own certificate root, derived from a seed, and a Noise static key
//!   certified by a chain from that root ([`Simulator::root_public_key`] is what clients
//!   trust); [`Simulator::listen`] serves WebSocket clients (the Noise responder of
//!   [`wa_transport::accept`]) and, on the same port, the HTTP control API under `/sim/`.
//! * **Accounts and devices.** Accounts have a phone-number JID, a random 15-digit LID and a
//!   simulated primary phone (device 0, a real Signal endpoint on `wa-signal`) that decrypts
//!   and records what it receives ([`Simulator::received`]), sends texts, reactions and
//!   revokes ([`Simulator::send`]), answers with delivery and retry receipts, and misbehaves on
//!   demand ([`Simulator::fail_next_decrypts`], [`Simulator::lose_sessions`],
//!   [`Simulator::set_phone_online`]). Companions are registered already paired
//!   ([`Simulator::register_device`]) or paired by QR: a registering client gets
//!   `pair-device` refs, the phone scans its QR ([`Simulator::scan`]), the client gets
//!   `pair-success` with an ADV identity signed by the phone, countersigns it, and is told to
//!   reconnect (515). A known device logs in (`<success>`, then what waited for it and
//!   `<ib><offline count/></ib>`); an unknown or removed one gets `<failure reason="401"/>`.
//! * **IQ handlers.** Ping, prekey count and upload (validated), prekey bundle fetch by PN or
//!   LID device JID (consuming one-time prekeys), usync device lists and LIDs, group metadata
//!   (`w:g2`, PN or LID addressing), passive/active, a companion's own unlink (`md`
//!   `remove-companion-device`: the device is removed, its later logins get 401), and
//!   `<error code="501" text="feature-not-implemented"/>` for the rest.
//! * **Routing.** A `<message>` to a user fans out per `<to>` device (the sender's own other
//!   devices get `recipient`), a `<message>` to a group goes by sender key to every member
//!   device (LID groups: `participant` in LID form, `participant_pn`, `addressing_mode`); the
//!   sender gets `<ack t>` (with the server's `phash` when its differs, or an `error` code).
//!   Offline devices get their messages at login, unacknowledged ones are re-sent, an id
//!   reaches a device once (retries excepted), receipts go back to the sending device.
//! * **Faults.** [`Simulator::inject`] with a [`Fault`] (drops before or after routing,
//!   delayed, withheld or refusing acks, deliveries whose `<enc>` bytes are damaged, stream
//!   errors, seeded random drops), [`Simulator::restart`], and
//!   an injectable [`Clock`] for every server timestamp.
//! * **Control.** This Rust API, and the same operations over HTTP
//!   ([`RunningSimulator::control_url`]); `wa sim --listen ADDR` runs it standalone.
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
mod device_notify;
mod dispatch;
mod error;
mod faults;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod group_notify;
mod groups;
mod http;
mod hub;
mod iq;
mod login_payload;
mod newsletters;
mod pairing;
mod phone;
mod phones;
mod registry;
mod routing;
mod server;
mod simulator;
mod unlink;

pub use clock::{Clock, ManualClock, SystemClock};
#[cfg(feature = "test-util")]
pub use device_keys::DeviceKeys;
pub use error::{Error, QrError, QrField, RegistrationError, Result};
pub use faults::{Fault, StreamErrorKind};
pub use groups::{participant_hash, AddressingMode, GroupInfo, GroupParticipant, ParticipantRole};
pub use login_payload::login_payload;
pub use newsletters::NewsletterReaction;
pub use phone::{Behaviour, Outgoing, ReceiptKind, Received, ReceivedKind, SeenReceipt, TargetKey};
pub use registry::{Account, DeviceInfo, DeviceRegistration, PreKeyPublic, SignedPreKeyPublic};
pub use server::RunningSimulator;
pub use simulator::{unix_now, Simulator};
