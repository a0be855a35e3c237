//! What a replay found: one outcome per case, grouped by file.

use std::fmt;

use crate::kind::FixtureKind;

/// The outcome of replaying one case of a fixture file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every comparison of the case held.
    Passed,
    /// A comparison failed; the text says which one and how.
    Failed(String),
    /// The case records a known quirk of the peer that produced it and is not replayed; the
    /// text says why (see `fixtures/README.md`).
    Excluded(String),
}

/// One replayed case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseReport {
    /// The case's name in the file (or a synthesized `section[index]` when it has none).
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Everything replayed from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file's display name.
    pub file: String,
    /// The kind detected from its content.
    pub kind: FixtureKind,
    /// One entry per case, in file order.
    pub cases: Vec<CaseReport>,
}

impl FileReport {
    /// Number of cases that passed.
    #[must_use]
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Passed))
    }

    /// Number of cases that failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }

    /// Number of cases excluded as known peer quirks.
    #[must_use]
    pub fn excluded(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Excluded(_)))
    }

    fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| pred(&c.outcome)).count()
    }
}

impl fmt::Display for FixtureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Collects case outcomes while a replay runs.
#[derive(Debug, Default)]
pub(crate) struct Cases(pub(crate) Vec<CaseReport>);

impl Cases {
    /// Records the result of one case; `Err` carries the failure text.
    pub(crate) fn record(&mut self, name: impl Into<String>, result: Result<(), String>) {
        let outcome = match result {
            Ok(()) => Outcome::Passed,
            Err(why) => Outcome::Failed(why),
        };
        self.0.push(CaseReport {
            name: name.into(),
            outcome,
        });
    }

    /// Records a case that is deliberately not replayed.
    pub(crate) fn exclude(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.0.push(CaseReport {
            name: name.into(),
            outcome: Outcome::Excluded(why.into()),
        });
    }
}
