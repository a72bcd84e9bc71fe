//! `-o json`: the version 1 contract of DESIGN.md.

use std::io::{self, Write};

use serde::Serialize;

use crate::engine::{Diagnostic, LintResult};
use crate::load::InputError;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    summary: Summary,
    findings: &'a [Diagnostic],
    #[serde(rename = "inputErrors")]
    input_errors: Vec<InputErrorOut<'a>>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    objects: usize,
    error: usize,
    warning: usize,
    info: usize,
    suppressed: usize,
}

#[derive(Serialize)]
struct InputErrorOut<'a> {
    file: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
}

/// Write the JSON document (pretty-printed, newline-terminated). Streamed: a report of 100,000
/// findings is never held as a `serde_json::Value`.
pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    let (error, warning, info) = super::counts(result);
    let doc = Document {
        version: 1,
        summary: Summary {
            files: result.sources.len(),
            objects: result.objects,
            error,
            warning,
            info,
            suppressed: result.suppressed,
        },
        findings: &result.diagnostics,
        input_errors: result
            .input_errors
            .iter()
            .map(|e: &InputError| {
                let located = e.line.is_some() && e.column.is_some();
                InputErrorOut {
                    file: &e.file,
                    message: &e.message,
                    line: e.line.filter(|_| located),
                    column: e.column.filter(|_| located),
                }
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
