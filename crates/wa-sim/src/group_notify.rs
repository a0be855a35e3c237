//! Group membership changes and what they tell devices (whatsmeow's group.go for the facts):
//! removing a member sends `<notification from=GROUP type="w:gp2" participant=ADMIN id t>
//! <remove><participant jid [phone_number]/></remove></notification>` to every device of the
//! remaining members and of the removed one, so senders drop their cached metadata and
//! rotate their sender key. For tests, [`Simulator::phone_can_read_group_message`] checks
//! whether a phone could decrypt a group message it was never sent.

use wa_binary::{Jid, Node};

use crate::error::{Error, Result};
use crate::groups::AddressingMode;
use crate::routing::device_jid;
use crate::simulator::Simulator;

impl Simulator {
    /// Removes `participant` (PN or LID JID) from `group`, as its creator would; every device
    /// of the remaining members and of the removed member gets a `w:gp2` `<remove>`
    /// notification.
    ///
    /// # Errors
    /// [`Error::UnknownGroup`], [`Error::NotInGroup`].
    pub fn remove_participant(&self, group: &Jid, participant: &Jid) -> Result<()> {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        let removed = state.groups.remove_participant(group, participant)?;
        let info = state
            .groups
            .get(group)
            .cloned()
            .ok_or(Error::UnknownGroup)?;
        let lid = info.addressing == AddressingMode::Lid;
        let mut entry = Node::new("participant").with_attr("jid", info_jid(&removed, lid));
        if lid {
            entry = entry.with_attr("phone_number", removed.jid.clone());
        }
        let node_for = |id: String| {
            Node::new("notification")
                .with_attr("from", info.jid.clone())
                .with_attr("type", "w:gp2")
                .with_attr("participant", info_jid(&info.creator, lid))
                .with_attr("id", id)
                .with_attr("t", now.to_string())
                .with_children(vec![Node::new("remove").with_children(vec![entry.clone()])])
        };
        let accounts = info
            .participants
            .iter()
            .map(|member| member.account.clone())
            .chain(std::iter::once(removed));
        let mut count = 0u32;
        for account in accounts {
            for device in state.registry.live_devices(account.jid.user()) {
                if device.device == 0 {
                    continue;
                }
                count = count.wrapping_add(1);
                let node = node_for(format!("gp2-{now}-{count}"));
                state.hub.deliver(&device, node, None);
            }
        }
        Ok(())
    }

    /// Whether `account`'s simulated phone could decrypt the group message `id` that
    /// `sender` (an account) sent to `group`, with the sender keys it holds now, whether or
    /// not it was sent that message (nothing is recorded or changed).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`], [`Error::UnknownGroup`]; [`Error::Refused`] with `"404"`
    /// when the server routed no such group message.
    pub fn phone_can_read_group_message(
        &self,
        account: &Jid,
        group: &Jid,
        sender: &Jid,
        id: &str,
    ) -> Result<bool> {
        let mut state = self.shared.lock();
        let lid = state
            .groups
            .get(group)
            .ok_or(Error::UnknownGroup)?
            .addressing
            == AddressingMode::Lid;
        let sender_account = state.registry.account(sender)?;
        let entry = state
            .ledger
            .get(sender_account.jid.user(), id)
            .filter(|entry| entry.chat == group.to_non_ad())
            .cloned()
            .ok_or_else(|| Error::Refused("404".to_owned()))?;
        let skmsg = entry
            .skmsg
            .ok_or_else(|| Error::Refused("404".to_owned()))?;
        let sender_device = device_jid(&sender_account, entry.sender.device, lid)?;
        let (_, phone) = state.phone_mut(account)?;
        Ok(phone.can_decrypt_group(group, &sender_device, &skmsg))
    }
}

fn info_jid(account: &crate::registry::Account, lid: bool) -> Jid {
    if lid {
        account.lid.clone()
    } else {
        account.jid.clone()
    }
}
