//! `wa`: the engine's command line.
//!
//! `wa fixtures verify FILE...` replays golden vectors; `wa sim` runs the local simulator
//! (WebSocket and `/sim/` control API on one port); `wa bench send-path` measures the send path
//! in process against its cryptographic floor; `wa record` records an engine session against
//! the simulator into a transcript and `wa replay FILE...` replays transcripts byte for byte;
//! `wa serve` runs the HTTP gateway (with `--sim`, against an in-process simulator) and
//! `wa keys create` makes its API keys; `wa pair` links a new device from the terminal (QR
//! drawn in Unicode half blocks).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod engine_loop;
mod keys;
mod pair;
mod replay;
mod serve;
mod sim;
mod verify;

#[derive(Debug, Parser)]
#[command(name = "wa", version, about = "WhatsApp multi-device session engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Golden-vector files recorded from independent implementations.
    Fixtures {
        #[command(subcommand)]
        command: FixturesCommand,
    },
    /// Run the local WhatsApp-compatible simulator.
    ///
    /// Clients connect to its WebSocket URL and trust its root public key; tools drive it over
    /// HTTP under /sim/ on the same port. It prints both, with example curl lines, then serves
    /// until Ctrl-C.
    #[command(after_help = sim::AFTER_HELP)]
    Sim(sim::SimArgs),
    /// Run the HTTP gateway: many WhatsApp sessions owned by organizations, behind a JSON API
    /// (OpenAPI at /openapi.json, Prometheus metrics at /metrics).
    ///
    /// With --sim everything runs on this machine: sessions pair with and talk to an
    /// in-process simulator whose /sim/ control API is served on --sim-listen.
    Serve(serve::ServeArgs),
    /// Link a new companion device: shows the pairing QR code in the terminal (redrawn as
    /// it rotates) until the phone scans it, saves the device in --data and prints its JID.
    Pair(pair::PairArgs),
    /// API keys of the gateway.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Benchmarks for measuring your own hardware; one line per scenario.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// The crash test's engine process (not for users).
    #[command(hide = true)]
    EngineLoop(engine_loop::EngineLoopArgs),
    /// Record an engine session against an in-process simulator into a transcript (every
    /// frame both ways, seed, clock, starting store).
    Record(replay::RecordArgs),
    /// Replay transcripts: a fresh engine must write every recorded frame byte for byte.
    /// Prints one line per file and `N passed, M failed`; exits 0 only if all passed.
    Replay(replay::ReplayArgs),
}

#[derive(Debug, Subcommand)]
enum FixturesCommand {
    /// Replay every case of each file against our codecs. Prints one line per failing case and
    /// a final `N passed, M failed`; exits 0 only if nothing failed.
    Verify {
        /// Fixture files (kind detected from content).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Fixtures {
            command: FixturesCommand::Verify { files },
        } => verify::run(&files),
        Command::Sim(args) => match sim::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "wa sim: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Serve(args) => match serve::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "wa serve: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Pair(args) => match pair::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "wa pair: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Keys { command } => match keys::run(&command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "wa keys: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::EngineLoop(args) => match engine_loop::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "wa engine-loop: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Bench { command } => match bench::run(&command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "wa bench: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Record(args) => match replay::record(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "wa record: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Replay(args) => replay::replay(&args).unwrap_or_else(|error| {
            let _ = writeln!(std::io::stderr(), "wa replay: {error:#}");
            ExitCode::FAILURE
        }),
    }
}
