//! Minimal channels (newsletters): the server accepts a reaction to a channel post,
//! `<message to=CHANNEL id server_id type="reaction" [edit="7"]><reaction [code]/></message>`
//! (unencrypted), acknowledges it with `<ack class="message" id from t>` and keeps each
//! account's current reaction per post ([`Simulator::newsletter_reactions`]). Channels need
//! not be created first; other channel stanzas are refused with 501.

use std::collections::BTreeMap;

use wa_binary::{Jid, Node, Server};

use crate::registry::DeviceRef;
use crate::routing::Routed;
use crate::simulator::{Simulator, State};

/// An account's reaction to a channel post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsletterReaction {
    /// The channel (`…@newsletter`).
    pub channel: Jid,
    /// The post's server id.
    pub server_id: u64,
    /// The reacting account (phone-number JID).
    pub from: Jid,
    /// The emoji.
    pub emoji: String,
}

/// Current reactions by (channel, post, reacting account's phone number).
#[derive(Debug, Default)]
pub(crate) struct Newsletters {
    reactions: BTreeMap<(String, u64, String), NewsletterReaction>,
}

impl State {
    /// Routes a client's `<message>` to a channel: reactions are kept and acked, anything
    /// else is refused (`error="501"`, or `"400"` for a malformed reaction).
    pub(crate) fn newsletter_message(
        &mut self,
        device: &DeviceRef,
        stanza: &Node<'_>,
        now: u64,
    ) -> Routed {
        let Some(id) = stanza.attr_str("id") else {
            return Routed::default();
        };
        let channel = stanza.attr_jid("to").map(|jid| jid.to_non_ad());
        let outcome = match (&channel, stanza.attr_str("type")) {
            (Some(channel), Some("reaction")) => self.take_reaction(device, channel, stanza),
            _ => Err("501"),
        };
        let mut ack = Node::new("ack")
            .with_attr("class", "message")
            .with_attr("id", id.to_owned());
        if let Some(channel) = channel {
            ack = ack.with_attr("from", channel);
        }
        ack = ack.with_attr("t", now.to_string());
        if let Err(code) = outcome {
            ack = ack.with_attr("error", code);
        }
        Routed {
            reply: Some(ack),
            ..Routed::default()
        }
    }

    fn take_reaction(
        &mut self,
        device: &DeviceRef,
        channel: &Jid,
        stanza: &Node<'_>,
    ) -> Result<(), &'static str> {
        let server_id: u64 = stanza
            .attr_str("server_id")
            .and_then(|id| id.parse().ok())
            .ok_or("400")?;
        let reaction = stanza.child("reaction").ok_or("400")?;
        let from = self
            .registry
            .account_by_phone(&device.phone)
            .map_err(|_| "400")?
            .jid;
        let key = (channel.user().to_owned(), server_id, device.phone.clone());
        let reactions = &mut self.newsletters.reactions;
        match reaction.attr_str("code").filter(|code| !code.is_empty()) {
            Some(code) if stanza.attr_str("edit").is_none() => {
                reactions.insert(
                    key,
                    NewsletterReaction {
                        channel: channel.clone(),
                        server_id,
                        from,
                        emoji: code.to_owned(),
                    },
                );
            }
            None if stanza.attr_str("edit") == Some("7") => {
                reactions.remove(&key);
            }
            _ => return Err("400"),
        }
        Ok(())
    }
}

/// Whether `jid` is a channel.
pub(crate) fn is_newsletter(jid: &Jid) -> bool {
    *jid.server() == Server::Newsletter
}

impl Simulator {
    /// The current reactions to the posts of `channel`, by post then account.
    #[must_use]
    pub fn newsletter_reactions(&self, channel: &Jid) -> Vec<NewsletterReaction> {
        self.shared
            .lock()
            .newsletters
            .reactions
            .values()
            .filter(|reaction| reaction.channel.user() == channel.user())
            .cloned()
            .collect()
    }
}
