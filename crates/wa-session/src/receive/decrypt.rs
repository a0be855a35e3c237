//! Decrypting a message's `<enc>` children: pairwise `pkmsg`/`msg` over the sender device's
//! Signal session, `skmsg` under its sender key for the group, sender key distributions taken
//! in as they come, padding stripped, content read.

use rand_core::{CryptoRng, RngCore};
use wa_binary::{Jid, Node};
use wa_signal::sender_key::{
    group_decrypt, process_distribution_message, SenderKeyDistributionMessage, SenderKeyError,
    SenderKeyName, SenderKeyStore,
};
use wa_signal::store::{IdentityKeyStore, PreKeyStore, SessionStore, SignedPreKeyStore};
use wa_signal::{padding, protocol, CiphertextMessage, ProtocolAddress};
use zeroize::Zeroizing;

use crate::content::{read_message, Content, Incoming, SenderKeyDistribution};
use crate::error::Error;

/// Why a message's `<enc>`s did not all decrypt.
#[derive(Debug)]
pub(super) enum Failure {
    /// A Signal message already decrypted (a redelivery): acknowledge, no retry.
    Duplicate,
    /// Anything else: ask the sender to retry.
    Retry(Error),
}

/// The Signal stores the receive path needs (both the SQLite device store and test stores).
pub trait ReceiveStore:
    IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore + SenderKeyStore
{
}

impl<S> ReceiveStore for S where
    S: IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore + SenderKeyStore
{
}

/// Decrypts every known `<enc>` in order and reads each plaintext. Unknown `type`s are
/// skipped. The first failure stops the rest.
pub(super) fn decrypt_all<S: ReceiveStore, R: RngCore + CryptoRng>(
    store: &mut S,
    chat: &Jid,
    sender: &Jid,
    encs: &[&Node<'_>],
    rng: &mut R,
) -> Result<Vec<Incoming>, Failure> {
    let address = address_of(sender).map_err(Failure::Retry)?;
    let mut read = Vec::new();
    for enc in encs {
        let kind = enc.attr_str("type").unwrap_or_default();
        let bytes = enc.bytes().ok_or(Failure::Retry(Error::MalformedStanza(
            "enc without content",
        )))?;
        let padded = match kind {
            "pkmsg" | "msg" => {
                let message = CiphertextMessage::parse(kind, bytes).map_err(signal_failure)?;
                protocol::decrypt(store, &address, &message, rng).map_err(signal_failure)?
            }
            "skmsg" => {
                let name = sender_key_name(chat, &address)?;
                let mut record = store
                    .load_sender_key(&name)
                    .map_err(signal_failure)?
                    .ok_or(Failure::Retry(Error::Signal(wa_signal::Error::NoSession)))?;
                let padded = group_decrypt(&mut record, bytes).map_err(signal_failure)?;
                store
                    .store_sender_key(&name, &record)
                    .map_err(signal_failure)?;
                padded
            }
            _ => continue,
        };
        let padded = Zeroizing::new(padded);
        let plaintext = padding::unpad(&padded).map_err(signal_failure)?;
        let incoming = read_message(plaintext).map_err(Failure::Retry)?;
        if let Some(distribution) = incoming.sender_key_distribution() {
            take_distribution(store, &address, distribution)?;
        }
        read.push(incoming);
    }
    Ok(read)
}

/// The content that counts for a message: the first that is not empty.
pub(super) fn main_content(read: Vec<Incoming>) -> Option<(Option<Jid>, Content)> {
    read.into_iter()
        .map(|incoming| {
            let (destination, _, content) = incoming.into_parts();
            (destination, content)
        })
        .find(|(_, content)| *content != Content::Empty)
}

/// Takes in a sender key distribution from `sender` for its group.
fn take_distribution<S: SenderKeyStore>(
    store: &mut S,
    sender: &ProtocolAddress,
    distribution: &SenderKeyDistribution,
) -> Result<(), Failure> {
    let message = SenderKeyDistributionMessage::parse(distribution.bytes())
        .map_err(|error| signal_failure(error.into()))?;
    let name = sender_key_name(distribution.group(), sender)?;
    let mut record = store
        .load_sender_key(&name)
        .map_err(signal_failure)?
        .unwrap_or_default();
    if process_distribution_message(&mut record, &message) {
        store
            .store_sender_key(&name, &record)
            .map_err(signal_failure)?;
    }
    Ok(())
}

fn sender_key_name(group: &Jid, sender: &ProtocolAddress) -> Result<SenderKeyName, Failure> {
    SenderKeyName::new(&group.to_non_ad().to_string(), sender.clone())
        .map_err(|error| Failure::Retry(Error::Signal(error)))
}

/// The Signal address of a sending device.
pub(super) fn address_of(device: &Jid) -> Result<ProtocolAddress, Error> {
    ProtocolAddress::new(device.user(), device.domain(), device.device())
        .map_err(|_| Error::NotADevice(device.clone()))
}

fn signal_failure(error: wa_signal::Error) -> Failure {
    match error {
        wa_signal::Error::DuplicateMessage { .. }
        | wa_signal::Error::SenderKey(SenderKeyError::DuplicateMessage { .. }) => {
            Failure::Duplicate
        }
        other => Failure::Retry(Error::Signal(other)),
    }
}
