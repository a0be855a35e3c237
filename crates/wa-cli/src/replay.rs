//! `wa record` and `wa replay`: transcripts of engine sessions against the simulator, and
//! their byte-for-byte replay.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use wa_replay::{Scenario, Transcript, SCENARIOS};

/// `wa record`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct RecordArgs {
    /// The scenario to record (see --list).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["all", "list"], requires = "out")]
    scenario: Option<String>,
    /// The transcript file to write.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Record every built-in scenario into --out-dir, one NAME.json each.
    #[arg(long, requires = "out_dir", conflicts_with = "list")]
    all: bool,
    /// Where --all writes.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// List the built-in scenarios.
    #[arg(long)]
    list: bool,
}

/// `wa replay`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// Transcript files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")
}

/// Records one scenario, all of them, or lists them.
pub(crate) fn record(args: &RecordArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.list {
        for scenario in SCENARIOS {
            writeln!(out, "{:<14} {}", scenario.name, scenario.about)?;
        }
        return Ok(());
    }
    let jobs: Vec<(&Scenario, PathBuf)> = match (&args.scenario, &args.out, &args.out_dir) {
        (Some(name), Some(file), _) => vec![(wa_replay::scenario(name)?, file.clone())],
        (None, _, Some(dir)) if args.all => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            SCENARIOS
                .iter()
                .map(|scenario| (scenario, dir.join(format!("{}.json", scenario.name))))
                .collect()
        }
        _ => anyhow::bail!("give --scenario NAME --out FILE, --all --out-dir DIR, or --list"),
    };
    let runtime = runtime()?;
    for (scenario, file) in jobs {
        let transcript = runtime
            .block_on(wa_replay::record(scenario))
            .with_context(|| format!("recording {}", scenario.name))?;
        transcript
            .save(&file)
            .with_context(|| format!("cannot write {}", file.display()))?;
        writeln!(
            out,
            "recorded {} -> {} ({} connections, {} frames)",
            scenario.name,
            file.display(),
            transcript.connections.len(),
            frames(&transcript)
        )?;
    }
    Ok(())
}

fn frames(transcript: &Transcript) -> usize {
    transcript
        .connections
        .iter()
        .flat_map(|connection| &connection.entries)
        .filter(|entry| matches!(entry, wa_replay::Entry::Frame(_)))
        .count()
}

/// Replays every file; one line each, exits non-zero if any failed.
pub(crate) fn replay(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &args.files {
        match runtime.block_on(replay_file(file)) {
            Ok(count) => {
                passed += 1;
                writeln!(out, "ok   {} ({count} frames)", file.display())?;
            }
            Err(error) => {
                failed += 1;
                writeln!(out, "FAIL {}: {error:#}", file.display())?;
            }
        }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn replay_file(file: &Path) -> anyhow::Result<usize> {
    let transcript = Transcript::load(file)?;
    wa_replay::replay(&transcript).await?;
    Ok(frames(&transcript))
}
