//! The stanzas a received message is answered with (whatsmeow's receipt.go and retry.go for
//! the facts): the delivery `<receipt>`, the retry `<receipt type="retry">` with our keys from
//! the second retry on, and the `<ack class="message">`.

use rand_core::{CryptoRng, RngCore};
use wa_binary::Node;
use wa_signal::keys::DJB_TYPE;
use wa_signal::{PreKeyId, PreKeyRecord};

use super::decrypt::ReceiveStore;
use super::stanza::Envelope;
use super::ReceiveIdentity;
use crate::error::{Error, Result};

/// From this retry on, the receipt carries keys for a new session.
pub(super) const KEYS_FROM_RETRY: u32 = 2;
/// The retry that is no longer sent: the sender has been asked four times.
pub(super) const MAX_RETRY: u32 = 5;
/// How many ids past a taken one are tried for the fresh one-time prekey.
const PRE_KEY_ID_ATTEMPTS: u32 = 64;
/// Prekey ids are sent in 3 bytes.
const MAX_PRE_KEY_ID: u32 = 0x00FF_FFFF;

/// `<receipt id to [participant] [recipient]>`, the base of both receipts.
fn receipt_base(envelope: &Envelope<'_, '_>) -> Node<'static> {
    copy_routing(
        envelope,
        Node::new("receipt").with_attr("id", envelope.id.as_str().to_owned()),
    )
}

/// Adds `to` (the message's `from`), `participant` and `recipient` as the message had them.
fn copy_routing(envelope: &Envelope<'_, '_>, mut node: Node<'static>) -> Node<'static> {
    for (ours, theirs) in [
        ("to", "from"),
        ("participant", "participant"),
        ("recipient", "recipient"),
    ] {
        if let Some(value) = envelope.node.attr(theirs) {
            node = node.with_attr(ours, value.clone().into_owned());
        }
    }
    node
}

/// The delivery receipt: no type for others' messages, `type="sender"` for our own devices'.
pub(super) fn delivery_receipt(envelope: &Envelope<'_, '_>) -> Node<'static> {
    let receipt = receipt_base(envelope);
    if envelope.from_me {
        receipt.with_attr("type", "sender")
    } else {
        receipt
    }
}

/// `<ack class="message" id to [participant] [recipient]>`.
pub(super) fn ack(envelope: &Envelope<'_, '_>) -> Node<'static> {
    copy_routing(
        envelope,
        Node::new("ack")
            .with_attr("class", "message")
            .with_attr("id", envelope.id.as_str().to_owned()),
    )
}

/// `<receipt type="retry"><retry count id t v="1"/><registration/>[<keys/>]</receipt>`; from
/// retry [`KEYS_FROM_RETRY`] on, a fresh one-time prekey is made (and stored) for `<keys>`.
pub(super) fn retry_receipt<S: ReceiveStore, R: RngCore + CryptoRng>(
    store: &mut S,
    me: &ReceiveIdentity,
    envelope: &Envelope<'_, '_>,
    count: u32,
    rng: &mut R,
) -> Result<Node<'static>> {
    let mut retry = Node::new("retry")
        .with_attr("count", count.to_string())
        .with_attr("id", envelope.id.as_str().to_owned());
    if let Some(t) = envelope.node.attr("t") {
        retry = retry.with_attr("t", t.clone().into_owned());
    }
    let registration = store.local_registration_id()?;
    let mut children = vec![
        retry.with_attr("v", "1"),
        Node::new("registration").with_bytes(registration.0.to_be_bytes().to_vec()),
    ];
    if count >= KEYS_FROM_RETRY {
        children.push(keys_node(store, me, rng)?);
    }
    Ok(receipt_base(envelope)
        .with_attr("type", "retry")
        .with_children(children))
}

/// `<keys><type/><identity/><key/><skey/><device-identity/></keys>` with a new one-time
/// prekey, stored so that the session the sender starts with it decrypts.
fn keys_node<S: ReceiveStore, R: RngCore + CryptoRng>(
    store: &mut S,
    me: &ReceiveIdentity,
    rng: &mut R,
) -> Result<Node<'static>> {
    let identity = store.identity_key_pair()?;
    let signed = store
        .load_signed_pre_key(me.signed_pre_key_id)?
        .ok_or(Error::NotPaired)?;
    let pre_key = PreKeyRecord::generate(free_pre_key_id(store, rng)?, rng);
    store.store_pre_key(&pre_key)?;
    Ok(Node::new("keys").with_children(vec![
        Node::new("type").with_bytes(vec![DJB_TYPE]),
        Node::new("identity").with_bytes(identity.identity_key().public_key().as_bytes().to_vec()),
        Node::new("key").with_children(vec![
            id_node(pre_key.id().0),
            Node::new("value").with_bytes(pre_key.key_pair().public_key().as_bytes().to_vec()),
        ]),
        Node::new("skey").with_children(vec![
            id_node(signed.id().0),
            Node::new("value").with_bytes(signed.key_pair().public_key().as_bytes().to_vec()),
            Node::new("signature").with_bytes(signed.signature().to_vec()),
        ]),
        Node::new("device-identity").with_bytes(me.device_identity.clone()),
    ]))
}

/// A random prekey id in the upper half of the 3-byte range (clear of the ids uploaded in
/// sequence from 1) that the store does not hold.
fn free_pre_key_id<S: ReceiveStore, R: RngCore>(store: &S, rng: &mut R) -> Result<PreKeyId> {
    let half = MAX_PRE_KEY_ID / 2;
    for _ in 0..PRE_KEY_ID_ATTEMPTS {
        let id = PreKeyId(half + 1 + rng.next_u32() % half);
        if store.load_pre_key(id)?.is_none() {
            return Ok(id);
        }
    }
    Err(Error::MalformedStanza(
        "no free prekey id for the retry receipt",
    ))
}

/// `<id>` with the low 3 bytes of `id`, big-endian.
fn id_node(id: u32) -> Node<'static> {
    let [_, a, b, c] = id.to_be_bytes();
    Node::new("id").with_bytes(vec![a, b, c])
}
