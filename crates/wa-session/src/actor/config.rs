//! How a session connects: where, whom it trusts, its clock and randomness, its timings.

use std::sync::Arc;
use std::time::Duration;

use wa_noise::{CertVerifier, IntroHeader};
use wa_transport::FrameTap;

use crate::pairing::ClientConfig;

/// A source of unix seconds (the system clock by default; tests and replays inject one).
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time, unix seconds.
    fn now(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

/// Everything a [`Session`](super::Session) needs besides its stored credentials.
///
/// ```
/// use wa_noise::CertVerifier;
/// use wa_session::SessionConfig;
///
/// let config = SessionConfig::new("ws://127.0.0.1:8790/ws/chat", CertVerifier::whatsapp());
/// assert_eq!(config.prekey_batch, 50);
/// ```
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The WebSocket URL (`wss://web.whatsapp.com/ws/chat`, or a simulator's `ws://` URL).
    pub url: String,
    /// Who the server's certificate chain must lead to.
    pub verifier: CertVerifier,
    /// The intro header (token dictionary) to speak.
    pub header: IntroHeader,
    /// The client's identity in its payloads (version, OS, platform).
    pub client: ClientConfig,
    /// The clock for every timestamp the session writes.
    pub clock: Arc<dyn Clock>,
    /// Seed of the session's random generator, the Noise ephemeral keys included; `None`
    /// draws one from the OS. Only for tests and replays.
    pub seed: Option<u64>,
    /// Sees every frame of every connection (recording and replaying sessions).
    pub tap: Option<Arc<dyn FrameTap>>,
    /// How long an IQ may wait for its answer.
    pub iq_timeout: Duration,
    /// Interval between keepalive pings.
    pub keepalive: Duration,
    /// Fewer one-time prekeys than this on the server triggers an upload.
    pub prekey_low_water: u64,
    /// How many one-time prekeys an upload adds.
    pub prekey_batch: u32,
    /// First reconnect delay; doubled per failed attempt up to `max_backoff`, with jitter.
    pub min_backoff: Duration,
    /// Largest reconnect delay.
    pub max_backoff: Duration,
    /// While pairing, how long the first QR code is shown before the next ref replaces it.
    pub qr_first_timeout: Duration,
    /// While pairing, how long each later QR code is shown.
    pub qr_next_timeout: Duration,
    /// How long acked or refused outbox entries are kept (to answer late retry receipts and
    /// repeated idempotency keys) before the session deletes them.
    pub outbox_retention: Duration,
}

impl SessionConfig {
    /// Defaults: dictionary v3, whatsmeow's client identity, the system clock, a 30 s IQ
    /// timeout, 20 s keepalive, uploads of 50 prekeys below 10, reconnects from 250 ms to 30 s,
    /// pairing QR codes shown 60 s for the first and 20 s for each next one (as whatsmeow),
    /// settled outbox entries kept 7 days.
    #[must_use]
    pub fn new(url: impl Into<String>, verifier: CertVerifier) -> Self {
        Self {
            url: url.into(),
            verifier,
            header: IntroHeader::V3,
            client: ClientConfig::default(),
            clock: Arc::new(SystemClock),
            seed: None,
            tap: None,
            iq_timeout: Duration::from_secs(30),
            keepalive: Duration::from_secs(20),
            prekey_low_water: 10,
            prekey_batch: 50,
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            qr_first_timeout: Duration::from_secs(60),
            qr_next_timeout: Duration::from_secs(20),
            outbox_retention: Duration::from_secs(7 * 24 * 3600),
        }
    }

    /// The options of one connection: with a seed, the ephemeral key comes from `ephemeral`
    /// (a generator derived from the seed), otherwise from the OS.
    pub(super) fn connect_options(
        &self,
        ephemeral: &mut impl rand_core::RngCore,
    ) -> wa_transport::ConnectOptions {
        let mut options =
            wa_transport::ConnectOptions::new(self.header, self.verifier, self.clock.now());
        if self.seed.is_some() {
            let mut seed = [0; 32];
            ephemeral.fill_bytes(&mut seed);
            options = options.with_ephemeral_seed(seed);
        }
        options.tap.clone_from(&self.tap);
        options
    }
}
