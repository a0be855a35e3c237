//! Recording a scenario against the simulator, and replaying a transcript against the
//! scripted server.

use std::sync::Arc;

use wa_sim::Simulator;
use wa_store::StoreHandle;

use crate::driver::{Driver, Mode};
use crate::error::{Error, Result};
use crate::recorder::Recorder;
use crate::scenario::Scenario;
use crate::server::ReplayServer;
use crate::setup::{
    engine_config, parse_root, register_companion, restore, RECORDING_CLOCK, RECORDING_SETTINGS,
};
use crate::transcript::{Transcript, FORMAT_VERSION};

/// Records `scenario`: a simulator seeded from the scenario's seed on a stopped clock, an
/// in-memory store (with the companion device when the scenario has one), the engine with a
/// tap on every frame; then the transcript. Recording the same scenario twice gives the same
/// transcript.
///
/// ```no_run
/// # async fn demo() -> wa_replay::Result<()> {
/// let transcript = wa_replay::record(wa_replay::scenario("login")?).await?;
/// transcript.save("login.json".as_ref())?;
/// wa_replay::replay(&transcript).await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// A step that fails or times out, the simulator refusing a setup step, the store failing.
pub async fn record(scenario: &Scenario) -> Result<Transcript> {
    let clock = RECORDING_CLOCK;
    let sim = Simulator::with_time(scenario.seed, clock);
    let world = (scenario.setup)(&sim)?;
    let starting = world
        .companion_of
        .as_ref()
        .map(|account| register_companion(&sim, account, scenario.seed ^ 0xde71ce, clock))
        .transpose()?;
    let running = sim.listen("127.0.0.1:0").await?;
    let store = StoreHandle::open_in_memory().await?;
    let device = match &starting {
        Some(starting) => Some(restore(&store, starting).await?),
        None => None,
    };
    let tap = Arc::new(Recorder::new());
    let config = engine_config(
        &running.url(),
        sim.root_public_key(),
        scenario.seed,
        clock,
        RECORDING_SETTINGS,
        tap.clone(),
    );
    let names = world
        .names
        .iter()
        .map(|(name, jid)| (name.clone(), jid.to_string()))
        .collect();
    let mode = Mode::Record {
        sim: sim.clone(),
        _running: running,
    };
    let mut driver = Driver::new(mode, names, config.clone(), store, device, tap);
    let outcome = (scenario.script)(&mut driver).await;
    let finished = driver.finish().await;
    outcome?;
    finished?;
    Ok(Transcript {
        format: FORMAT_VERSION,
        scenario: scenario.name.to_owned(),
        seed: scenario.seed,
        clock,
        settings: RECORDING_SETTINGS,
        server_root: hex::encode(sim.root_public_key().as_bytes()),
        names: world
            .names
            .iter()
            .map(|(name, jid)| (name.clone(), jid.to_string()))
            .collect(),
        store: starting,
        connections: driver
            .tap()
            .transcript_connections(&config.header.to_bytes()),
    })
}

/// Replays `transcript` with the built-in scenario it names: see [`replay_with`].
///
/// # Errors
/// [`Error::UnknownScenario`], and those of [`replay_with`].
pub async fn replay(transcript: &Transcript) -> Result<()> {
    replay_with(crate::scenario(&transcript.scenario)?, transcript).await
}

/// Replays `transcript`: a fresh engine with the transcript's seed, clock, settings, trusted
/// root and starting store runs `scenario`'s script against a scripted server that sends the
/// recorded server frames and checks that every frame the engine writes is byte-identical to
/// the recorded one, in order, on every connection, and that nothing more is written.
///
/// # Errors
/// [`Error::Mismatch`] at the first frame that differs (or is missing, or is extra), with
/// the expected and the actual node; a malformed transcript; a step failing or timing out.
pub async fn replay_with(scenario: &Scenario, transcript: &Transcript) -> Result<()> {
    if scenario.name != transcript.scenario {
        return Err(Error::Transcript(format!(
            "recorded with scenario {:?}, replayed with {:?}",
            transcript.scenario, scenario.name
        )));
    }
    let root = parse_root(&transcript.server_root)?;
    let server = ReplayServer::start(transcript.connections.clone()).await?;
    let store = StoreHandle::open_in_memory().await?;
    let device = match &transcript.store {
        Some(starting) => Some(restore(&store, starting).await?),
        None => None,
    };
    let tap = Arc::new(Recorder::new());
    let config = engine_config(
        server.url(),
        root,
        transcript.seed,
        transcript.clock,
        transcript.settings,
        tap.clone(),
    );
    let mode = Mode::Replay { server };
    let mut driver = Driver::new(mode, transcript.names.clone(), config, store, device, tap);
    let outcome = (scenario.script)(&mut driver).await;
    // A mismatch explains whatever the script ran into after it.
    if let Some(mismatch) = driver.replay_failure() {
        return Err(mismatch.into());
    }
    outcome?;
    driver.finish().await
}
