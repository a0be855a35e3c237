//! Established sessions with simulated peer devices, set up once before any timing: each peer
//! publishes a bundle, we send the first `pkmsg`, the peer answers with a `msg`, and from then on
//! our sends to it are plain `msg` (no prekey header, no `<device-identity>`).

use rand_core::{CryptoRng, RngCore};
use wa_binary::Jid;
use wa_signal::store::{InMemoryStore, SignedPreKeyStore as _};
use wa_signal::{
    protocol, IdentityKeyPair, PreKeyBundle, ProtocolAddress, RegistrationId, SignedPreKeyId,
    SignedPreKeyRecord,
};

use super::BenchError;

/// The Signal address the fan-out keeps a device's session under.
pub(crate) fn address_of(device: &Jid) -> Result<ProtocolAddress, BenchError> {
    Ok(ProtocolAddress::new(
        device.user(),
        device.domain(),
        device.device(),
    )?)
}

/// Sets up an established session between `ours` (at `our_address`, as the peer sees us) and a
/// new peer at `device`. The peer's store is dropped afterwards: only our side is timed.
pub(crate) fn establish<R: RngCore + CryptoRng>(
    ours: &mut InMemoryStore,
    our_address: &ProtocolAddress,
    device: &Jid,
    rng: &mut R,
) -> Result<(), BenchError> {
    let identity = IdentityKeyPair::generate(rng);
    let registration_id = RegistrationId(1 + (rng.next_u32() & 0x3fff));
    let mut peer = InMemoryStore::new(identity.clone(), registration_id);
    let signed = SignedPreKeyRecord::generate(SignedPreKeyId(1), &identity, 0, rng);
    peer.store_signed_pre_key(&signed)?;
    let bundle = PreKeyBundle {
        registration_id,
        identity_key: identity.identity_key(),
        signed_pre_key_id: signed.id(),
        signed_pre_key: *signed.key_pair().public_key(),
        signed_pre_key_signature: *signed.signature(),
        pre_key: None,
    };

    let address = address_of(device)?;
    protocol::process_pre_key_bundle(ours, &address, &bundle, rng)?;
    let hello = protocol::encrypt(ours, &address, &[0x0a; 16])?;
    protocol::decrypt(&mut peer, our_address, &hello, rng)?;
    let reply = protocol::encrypt(&mut peer, our_address, &[0x0b; 16])?;
    protocol::decrypt(ours, &address, &reply, rng)?;
    Ok(())
}
