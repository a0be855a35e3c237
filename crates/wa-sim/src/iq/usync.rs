//! The `usync` namespace: `<usync sid mode context last index><query>PROTOCOLS</query><list>
//! <user jid/>..</list></usync>`. Supported protocols: `devices` (the device list senders
//! fan out to) and `lid` (a PN user's LID); a query naming any other protocol is refused with
//! `feature-not-implemented`.
//!
//! Each known user is answered `<user jid>[<lid val/>]<devices><device-list><device id
//! [key-index]/>..</device-list></devices></user>` with the JID as asked (PN or LID, device part
//! dropped). Only registered, not removed devices are listed: primary phones are not simulated
//! yet, so device 0 never appears. Companions carry `key-index` = their device id (there is no
//! ADV key index until pairing exists). Unknown users get `<user jid><error code="404"
//! text="item-not-found"/></user>`, which whatsmeow and Baileys both read as "no devices".

use wa_binary::{Jid, Node};

use super::{user_error, IqError, Outcome, BAD_REQUEST, INTERNAL, ITEM_NOT_FOUND, NOT_IMPLEMENTED};
use crate::error::Error;
use crate::registry::{DeviceRef, Registry};

/// The query protocols this server answers.
#[derive(Debug, Clone, Copy, Default)]
struct Protocols {
    devices: bool,
    lid: bool,
}

/// Answers a usync query.
pub(super) fn query(request: &Node<'_>, _device: &DeviceRef, registry: &mut Registry) -> Outcome {
    let usync = request.child("usync").ok_or(BAD_REQUEST)?;
    let protocols = requested_protocols(usync.child("query").ok_or(BAD_REQUEST)?)?;
    let jids = usync
        .child("list")
        .ok_or(BAD_REQUEST)?
        .children_with_tag("user")
        .map(|user| {
            user.attr_jid("jid")
                .map(|jid| jid.to_non_ad())
                .ok_or(BAD_REQUEST)
        })
        .collect::<Result<Vec<_>, IqError>>()?;
    let users = jids
        .into_iter()
        .map(|jid| user_node(jid, protocols, registry))
        .collect::<Result<Vec<_>, IqError>>()?;

    let mut answer = Node::new("usync");
    for attr in ["sid", "mode", "context"] {
        if let Some(value) = usync.attr(attr) {
            answer = answer.with_attr(attr, value.clone().into_owned());
        }
    }
    let answer = answer
        .with_attr("last", "true")
        .with_attr("index", "0")
        .with_children(vec![Node::new("list").with_children(users)]);
    Ok(vec![answer])
}

fn requested_protocols(query: &Node<'_>) -> Result<Protocols, IqError> {
    let mut protocols = Protocols::default();
    for protocol in query.children() {
        match protocol.tag() {
            "devices" => protocols.devices = true,
            "lid" => protocols.lid = true,
            _ => return Err(NOT_IMPLEMENTED),
        }
    }
    if protocols.devices || protocols.lid {
        Ok(protocols)
    } else {
        Err(BAD_REQUEST)
    }
}

fn user_node(
    jid: Jid,
    protocols: Protocols,
    registry: &Registry,
) -> Result<Node<'static>, IqError> {
    let device_ids = match registry.device_ids(&jid) {
        Ok(ids) => ids,
        Err(Error::UnknownAccount) => return Ok(user_error(jid, ITEM_NOT_FOUND)),
        Err(_) => return Err(INTERNAL),
    };
    let mut children = Vec::new();
    if protocols.lid && jid.is_pn_user() {
        let lid = registry.lid_of(&jid).map_err(|_| INTERNAL)?;
        children.push(Node::new("lid").with_attr("val", lid));
    }
    if protocols.devices {
        let devices = device_ids
            .into_iter()
            .map(|id| {
                let device = Node::new("device").with_attr("id", id.to_string());
                if id == 0 {
                    device
                } else {
                    device.with_attr("key-index", id.to_string())
                }
            })
            .collect();
        children.push(
            Node::new("devices")
                .with_children(vec![Node::new("device-list").with_children(devices)]),
        );
    }
    Ok(Node::new("user")
        .with_attr("jid", jid)
        .with_children(children))
}
