//! Setting sender keys up: creating our own and distributing it, taking in a peer's.

use rand_core::{CryptoRng, RngCore};
use wa_curve25519::KeyPair;
use zeroize::Zeroizing;

use super::chain::{SenderChainKey, SEED_LENGTH};
use super::{SenderKeyDistributionMessage, SenderKeyId, SenderKeyRecord, SenderKeyState};

/// The distribution message for our own sender key in `record` (the record of our own
/// [`super::SenderKeyName`] in a group), creating the key first if the record has none of ours:
/// a random 31-bit key id, a random chain seed at iteration 0, a fresh signing key pair.
///
/// The message carries the chain key at its current iteration, so devices that receive it
/// later cannot decrypt earlier messages. Persist `record` before the message leaves.
pub fn create_distribution_message<R: RngCore + CryptoRng>(
    record: &mut SenderKeyRecord,
    rng: &mut R,
) -> SenderKeyDistributionMessage {
    if let Some(state) = record
        .latest_state()
        .filter(|state| state.signing_private_key().is_some())
    {
        return state.distribution_message();
    }
    let state = generate_own_state(rng);
    let message = state.distribution_message();
    record.add_state(state);
    message
}

/// A fresh sender key of our own, in the shape WhatsApp clients make them.
#[must_use]
pub fn generate_own_state<R: RngCore + CryptoRng>(rng: &mut R) -> SenderKeyState {
    // 31 bits, as Baileys (randomInt(2^31 - 1)) and libsignal pick key ids.
    let key_id = SenderKeyId::new(rng.next_u32() >> 1);
    let mut seed = Zeroizing::new([0u8; SEED_LENGTH]);
    rng.fill_bytes(seed.as_mut_slice());
    let signing_key = KeyPair::generate(rng);
    SenderKeyState::new_own(key_id, SenderChainKey::new(0, *seed), signing_key)
}

/// Takes in a peer's distribution message: `record` (the record of the sender's
/// [`super::SenderKeyName`]) gains a state that decrypts from the message's iteration on.
///
/// Returns whether a state was added: a message for a key id and signing key the record already
/// has changes nothing (see [`SenderKeyRecord::add_state`]).
pub fn process_distribution_message(
    record: &mut SenderKeyRecord,
    message: &SenderKeyDistributionMessage,
) -> bool {
    record.add_state(SenderKeyState::new_peer(
        message.key_id(),
        message.chain_key().clone(),
        *message.signing_key(),
    ))
}
