//! After login: check how many one-time prekeys the server holds and upload a batch when it
//! runs low (stored first, marked uploaded after the server accepted them), then go active.

use rand_core::{CryptoRng, RngCore};
use wa_binary::{Jid, Node, Server};
use wa_signal::{PreKeyId, PreKeyRecord};
use wa_store::StoreHandle;

use super::{Event, Session, SessionConfig};
use crate::error::{Error, Result};
use crate::pairing::PairedDevice;

/// Prekey ids are 3 bytes on the wire; after the largest they wrap to 1.
const MAX_PRE_KEY_ID: u32 = 0x00FF_FFFF;
/// The Signal key type byte (Curve25519).
const KEY_TYPE_DJB: u8 = 0x05;

/// The post-login routine: prekey count, upload when low, `passive` → active.
pub(super) async fn after_login<R: RngCore + CryptoRng>(
    session: &Session,
    store: &StoreHandle,
    config: &SessionConfig,
    paired: &PairedDevice,
    events: &tokio::sync::mpsc::UnboundedSender<Event>,
    rng: &mut R,
) -> Result<()> {
    let on_server = server_pre_key_count(session).await?;
    if on_server < config.prekey_low_water {
        let count = upload(session, store, config.prekey_batch, paired, rng).await?;
        let _ = events.send(Event::PreKeysUploaded { count });
    }
    session
        .iq(iq("passive", "set", vec![Node::new("active")]))
        .await?;
    Ok(())
}

fn iq(xmlns: &'static str, kind: &'static str, children: Vec<Node<'static>>) -> Node<'static> {
    Node::new("iq")
        .with_attr("xmlns", xmlns)
        .with_attr("type", kind)
        .with_attr("to", Jid::server_only(Server::User))
        .with_children(children)
}

/// `<iq xmlns="encrypt" type="get"><count/></iq>` → `<count value=N/>`.
async fn server_pre_key_count(session: &Session) -> Result<u64> {
    let reply = session
        .iq(iq("encrypt", "get", vec![Node::new("count")]))
        .await?;
    reply
        .child("count")
        .and_then(|count| count.attr_str("value"))
        .and_then(|value| value.parse().ok())
        .ok_or(Error::MalformedStanza(
            "prekey count answer without a value",
        ))
}

/// Generates `batch` prekeys after the highest stored id, stores them, uploads them with the
/// signed prekey, and marks them uploaded. Returns how many were uploaded.
async fn upload<R: RngCore + CryptoRng>(
    session: &Session,
    store: &StoreHandle,
    batch: u32,
    paired: &PairedDevice,
    rng: &mut R,
) -> Result<u32> {
    let device = paired.id;
    let highest = store
        .call(move |store| store.max_prekey_id(device))
        .await??
        .map_or(0, |id| id.0);
    let records: Vec<PreKeyRecord> = (1..=batch)
        .map(|offset| {
            let id = (highest + offset - 1) % MAX_PRE_KEY_ID + 1;
            PreKeyRecord::generate(PreKeyId(id), rng)
        })
        .collect();
    let to_store = records.clone();
    store
        .call(move |store| store.insert_prekeys(device, &to_store))
        .await??;
    let keys = records
        .iter()
        .map(|record| {
            Node::new("key").with_children(vec![
                id_node(record.id().0),
                Node::new("value").with_bytes(record.key_pair().public_key().as_bytes().to_vec()),
            ])
        })
        .collect();
    let signed = &paired.signed_pre_key;
    let request = iq(
        "encrypt",
        "set",
        vec![
            Node::new("registration").with_bytes(paired.registration_id.0.to_be_bytes().to_vec()),
            Node::new("type").with_bytes(vec![KEY_TYPE_DJB]),
            Node::new("identity").with_bytes(
                paired
                    .identity
                    .identity_key()
                    .public_key()
                    .as_bytes()
                    .to_vec(),
            ),
            Node::new("list").with_children(keys),
            Node::new("skey").with_children(vec![
                id_node(signed.id().0),
                Node::new("value").with_bytes(signed.key_pair().public_key().as_bytes().to_vec()),
                Node::new("signature").with_bytes(signed.signature().to_vec()),
            ]),
        ],
    );
    session.iq(request).await?;
    let ids: Vec<PreKeyId> = records.iter().map(PreKeyRecord::id).collect();
    store
        .call(move |store| store.mark_prekeys_uploaded(device, &ids))
        .await??;
    Ok(batch)
}

/// `<id>` with a 3-byte big-endian id.
fn id_node(id: u32) -> Node<'static> {
    let [_, a, b, c] = id.to_be_bytes();
    Node::new("id").with_bytes(vec![a, b, c])
}
