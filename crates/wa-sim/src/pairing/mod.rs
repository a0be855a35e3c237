//! Pairing a new companion device, as WhatsApp does it with a QR code:
//!
//! 1. the client connects with a registration `ClientPayload` ([`registration`]); the server
//!    sends it `pair-device` refs ([`stanzas`]) and keeps the connection in a table keyed by
//!    those refs ([`pending`]) until it closes ([`session`]);
//! 2. a simulated phone scans the QR the client shows ([`qr`], [`scan`]): the server signs a
//!    device identity for the account's next device id with the account's key ([`signer`],
//!    [`adv`]) and the waiting connection sends it in `pair-success`;
//! 3. the client countersigns it in `pair-device-sign`; the server checks the signature,
//!    registers the device and sends `<stream:error code="515"/>`: the client logs in anew.
//!
//! Directly registered devices get the same kind of signed identity ([`identity`]).

pub(crate) mod adv;
mod identity;
mod pending;
mod qr;
mod registration;
mod scan;
mod session;
mod signer;
mod stanzas;

pub(crate) use identity::register_signed_device;
#[cfg(feature = "fuzzing")]
pub(crate) use qr::PairingQr;
pub(crate) use session::serve_registration;

use pending::PendingPairings;
use signer::AccountSigners;

/// The pairing part of the simulator's state.
#[derive(Debug, Default)]
pub(crate) struct Pairings {
    /// Connections waiting for a scan, by ref.
    pending: PendingPairings,
    /// The accounts' signing identities.
    signers: AccountSigners,
}
