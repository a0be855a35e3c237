//! Acting on `<notification>`s in the actor: every one is acknowledged; a device-list change
//! drops the cached device lists of that account (both forms), so the next send asks usync
//! and fans out to the new set; an identity change also drops the account's Signal sessions,
//! so the next send starts new ones from fresh bundles; a group change drops the group's
//! metadata (the next send's fresh member list rotates our sender key if a holder left).

use wa_binary::Node;
use wa_store::Store;

use super::send_state::SendState;
use crate::error::Result;
use crate::fanout::OwnIdentity;
use crate::receive::{notification_ack, read_notification, Notification};
use crate::send::LidMapping;

/// Handles one notification; returns the stanzas to send (its ack).
pub(super) async fn answer_notification(send: &SendState, node: &Node<'_>) -> Vec<Node<'static>> {
    match read_notification(node) {
        Notification::Devices { user, lid, .. } => {
            let mut users = vec![user.clone()];
            if let Some(lid) = lid {
                users.push(lid.clone());
                if let Some(mapping) = LidMapping::from_pair(&user, &lid) {
                    if let Err(error) = send.learn_lids(vec![mapping]).await {
                        tracing::debug!(%error, "LID mapping not kept");
                    }
                }
            }
            send.forget_devices(&users);
        }
        Notification::IdentityChanged { user } => {
            send.forget_devices(std::slice::from_ref(&user));
            let (device, own, user_part) = (send.device, send.own.clone(), user.user().to_owned());
            let dropped = send
                .store
                .call(move |store| drop_sessions(store, device, &own, &user_part))
                .await;
            // Sends must look in the store again (and fetch bundles) for this user's devices.
            send.forget_sessions();
            if let Err(error) = dropped.map_err(crate::Error::from).and_then(|r| r) {
                tracing::debug!(%error, "sessions not dropped after an identity change");
            }
        }
        Notification::GroupChanged {
            group, lid_pairs, ..
        } => {
            // Fresh metadata on the next send; a member gone from it rotates our sender key.
            send.forget_group(&group);
            let mappings = lid_pairs
                .iter()
                .filter_map(|(a, b)| LidMapping::from_pair(a, b))
                .collect();
            if let Err(error) = send.learn_lids(mappings).await {
                tracing::debug!(%error, "LID mappings not kept");
            }
        }
        _ => {}
    }
    vec![notification_ack(node)]
}

/// Removes every session with a device of `user` (never our own).
fn drop_sessions(
    store: &mut Store,
    device: wa_store::DeviceId,
    own: &OwnIdentity,
    user: &str,
) -> Result<()> {
    for address in store.session_addresses(device)? {
        let ours = own.user(crate::fanout::Addressing::Pn)?.user() == user
            || own
                .user(crate::fanout::Addressing::Lid)
                .is_ok_and(|lid| lid.user() == user);
        if address.user() == user && !ours {
            store.remove_session(device, &address)?;
        }
    }
    Ok(())
}
