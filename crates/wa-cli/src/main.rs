//! `wa`: the engine's command line.
//!
//! Today it replays golden vectors: `wa fixtures verify FILE...`. The simulator (`wa sim`) and the
//! gateway (`wa serve`) come with later issues.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    }
}
