//! The short plain-text summary that `--pass-through` writes to stderr: a count line, then one line
//! per input error and per blocking finding, capped. It is what Argo CD shows in an application's
//! ComparisonError, so it has no colour, no source excerpts and no line breaks inside an item.

use std::io::{self, Write};

use crate::engine::LintResult;
use crate::rules::Severity;

/// Write the summary. Findings at or above `blocking` are listed (none when `None`), at most `limit`
/// items in all; the rest are counted.
pub fn write(
    result: &LintResult,
    out: &mut dyn Write,
    blocking: Option<Severity>,
    limit: usize,
) -> io::Result<()> {
    let (errors, warnings, infos) = super::counts(result);
    let mut counts = Vec::new();
    for (n, word) in [
        (result.input_errors.len(), "input error"),
        (errors, "error"),
        (warnings, "warning"),
        (infos, "info"),
    ] {
        if n > 0 {
            counts.push(format!(
                "{n} {word}{}",
                if n == 1 || word == "info" { "" } else { "s" }
            ));
        }
    }
    let counts = if counts.is_empty() {
        "no findings".to_string()
    } else {
        counts.join(", ")
    };
    let objects = result.objects;
    let objects = format!("{objects} object{}", if objects == 1 { "" } else { "s" });
    writeln!(out, "kubectl-tlscheck: {counts} in {objects}")?;

    let mut lines: Vec<String> = result
        .input_errors
        .iter()
        .map(|e| one_line(&format!("input error: {e}")))
        .collect();
    lines.extend(
        result
            .diagnostics
            .iter()
            .filter(|d| blocking.is_some_and(|b| d.severity >= b))
            .map(|d| {
                let at = if d.location.is_live() {
                    format!("{} {}", d.location.file, d.location.pointer)
                } else {
                    format!("{}:{}", d.location.file, d.location.line)
                };
                one_line(&format!(
                    "{}[{}] {} ({at}): {}",
                    d.severity.as_str(),
                    d.rule,
                    d.object.display(),
                    d.message
                ))
            }),
    );
    let more = lines.len().saturating_sub(limit);
    for line in lines.iter().take(limit) {
        writeln!(out, "{line}")?;
    }
    if more > 0 {
        writeln!(
            out,
            "… and {more} more; run `kubectl tlscheck lint` on the same input for all of them"
        )?;
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Diagnostic, Location};
    use crate::load::InputError;
    use crate::model::ObjRef;

    fn diagnostic(rule: &str, severity: Severity, line: u32) -> Diagnostic {
        Diagnostic {
            rule: rule.into(),
            name: "some-rule".into(),
            severity,
            message: "multi\nline   message".into(),
            help: "help".into(),
            object: ObjRef {
                api_version: "v1".into(),
                kind: "Service".into(),
                namespace: Some("shop".into()),
                name: "web".into(),
            },
            location: Location {
                file: "app.yaml".into(),
                line,
                column: 1,
                pointer: "/spec".into(),
            },
            related: vec![],
        }
    }

    fn render(result: &LintResult, blocking: Option<Severity>, limit: usize) -> String {
        let mut out = Vec::new();
        write(result, &mut out, blocking, limit).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lists_blocking_findings_only_and_caps_them() {
        let result = LintResult {
            objects: 3,
            diagnostics: vec![
                diagnostic("NS001", Severity::Error, 4),
                diagnostic("NS002", Severity::Warning, 9),
                diagnostic("NS003", Severity::Error, 12),
                diagnostic("NS004", Severity::Info, 20),
            ],
            input_errors: vec![InputError::file("bad.yaml", "cannot parse YAML")],
            ..Default::default()
        };
        let text = render(&result, Some(Severity::Error), 2);
        assert_eq!(
            text,
            "kubectl-tlscheck: 1 input error, 2 errors, 1 warning, 1 info in 3 objects\n\
             input error: bad.yaml: cannot parse YAML\n\
             error[NS001] Service shop/web (app.yaml:4): multi line message\n\
             … and 1 more; run `kubectl tlscheck lint` on the same input for all of them\n"
        );
        let text = render(&result, Some(Severity::Warning), 10);
        assert!(text.contains("warning[NS002]"), "{text}");
        assert!(!text.contains("NS004"), "{text}");
        assert_eq!(render(&result, None, 10).lines().count(), 2);
    }

    #[test]
    fn clean_input() {
        let result = LintResult {
            objects: 1,
            ..Default::default()
        };
        assert_eq!(
            render(&result, Some(Severity::Error), 10),
            "kubectl-tlscheck: no findings in 1 object\n"
        );
    }
}
