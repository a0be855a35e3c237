//! A companion logging out: `<iq xmlns="md" type="set"><remove-companion-device jid
//! reason/></iq>` naming the asking device itself. The server removes the device (its phone
//! and peers stop addressing it, a later login with its credentials is refused 401), tells
//! the devices watching the account, and answers with an empty result.

use wa_binary::{Jid, Node, Server};

use crate::device_notify::DeviceChange;
use crate::registry::DeviceRef;
use crate::simulator::State;

/// Whether `stanza` is an unlink request.
pub(crate) fn is_unlink(stanza: &Node<'_>) -> bool {
    stanza.tag() == "iq"
        && stanza.attr_str("xmlns") == Some("md")
        && stanza.attr_str("type") == Some("set")
        && stanza.child("remove-companion-device").is_some()
}

/// `<iq id from type>` answering `request`, with `<error code text/>` when refused.
fn answer(request: &Node<'_>, error: Option<(u16, &'static str)>) -> Node<'static> {
    let mut node = Node::new("iq");
    if let Some(id) = request.attr_str("id") {
        node = node.with_attr("id", id.to_owned());
    }
    node = node.with_attr("from", Jid::server_only(Server::User));
    match error {
        None => node.with_attr("type", "result"),
        Some((code, text)) => node
            .with_attr("type", "error")
            .with_children(vec![Node::new("error")
                .with_attr("code", code.to_string())
                .with_attr("text", text)]),
    }
}

impl State {
    /// Handles an unlink request from `device`; returns the answer.
    pub(crate) fn unlink_companion(
        &mut self,
        device: &DeviceRef,
        request: &Node<'_>,
        now: u64,
    ) -> Node<'static> {
        let Some(target) = request
            .child("remove-companion-device")
            .and_then(|remove| remove.attr_jid("jid"))
        else {
            return answer(request, Some((400, "bad-request")));
        };
        // A companion may unlink itself only (the phone unlinks others from its own menu).
        let own = self
            .registry
            .account(&target)
            .is_ok_and(|account| account.jid.user() == device.phone);
        if !own || target.device() != device.device || device.device == 0 {
            return answer(request, Some((403, "forbidden")));
        }
        let Ok(account) = self.registry.account(&target) else {
            return answer(request, Some((404, "item-not-found")));
        };
        if self.registry.remove_device(&target).is_err() {
            return answer(request, Some((404, "item-not-found")));
        }
        tracing::debug!(device = device.device, "companion unlinked itself");
        self.notify_device_change(&account, device.device, DeviceChange::Removed, now);
        answer(request, None)
    }
}
