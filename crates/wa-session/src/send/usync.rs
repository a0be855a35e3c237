//! The IQs that find a send's recipients: usync device lists and prekey bundles.

use wa_binary::{Jid, Node, Server};

use crate::error::{Error, Result};

/// `<iq xmlns="usync" type="get" to="s.whatsapp.net"><usync sid mode="query" last="true"
/// index="0" context="message"><query><devices version="2"/></query><list><user jid/>..`
/// for the accounts `users` (device parts dropped). The session sets the IQ id.
///
/// ```
/// let q = wa_session::send::devices_query(&["15550002222@s.whatsapp.net".parse()?], "s1");
/// assert_eq!(q.attr_str("xmlns"), Some("usync"));
/// # Ok::<(), wa_binary::JidError>(())
/// ```
#[must_use]
pub fn devices_query(users: &[Jid], sid: &str) -> Node<'static> {
    let list = users
        .iter()
        .map(|user| Node::new("user").with_attr("jid", user.to_non_ad()))
        .collect();
    let usync = Node::new("usync")
        .with_attr("sid", sid.to_owned())
        .with_attr("mode", "query")
        .with_attr("last", "true")
        .with_attr("index", "0")
        .with_attr("context", "message")
        .with_children(vec![
            Node::new("query").with_children(vec![Node::new("devices").with_attr("version", "2")]),
            Node::new("list").with_children(list),
        ]);
    iq("usync", vec![usync])
}

/// Every device JID in a usync answer, per `<user jid>` in the user's own form. Users
/// answered with an `<error>` (unknown accounts) list no devices.
///
/// ```
/// use wa_binary::Node;
/// let user = Node::new("user").with_attr("jid", "15550002222@s.whatsapp.net".parse::<wa_binary::Jid>()?)
///     .with_children(vec![Node::new("devices").with_children(vec![Node::new("device-list")
///         .with_children(vec![Node::new("device").with_attr("id", "0"), Node::new("device").with_attr("id", "3")])])]);
/// let reply = Node::new("iq").with_children(vec![Node::new("usync")
///     .with_children(vec![Node::new("list").with_children(vec![user])])]);
/// let devices = wa_session::send::parse_devices(&reply)?;
/// assert_eq!(devices[0].1[1].to_string(), "15550002222:3@s.whatsapp.net");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::MalformedStanza`] when the list, a user's JID or a device id is missing or
/// invalid.
pub fn parse_devices(reply: &Node<'_>) -> Result<Vec<(Jid, Vec<Jid>)>> {
    let list = reply
        .child("usync")
        .and_then(|usync| usync.child("list"))
        .ok_or(Error::MalformedStanza("usync answer without a list"))?;
    let mut users = Vec::new();
    for user in list.children_with_tag("user") {
        let jid = user
            .attr_jid("jid")
            .ok_or(Error::MalformedStanza("usync user without jid"))?
            .to_non_ad();
        let mut devices = Vec::new();
        if let Some(device_list) = user.child("devices").and_then(|d| d.child("device-list")) {
            for device in device_list.children_with_tag("device") {
                let id: u16 = device
                    .attr_str("id")
                    .and_then(|id| id.parse().ok())
                    .ok_or(Error::MalformedStanza("usync device id"))?;
                devices.push(jid.clone().with_device(id)?);
            }
        }
        users.push((jid, devices));
    }
    Ok(users)
}

/// `<iq xmlns="encrypt" type="get"><key><user jid reason="identity"/>..</key></iq>` for the
/// devices that have no session yet.
///
/// ```
/// let q = wa_session::send::bundles_query(&["15550002222:1@s.whatsapp.net".parse()?]);
/// assert_eq!(q.child("key").map(|k| k.children().len()), Some(1));
/// # Ok::<(), wa_binary::JidError>(())
/// ```
#[must_use]
pub fn bundles_query(devices: &[Jid]) -> Node<'static> {
    let users = devices
        .iter()
        .map(|device| {
            Node::new("user")
                .with_attr("jid", device.clone())
                .with_attr("reason", "identity")
        })
        .collect();
    iq("encrypt", vec![Node::new("key").with_children(users)])
}

fn iq(xmlns: &'static str, children: Vec<Node<'static>>) -> Node<'static> {
    Node::new("iq")
        .with_attr("xmlns", xmlns)
        .with_attr("type", "get")
        .with_attr("to", Jid::server_only(Server::User))
        .with_children(children)
}
