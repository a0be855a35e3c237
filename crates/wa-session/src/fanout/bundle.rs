//! Prekey bundles as they arrive in stanzas: each `<user>` of an `encrypt` IQ's `<list>`, and
//! the `<registration>` + `<keys>` of a retry receipt (PROTOCOL.md section 5).

use wa_binary::{Jid, Node};
use wa_curve25519::PublicKey;
use wa_signal::keys::DJB_TYPE;
use wa_signal::{IdentityKey, PreKeyBundle, PreKeyId, RegistrationId, SignedPreKeyId};

use super::pairwise::Bundles;
use crate::error::{Error, Result};

/// The bundles in the `<list>` of an `<iq xmlns="encrypt" type="get"><key>..` result, by
/// the `<user jid>` they answer. Users answered with an `<error>` (unknown or removed
/// devices) are left out.
///
/// ```
/// use wa_binary::Node;
/// let list = Node::new("list").with_children(vec![Node::new("user")
///     .with_attr("jid", "15550002222:1@s.whatsapp.net".parse::<wa_binary::Jid>()?)
///     .with_children(vec![Node::new("error").with_attr("code", "404")])]);
/// assert!(wa_session::fanout::bundles_from_list(&list)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::MalformedStanza`] for a `<user>` without a JID or with a malformed bundle.
pub fn bundles_from_list(list: &Node<'_>) -> Result<Bundles> {
    let mut bundles = Bundles::new();
    for user in list.children_with_tag("user") {
        let jid: Jid = user
            .attr_jid("jid")
            .ok_or(Error::MalformedStanza("bundle user without jid"))?;
        if user.child("error").is_some() {
            continue;
        }
        bundles.insert(jid, read_bundle(user, user)?);
    }
    Ok(bundles)
}

/// The bundle a retry receipt carries from its second retry on: `<registration>` beside
/// `<keys>`, the keys inside it. `Ok(None)` when it has no `<keys>`.
///
/// # Errors
/// [`Error::MalformedStanza`] for missing or wrongly sized fields.
pub fn bundle_from_retry_receipt(receipt: &Node<'_>) -> Result<Option<PreKeyBundle>> {
    receipt
        .child("keys")
        .map(|keys| read_bundle(receipt, keys))
        .transpose()
}

/// `<registration>` from one node; `[<type>]<identity>[<key>]<skey>` from another.
fn read_bundle(registration_parent: &Node<'_>, keys: &Node<'_>) -> Result<PreKeyBundle> {
    let registration_id = RegistrationId(u32::from_be_bytes(fixed::<4>(
        registration_parent,
        "registration",
    )?));
    if let Some(key_type) = keys.child("type") {
        if key_type.bytes() != Some(&[DJB_TYPE][..]) {
            return Err(Error::MalformedStanza("bundle key type"));
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
    let signed = keys
        .child("skey")
        .ok_or(Error::MalformedStanza("bundle without skey"))?;
    Ok(PreKeyBundle {
        registration_id,
        identity_key,
        signed_pre_key_id: SignedPreKeyId(id_3_bytes(signed)?),
        signed_pre_key: PublicKey::from_bytes(fixed::<32>(signed, "value")?),
        signed_pre_key_signature: fixed::<64>(signed, "signature")?,
        pre_key,
    })
}

/// The bytes of child `tag`, exactly `N` of them.
fn fixed<const N: usize>(parent: &Node<'_>, tag: &'static str) -> Result<[u8; N]> {
    parent
        .child(tag)
        .and_then(Node::bytes)
        .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
        .ok_or(Error::MalformedStanza(tag))
}

/// A prekey id: `<id>`, 3 bytes big-endian.
fn id_3_bytes(parent: &Node<'_>) -> Result<u32> {
    let [a, b, c] = fixed::<3>(parent, "id")?;
    Ok(u32::from_be_bytes([0, a, b, c]))
}
