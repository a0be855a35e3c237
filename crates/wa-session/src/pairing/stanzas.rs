//! The stanza shapes pairing shares: a server `<iq>` request with one child, and the
//! `<iq to="s.whatsapp.net" type id>` replies to it.

use wa_binary::{Jid, Node, Server};

use super::error::PairingError;

/// A server request: `<iq from="s.whatsapp.net" type="set" id>` with exactly one child.
#[derive(Debug)]
pub(crate) struct ServerRequest<'n, 'a> {
    /// The request id, echoed in the reply.
    pub(crate) id: &'n str,
    /// The one child.
    pub(crate) child: &'n Node<'a>,
}

/// Reads `node` as a server request whose only child is `<tag>` (whatsmeow ignores IQs from
/// anyone else or with more children).
pub(crate) fn server_request<'n, 'a>(
    node: &'n Node<'a>,
    tag: &'static str,
) -> Result<ServerRequest<'n, 'a>, PairingError> {
    let from_server = node.attr_jid("from") == Some(Jid::server_only(Server::User));
    let (true, true, [child]) = (node.tag() == "iq", from_server, node.children()) else {
        return Err(PairingError::NotARequest(tag));
    };
    if child.tag() != tag {
        return Err(PairingError::NotARequest(tag));
    }
    let id = node
        .attr_str("id")
        .filter(|id| !id.is_empty())
        .ok_or(PairingError::NotARequest(tag))?;
    Ok(ServerRequest { id, child })
}

/// `<iq to="s.whatsapp.net" type="result" id>` with optional children.
pub(crate) fn result_reply(id: &str, children: Vec<Node<'static>>) -> Node<'static> {
    let reply = Node::new("iq")
        .with_attr("to", Jid::server_only(Server::User))
        .with_attr("type", "result")
        .with_attr("id", id.to_owned());
    if children.is_empty() {
        reply
    } else {
        reply.with_children(children)
    }
}

/// `<iq to="s.whatsapp.net" type="error" id><error code text/></iq>`.
pub(crate) fn error_reply(id: &str, code: u16, text: &'static str) -> Node<'static> {
    Node::new("iq")
        .with_attr("to", Jid::server_only(Server::User))
        .with_attr("type", "error")
        .with_attr("id", id.to_owned())
        .with_children(vec![Node::new("error")
            .with_attr("code", code.to_string())
            .with_attr("text", text)])
}
