//! A device's public keys as stanza nodes: the `<keys>` child of a retry receipt and the
//! bundle read back from it (PROTOCOL.md section 5; whatsmeow's prekeys.go for the layout).

use wa_binary::Node;
use wa_noise::PublicKey;
use wa_signal::keys::DJB_TYPE;
use wa_signal::{IdentityKey, PreKeyBundle, PreKeyId, RegistrationId, SignedPreKeyId};

use crate::error::{Error, Result};
use crate::registry::{PreKeyPublic, SignedPreKeyPublic};

/// `<registration>`: the registration id, 4 bytes big-endian.
pub(super) fn registration_node(registration_id: RegistrationId) -> Node<'static> {
    Node::new("registration").with_bytes(registration_id.0.to_be_bytes().to_vec())
}

/// `<keys><type>05</type><identity/><key><id/><value/></key><skey><id/><value/><signature/>
/// </skey></keys>`.
pub(super) fn keys_node(
    identity: &IdentityKey,
    pre_key: &PreKeyPublic,
    signed_pre_key: &SignedPreKeyPublic,
) -> Node<'static> {
    Node::new("keys").with_children(vec![
        Node::new("type").with_bytes(vec![DJB_TYPE]),
        Node::new("identity").with_bytes(identity.public_key().as_bytes().to_vec()),
        Node::new("key").with_children(vec![
            id_node(pre_key.id.0),
            Node::new("value").with_bytes(pre_key.public_key.as_bytes().to_vec()),
        ]),
        Node::new("skey").with_children(vec![
            id_node(signed_pre_key.id.0),
            Node::new("value").with_bytes(signed_pre_key.public_key.as_bytes().to_vec()),
            Node::new("signature").with_bytes(signed_pre_key.signature.to_vec()),
        ]),
    ])
}

/// The bundle in a retry receipt: `<registration>` beside `<keys>`, the keys inside it (a
/// missing one-time `<key>` is allowed).
pub(super) fn bundle_from_receipt(receipt: &Node<'_>) -> Result<PreKeyBundle> {
    let registration_id = RegistrationId(u32::from_be_bytes(fixed::<4>(receipt, "registration")?));
    let keys = receipt.child("keys").ok_or(malformed())?;
    if let Some(key_type) = keys.child("type") {
        if key_type.bytes() != Some(&[DJB_TYPE][..]) {
            return Err(malformed());
        }
    }
    let identity_key = IdentityKey::new(PublicKey::from_bytes(fixed::<32>(keys, "identity")?));
    let pre_key = keys
        .child("key")
        .map(|key| -> Result<(PreKeyId, PublicKey)> {
            Ok((
                PreKeyId(id_3_bytes(key)?),
                PublicKey::from_bytes(fixed::<32>(key, "value")?),
            ))
        })
        .transpose()?;
    let skey = keys.child("skey").ok_or(malformed())?;
    Ok(PreKeyBundle {
        registration_id,
        identity_key,
        signed_pre_key_id: SignedPreKeyId(id_3_bytes(skey)?),
        signed_pre_key: PublicKey::from_bytes(fixed::<32>(skey, "value")?),
        signed_pre_key_signature: fixed::<64>(skey, "signature")?,
        pre_key,
    })
}

fn malformed() -> Error {
    Error::MalformedStanza("retry receipt keys")
}

/// `<id>` with the low 3 bytes of `id`, big-endian (prekey ids stay below 2^24).
fn id_node(id: u32) -> Node<'static> {
    let [_, a, b, c] = id.to_be_bytes();
    Node::new("id").with_bytes(vec![a, b, c])
}

/// The bytes of child `tag`, which must be exactly `N` long.
fn fixed<const N: usize>(parent: &Node<'_>, tag: &str) -> Result<[u8; N]> {
    parent
        .child(tag)
        .and_then(Node::bytes)
        .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
        .ok_or(malformed())
}

/// A prekey id: `<id>` of exactly 3 bytes, big-endian.
fn id_3_bytes(parent: &Node<'_>) -> Result<u32> {
    let [a, b, c] = fixed::<3>(parent, "id")?;
    Ok(u32::from_be_bytes([0, a, b, c]))
}
