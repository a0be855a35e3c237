//! Pairing a new companion device by QR code, and logging in as it afterwards (sans-IO: each
//! step takes a stanza and returns the stanza to send).
//!
//! 1. [`Credentials::generate`] makes the device's keys; the connection's `ClientPayload` is
//!    [`ClientConfig::registration_payload`];
//! 2. the server sends `pair-device`: [`on_pair_device`] acknowledges it and returns the
//!    refs, each shown as a [`qr_string`];
//! 3. the phone scans, the server sends `pair-success`: [`on_pair_success`] checks it and
//!    countersigns; [`save_paired`] stores the device before the reply goes out; the server
//!    answers with `<stream:error code="515"/>`;
//! 4. the device reconnects with [`load_paired`] and [`ClientConfig::login_payload`].

mod adv;
mod credentials;
mod error;
mod payload;
mod persist;
mod qr;
mod stanzas;
mod success;

#[cfg(test)]
mod tests;

pub use credentials::{AdvSecret, Credentials, ADV_SECRET_LENGTH};
pub use error::PairingError;
pub use payload::ClientConfig;
pub use persist::{load_paired, save_paired, PairedDevice};
pub use qr::{on_pair_device, qr_string, PairDevice, PairingRef, QrClientType};
pub use success::{on_pair_success, pair_error_reply, PairSuccess, Paired};
