//! The session's LID <-> phone-number map: kept in the store (`lid_map`), cached in memory,
//! filled from usync `<lid/>` queries, group metadata and received stanzas, and used to
//! address one-to-one chats as current WhatsApp does (see [`crate::send::LidMapping`]).

use std::collections::HashMap;
use std::sync::PoisonError;

use wa_binary::{Jid, Server};
use wa_store::{DeviceId, LidUser, PnUser, Store};

use super::send_state::SendState;
use super::Session;
use crate::error::Result;
use crate::fanout::Addressing;
use crate::send::{lids_query, parse_lids, LidMapping};

/// Where a one-to-one message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DirectAddress {
    /// The chat the stanza is addressed to (the LID when known), and whose form our sessions
    /// and device lists use.
    pub(super) to: Jid,
    /// `peer_recipient_pn`: the contact's phone number, when `to` is a LID and it is known.
    pub(super) peer_pn: Option<Jid>,
}

/// What is known in memory: by phone number the LID, by LID the phone number. Mappings the
/// inbox learns go to the store only and reach memory at their first lookup.
#[derive(Debug, Default)]
pub(super) struct LidCache {
    lid_of: HashMap<Jid, Jid>,
    pn_of: HashMap<Jid, Jid>,
}

impl LidCache {
    fn learn(&mut self, mapping: &LidMapping) {
        self.lid_of.insert(mapping.pn.clone(), mapping.lid.clone());
        self.pn_of.insert(mapping.lid.clone(), mapping.pn.clone());
    }
}

/// Stores `mappings` in the store (those not already there as given).
///
/// # Errors
/// Store failures.
pub(super) fn store_mappings(
    store: &mut Store,
    device: DeviceId,
    mappings: &[LidMapping],
) -> Result<()> {
    for mapping in mappings {
        let lid = LidUser::new(mapping.lid.user())?;
        let pn = PnUser::new(mapping.pn.user())?;
        if store.lid_for_pn(device, &pn)?.as_ref() != Some(&lid) {
            store.put_lid_mapping(device, &lid, &pn)?;
        }
    }
    Ok(())
}

impl SendState {
    fn lid_cache(&self) -> std::sync::MutexGuard<'_, LidCache> {
        self.lids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `mappings` (store and memory).
    pub(super) async fn learn_lids(&self, mappings: Vec<LidMapping>) -> Result<()> {
        if mappings.is_empty() {
            return Ok(());
        }
        {
            let mut cache = self.lid_cache();
            for mapping in &mappings {
                cache.learn(mapping);
            }
        }
        let device = self.device;
        self.store
            .call(move |store| store_mappings(store, device, &mappings))
            .await?
    }
}

impl Session {
    fn lid_cache(&self) -> std::sync::MutexGuard<'_, LidCache> {
        self.send.lid_cache()
    }

    /// Keeps `mappings` (store and memory).
    pub(super) async fn learn_lids(&self, mappings: Vec<LidMapping>) -> Result<()> {
        self.send.learn_lids(mappings).await
    }

    /// The LID of a phone-number user: memory, the store, then a usync `<lid/>` query.
    async fn lid_for_pn(&self, pn: &Jid) -> Result<Option<Jid>> {
        if let Some(lid) = self.lid_cache().lid_of.get(pn) {
            return Ok(Some(lid.clone()));
        }
        let device = self.send.device;
        let user = PnUser::new(pn.user())?;
        let stored = self
            .send
            .store
            .call(move |store| store.lid_for_pn(device, &user))
            .await??;
        if let Some(lid) = stored {
            let mapping = LidMapping {
                lid: Jid::new(lid.as_str(), Server::Lid)?,
                pn: pn.clone(),
            };
            self.lid_cache().learn(&mapping);
            return Ok(Some(mapping.lid));
        }
        let reply = self.iq(lids_query(std::slice::from_ref(pn), "lid")).await?;
        let found: Vec<LidMapping> = parse_lids(&reply)?
            .into_iter()
            .filter(|mapping| mapping.pn == *pn)
            .collect();
        // A number without a LID is asked again next time (the inbox may learn it meanwhile).
        let lid = found.first().map(|mapping| mapping.lid.clone());
        self.learn_lids(found).await?;
        Ok(lid)
    }

    /// The phone number of a LID user, when known (memory, then the store).
    async fn pn_for_lid(&self, lid: &Jid) -> Result<Option<Jid>> {
        if let Some(pn) = self.lid_cache().pn_of.get(lid) {
            return Ok(Some(pn.clone()));
        }
        let device = self.send.device;
        let user = LidUser::new(lid.user())?;
        let stored = self
            .send
            .store
            .call(move |store| store.pn_for_lid(device, &user))
            .await??;
        let Some(pn) = stored else {
            return Ok(None);
        };
        let mapping = LidMapping {
            lid: lid.clone(),
            pn: Jid::new(pn.as_str(), Server::User)?,
        };
        self.lid_cache().learn(&mapping);
        Ok(Some(mapping.pn))
    }

    /// Where a message to the user `chat` goes: a phone-number chat goes to the contact's
    /// LID (asking the server when the map has none) with `peer_recipient_pn`, as whatsmeow
    /// does; a LID chat stays, with `peer_recipient_pn` when the number is known. Without
    /// our own LID, or when the server knows no LID for the number, the chat stays as named.
    pub(super) async fn direct_address(&self, chat: &Jid) -> Result<DirectAddress> {
        let chat = chat.to_non_ad();
        let own_lid = self.send.own.user(Addressing::Lid).is_ok();
        match Addressing::of(&chat) {
            Some(Addressing::Pn) if own_lid => match self.lid_for_pn(&chat).await? {
                Some(lid) => Ok(DirectAddress {
                    to: lid,
                    peer_pn: Some(chat),
                }),
                None => Ok(DirectAddress {
                    to: chat,
                    peer_pn: None,
                }),
            },
            Some(Addressing::Lid) => {
                let peer_pn = self.pn_for_lid(&chat).await?;
                Ok(DirectAddress { to: chat, peer_pn })
            }
            _ => Ok(DirectAddress {
                to: chat,
                peer_pn: None,
            }),
        }
    }
}
