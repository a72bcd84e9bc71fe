//! `-o sarif`: SARIF 2.1.0 as GitHub code scanning accepts it — rules with descriptions and help,
//! results with `startLine`/`startColumn` and paths relative to the working directory.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
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

/// A path as a SARIF URI relative to the working directory `cwd` (forward slashes, percent-encoded
/// spaces).
fn uri(file: &str, cwd: Option<&Path>) -> String {
    if file == "-" {
        return "stdin".into();
    }
    let path = Path::new(file);
    let rel = match cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path).to_path_buf(),
        _ => path.to_path_buf(),
    };
    let s = rel.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s).to_string();
    s.replace('%', "%25").replace(' ', "%20")
}

/// The log, with its results serialized one at a time as they are written: a report of tens of
/// thousands of findings never exists whole in memory (docs/performance.md). Fields are in the
/// order they are written.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    original_uri_base_ids: Value,
    invocations: Value,
    results: Results<'a>,
}

struct Results<'a> {
    result: &'a LintResult,
    cwd: Option<&'a Path>,
    /// Index of each rule in the log's rule list (the first, should an ID repeat), looked up once
    /// per result instead of scanning the list.
    rule_index: HashMap<&'a str, usize>,
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Results { result, cwd, .. } = *self;
        s.collect_seq(result.diagnostics.iter().map(|d| {
            let object = d.object.display();
            let mut r = json!({
                "ruleId": d.rule,
                "level": level(d.severity),
                "message": {"text": format!("{} ({object})", d.message)},
                "locations": [location(&d.location, cwd)],
                "partialFingerprints": {
                    "tlscheck/v1": format!("{}:{object}:{}", d.rule, d.location.pointer),
                },
            });
            if let Some(i) = self.rule_index.get(d.rule.as_str()) {
                r["ruleIndex"] = json!(i);
            }
            r
        }))
    }
}

/// Write the SARIF log.
pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    let cwd: Option<PathBuf> = std::env::current_dir().ok();
    let cwd = cwd.as_deref();
    let mut rule_index = HashMap::new();
    for (i, r) in result.rules.iter().enumerate() {
        rule_index.entry(r.id()).or_insert(i);
    }
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
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&e.file, cwd)}, "region": region}}],
            })
        })
        .collect();
    let doc = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: json!({"driver": {
                "name": "kubectl-tlscheck",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }}),
            original_uri_base_ids: json!({"%SRCROOT%": {"description": {"text": "The working directory of the run."}}}),
            invocations: json!([{
                "executionSuccessful": result.input_errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }]),
            results: Results {
                result,
                cwd,
                rule_index,
            },
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A SARIF location: a file region, or only a logical location for a live object.
fn location(l: &crate::engine::Location, cwd: Option<&Path>) -> serde_json::Value {
    let logical = json!([{
        "fullyQualifiedName": format!("{}{}", l.file, l.pointer),
        "kind": "element",
    }]);
    if l.is_live() {
        return json!({"logicalLocations": logical});
    }
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&l.file, cwd), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": l.line, "startColumn": l.column},
        },
        "logicalLocations": logical,
    })
}
