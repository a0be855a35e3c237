//! Routing a client's `<receipt>` (delivery, read, retry, ...) back to the device that sent the
//! message, and a client's `<ack>` of a message it was sent.

use wa_binary::{Jid, Node};

use super::address::device_jid;
use super::ledger::Ledger;
use super::{Delivery, Routed};
use crate::groups::{AddressingMode, Groups};
use crate::registry::{DeviceRef, Registry};

/// Routes one `<receipt id to [participant] [type]>` (with an optional `<list><item id/>..`
/// for more ids) from `sender`: the sender gets `<ack class="receipt">`, the device that sent
/// each message gets `<receipt from id t [type]>` (groups: `from` = group, `participant` =
/// `sender`), with the receipt's children (retry details, keys) intact. Receipts for messages
/// the server did not route are acknowledged and dropped.
pub(crate) fn route(
    registry: &Registry,
    groups: &Groups,
    ledger: &Ledger,
    sender: &DeviceRef,
    stanza: &Node<'_>,
    now: u64,
) -> Routed {
    let Some(id) = stanza.attr_str("id") else {
        return Routed::default();
    };
    let mut ids = vec![id.to_owned()];
    if let Some(list) = stanza.child("list") {
        ids.extend(
            list.children_with_tag("item")
                .filter_map(|item| item.attr_str("id"))
                .map(str::to_owned),
        );
    }
    let to = stanza.attr_jid("to");
    let kind = stanza.attr_str("type");
    let mut reply = Node::new("ack")
        .with_attr("class", "receipt")
        .with_attr("id", id.to_owned());
    if let Some(to) = &to {
        reply = reply.with_attr("from", to.clone());
    }
    if let Some(kind) = kind {
        reply = reply.with_attr("type", kind.to_owned());
    }
    let deliveries = to
        .map(|to| forward(registry, groups, ledger, sender, stanza, &to, &ids, now))
        .unwrap_or_default();
    Routed {
        reply: Some(reply),
        deliveries,
        acknowledged: ids,
    }
}

#[allow(clippy::too_many_arguments)]
fn forward(
    registry: &Registry,
    groups: &Groups,
    ledger: &Ledger,
    sender: &DeviceRef,
    stanza: &Node<'_>,
    to: &Jid,
    ids: &[String],
    now: u64,
) -> Vec<Delivery> {
    let group = to.is_group().then(|| groups.get(to)).flatten();
    // In a group the message's author is `participant`; in a chat it is `to` itself.
    let author = if to.is_group() {
        stanza.attr_jid("participant")
    } else {
        Some(to.clone())
    };
    let (Some(author), Ok(sender_account)) = (author, registry.account_by_phone(&sender.phone))
    else {
        return Vec::new();
    };
    let Ok(author_account) = registry.account(&author) else {
        return Vec::new();
    };
    let children: Vec<Node<'static>> = stanza
        .children()
        .iter()
        .filter(|child| child.tag() != "list")
        .map(|child| child.clone().into_owned())
        .collect();
    let mut deliveries = Vec::new();
    for id in ids {
        let Some(entry) = ledger.get(author_account.jid.user(), id) else {
            continue;
        };
        if entry.sender == *sender {
            continue;
        }
        let lid = match group {
            Some(group) => group.addressing == AddressingMode::Lid,
            None => entry.chat.is_lid(),
        };
        let Ok(from_device) = device_jid(&sender_account, sender.device, lid) else {
            continue;
        };
        let mut node = Node::new("receipt");
        node = match group {
            Some(group) => node
                .with_attr("from", group.jid.clone())
                .with_attr("participant", from_device),
            None => node.with_attr("from", from_device),
        };
        node = node
            .with_attr("id", id.clone())
            .with_attr("t", now.to_string());
        if let Some(kind) = stanza.attr_str("type") {
            node = node.with_attr("type", kind.to_owned());
        }
        // A receipt from one of the sender's own devices names the chat the message went to.
        if let Some(recipient) = stanza.attr_jid("recipient") {
            node = node.with_attr("recipient", recipient);
        }
        if !children.is_empty() {
            node = node.with_children(children.clone());
        }
        deliveries.push(Delivery {
            to: entry.sender.clone(),
            node,
            ack_id: None,
        });
    }
    deliveries
}

/// A client's `<ack class="message" id>` acknowledges a message it was sent; other acks
/// (of receipts, notifications) need nothing.
pub(crate) fn client_ack(stanza: &Node<'_>) -> Routed {
    let acknowledged = match (stanza.attr_str("class"), stanza.attr_str("id")) {
        (Some("message"), Some(id)) => vec![id.to_owned()],
        _ => Vec::new(),
    };
    Routed {
        acknowledged,
        ..Routed::default()
    }
}
