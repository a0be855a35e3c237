//! The `encrypt` namespace: prekey count (`<count/>`), prekey upload (`type="set"`) and prekey
//! bundle fetch (`<key><user jid/>..</key>`), which hands out, and so consumes, one one-time
//! prekey per device.

use wa_binary::{Jid, Node};
use wa_noise::PublicKey;
use wa_signal::{PreKeyId, RegistrationId, SignedPreKeyId};

use super::{user_error, IqError, Outcome, BAD_REQUEST, INTERNAL, ITEM_NOT_FOUND};
use crate::error::Error;
use crate::registry::{Bundle, DeviceRef, PreKeyPublic, Registry, SignedPreKeyPublic};

/// The `type` byte of Curve25519 keys in stanzas.
const KEY_TYPE_DJB: u8 = 0x05;

/// `<count value/>`: how many one-time prekeys the server holds for the requesting device.
pub(super) fn pre_key_count(
    _request: &Node<'_>,
    device: &DeviceRef,
    registry: &mut Registry,
) -> Outcome {
    let count = registry.pre_key_count(device).map_err(|_| INTERNAL)?;
    Ok(vec![
        Node::new("count").with_attr("value", count.to_string())
    ])
}

/// `<registration/><type/><identity/><list><key><id/><value/></key>..</list>
/// <skey><id/><value/><signature/></skey>`: every field is checked before anything is stored.
pub(super) fn upload_pre_keys(
    request: &Node<'_>,
    device: &DeviceRef,
    registry: &mut Registry,
) -> Outcome {
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
        .map_err(|_| BAD_REQUEST)?;
    Ok(Vec::new())
}

/// `<key><user jid [reason]/>..</key>` -> `<list><user jid>BUNDLE</user>..</list>`, one entry per
/// requested device JID (PN or LID), in request order. A device the server does not know (or
/// that was removed, or a primary phone, which is not simulated yet) gets
/// `<user jid><error code="404" text="item-not-found"/></user>`; a `<user>` without a JID makes
/// the whole IQ a bad request, checked before any prekey is consumed.
pub(super) fn fetch_bundles(
    request: &Node<'_>,
    _device: &DeviceRef,
    registry: &mut Registry,
) -> Outcome {
    let key = request.child("key").ok_or(BAD_REQUEST)?;
    let jids = key
        .children_with_tag("user")
        .map(|user| user.attr_jid("jid").ok_or(BAD_REQUEST))
        .collect::<Result<Vec<_>, IqError>>()?;
    if jids.is_empty() {
        return Err(BAD_REQUEST);
    }
    let users = jids
        .into_iter()
        .map(|jid| match registry.take_bundle(&jid) {
            Ok(bundle) => Ok(bundle_node(jid, &bundle)),
            Err(Error::UnknownAccount | Error::UnknownDevice) => {
                Ok(user_error(jid, ITEM_NOT_FOUND))
            }
            Err(_) => Err(INTERNAL),
        })
        .collect::<Result<Vec<_>, IqError>>()?;
    Ok(vec![Node::new("list").with_children(users)])
}

/// `<user jid><registration/><type/><identity/>[<key><id/><value/></key>]
/// <skey><id/><value/><signature/></skey></user>`, in the order the real server sends them.
fn bundle_node(jid: Jid, bundle: &Bundle) -> Node<'static> {
    let mut children = vec![
        Node::new("registration").with_bytes(bundle.registration_id.0.to_be_bytes().to_vec()),
        Node::new("type").with_bytes(vec![KEY_TYPE_DJB]),
        Node::new("identity").with_bytes(bundle.identity_key.public_key().as_bytes().to_vec()),
    ];
    if let Some(pre_key) = &bundle.pre_key {
        children.push(Node::new("key").with_children(vec![
            id_node(pre_key.id.0),
            Node::new("value").with_bytes(pre_key.public_key.as_bytes().to_vec()),
        ]));
    }
    let signed = &bundle.signed_pre_key;
    children.push(Node::new("skey").with_children(vec![
        id_node(signed.id.0),
        Node::new("value").with_bytes(signed.public_key.as_bytes().to_vec()),
        Node::new("signature").with_bytes(signed.signature.to_vec()),
    ]));
    Node::new("user")
        .with_attr("jid", jid)
        .with_children(children)
}

/// `<id>` with the low 3 bytes of `id`, big-endian (the registry keeps ids below 2^24).
fn id_node(id: u32) -> Node<'static> {
    let [_, a, b, c] = id.to_be_bytes();
    Node::new("id").with_bytes(vec![a, b, c])
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
