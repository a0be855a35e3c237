//! The responder (server) role, for the simulator and tests.

use prost::Message as _;
use rand_core::{CryptoRng, RngCore};
use wa_proto::wa6::{handshake_message::ServerHello, HandshakeMessage};

use super::{decode, decrypt_field, mix_dh, public_key, required, symmetric_state_for_testing};
use crate::{
    symmetric_state::SymmetricState, Error, HandshakeError, HandshakeField, IntroHeader, KeyPair,
    PublicKey, Transport,
};

/// The server before the client hello: holds its static key and a fresh ephemeral key, and has
/// mixed the prologue (the client's intro header, see
/// [`FrameDecoder::intro_header`](crate::FrameDecoder::intro_header)) into the hash.
#[derive(Debug)]
#[must_use]
pub struct ServerHandshake {
    symmetric: SymmetricState,
    static_keypair: KeyPair,
    ephemeral: KeyPair,
}

impl ServerHandshake {
    /// Starts the responder with the server static key and the intro header the client sent.
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

    /// `<- e`: reads `HandshakeMessage{clientHello{ephemeral}}`.
    pub fn read_client_hello(mut self, message: &[u8]) -> Result<ServerHelloPending, Error> {
        let hello = decode(message)?
            .client_hello
            .ok_or(HandshakeError::MissingField(HandshakeField::ClientHello))?;
        let ephemeral = required(hello.ephemeral, HandshakeField::ClientHelloEphemeral)?;
        let client_ephemeral = public_key(&ephemeral, HandshakeField::ClientHelloEphemeral)?;
        self.symmetric.mix_hash(client_ephemeral.as_bytes());
        Ok(ServerHelloPending {
            symmetric: self.symmetric,
            static_keypair: self.static_keypair,
            ephemeral: self.ephemeral,
            client_ephemeral,
        })
    }
}

/// The server after the client hello.
#[derive(Debug)]
#[must_use]
pub struct ServerHelloPending {
    symmetric: SymmetricState,
    static_keypair: KeyPair,
    ephemeral: KeyPair,
    client_ephemeral: PublicKey,
}

impl ServerHelloPending {
    /// The client's ephemeral key.
    #[must_use]
    pub const fn client_ephemeral(&self) -> &PublicKey {
        &self.client_ephemeral
    }

    /// `-> e, ee, s, es, payload`: the payload is the serialized `CertChain` (see
    /// [`CertChainBuilder`](crate::CertChainBuilder)). Fails only if the client's ephemeral key
    /// is a low-order point.
    pub fn write_server_hello(
        mut self,
        cert_chain: &[u8],
    ) -> Result<(ServerAwaitingClientFinish, Vec<u8>), Error> {
        let symmetric = &mut self.symmetric;
        let ephemeral = *self.ephemeral.public_key();
        symmetric.mix_hash(ephemeral.as_bytes());
        mix_dh(
            symmetric,
            self.ephemeral.private_key(),
            &self.client_ephemeral,
        )?;
        let static_ciphertext =
            symmetric.encrypt_and_hash(self.static_keypair.public_key().as_bytes())?;
        mix_dh(
            symmetric,
            self.static_keypair.private_key(),
            &self.client_ephemeral,
        )?;
        let payload_ciphertext = symmetric.encrypt_and_hash(cert_chain)?;
        let message = HandshakeMessage {
            server_hello: Some(ServerHello {
                ephemeral: Some(ephemeral.as_bytes().to_vec()),
                r#static: Some(static_ciphertext),
                payload: Some(payload_ciphertext),
            }),
            ..HandshakeMessage::default()
        };
        let next = ServerAwaitingClientFinish {
            symmetric: self.symmetric,
            ephemeral: self.ephemeral,
        };
        Ok((next, message.encode_to_vec()))
    }
}

/// The server after its hello; the static private key is no longer needed.
#[derive(Debug)]
#[must_use]
pub struct ServerAwaitingClientFinish {
    symmetric: SymmetricState,
    ephemeral: KeyPair,
}

impl ServerAwaitingClientFinish {
    /// `<- s, se, payload`: decrypts the client static key and its `ClientPayload` bytes, and
    /// splits.
    pub fn read_client_finish(mut self, message: &[u8]) -> Result<ServerHandshakeOutcome, Error> {
        let finish = decode(message)?
            .client_finish
            .ok_or(HandshakeError::MissingField(HandshakeField::ClientFinish))?;
        let static_ciphertext = required(finish.r#static, HandshakeField::ClientFinishStatic)?;
        let payload_ciphertext = required(finish.payload, HandshakeField::ClientFinishPayload)?;

        let symmetric = &mut self.symmetric;
        let client_static = decrypt_field(
            symmetric,
            &static_ciphertext,
            HandshakeField::ClientFinishStatic,
        )?;
        let client_static = public_key(&client_static, HandshakeField::ClientFinishStatic)?;
        mix_dh(symmetric, self.ephemeral.private_key(), &client_static)?;
        let client_payload = decrypt_field(
            symmetric,
            &payload_ciphertext,
            HandshakeField::ClientFinishPayload,
        )?;
        let (client_to_server, server_to_client) = symmetric.split();
        let transport = Transport::new(
            &server_to_client,
            &client_to_server,
            *symmetric.handshake_hash(),
        );
        Ok(ServerHandshakeOutcome {
            transport,
            client_static,
            client_payload,
        })
    }
}

/// What the server learns from a completed handshake.
#[derive(Debug)]
#[must_use]
pub struct ServerHandshakeOutcome {
    /// The server's transport (sends with the server→client key).
    pub transport: Transport,
    /// The client's static (noise) public key, authenticated by the handshake.
    pub client_static: PublicKey,
    /// The decrypted `ClientPayload` protobuf bytes.
    pub client_payload: Vec<u8>,
}

symmetric_state_for_testing!(
    ServerHandshake,
    ServerHelloPending,
    ServerAwaitingClientFinish
);
