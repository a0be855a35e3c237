//! IQ handlers (PROTOCOL.md section 5): ping, prekey count and upload, and a clean
//! `feature-not-implemented` error for everything else. Sans-IO: a request node and the
//! registry in, the reply node out.

use wa_binary::{AttrValue, Jid, Node, Server};
use wa_noise::PublicKey;
use wa_signal::{PreKeyId, RegistrationId, SignedPreKeyId};

use crate::registry::{DeviceRef, PreKeyPublic, Registry, SignedPreKeyPublic};

/// The `type` byte of Curve25519 keys in stanzas.
const KEY_TYPE_DJB: u8 = 0x05;

/// An error reply: `<error code text/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IqError {
    code: u16,
    text: &'static str,
}

const BAD_REQUEST: IqError = IqError {
    code: 400,
    text: "bad-request",
};
const NOT_IMPLEMENTED: IqError = IqError {
    code: 501,
    text: "feature-not-implemented",
};
const INTERNAL: IqError = IqError {
    code: 500,
    text: "internal-server-error",
};

/// Answers one `<iq>` from an authenticated device. Returns `None` for the client's own
/// `result`/`error` replies (to IQs the server sent), which need no answer.
pub(crate) fn handle_iq(
    request: &Node<'_>,
    device: &DeviceRef,
    registry: &mut Registry,
) -> Option<Node<'static>> {
    let kind = request.attr_str("type").unwrap_or_default();
    if matches!(kind, "result" | "error") {
        return None;
    }
    let xmlns = request.attr_str("xmlns").unwrap_or_default();
    let first_child = request.children().first().map(Node::tag);
    let outcome = match (xmlns, kind, first_child) {
        ("w:p", "get", Some("ping")) => Ok(Vec::new()),
        ("encrypt", "get", Some("count")) => pre_key_count(device, registry),
        ("encrypt", "set", _) if request.child("registration").is_some() => {
            upload_pre_keys(request, device, registry).map(|()| Vec::new())
        }
        _ => Err(NOT_IMPLEMENTED),
    };
    Some(match outcome {
        Ok(children) => reply(request, "result", children),
        Err(error) => {
            tracing::debug!(xmlns, kind, code = error.code, "iq refused");
            error_reply(request, error)
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

/// `<iq type="error"><error code text/></iq>`.
fn error_reply(request: &Node<'_>, error: IqError) -> Node<'static> {
    reply(
        request,
        "error",
        vec![Node::new("error")
            .with_attr("code", error.code.to_string())
            .with_attr("text", error.text)],
    )
}

fn pre_key_count(device: &DeviceRef, registry: &Registry) -> Result<Vec<Node<'static>>, IqError> {
    let count = registry.pre_key_count(device).map_err(|_| INTERNAL)?;
    Ok(vec![
        Node::new("count").with_attr("value", count.to_string())
    ])
}

/// `<registration/><type/><identity/><list><key><id/><value/></key>..</list>
/// <skey><id/><value/><signature/></skey>`: every field is checked before anything is stored.
fn upload_pre_keys(
    request: &Node<'_>,
    device: &DeviceRef,
    registry: &mut Registry,
) -> Result<(), IqError> {
    let registration_id = RegistrationId(u32::from_be_bytes(fixed::<4>(request, "registration")?));
    if fixed::<1>(request, "type")? != [KEY_TYPE_DJB] {
        return Err(BAD_REQUEST);
    }
    let identity = PublicKey::from_bytes(fixed::<32>(request, "identity")?);
    let registered = registry.identity_of(device).map_err(|_| INTERNAL)?;
    if *registered.public_key() != identity {
        return Err(BAD_REQUEST);
    }
    let list = request.child("list").ok_or(BAD_REQUEST)?;
    let pre_keys = list
        .children_with_tag("key")
        .map(|key| {
            Ok(PreKeyPublic {
                id: PreKeyId(id_3_bytes(key)?),
                public_key: PublicKey::from_bytes(fixed::<32>(key, "value")?),
            })
        })
        .collect::<Result<Vec<_>, IqError>>()?;
    let skey = request.child("skey").ok_or(BAD_REQUEST)?;
    let signed_pre_key = SignedPreKeyPublic {
        id: SignedPreKeyId(id_3_bytes(skey)?),
        public_key: PublicKey::from_bytes(fixed::<32>(skey, "value")?),
        signature: fixed::<64>(skey, "signature")?,
    };
    registry
        .store_pre_keys(device, registration_id, signed_pre_key, &pre_keys)
        .map_err(|_| BAD_REQUEST)
}

/// The bytes of child `tag`, which must be exactly `N` long.
fn fixed<const N: usize>(parent: &Node<'_>, tag: &str) -> Result<[u8; N], IqError> {
    parent
        .child(tag)
        .and_then(Node::bytes)
        .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
        .ok_or(BAD_REQUEST)
}

/// A prekey id: `<id>` of exactly 3 bytes, big-endian.
fn id_3_bytes(parent: &Node<'_>) -> Result<u32, IqError> {
    let [a, b, c] = fixed::<3>(parent, "id")?;
    Ok(u32::from_be_bytes([0, a, b, c]))
}
