//! `-o github`: GitHub Actions workflow commands, one annotation per finding and input error.

use std::io::{self, Write};

use crate::engine::LintResult;
use crate::rules::Severity;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Write the workflow commands.
pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    for e in &result.input_errors {
        let mut props = format!("file={}", escape_property(&e.file));
        if let (Some(l), Some(c)) = (e.line, e.column) {
            props.push_str(&format!(",line={l},col={c}"));
        }
        writeln!(
            out,
            "::error {props},title=input error::{}",
            escape_data(&e.message)
        )?;
    }
    for d in &result.diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = escape_property(&format!("{} {}", d.rule, d.name));
        let message = escape_data(&format!(
            "{} ({}). {}",
            d.message,
            d.object.display(),
            d.help
        ));
        if d.location.is_live() {
            // No file to annotate: a plain workflow message naming the cluster and pointer.
            writeln!(
                out,
                "::{level} title={title}::{}",
                escape_data(&format!("{} {}: ", d.location.file, d.location.pointer)) + &message
            )?;
        } else {
            writeln!(
                out,
                "::{level} file={},line={},col={},title={title}::{message}",
                escape_property(&d.location.file),
                d.location.line,
                d.location.column
            )?;
        }
    }
    Ok(())
}
