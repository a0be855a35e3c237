//! Reading the `<notification>`s the send path must act on (whatsmeow's notification.go for
//! the facts): `type="devices"` (an account gained or lost a device: `<add|remove|update
//! device_hash><device jid [lid]/></add>`, the account in `from`, its LID in `lid`) and
//! `type="encrypt"` with `<identity/>` (an account's identity key changed) and `type="w:gp2"`
//! (a group changed: `<remove><participant jid [phone_number]/></remove>` and others). Every
//! notification is acknowledged with `<ack class="notification" id to [participant] [type]>`.

use wa_binary::{Jid, Node};

/// What a notification means for the send path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notification {
    /// `from`'s device list changed: cached lists of the account (both forms) are stale.
    Devices {
        /// The account (no device).
        user: Jid,
        /// Its LID, when the server said (`lid`).
        lid: Option<Jid>,
        /// The devices named as added or removed.
        changed: Vec<Jid>,
    },
    /// `from`'s identity key changed: its sessions are no longer valid.
    IdentityChanged {
        /// The account (no device).
        user: Jid,
    },
    /// A group changed (`type="w:gp2"`: members added, removed, promoted, ...): its cached
    /// metadata is stale. A member removed means our sender key must change.
    GroupChanged {
        /// The group.
        group: Jid,
        /// Members named in a `<remove>`.
        removed: Vec<Jid>,
        /// The `<participant jid phone_number>` pairs the notification names.
        lid_pairs: Vec<(Jid, Jid)>,
    },
    /// Anything else (acknowledged, nothing to do here).
    Other,
}

/// Reads a `<notification>`.
///
/// ```
/// use wa_binary::{Jid, Node};
/// use wa_session::receive::{read_notification, Notification};
/// let node = Node::new("notification").with_attr("type", "devices")
///     .with_attr("from", "15550002222@s.whatsapp.net".parse::<Jid>()?)
///     .with_children(vec![Node::new("add").with_children(vec![
///         Node::new("device").with_attr("jid", "15550002222:4@s.whatsapp.net".parse::<Jid>()?)])]);
/// let Notification::Devices { user, changed, .. } = read_notification(&node) else { panic!() };
/// assert_eq!(user.to_string(), "15550002222@s.whatsapp.net");
/// assert_eq!(changed[0].device(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn read_notification(node: &Node<'_>) -> Notification {
    let Some(from) = node.attr_jid("from").filter(|from| !from.is_server()) else {
        return Notification::Other;
    };
    match node.attr_str("type") {
        Some("devices") => Notification::Devices {
            user: from.to_non_ad(),
            lid: node.attr_jid("lid").map(|lid| lid.to_non_ad()),
            changed: node
                .children()
                .iter()
                .filter_map(|change| change.child("device")?.attr_jid("jid"))
                .collect(),
        },
        Some("encrypt") if node.child("identity").is_some() => Notification::IdentityChanged {
            user: from.to_non_ad(),
        },
        Some("w:gp2") if from.is_group() => {
            let participants = |change: &Node<'_>| {
                change
                    .children_with_tag("participant")
                    .filter_map(|p| p.attr_jid("jid"))
                    .map(|jid| jid.to_non_ad())
                    .collect::<Vec<_>>()
            };
            Notification::GroupChanged {
                group: from.to_non_ad(),
                removed: node
                    .children_with_tag("remove")
                    .flat_map(participants)
                    .collect(),
                lid_pairs: node
                    .children()
                    .iter()
                    .flat_map(|change| change.children_with_tag("participant"))
                    .filter_map(|p| Some((p.attr_jid("jid")?, p.attr_jid("phone_number")?)))
                    .collect(),
            }
        }
        _ => Notification::Other,
    }
}

/// `<ack class="notification" id to=FROM [participant] [type]>` for a notification.
///
/// ```
/// use wa_binary::{Jid, Node};
/// let node = Node::new("notification").with_attr("id", "n1").with_attr("type", "devices")
///     .with_attr("from", "15550002222@s.whatsapp.net".parse::<Jid>()?);
/// let ack = wa_session::receive::notification_ack(&node);
/// assert_eq!((ack.attr_str("class"), ack.attr_str("id")), (Some("notification"), Some("n1")));
/// assert_eq!(ack.attr_str("type"), Some("devices"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn notification_ack(node: &Node<'_>) -> Node<'static> {
    let mut ack = Node::new("ack").with_attr("class", "notification");
    if let Some(id) = node.attr_str("id") {
        ack = ack.with_attr("id", id.to_owned());
    }
    if let Some(from) = node.attr("from") {
        ack = ack.with_attr("to", from.clone().into_owned());
    }
    for name in ["participant", "type"] {
        if let Some(value) = node.attr(name) {
            ack = ack.with_attr(name, value.clone().into_owned());
        }
    }
    ack
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn identity_changes_and_other_notifications() {
        let from: Jid = "200000000000002@lid".parse().unwrap();
        let identity = Node::new("notification")
            .with_attr("type", "encrypt")
            .with_attr("from", from.clone())
            .with_children(vec![Node::new("identity")]);
        assert_eq!(
            read_notification(&identity),
            Notification::IdentityChanged { user: from.clone() }
        );
        let count = Node::new("notification")
            .with_attr("type", "encrypt")
            .with_attr("from", from)
            .with_children(vec![Node::new("count").with_attr("value", "3")]);
        assert_eq!(read_notification(&count), Notification::Other);
        let no_from = Node::new("notification").with_attr("type", "devices");
        assert_eq!(read_notification(&no_from), Notification::Other);
    }
}
