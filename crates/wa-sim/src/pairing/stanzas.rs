//! The pairing stanzas the server sends (`pair-device`, `pair-success`), the ids and refs in
//! them, and the device's `pair-device-sign` answer.

use rand_core::RngCore;
use wa_binary::{AttrValue, Jid, Node, Server};

/// Refs per `<pair-device>`: clients show them one after another (Baileys: the first for 60 s,
/// the others for 20 s each) and give up when they run out.
const REF_COUNT: usize = 6;
/// Random characters per ref, after the `2@` version prefix real refs carry.
const REF_RANDOM_CHARS: usize = 32;
/// The characters refs are made of: standard base64, never the QR's `,` separator.
const REF_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// The platform the simulated phones announce in `pair-success`.
const PHONE_PLATFORM: &str = "android";

/// Fresh refs for one connection.
pub(crate) fn new_refs<R: RngCore>(rng: &mut R) -> Vec<String> {
    (0..REF_COUNT)
        .map(|_| {
            let mut reference = String::from("2@");
            reference.extend((0..REF_RANDOM_CHARS).map(|_| {
                let [byte, ..] = rng.next_u32().to_le_bytes();
                // 64 characters: the low six bits pick one uniformly.
                REF_ALPHABET
                    .get(usize::from(byte & 0x3F))
                    .map_or('A', |&c| char::from(c))
            }));
            reference
        })
        .collect()
}

/// A fresh id for an IQ the server sends.
pub(crate) fn new_iq_id<R: RngCore>(rng: &mut R) -> String {
    format!("{:08X}{:08X}", rng.next_u32(), rng.next_u32())
}

/// `<iq from="s.whatsapp.net" type="set" id xmlns="md">` around one child.
fn server_iq(id: &str, child: Node<'static>) -> Node<'static> {
    Node::new("iq")
        .with_attr("from", Jid::server_only(Server::User))
        .with_attr("type", "set")
        .with_attr("id", id.to_owned())
        .with_attr("xmlns", "md")
        .with_children(vec![child])
}

/// `<iq ..><pair-device><ref>REF</ref>..</pair-device></iq>`.
pub(crate) fn pair_device(id: &str, refs: &[String]) -> Node<'static> {
    let refs = refs
        .iter()
        .map(|reference| Node::new("ref").with_bytes(reference.as_bytes().to_vec()))
        .collect();
    server_iq(id, Node::new("pair-device").with_children(refs))
}

/// `<iq .. t><pair-success><device-identity>HMAC CONTAINER</device-identity><platform name/>
/// <device jid lid/></pair-success></iq>`, as whatsmeow and both Baileys versions read it
/// (`t` sets their server clock offset; no `<biz>`: simulated accounts are not businesses).
pub(crate) fn pair_success(
    id: &str,
    device_identity: Vec<u8>,
    device: &Jid,
    lid: &Jid,
    now: u64,
) -> Node<'static> {
    let success = Node::new("pair-success").with_children(vec![
        Node::new("device-identity").with_bytes(device_identity),
        Node::new("platform").with_attr("name", PHONE_PLATFORM),
        Node::new("device")
            .with_attr("jid", device.clone())
            .with_attr("lid", lid.clone()),
    ]);
    server_iq(id, success).with_attr("t", now.to_string())
}

/// `<failure reason/>`, which ends the connection.
pub(crate) fn failure(reason: &'static str) -> Node<'static> {
    Node::new("failure").with_attr("reason", reason)
}

/// A reply to a client IQ: `<iq id from type>` with optional children.
pub(crate) fn iq_reply(
    request: &Node<'_>,
    kind: &'static str,
    children: Vec<Node<'static>>,
) -> Node<'static> {
    let mut reply = Node::new("iq");
    if let Some(id) = request.attr("id") {
        reply = reply.with_attr("id", id.clone().into_owned());
    }
    reply = reply
        .with_attr("from", AttrValue::Jid(Jid::server_only(Server::User)))
        .with_attr("type", kind);
    if children.is_empty() {
        reply
    } else {
        reply.with_children(children)
    }
}

/// `<error code text/>`.
pub(crate) fn error_child(code: &'static str, text: &'static str) -> Node<'static> {
    Node::new("error")
        .with_attr("code", code)
        .with_attr("text", text)
}

/// The device's answer to `pair-success`: `<iq type="result" id><pair-device-sign>
/// <device-identity key-index>BYTES</device-identity></pair-device-sign></iq>`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Confirmation<'n> {
    pub(crate) key_index: Option<&'n str>,
    pub(crate) identity: &'n [u8],
}

/// The `pair-device-sign` content of a result IQ, if it has one.
pub(crate) fn confirmation<'n>(stanza: &'n Node<'_>) -> Option<Confirmation<'n>> {
    let identity = stanza.child("pair-device-sign")?.child("device-identity")?;
    Some(Confirmation {
        key_index: identity.attr_str("key-index"),
        identity: identity.bytes()?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    use super::*;

    #[test]
    fn refs_are_seeded_and_safe_in_a_qr() {
        let refs = new_refs(&mut ChaCha20Rng::seed_from_u64(3));
        assert_eq!(refs, new_refs(&mut ChaCha20Rng::seed_from_u64(3)));
        assert_ne!(refs, new_refs(&mut ChaCha20Rng::seed_from_u64(4)));
        assert_eq!(refs.len(), 6);
        for reference in &refs {
            assert!(reference.starts_with("2@"));
            assert_eq!(reference.len(), 34);
            assert!(!reference.contains(','));
        }
    }

    #[test]
    fn pair_success_shape() {
        let device = Jid::new("15550001111", Server::User)
            .unwrap()
            .with_device(2)
            .unwrap();
        let lid = Jid::new("123456789012345", Server::Lid)
            .unwrap()
            .with_device(2)
            .unwrap();
        let node = pair_success("X1", vec![1, 2], &device, &lid, 1_700);
        assert_eq!(node.attr_str("type"), Some("set"));
        assert_eq!(node.attr_str("xmlns"), Some("md"));
        assert_eq!(node.attr_str("t"), Some("1700"));
        assert_eq!(node.attr_jid("from"), Some(Jid::server_only(Server::User)));
        let success = node.child("pair-success").unwrap();
        let device_node = success.child("device").unwrap();
        assert_eq!(device_node.attr_jid("jid"), Some(device));
        assert_eq!(device_node.attr_jid("lid"), Some(lid));
        assert_eq!(
            success.child("device-identity").unwrap().bytes(),
            Some(&[1, 2][..])
        );
    }
}
