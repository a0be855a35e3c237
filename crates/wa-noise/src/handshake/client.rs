//! The initiator (client) role.

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_proto::wa6::{
    handshake_message::{ClientFinish, ClientHello},
    HandshakeMessage,
};

use super::{decode, decrypt_field, mix_dh, public_key, required, symmetric_state_for_testing};
use crate::{
    symmetric_state::SymmetricState, CertVerifier, Error, HandshakeError, HandshakeField,
    IntroHeader, KeyPair, PublicKey, Transport, VerifiedCertChain,
};

/// The client before its first message: holds the static key and a fresh ephemeral key, and has
/// mixed the prologue (the intro header) into the handshake hash.
#[derive(Debug)]
#[must_use]
pub struct ClientHandshake {
    symmetric: SymmetricState,
    static_keypair: KeyPair,
    ephemeral: KeyPair,
}

impl ClientHandshake {
    /// Starts a handshake with the client's static (noise) key; `header` is the intro header
    /// the connection starts with, mixed in as the prologue.
    pub fn new<R: RngCore + CryptoRng>(
        static_keypair: KeyPair,
        header: IntroHeader,
        rng: &mut R,
    ) -> Self {
        Self::with_ephemeral(static_keypair, header, KeyPair::generate(rng))
    }

    /// TEST ONLY: starts with a fixed ephemeral key, to replay a recorded handshake. A fixed
    /// ephemeral key destroys forward secrecy; never use it on a real connection.
    #[cfg(feature = "test-util")]
    pub fn with_fixed_ephemeral_for_testing(
        static_keypair: KeyPair,
        header: IntroHeader,
        ephemeral: KeyPair,
    ) -> Self {
        Self::with_ephemeral(static_keypair, header, ephemeral)
    }

    pub(crate) fn with_ephemeral(
        static_keypair: KeyPair,
        header: IntroHeader,
        ephemeral: KeyPair,
    ) -> Self {
        Self {
            symmetric: SymmetricState::new(&header.to_bytes()),
            static_keypair,
            ephemeral,
        }
    }

    /// `-> e`: returns the next phase and the `HandshakeMessage{clientHello{ephemeral}}` bytes.
    pub fn write_client_hello(mut self) -> (ClientAwaitingServerHello, Vec<u8>) {
        let ephemeral = *self.ephemeral.public_key();
        self.symmetric.mix_hash(ephemeral.as_bytes());
        let message = HandshakeMessage {
            client_hello: Some(ClientHello {
                ephemeral: Some(ephemeral.as_bytes().to_vec()),
                r#static: None,
                payload: None,
            }),
            ..HandshakeMessage::default()
        };
        let next = ClientAwaitingServerHello {
            symmetric: self.symmetric,
            static_keypair: self.static_keypair,
            ephemeral: self.ephemeral,
        };
        (next, message.encode_to_vec())
    }
}

/// The client after sending its hello.
#[derive(Debug)]
#[must_use]
pub struct ClientAwaitingServerHello {
    symmetric: SymmetricState,
    static_keypair: KeyPair,
    ephemeral: KeyPair,
}

impl ClientAwaitingServerHello {
    /// `<- e, ee, s, es, payload`: decrypts the server static key and the certificate chain,
    /// and verifies the chain with `verifier` at `now` (unix seconds).
    pub fn read_server_hello(
        mut self,
        message: &[u8],
        verifier: &CertVerifier,
        now: u64,
    ) -> Result<ClientFinishPending, Error> {
        let hello = decode(message)?
            .server_hello
            .ok_or(HandshakeError::MissingField(HandshakeField::ServerHello))?;
        let ephemeral = required(hello.ephemeral, HandshakeField::ServerHelloEphemeral)?;
        let static_ciphertext = required(hello.r#static, HandshakeField::ServerHelloStatic)?;
        let payload_ciphertext = required(hello.payload, HandshakeField::ServerHelloPayload)?;
        let server_ephemeral = public_key(&ephemeral, HandshakeField::ServerHelloEphemeral)?;

        let symmetric = &mut self.symmetric;
        symmetric.mix_hash(server_ephemeral.as_bytes());
        mix_dh(symmetric, self.ephemeral.private_key(), &server_ephemeral)?;
        let server_static = decrypt_field(
            symmetric,
            &static_ciphertext,
            HandshakeField::ServerHelloStatic,
        )?;
        let server_static = public_key(&server_static, HandshakeField::ServerHelloStatic)?;
        mix_dh(symmetric, self.ephemeral.private_key(), &server_static)?;
        let cert_chain = decrypt_field(
            symmetric,
            &payload_ciphertext,
            HandshakeField::ServerHelloPayload,
        )?;
        let certificate = verifier.verify(&cert_chain, &server_static, now)?;

        Ok(ClientFinishPending {
            symmetric: self.symmetric,
            static_keypair: self.static_keypair,
            server_ephemeral,
            server_static,
            certificate,
        })
    }
}

/// The client after a verified server hello; the ephemeral private key is already gone.
#[derive(Debug)]
#[must_use]
pub struct ClientFinishPending {
    symmetric: SymmetricState,
    static_keypair: KeyPair,
    server_ephemeral: PublicKey,
    server_static: PublicKey,
    certificate: VerifiedCertChain,
}

impl ClientFinishPending {
    /// The server static key (certified by the chain).
    #[must_use]
    pub const fn server_static(&self) -> &PublicKey {
        &self.server_static
    }

    /// The verified certificate chain.
    #[must_use]
    pub const fn certificate(&self) -> &VerifiedCertChain {
        &self.certificate
    }

    /// `-> s, se, payload`: encrypts the static key and `client_payload` (a serialized
    /// `ClientPayload`), splits, and returns the transport with the
    /// `HandshakeMessage{clientFinish}` bytes to send.
    pub fn write_client_finish(
        mut self,
        client_payload: &[u8],
    ) -> Result<(Transport, Vec<u8>), Error> {
        let symmetric = &mut self.symmetric;
        let static_ciphertext =
            symmetric.encrypt_and_hash(self.static_keypair.public_key().as_bytes())?;
        mix_dh(
            symmetric,
            self.static_keypair.private_key(),
            &self.server_ephemeral,
        )?;
        let payload_ciphertext = symmetric.encrypt_and_hash(client_payload)?;
        let message = HandshakeMessage {
            client_finish: Some(ClientFinish {
                r#static: Some(static_ciphertext),
                payload: Some(payload_ciphertext),
            }),
            ..HandshakeMessage::default()
        };
        let (client_to_server, server_to_client) = symmetric.split();
        let transport = Transport::new(
            &client_to_server,
            &server_to_client,
            *symmetric.handshake_hash(),
        );
        Ok((transport, message.encode_to_vec()))
    }
}

symmetric_state_for_testing!(
    ClientHandshake,
    ClientAwaitingServerHello,
    ClientFinishPending
);
