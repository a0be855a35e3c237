//! The Noise XX handshake as WhatsApp runs it, both roles, one type per phase.
//!
//! ```text
//! client                                    server
//! ClientHandshake::new                      ServerHandshake::new
//!  .write_client_hello  -- e -------------> .read_client_hello
//!                                           .write_server_hello(cert chain)
//!  .read_server_hello  <- e, ee, s, es, cert --
//!  .write_client_finish(payload)
//!        -- s, se, ClientPayload -------->  .read_client_finish
//!  => Transport                              => Transport, client static, ClientPayload
//! ```
//!
//! Every step consumes its phase, so a message cannot be processed twice or out of order, and a
//! [`Transport`](crate::Transport) exists only after the last step. Messages are
//! `HandshakeMessage` protobufs (clientHello = 2, serverHello = 3, clientFinish = 4), unframed:
//! the [`frame`](crate::frame) module puts them on the wire.

mod client;
mod server;

pub use client::{ClientAwaitingServerHello, ClientFinishPending, ClientHandshake};
pub use server::{
    ServerAwaitingClientFinish, ServerHandshake, ServerHandshakeOutcome, ServerHelloPending,
};

use prost::Message as _;
use wa_proto::wa6::HandshakeMessage;

use crate::{
    symmetric_state::SymmetricState, Error, HandshakeError, HandshakeField, PrivateKey, PublicKey,
};

fn decode(message: &[u8]) -> Result<HandshakeMessage, Error> {
    HandshakeMessage::decode(message).map_err(|e| HandshakeError::Decode(e).into())
}

fn required(field: Option<Vec<u8>>, name: HandshakeField) -> Result<Vec<u8>, Error> {
    field.ok_or(Error::Handshake(HandshakeError::MissingField(name)))
}

fn public_key(bytes: &[u8], field: HandshakeField) -> Result<PublicKey, Error> {
    PublicKey::from_slice(bytes).ok_or(Error::Handshake(HandshakeError::InvalidLength {
        field,
        len: bytes.len(),
        expected: crate::KEY_LENGTH,
    }))
}

/// MixKey(DH(private, public)), refusing an all-zero result (a low-order peer key), as Go's
/// `curve25519.X25519` (and so whatsmeow) does.
pub(crate) fn mix_dh(
    symmetric: &mut SymmetricState,
    private: &PrivateKey,
    public: &PublicKey,
) -> Result<(), Error> {
    let shared = private.diffie_hellman(public);
    if !shared.was_contributory() {
        return Err(HandshakeError::NonContributoryDh.into());
    }
    symmetric.mix_key(shared.as_bytes());
    Ok(())
}

fn decrypt_field(
    symmetric: &mut SymmetricState,
    ciphertext: &[u8],
    field: HandshakeField,
) -> Result<Vec<u8>, Error> {
    symmetric
        .decrypt_and_hash(ciphertext)
        .map_err(|error| match error {
            Error::Decrypt => HandshakeError::DecryptFailed(field).into(),
            other => other,
        })
}

/// Test-only accessors to the symmetric state of a handshake phase.
macro_rules! symmetric_state_for_testing {
    ($($phase:ty),*) => {$(
        #[cfg(feature = "test-util")]
        impl $phase {
            /// TEST ONLY: the handshake hash `h` at this point.
            #[must_use]
            pub fn handshake_hash_for_testing(&self) -> [u8; 32] {
                *self.symmetric.handshake_hash()
            }

            /// TEST ONLY: the chaining key `ck` at this point (a secret).
            #[must_use]
            pub fn chaining_key_for_testing(&self) -> [u8; 32] {
                self.symmetric.chaining_key()
            }

            /// TEST ONLY: the handshake cipher's nonce counter `n` at this point.
            #[must_use]
            pub fn handshake_nonce_for_testing(&self) -> u64 {
                self.symmetric.nonce()
            }
        }
    )*};
}
use symmetric_state_for_testing;

#[cfg(test)]
mod tests;
