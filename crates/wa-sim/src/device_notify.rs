//! Device-list change notifications (whatsmeow's notification.go for the facts): a device that
//! asked for an account's device list (usync `<devices/>`) is told when that account gains or
//! loses a device, with `<notification from=USER lid=LID type="devices" id t><add|remove
//! device_hash><device jid lid/></add|remove></notification>`, so it fans out to the new set.

use std::collections::{BTreeMap, BTreeSet};

use wa_binary::{Jid, Node};

use crate::groups::participant_hash;
use crate::registry::{Account, DeviceRef};
use crate::routing::device_jid;
use crate::simulator::State;

/// Who asked for whose device list: by the watched account's phone number.
#[derive(Debug, Default)]
pub(crate) struct DeviceWatchers {
    watchers: BTreeMap<String, BTreeSet<DeviceRef>>,
    next_id: u64,
}

/// A change to an account's device list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceChange {
    Added,
    Removed,
}

impl DeviceChange {
    const fn tag(self) -> &'static str {
        match self {
            Self::Added => "add",
            Self::Removed => "remove",
        }
    }
}

impl State {
    /// Notes that `device` asked a usync device-list query: it watches each listed account.
    pub(crate) fn watch_device_lists(&mut self, device: &DeviceRef, stanza: &Node<'_>) {
        let Some(usync) = stanza.child("usync") else {
            return;
        };
        let asks_devices = usync
            .child("query")
            .is_some_and(|query| query.child("devices").is_some());
        if !asks_devices {
            return;
        }
        let users = usync.child("list").map(|list| {
            list.children_with_tag("user")
                .filter_map(|user| user.attr_jid("jid"))
                .collect::<Vec<_>>()
        });
        for user in users.unwrap_or_default() {
            if let Ok(account) = self.registry.account(&user) {
                self.watchers
                    .watchers
                    .entry(account.jid.user().to_owned())
                    .or_default()
                    .insert(device.clone());
            }
        }
    }

    /// Tells every device watching `account` (but the changed device itself) that its device
    /// `changed` was added or removed.
    pub(crate) fn notify_device_change(
        &mut self,
        account: &Account,
        changed: u16,
        change: DeviceChange,
        now: u64,
    ) {
        let Some(watchers) = self.watchers.watchers.get(account.jid.user()).cloned() else {
            return;
        };
        let devices: Vec<Jid> = self
            .registry
            .live_devices(account.jid.user())
            .iter()
            .filter_map(|device| device_jid(account, device.device, false).ok())
            .collect();
        let (Ok(pn_device), Ok(lid_device)) = (
            device_jid(account, changed, false),
            device_jid(account, changed, true),
        ) else {
            return;
        };
        for watcher in watchers {
            if watcher.phone == account.jid.user() && watcher.device == changed {
                continue;
            }
            self.watchers.next_id = self.watchers.next_id.wrapping_add(1);
            let node = Node::new("notification")
                .with_attr("from", account.jid.clone())
                .with_attr("lid", account.lid.clone())
                .with_attr("type", "devices")
                .with_attr("id", format!("dev{}", self.watchers.next_id))
                .with_attr("t", now.to_string())
                .with_children(vec![Node::new(change.tag())
                    .with_attr("device_hash", participant_hash(&devices))
                    .with_children(vec![Node::new("device")
                        .with_attr("jid", pn_device.clone())
                        .with_attr("lid", lid_device.clone())])]);
            self.hub.deliver(&watcher, node, None);
        }
    }
}
