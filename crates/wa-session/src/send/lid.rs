//! LID <-> phone-number mappings (whatsmeow's send.go, user.go and message.go for the
//! facts): a one-to-one chat named by phone number is sent to the contact's LID when it is
//! known, with `peer_recipient_pn` = the phone number, and its Signal sessions live under the
//! LID address. Mappings come from usync `<lid/>` queries, group metadata, and the attributes
//! of received stanzas (`sender_pn` on a message from a LID, `participant_pn` in LID groups,
//! `sender_lid` / `participant_lid` / `peer_recipient_pn` the other way round).

use wa_binary::{Jid, Node, Server};

use crate::error::{Error, Result};

/// One account in both forms (user JIDs, no device).
///
/// ```
/// use wa_session::send::LidMapping;
/// let lid: wa_binary::Jid = "100000000000001:3@lid".parse()?;
/// let pn: wa_binary::Jid = "15550001111@s.whatsapp.net".parse()?;
/// let mapping = LidMapping::from_pair(&pn, &lid).ok_or("not a pair")?;
/// assert_eq!(mapping.lid.to_string(), "100000000000001@lid");
/// assert!(LidMapping::from_pair(&pn, &pn).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LidMapping {
    /// The account's LID (`…@lid`).
    pub lid: Jid,
    /// The account's phone-number JID (`…@s.whatsapp.net`).
    pub pn: Jid,
}

impl LidMapping {
    /// The mapping between two JIDs of one account, given in either order; `None` unless one
    /// is a LID user and the other a phone-number user. Device parts are dropped.
    #[must_use]
    pub fn from_pair(first: &Jid, second: &Jid) -> Option<Self> {
        let user = |jid: &Jid, server: Server| *jid.server() == server && !jid.is_server();
        let (lid, pn) = if user(first, Server::Lid) && user(second, Server::User) {
            (first, second)
        } else if user(first, Server::User) && user(second, Server::Lid) {
            (second, first)
        } else {
            return None;
        };
        Some(Self {
            lid: lid.to_non_ad(),
            pn: pn.to_non_ad(),
        })
    }
}

/// `<iq xmlns="usync" type="get"><usync sid mode="query" last="true" index="0"
/// context="interactive"><query><lid/></query><list><user jid/>..</list></usync></iq>`: the
/// LIDs of phone-number users. The session sets the IQ id.
///
/// ```
/// let q = wa_session::send::lids_query(&["15550002222@s.whatsapp.net".parse()?], "s1");
/// let usync = q.child("usync").ok_or("usync")?;
/// assert!(usync.child("query").and_then(|q| q.child("lid")).is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn lids_query(users: &[Jid], sid: &str) -> Node<'static> {
    let list = users
        .iter()
        .map(|user| Node::new("user").with_attr("jid", user.to_non_ad()))
        .collect();
    Node::new("iq")
        .with_attr("xmlns", "usync")
        .with_attr("type", "get")
        .with_attr("to", Jid::server_only(Server::User))
        .with_children(vec![Node::new("usync")
            .with_attr("sid", sid.to_owned())
            .with_attr("mode", "query")
            .with_attr("last", "true")
            .with_attr("index", "0")
            .with_attr("context", "interactive")
            .with_children(vec![
                Node::new("query").with_children(vec![Node::new("lid")]),
                Node::new("list").with_children(list),
            ])])
}

/// The mappings in a usync answer: each `<user jid=PN><lid val=LID/></user>`. Users without
/// a `<lid>` (unknown accounts answered with an `<error>`) give none.
///
/// ```
/// use wa_binary::{Jid, Node};
/// let user = Node::new("user").with_attr("jid", "15550002222@s.whatsapp.net".parse::<Jid>()?)
///     .with_children(vec![Node::new("lid").with_attr("val", "200000000000002@lid".parse::<Jid>()?)]);
/// let reply = Node::new("iq").with_children(vec![Node::new("usync")
///     .with_children(vec![Node::new("list").with_children(vec![user])])]);
/// let found = wa_session::send::parse_lids(&reply)?;
/// assert_eq!(found[0].lid.to_string(), "200000000000002@lid");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::MalformedStanza`] for an answer without a list or a user without a JID.
pub fn parse_lids(reply: &Node<'_>) -> Result<Vec<LidMapping>> {
    let list = reply
        .child("usync")
        .and_then(|usync| usync.child("list"))
        .ok_or(Error::MalformedStanza("usync answer without a list"))?;
    let mut found = Vec::new();
    for user in list.children_with_tag("user") {
        let jid = user
            .attr_jid("jid")
            .ok_or(Error::MalformedStanza("usync user without jid"))?;
        let lid = user.child("lid").and_then(|lid| lid.attr_jid("val"));
        if let Some(mapping) = lid.and_then(|lid| LidMapping::from_pair(&jid, &lid)) {
            found.push(mapping);
        }
    }
    Ok(found)
}

/// The mappings a received `<message>` or `<receipt>` reveals: its sender (`from`, or
/// `participant` in groups) with `sender_pn` / `sender_lid` / `participant_pn` /
/// `participant_lid`, and a LID chat's `peer_recipient_pn` on our own devices' copies.
///
/// ```
/// use wa_binary::{Jid, Node};
/// let node = Node::new("message")
///     .with_attr("from", "200000000000002:1@lid".parse::<Jid>()?)
///     .with_attr("sender_pn", "15550002222@s.whatsapp.net".parse::<Jid>()?);
/// let found = wa_session::send::lid_mappings_in(&node);
/// assert_eq!(found[0].pn.to_string(), "15550002222@s.whatsapp.net");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn lid_mappings_in(node: &Node<'_>) -> Vec<LidMapping> {
    let mut found = Vec::new();
    let mut pair = |a: Option<Jid>, b: Option<Jid>| {
        if let Some(mapping) = a.zip(b).and_then(|(a, b)| LidMapping::from_pair(&a, &b)) {
            if !found.contains(&mapping) {
                found.push(mapping);
            }
        }
    };
    let from = node.attr_jid("from");
    let participant = node.attr_jid("participant");
    for alt in ["sender_pn", "sender_lid"] {
        pair(from.clone(), node.attr_jid(alt));
    }
    for alt in ["participant_pn", "participant_lid"] {
        pair(participant.clone(), node.attr_jid(alt));
    }
    pair(
        node.attr_jid("recipient"),
        node.attr_jid("peer_recipient_pn"),
    );
    found
}
