//! The server's switchboard: a stanza from a logged-in device goes to the IQ handlers or the
//! router (delivery of what routing produced is in `phones.rs`, next to the simulated devices
//! it may reach).

use wa_binary::{Jid, Node, Server};

use crate::iq::handle_iq;
use crate::registry::DeviceRef;
use crate::routing::{self, Routed};
use crate::simulator::State;

impl State {
    /// Routes one stanza from a logged-in device: the server's direct answer to it (an IQ
    /// result, an `<ack>`) and what other devices must get. What the device acknowledged by
    /// it is recorded at once; the caller sends the answer, then [`dispatch`](Self::dispatch)es
    /// the rest (so the sender sees its ack before anything the message causes).
    pub(crate) fn route_stanza(
        &mut self,
        device: &DeviceRef,
        stanza: &Node<'_>,
        now: u64,
    ) -> Routed {
        let routed = match stanza.tag() {
            "iq" if crate::unlink::is_unlink(stanza) => Routed {
                reply: Some(self.unlink_companion(device, stanza, now)),
                ..Routed::default()
            },
            "iq" => {
                if stanza.attr_str("xmlns") == Some("usync") {
                    self.watch_device_lists(device, stanza);
                }
                Routed {
                    reply: handle_iq(stanza, device, &mut self.registry, &self.groups),
                    ..Routed::default()
                }
            }
            "message"
                if stanza
                    .attr_jid("to")
                    .is_some_and(|to| crate::newsletters::is_newsletter(&to)) =>
            {
                self.newsletter_message(device, stanza, now)
            }
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
            "presence" | "chatstate" => Routed::default(),
            _ => Routed {
                reply: unsupported_stanza(stanza),
                ..Routed::default()
            },
        };
        for id in &routed.acknowledged {
            self.hub.acknowledge(device, id);
        }
        routed
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
