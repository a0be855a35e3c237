//! The `w:g2` namespace: group metadata. `<iq xmlns="w:g2" type="get" to=GROUP><query
//! request="interactive"/></iq>` is answered (from the group's JID) with
//!
//! `<group id subject s_t s_o [s_o_pn] creator [creator_pn] creation addressing_mode size>
//! <participant jid [lid|phone_number] [type]/>..</group>`
//!
//! where `id` is the group JID's user part and every member is named in the group's addressing
//! form: a phone-number group lists `jid=PN` with `lid=LID`, a LID group lists `jid=LID` with
//! `phone_number=PN` (and adds `creator_pn`/`s_o_pn`), which is what whatsmeow's
//! `parseParticipant` and `parseGroupNode` read into a participant's `PhoneNumber` and `LID`.
//! `type` is `admin` or `superadmin`, absent for plain members. A requester whose account is not
//! a member gets `403 forbidden`; an unknown group `404 item-not-found`.

use wa_binary::{Jid, Node, Server};

use super::{Outcome, BAD_REQUEST, FORBIDDEN, ITEM_NOT_FOUND};
use crate::groups::{AddressingMode, GroupInfo, Groups};
use crate::registry::DeviceRef;

/// Answers a group metadata query.
pub(super) fn metadata(request: &Node<'_>, device: &DeviceRef, groups: &Groups) -> Outcome {
    let group_jid = request
        .attr_jid("to")
        .filter(|jid| *jid.server() == Server::Group)
        .ok_or(BAD_REQUEST)?;
    let group = groups.get(&group_jid).ok_or(ITEM_NOT_FOUND)?;
    if !group.has_member_phone(&device.phone) {
        return Err(FORBIDDEN);
    }
    Ok(vec![group_node(group)])
}

/// The `<group>` node describing `group`.
fn group_node(group: &GroupInfo) -> Node<'static> {
    let mode = group.addressing;
    let creator = mode.jid_of(&group.creator).clone();
    let created = group.created.to_string();
    let mut node = Node::new("group")
        .with_attr("id", group.jid.user().to_owned())
        .with_attr("subject", group.subject.clone())
        .with_attr("s_t", created.clone())
        .with_attr("s_o", creator.clone());
    if mode == AddressingMode::Lid {
        node = node.with_attr("s_o_pn", group.creator.jid.clone());
    }
    node = node.with_attr("creator", creator);
    if mode == AddressingMode::Lid {
        node = node.with_attr("creator_pn", group.creator.jid.clone());
    }
    let participants = group
        .participants
        .iter()
        .map(|participant| {
            let account = &participant.account;
            let (other_key, other): (&'static str, &Jid) = match mode {
                AddressingMode::Pn => ("lid", &account.lid),
                AddressingMode::Lid => ("phone_number", &account.jid),
            };
            let entry = Node::new("participant")
                .with_attr("jid", mode.jid_of(account).clone())
                .with_attr(other_key, other.clone());
            match participant.role.as_type() {
                Some(kind) => entry.with_attr("type", kind),
                None => entry,
            }
        })
        .collect();
    node.with_attr("creation", created)
        .with_attr("addressing_mode", mode.as_str())
        .with_attr("size", group.participants.len().to_string())
        .with_children(participants)
}
