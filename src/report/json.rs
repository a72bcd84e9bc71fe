//! `-o json`: the version 1 contract of DESIGN.md.

use std::io::{self, Write};

use serde_json::json;

use crate::engine::LintResult;

/// Write the JSON document (pretty-printed, newline-terminated).
pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    let (error, warning, info) = super::counts(result);
    let doc = json!({
        "version": 1,
        "summary": {
            "files": result.sources.len(),
            "objects": result.objects,
            "error": error,
            "warning": warning,
            "info": info,
            "suppressed": result.suppressed,
        },
        "findings": result.diagnostics,
        "inputErrors": result.input_errors.iter().map(|e| {
            let mut v = json!({"file": e.file, "message": e.message});
            if let (Some(l), Some(c)) = (e.line, e.column) {
                v["line"] = json!(l);
                v["column"] = json!(c);
            }
            v
        }).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
