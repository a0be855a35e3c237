//! `wa fixtures verify`: stdout carries one line per failing case and the final tally;
//! notes on excluded cases and skipped files go to stderr.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use wa_fixtures::{is_replayed, verify_file, Outcome};

pub(crate) fn run(files: &[PathBuf]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in files {
        let report = match verify_file(path) {
            Ok(report) => report,
            Err(e) => {
                failed += 1;
                let _ = writeln!(out, "FAIL {e}");
                continue;
            }
        };
        if !is_replayed(report.kind) {
            let _ = writeln!(
                err,
                "skip {}: kind {} is recognised but not replayed yet",
                report.file, report.kind
            );
            continue;
        }
        for case in &report.cases {
            match &case.outcome {
                Outcome::Passed => passed += 1,
                Outcome::Failed(why) => {
                    failed += 1;
                    let _ = writeln!(
                        out,
                        "FAIL {} [{}] {}: {why}",
                        report.file, report.kind, case.name
                    );
                }
                Outcome::Excluded(why) => {
                    let _ = writeln!(err, "excluded {} {}: {why}", report.file, case.name);
                }
                _ => {}
            }
        }
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
