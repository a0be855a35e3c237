//! An engine process's send loop for the crash test: a session started from a store file
//! (which first resends whatever a previous, killed run left unacknowledged), sending
//! reactions to one contact with several calls in flight, reporting each acked message id;
//! then waiting until the outbox has nothing pending.
//!
//! ```no_run
//! # async fn demo(spec: wa_benches::engine_loop::EngineLoop) -> Result<(), wa_benches::loopback::LoopError> {
//! wa_benches::engine_loop::run(&spec, |id| println!("acked {id}")).await?;
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use wa_binary::Jid;
use wa_session::content::MessageId;
use wa_session::send::TargetRef;
use wa_session::Session;
use wa_store::{DeviceId, StoreHandle};

use crate::loopback::{session_config, wait_connected, LoopError};

/// How long the loop waits for the outbox to empty once its sends are done.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the loop runs against.
#[derive(Debug, Clone)]
pub struct EngineLoop {
    /// The simulator's WebSocket URL.
    pub url: String,
    /// The simulator's root public key.
    pub root: wa_noise::PublicKey,
    /// The store file holding the paired device.
    pub store: PathBuf,
    /// The paired device's id in it.
    pub device: DeviceId,
    /// The contact the reactions go to.
    pub to: Jid,
    /// How many new reactions to send (0: only finish what a previous run left).
    pub count: u64,
    /// Calls in flight.
    pub in_flight: usize,
}

/// Runs the loop; `acked` gets each acked message id as it comes (from one task).
///
/// # Errors
/// The store or session failing to start, a send failing, or the outbox still holding
/// pending entries after [`SETTLE_TIMEOUT`].
pub async fn run(spec: &EngineLoop, mut acked: impl FnMut(&str)) -> Result<(), LoopError> {
    let store = StoreHandle::open(&spec.store).await?;
    let config = session_config(
        &spec.url,
        &spec.root,
        rand_core::RngCore::next_u64(&mut rand_core::OsRng),
    );
    let (session, mut events) = Session::start(config, store.clone(), spec.device).await?;
    wait_connected(&mut events).await?;
    tokio::spawn(async move { while events.recv().await.is_some() {} });

    let target = TargetRef::theirs(MessageId::parse("3A0000000000000000C1")?, None);
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<MessageId, wa_session::Error>>();
    let workers = spec.in_flight.max(1) as u64;
    for worker in 0..workers.min(spec.count) {
        let (session, to, target, tx) =
            (session.clone(), spec.to.clone(), target.clone(), tx.clone());
        // Worker w sends calls w, w + workers, ...: `count` in all.
        let calls = (spec.count - worker).div_ceil(workers);
        tokio::spawn(async move {
            for _ in 0..calls {
                let result = session.react(&to, &target, "\u{1f44d}").await;
                let _ = tx.send(result.map(|sent| sent.message_id));
            }
        });
    }
    drop(tx);
    while let Some(result) = rx.recv().await {
        acked(result?.as_str());
    }
    let device = spec.device;
    let settled = async {
        loop {
            let (pending, _) = store.call(move |s| s.outbox_counts(device)).await??;
            if pending == 0 {
                return Ok::<_, LoopError>(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(SETTLE_TIMEOUT, settled)
        .await
        .map_err(|_| LoopError::Setup("outbox entries still pending"))??;
    session.stop();
    Ok(())
}
