//! `-o sarif`: SARIF 2.1.0 as GitHub code scanning accepts it — rules with descriptions and help,
//! results with `startLine`/`startColumn` and paths relative to the working directory.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::engine::LintResult;
use crate::rules::Severity;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a SARIF URI relative to the working directory (forward slashes, percent-encoded spaces).
fn uri(file: &str) -> String {
    if file == "-" {
        return "stdin".into();
    }
    let path = std::path::Path::new(file);
    let rel = match std::env::current_dir() {
        Ok(cwd) if path.is_absolute() => path.strip_prefix(&cwd).unwrap_or(path).to_path_buf(),
        _ => path.to_path_buf(),
    };
    let s = rel.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s).to_string();
    s.replace('%', "%25").replace(' ', "%20")
}

/// Write the SARIF log.
pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = result
        .rules
        .iter()
        .map(|r| {
            let p = r.policy();
            let mut help = format!("{}\n\n{}", p.remediation, p.rationale);
            let mut markdown = format!(
                "**{}** ({})\n\n{}\n\n**Fix:** {}",
                p.name, p.id, p.rationale, p.remediation
            );
            if !p.references.is_empty() {
                help.push_str(&format!("\n\nReferences: {}", p.references.join(", ")));
                markdown.push_str("\n\n**References:**\n");
                for r in &p.references {
                    markdown.push_str(&format!("- {r}\n"));
                }
            }
            let mut rule = json!({
                "id": p.id,
                "name": p.name,
                "shortDescription": {"text": p.name},
                "fullDescription": {"text": p.summary},
                "help": {"text": help, "markdown": markdown},
                "defaultConfiguration": {"level": level(p.severity)},
                "properties": {"tags": ["security", "tls", p.category], "precision": "high"},
            });
            if let Some(uri) = p.references.iter().find(|r| r.starts_with("https://")) {
                rule["helpUri"] = json!(uri);
            }
            rule
        })
        .collect();
    let results: Vec<Value> = result
        .diagnostics
        .iter()
        .map(|d| {
            let index = result.rules.iter().position(|r| r.id() == d.rule);
            let mut r = json!({
                "ruleId": d.rule,
                "level": level(d.severity),
                "message": {"text": format!("{} ({})", d.message, d.object.display())},
                "locations": [location(&d.location)],
                "partialFingerprints": {
                    "tlscheck/v1": format!("{}:{}:{}", d.rule, d.object.display(), d.location.pointer),
                },
            });
            if let Some(i) = index {
                r["ruleIndex"] = json!(i);
            }
            r
        })
        .collect();
    let notifications: Vec<Value> = result
        .input_errors
        .iter()
        .map(|e| {
            let mut region = json!({});
            if let (Some(l), Some(c)) = (e.line, e.column) {
                region = json!({"startLine": l, "startColumn": c});
            }
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&e.file)}, "region": region}}],
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubectl-tlscheck",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The working directory of the run."}}},
            "invocations": [{
                "executionSuccessful": result.input_errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A SARIF location: a file region, or only a logical location for a live object.
fn location(l: &crate::engine::Location) -> serde_json::Value {
    let logical = json!([{
        "fullyQualifiedName": format!("{}{}", l.file, l.pointer),
        "kind": "element",
    }]);
    if l.is_live() {
        return json!({"logicalLocations": logical});
    }
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&l.file), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": l.line, "startColumn": l.column},
        },
        "logicalLocations": logical,
    })
}
