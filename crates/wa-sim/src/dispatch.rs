//! The server's switchboard: a stanza from a logged-in device goes to the IQ handlers or the
//! router, and what routing produced is delivered (to connections, mailboxes, or simulated
//! devices).

use wa_binary::{Jid, Node, Server};

use crate::iq::handle_iq;
use crate::registry::DeviceRef;
use crate::routing::{self, Routed};
use crate::simulator::State;

impl State {
    /// Handles one stanza from a logged-in device and returns the server's direct answer to it
    /// (an IQ result, an `<ack>`), if any.
    pub(crate) fn handle_stanza(
        &mut self,
        device: &DeviceRef,
        stanza: &Node<'_>,
        now: u64,
    ) -> Option<Node<'static>> {
        let routed = match stanza.tag() {
            "iq" => return handle_iq(stanza, device, &mut self.registry, &self.groups),
            "message" => routing::message::route(
                &self.registry,
                &self.groups,
                &mut self.ledger,
                device,
                stanza,
                now,
            ),
            "receipt" => routing::receipt::route(
                &self.registry,
                &self.groups,
                &self.ledger,
                device,
                stanza,
                now,
            ),
            "ack" => routing::receipt::client_ack(stanza),
            // Presence and typing state are not simulated; they need no answer.
            "presence" | "chatstate" => return None,
            _ => return unsupported_stanza(stanza),
        };
        self.apply(device, routed, now)
    }

    /// Records what `from` acknowledged, delivers what routing produced, and returns the reply.
    pub(crate) fn apply(
        &mut self,
        from: &DeviceRef,
        routed: Routed,
        now: u64,
    ) -> Option<Node<'static>> {
        for id in &routed.acknowledged {
            self.hub.acknowledge(from, id);
        }
        self.dispatch(routed.deliveries, now);
        routed.reply
    }
}

/// Stanzas the simulator does not handle (calls, newsletters' own stanzas, ...) get a negative
/// `<ack class error="501">` so the client does not wait for an answer forever.
fn unsupported_stanza(stanza: &Node<'_>) -> Option<Node<'static>> {
    let id = stanza.attr("id")?.clone().into_owned();
    tracing::debug!(tag = stanza.tag(), "unsupported stanza");
    Some(
        Node::new("ack")
            .with_attr("id", id)
            .with_attr("class", stanza.tag().to_owned())
            .with_attr("from", Jid::server_only(Server::User))
            .with_attr("error", "501"),
    )
}
