//! The actor's side of the receive path: each `<message>` is decrypted on the store thread
//! (`crate::receive::handle_message` over the device's SQLite store), its events go to the
//! session's owner, and its receipt and ack go back to the server.

use std::sync::{Arc, Mutex, PoisonError};

use prost::Message as _;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use wa_binary::Node;
use wa_store::{DeviceId, StoreHandle};

use super::{Clock, Event};
use crate::content::UnixMillis;
use crate::error::Result;
use crate::fanout::OwnIdentity;
use crate::pairing::PairedDevice;
use crate::receive::{self, ReceiveIdentity, ReceiveState, Received};
use crate::send::lid_mappings_in;

/// What the receive path needs across messages.
#[derive(Debug)]
pub(super) struct Inbox {
    store: StoreHandle,
    device: DeviceId,
    me: ReceiveIdentity,
    /// Seen ids, retry counts, last reactions: shared with the store thread's closures.
    state: Arc<Mutex<ReceiveState>>,
    clock: Arc<dyn Clock>,
}

impl Inbox {
    pub(super) fn new(
        store: StoreHandle,
        paired: &PairedDevice,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        // Peers get our identity without the account key, as the send path sends it.
        let mut identity = paired.account.clone();
        identity.account_signature_key = None;
        let encoded = identity.encode_to_vec();
        let own = OwnIdentity::new(
            &paired.jid,
            paired.lid.as_ref(),
            paired.jid.device(),
            encoded.clone(),
        )?;
        Ok(Self {
            store,
            device: paired.id,
            me: ReceiveIdentity::new(own, encoded, paired.signed_pre_key.id()),
            state: Arc::new(Mutex::new(ReceiveState::new())),
            clock,
        })
    }

    /// The [`Event::Receipt`] for a `<receipt>` the server forwards (none for retry receipts
    /// and malformed ones).
    pub(super) fn receipt(&self, node: &Node<'_>) -> Option<Event> {
        let now = UnixMillis::new(self.clock.now().saturating_mul(1000));
        match receive::read_receipt(node, self.me.own(), now) {
            Ok(receipt) => receipt.map(|r| Event::Receipt {
                chat: r.chat,
                message_ids: r.message_ids,
                from: r.from,
                kind: r.kind,
                time: r.time,
            }),
            Err(error) => {
                tracing::debug!(%error, "receipt not reported");
                None
            }
        }
    }

    /// Decrypts one `<message>` and returns its events and replies (the store has committed
    /// what decrypting changed when this returns).
    pub(super) async fn message(&self, node: Node<'static>, seed: u64) -> Result<Received> {
        let device = self.device;
        let me = self.me.clone();
        let state = Arc::clone(&self.state);
        let now = UnixMillis::new(self.clock.now().saturating_mul(1000));
        self.store
            .call(move |store| {
                // What the stanza says about LIDs is kept even if it does not decrypt.
                if let Err(error) =
                    super::lids::store_mappings(store, device, &lid_mappings_in(&node))
                {
                    tracing::debug!(%error, "LID mappings not kept");
                }
                let mut device_store = store.device_store(device)?;
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                let mut rng = ChaCha20Rng::seed_from_u64(seed);
                receive::handle_message(&mut device_store, &me, &mut state, &node, now, &mut rng)
            })
            .await?
    }
}
