//! A Noise transport from a real handshake (fresh keys), so frames are encrypted exactly as on
//! a live connection.

use rand_core::{CryptoRng, RngCore};
use wa_noise::{
    CertChainBuilder, CertVerifier, ClientHandshake, IntroHeader, KeyPair, ServerHandshake,
    Transport,
};

use super::BenchError;

/// The client's transport after an XX handshake with a locally made server certificate chain.
pub(crate) fn client_transport<R: RngCore + CryptoRng>(
    rng: &mut R,
) -> Result<Transport, BenchError> {
    let root = KeyPair::generate(rng);
    let server_static = KeyPair::generate(rng);
    let intermediate = KeyPair::generate(rng);
    let chain = CertChainBuilder::new(root.private_key().clone(), intermediate)
        .build(server_static.public_key(), rng);
    let (client, hello) =
        ClientHandshake::new(KeyPair::generate(rng), IntroHeader::V3, rng).write_client_hello();
    let (server, server_hello) = ServerHandshake::new(server_static, IntroHeader::V3, rng)
        .read_client_hello(&hello)?
        .write_server_hello(&chain)?;
    let (client, finish) = client
        .read_server_hello(&server_hello, &CertVerifier::new(*root.public_key()), 0)?
        .write_client_finish(b"bench")?;
    let _server = server.read_client_finish(&finish)?;
    Ok(client)
}
