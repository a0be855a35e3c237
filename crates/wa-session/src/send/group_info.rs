//! Group metadata for a send: `<iq xmlns="w:g2" type="get" to=GROUP><query
//! request="interactive"/></iq>` → the members, their other address form, admins, and the
//! group's addressing mode.

use wa_binary::{Jid, Node};

use crate::content::{GroupAddressing, LidLookup};
use crate::error::{Error, Result};
use crate::fanout::{Addressing, OwnIdentity};

/// The metadata query for `group`. The session sets the IQ id.
///
/// ```
/// let q = wa_session::send::group_query(&"120363012345678901@g.us".parse()?);
/// assert_eq!(q.attr_str("xmlns"), Some("w:g2"));
/// # Ok::<(), wa_binary::JidError>(())
/// ```
#[must_use]
pub fn group_query(group: &Jid) -> Node<'static> {
    Node::new("iq")
        .with_attr("xmlns", "w:g2")
        .with_attr("type", "get")
        .with_attr("to", group.to_non_ad())
        .with_children(vec![Node::new("query").with_attr("request", "interactive")])
}

/// One member of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupMember {
    /// The member in the group's addressing form.
    pub jid: Jid,
    /// The member in the other form (`lid` in PN groups, `phone_number` in LID groups), when
    /// the server said.
    pub other: Option<Jid>,
    /// Whether the member is an admin (`type="admin"` or `"superadmin"`).
    pub admin: bool,
}

/// What a send needs to know about a group.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupInfo {
    /// How the group addresses its members.
    pub addressing: Addressing,
    /// Its members.
    pub members: Vec<GroupMember>,
}

impl GroupInfo {
    /// Reads the answer to [`group_query`].
    ///
    /// ```
    /// use wa_binary::{Jid, Node};
    /// let member = Node::new("participant").with_attr("jid", "1@lid".parse::<Jid>()?)
    ///     .with_attr("phone_number", "15550001111@s.whatsapp.net".parse::<Jid>()?)
    ///     .with_attr("type", "superadmin");
    /// let reply = Node::new("iq").with_children(vec![Node::new("group")
    ///     .with_attr("addressing_mode", "lid").with_children(vec![member])]);
    /// let info = wa_session::send::GroupInfo::parse(&reply)?;
    /// assert_eq!(info.addressing, wa_session::fanout::Addressing::Lid);
    /// assert!(info.members[0].admin);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MalformedStanza`] without a `<group>`, for a participant without a JID, or
    /// one not in the group's form.
    pub fn parse(reply: &Node<'_>) -> Result<Self> {
        let group = reply
            .child("group")
            .ok_or(Error::MalformedStanza("group answer without <group>"))?;
        let addressing = match group.attr_str("addressing_mode") {
            Some("lid") => Addressing::Lid,
            _ => Addressing::Pn,
        };
        let other_attr = match addressing {
            Addressing::Pn => "lid",
            Addressing::Lid => "phone_number",
        };
        let mut members = Vec::new();
        for participant in group.children_with_tag("participant") {
            let jid = participant
                .attr_jid("jid")
                .ok_or(Error::MalformedStanza("group participant without jid"))?
                .to_non_ad();
            if Addressing::of(&jid) != Some(addressing) {
                return Err(Error::MalformedStanza(
                    "group participant in the wrong form",
                ));
            }
            let admin = matches!(participant.attr_str("type"), Some("admin" | "superadmin"));
            members.push(GroupMember {
                jid,
                other: participant.attr_jid(other_attr).map(|j| j.to_non_ad()),
                admin,
            });
        }
        Ok(Self {
            addressing,
            members,
        })
    }

    /// The group's form as the content rules name it.
    #[must_use]
    pub const fn group_addressing(&self) -> GroupAddressing {
        match self.addressing {
            Addressing::Pn => GroupAddressing::Pn,
            Addressing::Lid => GroupAddressing::Lid,
        }
    }

    /// The members' accounts in the group's form.
    #[must_use]
    pub fn member_jids(&self) -> Vec<Jid> {
        self.members.iter().map(|m| m.jid.clone()).collect()
    }

    /// Whether we are an admin of the group.
    #[must_use]
    pub fn is_admin(&self, own: &OwnIdentity) -> bool {
        self.members
            .iter()
            .any(|m| m.admin && own.is_own_user(&m.jid))
    }

    /// The LID <-> phone-number mappings the member list gives.
    #[must_use]
    pub fn lid_mappings(&self) -> Vec<super::LidMapping> {
        self.members
            .iter()
            .filter_map(|m| super::LidMapping::from_pair(&m.jid, m.other.as_ref()?))
            .collect()
    }

    /// Whether we are a member.
    #[must_use]
    pub fn is_member(&self, own: &OwnIdentity) -> bool {
        self.members.iter().any(|m| own.is_own_user(&m.jid))
    }
}

/// The member list maps authors between the forms.
impl LidLookup for GroupInfo {
    fn lid_for_pn(&self, pn: &Jid) -> Option<Jid> {
        self.members.iter().find_map(|m| match self.addressing {
            Addressing::Lid => (m.other.as_ref() == Some(pn)).then(|| m.jid.clone()),
            Addressing::Pn => (&m.jid == pn).then(|| m.other.clone()).flatten(),
        })
    }

    fn pn_for_lid(&self, lid: &Jid) -> Option<Jid> {
        self.members.iter().find_map(|m| match self.addressing {
            Addressing::Pn => (m.other.as_ref() == Some(lid)).then(|| m.jid.clone()),
            Addressing::Lid => (&m.jid == lid).then(|| m.other.clone()).flatten(),
        })
    }
}
