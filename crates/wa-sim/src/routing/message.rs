//! Routing a client's `<message>`: per-device fan-out for users, sender-key fan-out for
//! groups, the `<ack>` with the server timestamp, and once-per-device delivery of an id.

use std::collections::{BTreeMap, BTreeSet};

use wa_binary::{AttrValue, Jid, Node, Server};

use super::address::device_jid;
use super::ledger::{Entry, Ledger};
use super::{Delivery, Routed};
use crate::groups::{participant_hash, AddressingMode, GroupInfo, Groups};
use crate::registry::{Account, DeviceRef, Registry};

/// Why a message was refused: the `error` code of the `<ack>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Malformed stanza (no `to`, bad `<participants>`, a `<to>` for a device outside the chat).
    BadRequest,
    /// The sender is not a member of the group.
    Forbidden,
    /// No such user or group.
    NotFound,
    /// A chat kind the simulator does not route (broadcast, newsletter, ...).
    NotImplemented,
}

impl Refusal {
    const fn code(self) -> &'static str {
        match self {
            Self::BadRequest => "400",
            Self::Forbidden => "403",
            Self::NotFound => "404",
            Self::NotImplemented => "501",
        }
    }
}

/// The attributes a client message carries that recipients see unchanged.
const FORWARDED_ATTRS: [&str; 2] = ["type", "edit"];

/// Routes one `<message>` from `sender`. A stanza without an id is dropped (there is nothing to
/// acknowledge it by).
pub(crate) fn route(
    registry: &Registry,
    groups: &Groups,
    ledger: &mut Ledger,
    sender: &DeviceRef,
    stanza: &Node<'_>,
    now: u64,
) -> Routed {
    let Some(id) = stanza.attr_str("id") else {
        tracing::debug!("message without id dropped");
        return Routed::default();
    };
    let to = stanza.attr_jid("to");
    let outcome = match &to {
        None => Err(Refusal::BadRequest),
        Some(chat) => fan_out(registry, groups, ledger, sender, stanza, chat, id, now),
    };
    let chat = to.map(|chat| chat.to_non_ad());
    match outcome {
        Ok(fanned) => Routed {
            reply: Some(ack(id, chat, fanned.t, fanned.phash, None)),
            deliveries: fanned.deliveries,
            acknowledged: Vec::new(),
        },
        Err(refusal) => {
            tracing::debug!(code = refusal.code(), "message refused");
            Routed {
                reply: Some(ack(id, chat, now, None, Some(refusal))),
                ..Routed::default()
            }
        }
    }
}

struct FannedOut {
    t: u64,
    phash: Option<String>,
    deliveries: Vec<Delivery>,
}

/// `<ack class="message" id from=CHAT t [phash] [error]>`.
fn ack(
    id: &str,
    chat: Option<Jid>,
    t: u64,
    phash: Option<String>,
    refusal: Option<Refusal>,
) -> Node<'static> {
    let mut node = Node::new("ack")
        .with_attr("class", "message")
        .with_attr("id", id.to_owned());
    if let Some(chat) = chat {
        node = node.with_attr("from", chat);
    }
    node = node.with_attr("t", t.to_string());
    if let Some(phash) = phash {
        node = node.with_attr("phash", phash);
    }
    if let Some(refusal) = refusal {
        node = node.with_attr("error", refusal.code());
    }
    node
}

#[allow(clippy::too_many_arguments)]
fn fan_out(
    registry: &Registry,
    groups: &Groups,
    ledger: &mut Ledger,
    sender: &DeviceRef,
    stanza: &Node<'_>,
    chat: &Jid,
    id: &str,
    now: u64,
) -> Result<FannedOut, Refusal> {
    let sender_account = registry
        .account_by_phone(&sender.phone)
        .map_err(|_| Refusal::NotFound)?;
    let pairwise = pairwise_encs(registry, stanza)?;
    let (plan, phash) = match chat.server() {
        Server::Group => {
            let group = groups.get(chat).ok_or(Refusal::NotFound)?;
            group_plan(registry, group, &sender_account, sender, stanza, &pairwise)?
        }
        Server::User | Server::Lid => (
            direct_plan(registry, &sender_account, sender, chat, stanza, &pairwise)?,
            None,
        ),
        _ => return Err(Refusal::NotImplemented),
    };
    let entry = ledger.entry(&sender.phone, id, || Entry {
        sender: sender.clone(),
        chat: chat.to_non_ad(),
        t: now,
        delivered: BTreeSet::new(),
        skmsg: stanza
            .children_with_tag("enc")
            .find(|enc| enc.attr_str("type") == Some("skmsg"))
            .and_then(|enc| enc.bytes())
            .map(<[u8]>::to_vec),
    });
    let mut deliveries = Vec::new();
    for planned in plan {
        // An id reaches a device once; a retry (`<enc count>`) is the sender answering that
        // device's retry receipt and goes through.
        let is_retry = planned
            .pairwise
            .is_some_and(|enc| enc.attr("count").is_some());
        if entry.delivered.contains(&planned.device) && !is_retry {
            continue;
        }
        let mut node = Node::new("message").with_attr("from", planned.from);
        if let Some(participant) = planned.participant {
            node = node.with_attr("participant", participant);
        }
        if let Some(recipient) = planned.recipient {
            node = node.with_attr("recipient", recipient);
        }
        node = node
            .with_attr("id", id.to_owned())
            .with_attr("t", entry.t.to_string());
        for key in FORWARDED_ATTRS {
            if let Some(value) = stanza.attr(key) {
                node = node.with_attr(key, value.clone().into_owned());
            }
        }
        for (key, value) in planned.extra_attrs {
            node = node.with_attr(key, value);
        }
        let mut children = Vec::new();
        if let Some(enc) = planned.pairwise {
            children.push(enc.clone().into_owned());
        }
        if let Some(enc) = planned.skmsg {
            children.push(enc.clone().into_owned());
        }
        let is_pkmsg = planned
            .pairwise
            .is_some_and(|enc| enc.attr_str("type") == Some("pkmsg"));
        if is_pkmsg {
            if let Some(identity) = stanza.child("device-identity") {
                children.push(identity.clone().into_owned());
            }
        }
        entry.delivered.insert(planned.device.clone());
        deliveries.push(Delivery {
            to: planned.device,
            node: node.with_children(children),
            ack_id: Some(id.to_owned()),
        });
    }
    Ok(FannedOut {
        t: entry.t,
        phash,
        deliveries,
    })
}

/// One device's copy of a message, before it is built.
struct Planned<'s, 'a> {
    device: DeviceRef,
    from: Jid,
    participant: Option<Jid>,
    recipient: Option<Jid>,
    extra_attrs: Vec<(&'static str, AttrValue<'static>)>,
    pairwise: Option<&'s Node<'a>>,
    skmsg: Option<&'s Node<'a>>,
}

/// The `<enc>` of each `<to>` in `<participants>`, by device. Every `<to>` must name a live
/// device and hold one `<enc>`.
fn pairwise_encs<'s, 'a>(
    registry: &Registry,
    stanza: &'s Node<'a>,
) -> Result<BTreeMap<DeviceRef, &'s Node<'a>>, Refusal> {
    let mut encs = BTreeMap::new();
    let Some(participants) = stanza.child("participants") else {
        return single_device_enc(registry, stanza);
    };
    for to in participants.children_with_tag("to") {
        let jid = to.attr_jid("jid").ok_or(Refusal::BadRequest)?;
        let enc = to.child("enc").ok_or(Refusal::BadRequest)?;
        match registry.resolve_live(&jid) {
            Ok(device) => {
                encs.insert(device, enc);
            }
            // A device removed since the sender fetched its list: nothing to deliver to.
            Err(crate::Error::UnknownDevice) => {}
            Err(_) => return Err(Refusal::BadRequest),
        }
    }
    Ok(encs)
}

/// A resend for one device (the answer to its retry receipt) has no `<participants>`: its
/// one pairwise `<enc>` sits in the message, for the device `participant` names (groups) or
/// `to` names (chats; no device part = the primary phone).
fn single_device_enc<'s, 'a>(
    registry: &Registry,
    stanza: &'s Node<'a>,
) -> Result<BTreeMap<DeviceRef, &'s Node<'a>>, Refusal> {
    let mut encs = BTreeMap::new();
    let Some(enc) = stanza
        .children_with_tag("enc")
        .find(|enc| enc.attr_str("type") != Some("skmsg"))
    else {
        return Ok(encs);
    };
    let to = stanza.attr_jid("to").ok_or(Refusal::BadRequest)?;
    let target = if to.is_group() {
        stanza.attr_jid("participant").ok_or(Refusal::BadRequest)?
    } else {
        to
    };
    let device = registry
        .resolve_live(&target)
        .map_err(|_| Refusal::NotFound)?;
    encs.insert(device, enc);
    Ok(encs)
}

/// A message to a user: each `<to>` device of the recipient gets it `from` the sender's
/// device; each of the sender's own other devices gets it with `recipient` = the chat.
fn direct_plan<'s, 'a>(
    registry: &Registry,
    sender_account: &Account,
    sender: &DeviceRef,
    chat: &Jid,
    stanza: &Node<'_>,
    pairwise: &BTreeMap<DeviceRef, &'s Node<'a>>,
) -> Result<Vec<Planned<'s, 'a>>, Refusal> {
    let recipient = registry.account(chat).map_err(|_| Refusal::NotFound)?;
    let lid = chat.is_lid();
    let from = device_jid(sender_account, sender.device, lid).map_err(|_| Refusal::BadRequest)?;
    let mut plan = Vec::new();
    for (device, enc) in pairwise {
        if device == sender {
            continue;
        }
        let own = device.phone == sender.phone;
        if !own && device.phone != recipient.jid.user() {
            return Err(Refusal::BadRequest);
        }
        // A chat by LID names the other side's phone number too, as WhatsApp does: the
        // recipient learns the sender's (`sender_pn`), the sender's own devices get the
        // `peer_recipient_pn` the sender gave.
        let mut extra_attrs = Vec::new();
        if let (true, Some(pn)) = (own, stanza.attr_jid("peer_recipient_pn")) {
            extra_attrs.push(("peer_recipient_pn", AttrValue::from(pn)));
        } else if lid && !own {
            extra_attrs.push(("sender_pn", AttrValue::from(sender_account.jid.clone())));
        }
        plan.push(Planned {
            device: device.clone(),
            from: from.clone(),
            participant: None,
            // A resend to one's own device names the original chat itself.
            recipient: own.then(|| {
                stanza
                    .attr_jid("recipient")
                    .unwrap_or_else(|| chat.to_non_ad())
            }),
            extra_attrs,
            pairwise: Some(*enc),
            skmsg: None,
        });
    }
    Ok(plan)
}

/// A message to a group: every member device but the sender's gets the sender-key `<enc>`
/// and its pairwise `<enc>` if there is one, `from` the group with `participant` = the sender's
/// device in the group's addressing form. Also returns the server's `phash` when the sender's
/// differs from it.
fn group_plan<'s, 'a>(
    registry: &Registry,
    group: &GroupInfo,
    sender_account: &Account,
    sender: &DeviceRef,
    stanza: &'s Node<'a>,
    pairwise: &BTreeMap<DeviceRef, &'s Node<'a>>,
) -> Result<(Vec<Planned<'s, 'a>>, Option<String>), Refusal> {
    if !group.has_member_phone(&sender.phone) {
        return Err(Refusal::Forbidden);
    }
    let lid = group.addressing == AddressingMode::Lid;
    let participant =
        device_jid(sender_account, sender.device, lid).map_err(|_| Refusal::BadRequest)?;
    let skmsg = stanza
        .children_with_tag("enc")
        .find(|enc| enc.attr_str("type") == Some("skmsg"));
    let mut member_devices = Vec::new();
    let mut plan = Vec::new();
    for member in &group.participants {
        for device in registry.live_devices(member.account.jid.user()) {
            let jid =
                device_jid(&member.account, device.device, lid).map_err(|_| Refusal::BadRequest)?;
            member_devices.push(jid);
            let pairwise_enc = pairwise.get(&device).copied();
            if device == *sender || (pairwise_enc.is_none() && skmsg.is_none()) {
                continue;
            }
            let mut extra_attrs = Vec::new();
            if lid {
                let participant_pn = device_jid(sender_account, sender.device, false)
                    .map_err(|_| Refusal::BadRequest)?;
                extra_attrs.push(("addressing_mode", AttrValue::from("lid")));
                extra_attrs.push(("participant_pn", AttrValue::from(participant_pn)));
            }
            plan.push(Planned {
                device,
                from: group.jid.clone(),
                participant: Some(participant.clone()),
                recipient: None,
                extra_attrs,
                pairwise: pairwise_enc,
                skmsg,
            });
        }
    }
    if pairwise
        .keys()
        .any(|device| !group.has_member_phone(&device.phone))
    {
        return Err(Refusal::BadRequest);
    }
    let server_phash = participant_hash(&member_devices);
    let phash = stanza
        .attr_str("phash")
        .filter(|given| *given != server_phash)
        .map(|_| server_phash);
    Ok((plan, phash))
}
