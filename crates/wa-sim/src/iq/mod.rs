//! IQ handlers (PROTOCOL.md section 5), one module per namespace: [`encrypt`] (prekey count,
//! upload and bundle fetch), [`usync`] (device lists), [`passive`] (passive/active), [`group`]
//! (`w:g2` group metadata), ping here, and a clean `feature-not-implemented` error for
//! everything else. Sans-IO: a request node, the device that sent it, the registry and the
//! groups in, the reply node out.

mod encrypt;
mod group;
mod passive;
mod usync;

use wa_binary::{AttrValue, Jid, Node, Server};

use crate::groups::Groups;
use crate::registry::{DeviceRef, Registry};

/// An error reply: `<error code text/>`, for a whole IQ or (inside a list) for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IqError {
    code: u16,
    text: &'static str,
}

impl IqError {
    /// `<error code text/>`.
    fn to_node(self) -> Node<'static> {
        Node::new("error")
            .with_attr("code", self.code.to_string())
            .with_attr("text", self.text)
    }
}

const BAD_REQUEST: IqError = IqError {
    code: 400,
    text: "bad-request",
};
const FORBIDDEN: IqError = IqError {
    code: 403,
    text: "forbidden",
};
const ITEM_NOT_FOUND: IqError = IqError {
    code: 404,
    text: "item-not-found",
};
const NOT_IMPLEMENTED: IqError = IqError {
    code: 501,
    text: "feature-not-implemented",
};
const INTERNAL: IqError = IqError {
    code: 500,
    text: "internal-server-error",
};

/// What a handler answers: the children of the `result` reply, or the IQ-level error.
type Outcome = Result<Vec<Node<'static>>, IqError>;

/// Answers one `<iq>` from an authenticated device. Returns `None` for the client's own
/// `result`/`error` replies (to IQs the server sent), which need no answer.
pub(crate) fn handle_iq(
    request: &Node<'_>,
    device: &DeviceRef,
    registry: &mut Registry,
    groups: &Groups,
) -> Option<Node<'static>> {
    let kind = request.attr_str("type").unwrap_or_default();
    if matches!(kind, "result" | "error") {
        return None;
    }
    let xmlns = request.attr_str("xmlns").unwrap_or_default();
    let first_child = request.children().first().map(Node::tag);
    let outcome = match (xmlns, kind, first_child) {
        ("w:p", "get", Some("ping")) => Ok(Vec::new()),
        ("encrypt", "get", Some("count")) => encrypt::pre_key_count(request, device, registry),
        ("encrypt", "get", Some("key")) => encrypt::fetch_bundles(request, device, registry),
        ("encrypt", "set", _) if request.child("registration").is_some() => {
            encrypt::upload_pre_keys(request, device, registry)
        }
        ("usync", "get", Some("usync")) => usync::query(request, device, registry),
        ("w:g2", "get", Some("query")) => group::metadata(request, device, groups),
        ("passive", "set", _) => passive::set_mode(request, device, registry),
        _ => Err(NOT_IMPLEMENTED),
    };
    Some(match outcome {
        Ok(children) => reply(request, "result", children),
        Err(error) => {
            tracing::debug!(xmlns, kind, code = error.code, "iq refused");
            reply(request, "error", vec![error.to_node()])
        }
    })
}

/// `<iq id from type>` with `from` = the request's `to` (the server's JID by default) and the
/// request's `id`.
fn reply(request: &Node<'_>, kind: &'static str, children: Vec<Node<'static>>) -> Node<'static> {
    let mut node = Node::new("iq");
    if let Some(id) = request.attr("id") {
        node = node.with_attr("id", id.clone().into_owned());
    }
    let from = request.attr("to").map_or_else(
        || AttrValue::Jid(Jid::server_only(Server::User)),
        |to| to.clone().into_owned(),
    );
    node = node.with_attr("from", from).with_attr("type", kind);
    if children.is_empty() {
        node
    } else {
        node.with_children(children)
    }
}

/// `<user jid><error code text/></user>`: a per-user failure inside a result list.
fn user_error(jid: Jid, error: IqError) -> Node<'static> {
    Node::new("user")
        .with_attr("jid", jid)
        .with_children(vec![error.to_node()])
}
