//! Who signs an account's companion identities: the account's simulated primary phone, with
//! its Signal identity key, as on a real account. The ADV raw id of each account is drawn from
//! the seeded RNG the first time it is needed and kept here.

use std::collections::HashMap;

use rand_core::RngCore as _;
use wa_signal::IdentityKeyPair;

use super::adv::AccountSigner;
use crate::registry::Account;
use crate::simulator::State;

/// The signing identities of the accounts that have one, by phone number.
#[derive(Debug, Default)]
pub(crate) struct AccountSigners(HashMap<String, AccountSigner>);

/// The key (and ADV raw id) that signs `account`'s companion identities: the account's primary
/// phone identity. Every ADV signature the simulator makes gets its key here. (An account
/// without a phone, which the simulator never makes, gets a signing identity of its own.)
pub(crate) fn account_signing_key(state: &mut State, account: &Account) -> AccountSigner {
    let State {
        rng,
        pairing,
        phones,
        ..
    } = state;
    let phone_identity = phones
        .get(account.jid.user())
        .map(|phone| phone.identity().clone());
    pairing
        .signers
        .0
        .entry(account.jid.user().to_owned())
        .or_insert_with(|| AccountSigner {
            key: phone_identity.unwrap_or_else(|| IdentityKeyPair::generate(rng)),
            raw_id: rng.next_u32(),
        })
        .clone()
}
