//! Emitters: turn a [`LintResult`] into text on any writer. They know rules only through their
//! metadata (`LintResult::rules`) and never decide what is reported.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
pub mod summary;

use std::io::{self, Write};

use crate::engine::LintResult;
use crate::rules::Severity;

/// Output formats (`-o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Coloured text with source snippets, for people.
    Human,
    /// The stable JSON contract (version 1).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// Write `result` as `format`. `color` applies to `human` only.
pub fn emit(
    format: Format,
    result: &LintResult,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(result, out, color),
        Format::Json => json::write(result, out),
        Format::Sarif => sarif::write(result, out),
        Format::Github => github::write(result, out),
    }
}

/// Counts per severity: (error, warning, info).
pub fn counts(result: &LintResult) -> (usize, usize, usize) {
    let n = |s| {
        result
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}
