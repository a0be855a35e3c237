//! A measurable send loop for benches: N messages to one address, B per committed batch.

use std::time::{Duration, Instant};

use wa_signal::ProtocolAddress;

use crate::ids::DeviceId;
use crate::{Error, Result, Store};

/// What [`Store::run_send_loop`] measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLoopReport {
    /// Messages encrypted and committed.
    pub messages: u64,
    /// Transactions committed.
    pub batches: u64,
    /// Wall time for the whole loop (encryption + commits).
    pub elapsed: Duration,
}

impl SendLoopReport {
    /// Average wall time per message.
    #[must_use]
    pub fn per_message(&self) -> Duration {
        let n = u32::try_from(self.messages.max(1)).unwrap_or(u32::MAX);
        self.elapsed / n
    }
}

impl Store {
    /// Encrypts `messages` copies of `padded_plaintext` to `address` (which must have a
    /// session), `batch` per [`Store::send_batch`], and drops the ciphertexts. The store's cost
    /// per message is this loop's time minus the same loop's encryption alone.
    ///
    /// # Errors
    /// [`Error::Signal`] (no session), SQLite errors.
    pub fn run_send_loop(
        &mut self,
        device: DeviceId,
        address: &ProtocolAddress,
        messages: u64,
        batch: u64,
        padded_plaintext: &[u8],
    ) -> Result<SendLoopReport> {
        let batch = batch.max(1);
        let started = Instant::now();
        let mut sent = 0;
        let mut batches = 0;
        while sent < messages {
            let n = batch.min(messages - sent);
            let committed = self.send_batch(device, |b| {
                let record = b
                    .session(address)?
                    .ok_or(Error::Signal(wa_signal::Error::NoSession))?;
                let mut last = None;
                for _ in 0..n {
                    last = Some(wa_signal::session::encrypt(record, padded_plaintext)?);
                }
                Ok::<_, Error>(last)
            })?;
            drop(committed.into_inner());
            sent += n;
            batches += 1;
        }
        Ok(SendLoopReport {
            messages: sent,
            batches,
            elapsed: started.elapsed(),
        })
    }
}
