//! What a scenario is: a name, a seed, a setup of the simulator (recording only) and a script
//! of engine steps shared by recording and replay.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use wa_binary::Jid;
use wa_sim::Simulator;

use crate::driver::Driver;
use crate::error::Result;

/// The future a script returns.
pub type ScriptFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// What the simulator holds before the engine starts, as the setup made it.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// JIDs the script needs, by name (kept in the transcript for the replay).
    pub names: BTreeMap<String, Jid>,
    /// The account our device is a companion of, registered before the session starts;
    /// `None` for a store that starts empty (the script pairs).
    pub companion_of: Option<Jid>,
}

/// A recordable scenario. Its `setup` runs only while recording (the replay has its effects
/// in the frames); its `script` runs in both modes and must make the engine write the same
/// frames in the same order given the same frames from the server: wait on the engine's
/// results and events, and [`Driver::settle`] between steps whose frames could interleave.
///
/// A user scenario is a value of this type passed to [`record`](crate::record) and
/// [`replay_with`](crate::replay_with):
///
/// ```
/// use wa_replay::{Driver, Scenario, ScriptFuture, World};
///
/// fn setup(sim: &wa_sim::Simulator) -> wa_replay::Result<World> {
///     let me = sim.create_account(Some("15550001111"))?;
///     let mut world = World::default();
///     world.companion_of = Some(me.jid);
///     Ok(world)
/// }
///
/// fn script(driver: &mut Driver) -> ScriptFuture<'_> {
///     Box::pin(async move { driver.login().await })
/// }
///
/// let mine = Scenario { name: "my-login", about: "logs in", seed: 42, setup, script };
/// assert_eq!(mine.name, "my-login");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// The name (`wa record --scenario NAME`, and the transcript's `scenario`).
    pub name: &'static str,
    /// One line on what it covers.
    pub about: &'static str,
    /// The engine's seed (the simulator's and the device's derive from it).
    pub seed: u64,
    /// Prepares the simulator (recording only).
    pub setup: fn(&Simulator) -> Result<World>,
    /// The engine steps.
    pub script: for<'a> fn(&'a mut Driver) -> ScriptFuture<'a>,
}
