//! What a recorded and a replaying engine start from, built the same way in both: the fixed
//! clock, the session configuration, and the paired device in the store.

use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use wa_binary::Jid;
use wa_noise::{CertVerifier, IntroHeader, PublicKey};
use wa_proto::adv::AdvSignedDeviceIdentity;
use wa_session::{save_paired, Clock, Credentials, Paired, SessionConfig};
use wa_signal::IdentityKeyPair;
use wa_sim::{DeviceRegistration, SignedPreKeyPublic, Simulator};
use wa_store::{DeviceId, StoreHandle};
use wa_transport::FrameTap;

use crate::error::{Error, Result};
use crate::transcript::{EngineSettings, StartingDevice};

/// The clock of every recording: 2025-06-15 15:06:40 UTC, never moving.
pub const RECORDING_CLOCK: u64 = 1_750_000_000;

/// The engine settings recordings use: WhatsApp Web's dictionary, the default low-water mark,
/// and uploads of 5 prekeys (instead of 50) to keep transcripts short.
pub const RECORDING_SETTINGS: EngineSettings = EngineSettings {
    dictionary: 3,
    prekey_low_water: 10,
    prekey_batch: 5,
};

/// A clock stopped at one instant (unix seconds), for reproducible sessions.
///
/// ```
/// use wa_replay::FixedClock;
/// use wa_session::Clock;
///
/// assert_eq!(FixedClock(1_750_000_000).now(), 1_750_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0
    }
}

/// The session configuration of a recording or a replay: everything that shapes frames comes
/// from the transcript's values; the timings are long enough that no keepalive ping, IQ
/// timeout or QR rotation happens during a scenario.
pub(crate) fn engine_config(
    url: &str,
    root: PublicKey,
    seed: u64,
    clock: u64,
    settings: EngineSettings,
    tap: Arc<dyn FrameTap>,
) -> SessionConfig {
    let mut config = SessionConfig::new(url, CertVerifier::new(root));
    config.header = IntroHeader::new(settings.dictionary);
    config.clock = Arc::new(FixedClock(clock));
    config.seed = Some(seed);
    config.tap = Some(tap);
    config.prekey_low_water = settings.prekey_low_water;
    config.prekey_batch = settings.prekey_batch;
    config.iq_timeout = Duration::from_secs(20);
    config.keepalive = Duration::from_secs(24 * 60 * 60);
    config.qr_first_timeout = Duration::from_secs(10 * 60);
    config.qr_next_timeout = Duration::from_secs(10 * 60);
    config.min_backoff = Duration::from_millis(50);
    config.max_backoff = Duration::from_millis(500);
    config
}

/// The root key of a transcript.
pub(crate) fn parse_root(hex_key: &str) -> Result<PublicKey> {
    let bytes =
        hex::decode(hex_key).map_err(|error| Error::Transcript(format!("server_root: {error}")))?;
    PublicKey::from_slice(&bytes)
        .ok_or_else(|| Error::Transcript("server_root is not a 32-byte key".to_owned()))
}

/// Registers a companion of `account` on the simulator from credentials seeded with `seed`,
/// countersigns its identity as pairing does, and returns what the store must start with.
pub(crate) fn register_companion(
    sim: &Simulator,
    account: &Jid,
    seed: u64,
    now: u64,
) -> Result<StartingDevice> {
    let creds = credentials(seed, now);
    let signed = &creds.signed_pre_key;
    let info = sim.register_device(
        account,
        DeviceRegistration {
            noise_key: *creds.noise_key.public_key(),
            identity_key: creds.identity.identity_key(),
            registration_id: creds.registration_id,
            signed_pre_key: SignedPreKeyPublic {
                id: signed.id(),
                public_key: *signed.key_pair().public_key(),
                signature: *signed.signature(),
            },
            pre_keys: Vec::new(),
        },
    )?;
    let adv = countersigned(sim, &info.jid, &creds.identity, seed)?;
    Ok(StartingDevice {
        seed,
        created: now,
        jid: info.jid.to_string(),
        lid: Some(info.lid.to_string()),
        platform: Some("android".to_owned()),
        key_index: u32::from(info.jid.device()),
        account: hex::encode(adv.encode_to_vec()),
    })
}

/// Puts `device` into `store` as a paired device; returns its id.
pub(crate) async fn restore(store: &StoreHandle, device: &StartingDevice) -> Result<DeviceId> {
    let creds = credentials(device.seed, device.created);
    let jid = parse_jid(&device.jid)?;
    let lid = device.lid.as_deref().map(parse_jid).transpose()?;
    let account = hex::decode(&device.account)
        .ok()
        .and_then(|bytes| AdvSignedDeviceIdentity::decode(bytes.as_slice()).ok())
        .ok_or_else(|| Error::Transcript("store.account is not an ADV identity".to_owned()))?;
    let paired = Paired {
        jid,
        lid,
        platform: device.platform.clone(),
        business_name: None,
        key_index: device.key_index,
        server_time: None,
        account,
    };
    let saved = store
        .call(move |store| save_paired(store, &creds, &paired))
        .await?;
    saved.map_err(|error| Error::Store(error.to_string()))
}

fn credentials(seed: u64, now: u64) -> Credentials {
    Credentials::generate(now, &mut ChaCha20Rng::seed_from_u64(seed))
}

fn parse_jid(text: &str) -> Result<Jid> {
    text.parse()
        .map_err(|_| Error::Transcript(format!("not a JID: {text}")))
}

/// The simulator's account-signed identity of `device`, with the device signature pairing adds
/// (`6 1 || details || identity key || account signature key`, signed by the identity key).
fn countersigned(
    sim: &Simulator,
    device: &Jid,
    identity: &IdentityKeyPair,
    seed: u64,
) -> Result<AdvSignedDeviceIdentity> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0xad5);
    Ok(sim.countersigned_identity(device, identity, &mut rng)?)
}
